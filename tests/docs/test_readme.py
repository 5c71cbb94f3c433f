"""README.md's console examples (lines starting with ``$ stl``) run and exit 0."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest


def _helpers():
    name = "stl_docs_test_helpers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("docs_helpers.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


H = _helpers()
README = H.ROOT / "README.md"


def _stl_commands() -> list:
    if not README.exists():
        return []
    return [b for b in H.extract_blocks(README.read_text(encoding="utf-8"))
            if b.kind == "console" and b.text.startswith("stl ")]


@pytest.mark.timeout(300)
def test_readme_stl_examples_run(tmp_path: Path) -> None:
    commands = _stl_commands()
    if not commands:
        pytest.skip("README.md has no `$ stl ...` console examples yet")
    for block in commands:
        proc = H.run_console(block.text, tmp_path)
        assert proc.returncode == 0, f"README.md:{block.line}: `{block.text}` exited {proc.returncode}\n{proc.stderr}"
