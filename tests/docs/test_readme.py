"""README.md's console examples (lines starting with ``$ stl``) run and exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest


import stl_docs_test_helpers as H  # registered by conftest.py
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
