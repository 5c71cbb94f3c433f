"""LaTeX: every named result parses back to the same expression; environments compile."""

from __future__ import annotations

import functools
import os
import random
import re
import shutil
import subprocess

import pytest
import sympy as sp
from stl.theory.catalog import NAMES
from stl.theory.definitions import DEFINITIONS
from stl.theory.errors import InputError
from stl.theory.paper import (
    ENVIRONMENTS,
    LINE_WIDTH,
    defined_symbols,
    document,
    estimated_width,
    preamble,
    render,
)
from stl.theory.results import get
from stl.theory.latex import to_latex
from stl.theory.symbols import LATEX_NAMES, d_tv, gamma
from sympy.core.function import AppliedUndef
from sympy.parsing.latex import parse_latex


@functools.cache
def _parsed_name(symbol: sp.Symbol) -> str:
    """How parse_latex names our typeset symbol (e.g. \\beta_{n} -> beta_{n})."""
    return str(parse_latex(LATEX_NAMES[symbol]))


def back_to_theory_symbols(parsed: sp.Expr, original: sp.Expr) -> sp.Expr:
    """Rename parse_latex's symbols to ours; the two names it cannot read as symbols
    (\\gamma_{n}^{i-1} is read as a power, d_{TV}(n) as a function call) are mapped whole."""
    gamma_power = sp.Symbol("gamma_{n}") ** (sp.Symbol("i") - 1)
    parsed = parsed.replace(lambda e: e.is_Pow and e.base == gamma_power.base
                            and sp.expand(e.exp - gamma_power.exp) == 0, lambda e: gamma)
    parsed = parsed.replace(lambda e: isinstance(e, AppliedUndef)
                            and e.func.__name__.startswith("d_"), lambda e: d_tv)
    names = {sp.Symbol(_parsed_name(s)): s for s in original.free_symbols if s not in (gamma, d_tv)}
    names[sp.Symbol("pi")] = sp.pi
    # A paper writes products by juxtaposition, M (1 - lambda); parse_latex reads a symbol
    # followed by parentheses as a function call M(1 - lambda). Our printer never prints
    # a call of a symbol (functions are log, sqrt, ... and d_TV(n), mapped above), so
    # every such call is the product it stands for.
    symbol_names = {name.name for name in names}
    # ... and x (1 + y)^{L} as a call raised to a power, (x(1 + y))^L
    parsed = parsed.replace(
        lambda e: e.is_Pow and isinstance(e.base, AppliedUndef)
        and e.base.func.__name__ in symbol_names,
        lambda e: sp.Symbol(e.base.func.__name__) * sp.Mul(*e.base.args) ** e.exp)
    parsed = parsed.replace(
        lambda e: isinstance(e, AppliedUndef) and e.func.__name__ in symbol_names,
        lambda e: sp.Symbol(e.func.__name__) * sp.Mul(*e.args))
    return parsed.xreplace(names)


def compare_at_random_points(original: sp.Expr, text: str, seed: int) -> None:
    rebuilt = back_to_theory_symbols(parse_latex(text), original)
    symbols = sorted(original.free_symbols, key=lambda s: s.name)
    assert rebuilt.free_symbols <= set(symbols), (text, rebuilt.free_symbols)
    f_original = sp.lambdify(symbols, original, modules="math")
    f_rebuilt = sp.lambdify(symbols, rebuilt, modules="math")
    rng = random.Random(seed)
    for _ in range(25):
        # integers for integer symbols, interior values elsewhere (lam in (0, 1) etc.)
        point = [rng.randint(1, 30) if s.is_integer else rng.uniform(0.05, 0.95)
                 for s in symbols]
        expected = f_original(*point)
        assert abs(f_rebuilt(*point) - expected) <= 1e-10 * max(1.0, abs(expected)), text


