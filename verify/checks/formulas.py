"""LaTeX of the theory's formulas that the checks state, printed from the theory objects.

Symbols are defined once (:mod:`stl.theory.symbols`) and formulas once (:mod:`stl.theory.results`);
a check never restates a formula as a hand-written LaTeX string — it asks this module,
which prints the theory's own expressions through :func:`stl.theory.symbols.to_latex` (sympy's
printer with the theory's symbol names). If theory changes a result, the report follows.

>>> t1_latex().startswith(r"\\left|{\\mathbb{E}\\,\\mathrm{gen}_{i}}\\right| \\leq")
True
"""

from __future__ import annotations

from functools import cache


@cache
def t1_latex() -> str:
    """T1 as a statement: ``|E gen_i| ≤ β_n(1 + λ n_s γ_n^{i−1}) + …`` (theory's Bound)."""
    from stl.theory.results.theorem1 import theorem1_bound

    return theorem1_bound().statement_latex()


@cache
def t1_tightness_latex() -> str:
    """T1 read as a ratio: ``B_T1 / |E gen_i| ≥ 1``, with ``B_T1`` theory's right-hand side."""
    import sympy as sp

    from stl.theory.results.theorem1 import theorem1_bound
    from stl.theory.latex import to_latex

    b = theorem1_bound()
    return to_latex(sp.GreaterThan(b.rhs() / b.lhs, sp.Integer(1), evaluate=False), order="none")


@cache
def l2_latex(equality: bool = False) -> str:
    """L2 (``γ_n^i ≤ τ_n(1 − ρ^{i+1})/(1 − ρ)``), or the same with ``=`` where it is attained."""
    import sympy as sp

    from stl.theory.results import get
    from stl.theory.latex import to_latex

    bound = get("recursive-stability").result
    if not equality:
        return bound.statement_latex()
    return to_latex(sp.Eq(bound.lhs, bound.rhs(), evaluate=False), order="none")


@cache
def phase_latex() -> str:
    """L2 with its growth factor named: ``ρ = (1 − λ) n τ_n`` and the critical ``λ_c``."""
    import sympy as sp

    from stl.theory import symbols as S
    from stl.theory.latex import to_latex
    from stl.theory.results import recursive_stability as rs

    rho = sp.Eq(S.rho, rs.RHO, evaluate=False)
    crit = sp.Eq(S.lam_c, rs.critical_proportion(), evaluate=False)
    return to_latex(sp.Tuple(l2_statement(), rho, crit), order="none")


def l2_statement():
    from stl.theory.results import get

    return get("recursive-stability").result.statement()


@cache
def optimum_latex() -> str:
    """T3: ``n_s* = n_r(A/C − 2)`` for ``A > 2C`` (else 0), with ``A`` and ``C`` spelled out."""
    import sympy as sp

    from stl.theory.results import optimal_size as T3
    from stl.theory.latex import to_latex

    star = sp.Symbol(r"n_{s}^{\star}")
    return to_latex(sp.Tuple(sp.Eq(star, T3.optimal_synthetic_size_public(), evaluate=False),
                             sp.Eq(T3.A, T3.A_VALUE, evaluate=False),
                             sp.Eq(T3.C, T3.C_VALUE, evaluate=False)), order="none")


#: How a metric reads in a pasted statement (a sympy symbol's typeset name).
#: ``%(g)d`` is the generation the rate is fitted at.
METRIC_NOTATION = {
    "gen_gap": r"\left|\mathbb{E}\,\mathrm{gen}_{%(g)d}\right|",
    "tv_to_real": r"\mathbb{E}\,d_{\mathrm{TV}}(P_{\theta_{%(g)d}}, D_{0})",
    "variance": r"\mathbb{E}\,\hat{\sigma}^{2}_{%(g)d}",
    "mean_error": r"\mathbb{E}\,\lVert \hat{\mu}_{%(g)d} - \mu \rVert^{2}",
}


@cache
def rate_latex(metric: str, expected: float, generation: int = 0) -> str:
    """The rate a check fits, ``E metric ∝ n^{expected}``, stated as ``E metric = Θ(n^{e})``
    (sympy's ``O`` for the order at ``n → ∞``, with ``e`` as an exact rational)."""
    import sympy as sp

    from stl.theory.latex import to_latex
    from stl.theory.symbols import n

    quantity = sp.Symbol(f"E_{metric}", nonnegative=True)
    name = METRIC_NOTATION.get(metric, r"\mathbb{E}\,\mathrm{%(m)s}_{%(g)d}") % {
        "g": int(generation), "m": metric.replace("_", r"\_")}
    exponent = sp.nsimplify(expected, rational=True)
    statement = sp.Eq(quantity, sp.Function(r"\Theta")(n ** exponent), evaluate=False)
    return to_latex(statement, notation={quantity: name}, order="none")
