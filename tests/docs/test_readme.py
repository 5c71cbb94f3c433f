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


@pytest.mark.timeout(300)
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