@pytest.mark.parametrize("name", NAMES)
def test_result_latex_parses_back(name):
    pytest.importorskip("antlr4")
    bound = get(name).result
    compare_at_random_points(bound.expr, bound.latex(), seed=len(name))
    for term_name, term in bound.terms:
        if term != 0:
            compare_at_random_points(term, to_latex(term), seed=len(term_name))


def body(text: str) -> str:
    """An output without its leading ``%`` comment lines (what LaTeX typesets)."""
    lines = text.splitlines()
    while lines and lines[0].startswith("%"):
        lines.pop(0)
    return "\n".join(lines)


@pytest.mark.parametrize("name", NAMES)
def test_every_environment_renders(name):
    derivation = get(name)
    outputs = {env: body(render(derivation, env)) for env in ENVIRONMENTS}
    assert outputs["inline"].startswith("$") and outputs["inline"].endswith("$")
    assert outputs["equation"].startswith("\\begin{equation}")
    assert outputs["align"].count("&") >= 1
    theorem = outputs["theorem"]
    assert "\\begin{" in theorem and "where " in theorem
    assert all(ord(ch) < 128 for ch in theorem)  # plain ASCII: no inputenc needed
    # each term of the bound appears in the statement, in the bound's order
    positions = [theorem.index(term) for term in derivation.result.terms_latex()]
    assert positions == sorted(positions)


def test_unknown_environment_is_refused():
    with pytest.raises(InputError):
        render(get("shift"), "figure")


# --------------------------------------------------------------------------- paper-grade


def _variants() -> list[tuple[str, str]]:
    """Every result in every environment, plus the options a paper uses."""
    out = [(f"{name}-{env}", render(get(name), env)) for name in NAMES for env in ENVIRONMENTS]
    t1 = get("theorem1")
    for env in ENVIRONMENTS:
        out.append((f"theorem1-limit-{env}", render(t1.limit("i", "oo"), env)))
        out.append((f"theorem1-rates-{env}", render(t1.with_rates(), env,
                                                    rate=t1.with_rates().result.rate("n"))))
    out += [
        ("theorem1-rate-limit", render(get("theorem1-rate").limit("i", "oo"), "theorem")),
        ("theorem1-subs", render(t1.subs({"lam": "1/2", "n": 100}), "theorem")),
        ("theorem1-rate-held", render(t1, "theorem", rate=t1.result.rate("n"))),
        ("shift-nonumber", render(get("shift"), "theorem", numbered=False)),
        ("align-nonumber", render(get("theorem1-rate"), "align", numbered=False)),
        ("notation", render(t1, "equation", notation={"gamma": r"\rho_{n}^{i-1}"})),
        ("optimal-size-subs", render(get("optimal-size").subs({"delta": "1/20"}), "theorem")),
    ]
    # what `stl derive NAME --format latex` prints: every step, broken like stl latex
    from stl.verify.cli.cmd_derive import as_latex

    out += [(f"derive-{name}", as_latex(get(name))) for name in NAMES]
    out.append(("derive-theorem1-subs-limit", as_latex(t1.subs({"lam": "1/2"}).limit("i", "oo"))))
    # several results pasted together under one merged preamble (stl latex A B C --preamble)
    out.append(("several", "\n\n".join(render(get(name), "theorem") for name in NAMES)))
    out.append(("footnotes", render(get("theorem1-rate"), "theorem", footnote=True) + "\n\n"
                + render(get("shift"), "inline", footnote=True)))
    # the definitions D1-D4 as a paper would state them
    out.append(("definitions", "\n\n".join(
        f"\\begin{{definition}}[{d.name}] ${d.latex()}$ \\end{{definition}}" for d in DEFINITIONS)))
    return out


VARIANTS = _variants()


def _in_a_paragraph(text: str) -> str:
    """Inline math is pasted into running text; displays stand between paragraphs."""
    if text.startswith(r"\begin{definition}"):
        return text
    if body(text).startswith("$"):
        text = body(text)
        return ("We state the result in running text, as a paper would: the bound " + text
                + " holds for every generation of the loop.")
    return "Some text before the result.\n\n" + text + "\n\nSome text after it."


