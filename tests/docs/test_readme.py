"""README.md's console examples (lines starting with ``$ stl``) run and exit 0, in order,
in one directory where the README's titled file blocks (``title="grid.toml"``) are written
first, as a reader would save them."""

from __future__ import annotations

from pathlib import Path

import pytest


import stl_docs_test_helpers as H  # registered by conftest.py
README = H.ROOT / "README.md"


def _stl_commands() -> list:
    if not README.exists():
        return []
    return [b for b in H.extract_blocks(README.read_text(encoding="utf-8"))
            if (b.kind == "console" and b.text.startswith("stl ")) or b.kind == "file"]


@pytest.mark.timeout(900)  # a hang guard: about 60 s on an idle two-core machine, 5 min at load 7
def test_readme_stl_examples_run(tmp_path: Path) -> None:
    commands = _stl_commands()
    if not commands:
        pytest.skip("README.md has no `$ stl ...` console examples yet")
    for block in commands:
        if block.kind == "file":
            (tmp_path / block.title).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / block.title).write_text(block.text, encoding="utf-8")
            continue
        proc = H.run_console(block.text, tmp_path)
        assert proc.returncode == 0, f"README.md:{block.line}: `{block.text}` exited {proc.returncode}\n{proc.stderr}"


def _python_blocks() -> list:
    if not README.exists():
        return []
    return [b for b in H.extract_blocks(README.read_text(encoding="utf-8")) if b.kind == "python"]


@pytest.mark.timeout(300)
def test_readme_python_examples_run(tmp_path: Path) -> None:
    """The README's Python API section runs as written, in order, in one namespace."""
    import subprocess
    import sys

    blocks = _python_blocks()
    if not blocks:
        pytest.skip("README.md has no python examples")
    pytest.importorskip("matplotlib")
    code = "\n\n".join(b.text for b in blocks)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=H.command_env(), capture_output=True,
                          text=True, timeout=280, check=False)
    assert proc.returncode == 0, f"README.md python examples failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert (tmp_path / "t1.png").exists()
