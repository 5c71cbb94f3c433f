"""The site builds with warnings as errors, and its formulas come from the code."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _hook():
    name = "stl_docs_hook_under_test"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, DOCS / "hooks" / "stl_docs.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    pytest.importorskip("mkdocs")
    out = tmp_path_factory.mktemp("site")
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stdout}\n{proc.stderr}"
    print(f"mkdocs build --strict: {time.monotonic() - start:.1f} s")
    return out


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_mkdocs_build_strict(site: Path) -> None:
    assert (site / "index.html").exists()
    html = (site / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    for command in ("derive", "latex"):
        assert f"stl {command}" in html
    for page in site.rglob("*.html"):  # every marker was replaced by the hook
        assert "<!-- stl:" not in page.read_text(encoding="utf-8"), page


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_theory_pages_have_generated_formulas(site: Path) -> None:
    for name in ("definitions", "lemmas", "theorem1", "theorem2", "theorem3"):
        html = (site / "theory" / name / "index.html").read_text(encoding="utf-8")
        source = (DOCS / "theory" / f"{name}.md").read_text(encoding="utf-8")
        markers = len(_hook().MARKER.findall(source))
        assert markers and html.count('<div class="arithmatex">') >= markers, name


def test_theory_guide_has_no_hand_written_displays() -> None:
    """Displayed formulas in the theory guide come only from markers (no drift possible)."""
    for page in sorted((DOCS / "theory").glob("*.md")):
        text = page.read_text(encoding="utf-8")
        for pattern in (r"\$\$", r"\\\[", r"\\begin\{(equation|align|gather)"):
            assert not re.search(pattern, text), f"{page.name}: hand-written display math ({pattern})"


def test_every_marker_names_a_known_renderer() -> None:
    hook = _hook()
    for page in sorted(DOCS.rglob("*.md")):
        for m in hook.MARKER.finditer(page.read_text(encoding="utf-8")):
            assert m.group("kind") in hook.RENDERERS, f"{page}: stl:{m.group('kind')}"


#: Markers that only need sympy or argparse: cheap enough for the default (fast) test run.
FAST_KINDS = {"derivation", "bound", "extra", "definition", "constant", "terms", "rate", "symbols",
              "cli", "cli-command"}


def _fast_markers(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    return [m.group(0) for m in _hook().MARKER.finditer(text) if m.group("kind") in FAST_KINDS]


PAGES_WITH_FAST_MARKERS = [p for p in sorted(DOCS.rglob("*.md")) if _fast_markers(p)]


@pytest.mark.parametrize("page", PAGES_WITH_FAST_MARKERS, ids=lambda p: str(p.relative_to(DOCS)))
def test_formula_and_cli_markers_expand(page: Path) -> None:
    """Every theory formula and CLI table regenerates from the code (the slow build does the rest)."""
    out = _hook().expand("\n\n".join(_fast_markers(page)), str(page))
    assert "<!-- stl:" not in out


def test_marker_arguments_keep_command_assignments() -> None:
    hook = _hook()
    args, opts = hook.parse_marker_args("stl simulate categorical --param k=5 --n 50 head=10", "run")
    assert args == ["stl", "simulate", "categorical", "--param", "k=5", "--n", "50"] and opts == {"head": "10"}
    args, opts = hook.parse_marker_args("stl derive shift --subs n=100", "run")
    assert "n=100" in args and opts == {}