def _need_pdflatex() -> None:
    """Skip without pdflatex on a developer's machine; in CI (CI=true) it must be there."""
    if shutil.which("pdflatex") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdflatex is missing in CI: .ci/run installs texlive-latex-base")
        pytest.skip("no LaTeX engine installed (CI installs texlive-latex-base)")


@pytest.mark.timeout(300)
def test_every_output_compiles_without_overfull_boxes(tmp_path):
    """pdflatex on each output with exactly the preamble ``stl latex --preamble`` prints:
    it compiles, and its log has no overfull box (nothing runs into the margin)."""
    _need_pdflatex()
    failures = []
    for label, text in VARIANTS:
        source = tmp_path / f"{label}.tex"
        source.write_text(document(_in_a_paragraph(text), preamble(text)), encoding="ascii")
        proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                               source.name], cwd=tmp_path, capture_output=True, text=True,
                              timeout=60, check=False)
        log = (tmp_path / f"{label}.log").read_text(errors="replace")
        if proc.returncode != 0:
            failures.append(f"{label}: does not compile:\n{proc.stdout[-1500:]}")
        for match in re.finditer(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log):
            failures.append(f"{label}: overfull by {match.group(1)} pt")
        if "Overfull \\vbox" in log:
            failures.append(f"{label}: overfull vbox")
    assert not failures, "\n".join(failures)


@pytest.mark.timeout(120)
def test_overfull_check_can_fail(tmp_path):
    """The log check above sees an overfull box when there is one (a control)."""
    _need_pdflatex()
    text = "$" + " + ".join([r"\frac{a_{1} b_{2}}{c_{3}}"] * 40) + "$"
    block = r"\begin{equation*}" + text.strip("$") + r"\end{equation*}"
    (tmp_path / "wide.tex").write_text(document(block, preamble(block)))
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "wide.tex"], cwd=tmp_path,
                   capture_output=True, text=True, timeout=60, check=False)
    assert "Overfull \\hbox" in (tmp_path / "wide.log").read_text(errors="replace")


def test_estimated_width_orders_formulas_like_tex():
    """The line-breaking estimate grows with what is printed, not with the TeX source."""
    short, long_ = body(render(get("shift"), "inline")), body(render(get("theorem1-rate"), "inline"))
    assert estimated_width(short) < LINE_WIDTH < estimated_width(long_)
    assert estimated_width(r"\left(\lambda\right)") == pytest.approx(estimated_width(r"(\lambda)"),
                                                                      abs=1.2)
    assert estimated_width(r"\frac{a}{b}") < estimated_width("a b")


@pytest.mark.parametrize("name", NAMES)
def test_theorem_defines_every_symbol_it_uses(name):
    derivation = get(name)
    text = render(derivation, "theorem")
    where = text[text.index("where "):]
    for symbol in defined_symbols(derivation):
        assert to_latex(symbol) in where, (name, symbol)
    # the quantity on the left is defined too
    assert r"is the " in where and ("generalization error" in where or "distance" in where
                                    or "recursive stability" in where)


@pytest.mark.parametrize("name", NAMES)
def test_title_is_clean_and_source_is_a_comment(name):
    derivation = get(name)
    text = render(derivation, "theorem")
    title = re.search(r"\\begin\{\w+\}\[([^\]]*)\]", text).group(1)
    assert title == derivation.title and "(" not in title
    assert text.startswith("% ") and derivation.source in text.splitlines()[0]
    assert text.splitlines()[1].startswith(f"% Provenance: {derivation.provenance}, ")


def test_high_probability_results_say_so():
    for name in ("theorem1-rate", "optimal-size"):
        assert "with probability at least $1 - \\delta$" in render(get(name), "theorem")
    for name in ("shift", "theorem1", "corollary"):
        assert "probability" not in render(get(name), "theorem")
    delta_given = render(get("theorem1-rate").subs({"delta": "1/20"}), "theorem")
    assert r"with probability at least $\frac{19}{20}$" in delta_given


