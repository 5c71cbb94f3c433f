"""Figures in the docs are drawn at build time by the toolkit's own commands: the
``stl:figure`` marker embeds what an earlier ``stl:run`` of the page wrote."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from stl_docs_test_helpers import docs_hook as _hook

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"



def test_a_figure_is_embedded_from_the_page_scratch_directory():
    pytest.importorskip("mkdocs")
    hook = _hook()
    hook._current_page[0] = "figures-test.md"
    try:
        svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'
        (Path(hook.scratch_dir("figures-test.md")) / "f.svg").write_bytes(svg)
        html = hook.render_figure(["f.svg"], {"alt": "a <figure>", "caption": "drawn by stl plot"})
        data = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', html).group(1)
        assert base64.b64decode(data) == svg
        assert 'alt="a &lt;figure&gt;"' in html and "<figcaption>drawn by stl plot</figcaption>" in html
        with pytest.raises(ValueError, match="alt"):
            hook.render_figure(["f.svg"], {})
        with pytest.raises(ValueError, match="not written"):
            hook.render_figure(["missing.svg"], {"alt": "x"})
        with pytest.raises(ValueError, match=".svg or .png"):
            hook.render_figure(["f.pdf"], {"alt": "x"})
    finally:
        hook._scratch.pop("figures-test.md").cleanup()


def _figure_pages() -> list[Path]:
    return [p for p in sorted(DOCS.rglob("*.md")) if "stl:figure" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("page", _figure_pages(), ids=lambda p: str(p.relative_to(DOCS)))
def test_every_figure_is_written_by_a_plot_command_of_its_page(page: Path):
    """Each figure marker names a file that a `stl plot ... --out FILE` marker before it
    writes (the docs never show a hand-made or stale picture)."""
    text = page.read_text(encoding="utf-8")
    for m in re.finditer(r"<!--\s*stl:figure\s+(\S+)", text):
        before = text[:m.start()]
        assert re.search(rf"<!--\s*stl:run stl plot [^>]*--out {re.escape(m.group(1))}\b", before), \
            f"{page.name}: {m.group(1)} is not written by an earlier stl plot marker"
