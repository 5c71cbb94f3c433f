"""Packaging: one install namespace ``stl``; no module imports the bare folder names.

The repository keeps the folders ``theory/``, ``numerics/`` and ``verify/`` at its top
level; they install as ``stl.theory``, ``stl.numerics`` and ``stl.verify``
(``pyproject.toml`` maps the package ``stl`` to the repository root).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import stl_docs_test_helpers as H  # registered by tests/conftest.py

ROOT = Path(__file__).resolve().parents[1]
#: The folders that install as subpackages of ``stl`` (the shared kernel and the three layers).
LAYERS = ("kernel", "theory", "numerics", "verify")


def _declared_packages() -> list[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data["tool"]["setuptools"]["packages"]


def test_declared_packages_are_the_folders_with_an_init():
    found = {"stl"} | {
        "stl." + ".".join(p.parent.relative_to(ROOT).parts)
        for layer in LAYERS for p in (ROOT / layer).rglob("__init__.py")
    }
    assert sorted(_declared_packages()) == sorted(found)


def _source_files():
    for layer in LAYERS:
        yield from (ROOT / layer).rglob("*.py")
    yield from (ROOT / "tests").rglob("*.py")
    yield from (ROOT / "benchmarks").glob("*.py")
    yield from (ROOT / "docs" / "hooks").glob("*.py")


def test_no_module_imports_the_bare_folder_names():
    """From the checkout's root ``import theory`` would still work (the folder is on the
    path) and load a second copy of the package; every import must say ``stl.``."""
    bad = []
    for path in _source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            bad += [f"{path.relative_to(ROOT)}:{node.lineno} {n}" for n in names if n.split(".")[0] in LAYERS]
    assert not bad, "imports of bare folder names:\n" + "\n".join(bad)


@pytest.mark.timeout(300)
def test_the_wheel_holds_only_the_stl_namespace(tmp_path):
    if not H.can_build_wheels():
        pytest.skip("building a wheel needs setuptools >= 70.1 or the wheel package")
    # Build from a copy of the tracked files: an in-tree build would leave build/ behind, and
    # a stale build/lib (say, a module since deleted) would slip into later wheels.
    source = tmp_path / "src"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), str(source)],
        capture_output=True, text=True, timeout=280, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = tmp_path.glob("stl_toolkit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names}
    assert top == {"stl", next(t for t in top if t.endswith(".dist-info"))}
    for layer in LAYERS:
        assert f"stl/{layer}/__init__.py" in names
    assert "stl/__init__.py" in names
    assert not [n for n in names if n.startswith(("stl/tests", "stl/docs", "stl/benchmarks"))]
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "stl = stl.verify.cli.main:main" in entry_points