def test_substituted_values_are_stated():
    text = render(get("theorem1").subs({"lam": "1/2", "n": 100}), "theorem")
    assert r"Let $\lambda = \frac{1}{2}$ and $n = 100$." in text


def test_limit_states_its_premise_and_condition():
    text = render(get("theorem1").limit("i", "oo"), "theorem")
    assert r"\limsup_{i \to \infty}" in text and "Lemma L2" in text
    assert r"\left(1 - \lambda\right) n \tau_{n} < 1" in text
    assert r"\gamma_{n}^{i-1} \in" not in text  # no quantity of the vanished generation


def test_numbering_and_labels_are_controllable():
    t1 = get("theorem1")
    assert r"\begin{theorem}[" in render(t1) and r"\label{thm:theorem1}" in render(t1)
    assert r"\label{mine}" in render(t1, label="mine")
    unnumbered = render(t1, numbered=False)
    assert r"\begin{theorem*}" in unnumbered and r"\label" not in unnumbered
    assert body(render(t1, "equation", numbered=False)).startswith(r"\begin{equation*}")
    with pytest.raises(InputError):
        render(t1, "inline", label="x")
    with pytest.raises(InputError):
        render(t1, label="bad label")
    with pytest.raises(InputError):
        render(t1, label="x", numbered=False)


def test_align_numbers_the_bound_once():
    for name in NAMES:
        text = render(get(name), "align")
        rows = text.count("\\\\") + 1
        assert text.count(r"\label{") == 1
        assert text.count(r"\nonumber") == rows - 1


def test_terms_in_the_papers_order_without_cdot():
    text = get("theorem1").result.statement_latex()
    assert r"\cdot" not in text
    # THEORY.md: beta_n (1 + lam n_s gamma) + M (1 - lam) d_TV(n) (1 - (1 - lam)^i) / lam
    assert text.index(r"\beta_{n}") < text.index(r"\frac{M")
    assert r"M \left(1 - \lambda\right) d_{\mathrm{TV}}(n)" in text
    assert r"1 + \lambda \left(1 - \lambda\right) n \gamma_{n}^{i-1}" in text
    steps = " ".join(step.latex() for step in get("shift").steps)
    assert "-1 + " not in steps and "a_{j - 1}" in steps  # i - 1, not sympy's -1 + i
    assert r"\text{True}" not in " ".join(
        step.latex() for step in get("theorem1").subs({"lam": "1/2", "n": 100}).steps)


def test_notation_renames_a_symbol_everywhere():
    text = render(get("theorem1"), "theorem", notation={"gamma": r"\rho_{n}^{i-1}"})
    assert r"\gamma_{n}^{i-1}" not in text and text.count(r"\rho_{n}^{i-1}") >= 2
    with pytest.raises(InputError):
        render(get("theorem1"), "theorem", notation={"gamma": r"\rho_{n"})
    with pytest.raises(InputError):
        render(get("theorem1"), "theorem", notation={"nope": "x"})


def test_several_results_need_one_merged_preamble():
    joined = "\n\n".join(render(get(name), "theorem") for name in NAMES)
    head = preamble(joined)
    for line in head.splitlines():
        assert head.splitlines().count(line) == 1, line
    assert r"\newtheorem{theorem}{Theorem}" in head and r"\newtheorem{lemma}{Lemma}" in head
    assert r"\newtheorem{corollary}{Corollary}" in head


def test_preamble_lists_what_the_output_needs():
    assert "amsthm" in preamble(render(get("shift"), "theorem"))
    assert r"\newtheorem{lemma}{Lemma}" in preamble(render(get("shift"), "theorem"))
    assert r"\newtheorem*{lemma*}{Lemma}" in preamble(render(get("shift"), "theorem",
                                                             numbered=False))
    assert "amsthm" not in preamble(render(get("theorem1"), "equation"))
    assert r"\newcommand" not in preamble(render(get("theorem1"), "theorem"))
