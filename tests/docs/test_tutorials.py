"""Every tutorial runs: its python blocks in order in one namespace, its commands exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest


import stl_docs_test_helpers as H  # registered by conftest.py
TUTORIALS = sorted(p for p in (H.DOCS / "tutorials").glob("*.md") if p.name != "index.md")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("page", TUTORIALS, ids=lambda p: p.stem)
def test_tutorial_runs(page: Path, tmp_path: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for name in H.requirements(text):
        if name == "wheel-build":
            if not H.can_build_wheels():
                pytest.skip("building a wheel needs setuptools >= 70.1 or the wheel package")
        else:
            pytest.importorskip(name)
    assert H.extract_blocks(page.read_text(encoding="utf-8")), f"{page.name} has nothing runnable"
    proc = H.run_page_isolated(page, tmp_path)
    assert proc.returncode == 0, f"{page.name} failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}"


def test_every_tutorial_is_linked_from_the_index() -> None:
    index = (H.DOCS / "tutorials" / "index.md").read_text(encoding="utf-8")
    for page in TUTORIALS:
        assert page.name in index, f"{page.name} is not linked from tutorials/index.md"


def test_block_extraction_keeps_document_order() -> None:
    page = "\n".join([
        "```python", "x = 1", "```",
        "<!-- stl:run stl derive shift head=3 -->",
        "```console", "$ stl latex shift", "output line", "```",
        "```py", "not run", "```",
    ])
    blocks = H.extract_blocks(page)
    assert [(b.kind, b.text) for b in blocks] == [
        ("python", "x = 1\n"), ("console", "stl derive shift"), ("console", "stl latex shift"),
    ]
