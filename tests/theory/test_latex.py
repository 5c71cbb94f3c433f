"""LaTeX: every named result parses back to the same expression; environments compile."""

from __future__ import annotations

import functools
import random
import shutil
import subprocess

import pytest
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.parsing.latex import parse_latex

from stl.theory.catalog import NAMES
from stl.theory.definitions import DEFINITIONS
from stl.theory.errors import InputError
from stl.theory.latex import ENVIRONMENTS, document, render
from stl.theory.results import get
from stl.theory.symbols import LATEX_NAMES, d_tv, gamma, to_latex


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


@pytest.mark.parametrize("name", NAMES)
def test_every_environment_renders(name):
    derivation = get(name)
    outputs = {env: render(derivation, env) for env in ENVIRONMENTS}
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


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no LaTeX engine installed")
def test_theorem_environments_compile(tmp_path):
    body = "\n\n".join(render(get(name), "theorem") for name in NAMES)
    body += "\n\n" + "\n".join(f"\\begin{{definition}}[{d.name}] ${d.latex()}$ \\end{{definition}}"
                               for d in DEFINITIONS)
    (tmp_path / "check.tex").write_text(document(body))
    result = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                             "check.tex"], check=False, cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout[-2000:]
