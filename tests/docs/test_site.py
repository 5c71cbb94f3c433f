"""The site builds with warnings as errors, and its formulas come from the code."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from stl_docs_test_helpers import docs_hook as _hook

pytest.importorskip("mkdocs")

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"



@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The built site: ``STL_SITE_DIR`` when CI has just built it there, else a fresh build."""
    pytest.importorskip("mkdocs")
    prebuilt = os.environ.get("STL_SITE_DIR")
    if prebuilt and (Path(prebuilt) / "index.html").exists():
        return Path(prebuilt)
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
        displays = re.findall(r'<div class="arithmatex"[^>]*>\s*<math', html)
        assert markers and len(displays) >= markers, name


#: Tags through which a page loads something (scripts, styles, fonts, images, frames).
_LOADING_TAG = re.compile(r"<(script|link|img|iframe|source|embed|object)\b[^>]*>", re.IGNORECASE)
_URL = re.compile(r"""\b(?:src|href|data)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
_CSS_URL = re.compile(r"""(?:@import\s+|url\(\s*)["']?((?:[a-z]+:)?//[^"')\s;]+)""", re.IGNORECASE)


def external_loads(html: str) -> list[str]:
    """URLs outside the site that ``html`` loads (links a reader may follow do not count)."""
    found = []
    for tag in _LOADING_TAG.finditer(html):
        text = tag.group(0)
        if tag.group(1).lower() == "link" and not re.search(
                r"rel\s*=\s*[\"']?[^\"'>]*(stylesheet|preload|icon|manifest)", text, re.IGNORECASE):
            continue
        found += [url for url in _URL.findall(text) if _EXTERNAL.match(url.strip())]
    found += _CSS_URL.findall(html)
    return found


def test_external_loads_finds_what_it_should() -> None:
    """The detector itself: a CDN script, a protocol-relative style and a CSS import count;
    a link to read and a script of the site do not."""
    page = ('<script src="https://cdn.example/mathjax.js"></script>'
            '<link rel="stylesheet" href="//fonts.example/css">'
            '<style>@import url("https://fonts.example/x.css");</style>'
            '<a href="https://arxiv.org/abs/2502.18865">paper</a>'
            '<script src="../assets/javascripts/bundle.js"></script>')
    assert external_loads(page) == ["https://cdn.example/mathjax.js", "//fonts.example/css",
                                    "https://fonts.example/x.css"]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_no_page_loads_anything_from_outside_the_site(site: Path) -> None:
    offenders = {}
    for page in sorted(site.rglob("*.html")):
        found = external_loads(page.read_text(encoding="utf-8"))
        if found:
            offenders[str(page.relative_to(site))] = found
    assert not offenders, offenders


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_every_formula_is_mathml(site: Path) -> None:
    """No page keeps TeX for a script to render: every arithmatex box holds MathML that
    the converter read completely (no error element, no command left as text)."""
    count = 0
    for page in sorted(site.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        boxes = re.findall(r'<(span|div) class="arithmatex"[^>]*>(.*?)</\1>', html, re.DOTALL)
        for _, inner in boxes:
            assert inner.lstrip().startswith("<math"), (page, inner[:120])
        assert "<merror" not in html, page
        assert not re.search(r"<m[ion]>\\[A-Za-z]", html), page
        count += len(boxes)
    assert count > 200  # the theory guide alone has hundreds of formulas


def _chromium() -> str | None:
    return next((path for path in (shutil.which(name) for name in
                                   ("chromium", "chromium-browser", "google-chrome")) if path), None)


#: Measures the first displayed fraction: in a browser that lays out MathML, its numerator
#: sits above its denominator; where MathML is unknown, the two sit side by side.
_PROBE = """<script>
(function () {
  var out = {math: document.querySelectorAll("math").length, stacked: false, display: ""};
  var frac = document.querySelector(SELECTOR);
  if (frac && frac.children.length == 2) {
    var up = frac.children[0].getBoundingClientRect(), down = frac.children[1].getBoundingClientRect();
    out.stacked = up.height > 0 && down.height > 0 && up.bottom <= down.top + 1;
    out.display = getComputedStyle(frac.closest("math") || frac).display;
  }
  document.title = "PROBE " + JSON.stringify(out);
})();
</script>"""


def _run_probe(browser: str, page: Path, script: str, profile: Path, *flags: str) -> dict:
    """Open ``page`` with ``script`` appended in headless Chromium; the script's JSON report,
    which it leaves in the document title as ``PROBE {...}``."""
    probe = page.with_name("stl-probe.html")
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", script + "</body>"), encoding="utf-8")
    try:
        proc = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                               f"--user-data-dir={profile}", *flags, "--dump-dom", probe.as_uri()],
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        probe.unlink()
    match = re.search(r"<title>PROBE (.*?)</title>", proc.stdout)
    assert match, f"the probe did not run: {proc.stderr[-1000:]}"
    return json.loads(match.group(1).replace("&quot;", '"'))


def _probe(browser: str, page: Path, selector: str, profile: Path) -> dict:
    return _run_probe(browser, page, _PROBE.replace("SELECTOR", json.dumps(selector)), profile)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_formula_renders_as_math_offline_in_a_browser(site: Path, tmp_path: Path) -> None:
    """Headless Chromium opens a built page from a local file (no server, no network) and
    lays out its formulas as math: a displayed fraction is stacked. The control page has
    the same fraction outside a <math> element, and the probe reports it unstacked."""
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI: .ci/run installs it")
        pytest.skip("no chromium installed (CI installs Debian's chromium)")
    result = _probe(browser, site / "theory" / "theorem1" / "index.html",
                    'math[display="block"] mfrac', tmp_path / "profile")
    assert result["math"] > 10 and result["stacked"] and "math" in result["display"], result
    control = tmp_path / "control.html"
    control.write_text("<html><head><title>x</title></head><body><p><mfrac><mrow><mn>1</mn>"
                       "</mrow><mrow><mn>2</mn></mrow></mfrac></p></body></html>")
    assert not _probe(browser, control, "mfrac", tmp_path / "profile")["stacked"]


def test_formulas_become_mathml_and_bad_tex_stops_the_build() -> None:
    from mkdocs.exceptions import PluginError

    hook = _hook()
    html = ('<p><span class="arithmatex">\\(x &lt; \\frac{1}{2}\\)</span></p>'
            '<div class="arithmatex">\\[a_{i} \\leq b\\]</div>')
    out = hook.math_to_mathml(html)
    assert out.count("<math") == 2 and 'display="block"' in out and "<mfrac>" in out
    assert "\\(" not in out and "&#x0003C;" in out
    for bad in ("\\left( x", "\\unknowncommand{x}"):
        with pytest.raises(PluginError, match="MathML"):
            hook.math_to_mathml(f'<span class="arithmatex">\\({bad}\\)</span>')


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


#: Reports, for every displayed formula box of a page, whether it scrolls: content wider or
#: taller than the box (a scroll control, or a clipped formula).
_OVERFLOW_PROBE = """<script>
(function () {
  var boxes = document.querySelectorAll("div.arithmatex"), wide = [], tall = [];
  boxes.forEach(function (box, k) {
    if (box.scrollWidth > box.clientWidth + 1) wide.push([k, box.textContent.slice(0, 60)]);
    if (box.scrollHeight > box.clientHeight + 1) tall.push([k, box.textContent.slice(0, 60)]);
  });
  document.title = "PROBE " + JSON.stringify({boxes: boxes.length, wide: wide, tall: tall});
})();
</script>"""


def _overflow(browser: str, page: Path, width: int, profile: Path) -> dict:
    return _run_probe(browser, page, _OVERFLOW_PROBE, profile, f"--window-size={width},1000")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_theory_formulas_fit_their_boxes_in_a_browser(site: Path, tmp_path: Path) -> None:
    """Headless Chromium lays out every theory page at a desktop and a narrow width: no
    displayed formula scrolls sideways (long ones are broken before their terms) and none
    shows a vertical scroll control. A control page with a formula far wider than the
    window is reported, so the probe can fail."""
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is missing in CI: .ci/run installs it")
        pytest.skip("no chromium installed (CI installs Debian's chromium)")
    for name in ("definitions", "lemmas", "theorem1", "theorem2", "theorem3"):
        for width in (1280, 760):
            found = _overflow(browser, site / "theory" / name / "index.html", width,
                              tmp_path / "profile")
            assert found["boxes"] > 0 and not found["wide"] and not found["tall"], (name, width, found)
    hook = _hook()
    wide = hook.math_to_mathml('<div class="arithmatex">\\[' + " + ".join(["x_{1}"] * 400) + "\\]</div>")
    control = site / "theory" / "stl-control.html"
    control.write_text(f"<html><head><title>x</title></head><body>{wide}</body></html>", encoding="utf-8")
    try:
        assert _overflow(browser, control, 1280, tmp_path / "profile")["wide"]
    finally:
        control.unlink()


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_step_titles_are_math_not_text(site: Path) -> None:
    """A derivation's step reasons print their formulas as MathML, never as raw text such
    as ``n_s γ_n^{i-1}`` (or the Unicode forms ``stl derive`` prints)."""
    html = (site / "theory" / "theorem1" / "index.html").read_text(encoding="utf-8")
    steps = re.findall(r"<p><em>Step \d+\.</em>(.*?)</p>", html, re.DOTALL)
    assert len(steps) >= 10
    assert any("<math" in step for step in steps)
    for step in steps:
        text = re.sub(r"<math.*?</math>", "", step, flags=re.DOTALL)
        assert not re.search(r"γ|β|λ|τ|ₙ|n_s|gamma_n|\^\{", text), step[:200]


def test_ci_builds_the_docs_with_the_documented_command() -> None:
    """.ci/run builds the site with exactly the command docs/developer/documentation.md
    documents (from the README's set-up: the virtual environment inside the repository)."""
    page = (DOCS / "developer" / "documentation.md").read_text(encoding="utf-8")
    documented = re.search(r"```text\n(.+?)\n```", page).group(1).strip()
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in script.splitlines()]
    assert documented == "mkdocs build --strict" and documented in lines
    assert "python3 -m venv .venv" in lines  # the README's set-up


def test_script_directories_are_dropped_from_the_docs_search_path(tmp_path: Path) -> None:
    """With the venv inside the repository, ``mkdocs`` (the console script) has
    ``.venv/bin`` on sys.path, which holds the file ``stl``; the hook removes such folders
    so that griffe does not take the script for the package."""
    scripts = tmp_path / "bin"
    scripts.mkdir()
    (scripts / "stl").write_text("#!/usr/bin/env python\n")
    package_parent = tmp_path / "lib"
    (package_parent / "stl").mkdir(parents=True)
    kept = _hook()._without_script_directories([str(scripts), str(package_parent), ""])
    assert kept == [str(package_parent), ""]
