"""The typical-case critical proportion: its formulas at random points, its labels and premises."""

from __future__ import annotations

import random

import sympy as sp

from stl.theory import symbols as S
from stl.theory.results import typical_boundary as T


def test_growth_is_the_geometric_sum_of_the_typical_rho_at_random_points():
    rng = random.Random(22)
    kept, none = T.typical_growth(True), T.typical_growth(False)
    for _ in range(12):
        c, lam, g = rng.uniform(0.2, 4.0), rng.uniform(0.0, 0.95), rng.randint(1, 12)
        rho = (1 - lam) * c
        values = {S.c_typ: c, S.lam: lam, S.i: g}
        assert abs(float(kept.subs(values)) - sum(rho ** k for k in range(g + 1))) < 1e-9 * max(1, rho ** g)
        assert abs(float(none.subs(values)) - rho ** g) < 1e-9 * max(1, rho ** g)


def test_critical_proportion_is_where_the_typical_rho_is_one_and_zero_below_c_one():
    expr = T.typical_critical_proportion()
    rng = random.Random(5)
    for _ in range(10):
        c = rng.uniform(1.01, 20.0)
        lam_c = float(expr.subs(S.c_typ, c))
        assert abs(float(T.TYPICAL_RHO.subs({S.c_typ: c, S.lam: lam_c})) - 1.0) < 1e-12
        assert float(expr.subs(S.c_typ, rng.uniform(0.05, 1.0))) == 0.0


def test_the_growth_reuses_l2s_solved_recurrence():
    # Same formula as L2's bound divided by τ, with ρ = (1 − λ) c_typ: not a second derivation.
    from stl.theory.results.recursive_stability import gamma_in_rho

    l2 = (gamma_in_rho(True) / S.tau_n).subs(S.rho, (1 - S.lam) * S.c_typ)
    assert sp.simplify(l2 - T.typical_growth(True)) == 0


def test_it_is_labelled_an_empirical_predictor_with_its_premises_and_printed_by_sympy():
    est = T.ESTIMATE
    assert est.kind == "empirical predictor" and "not a theorem" in est.statement()
    assert {a.name for a in est.assumptions} >= {"recursion form", "one constant for all lambda"}
    assert all(a.when_it_fails for a in est.assumptions)
    assert est.latex() == r"\lambda_{c}^{\mathrm{typ}} = 1 - \frac{1}{c_{\mathrm{typ}}}"
    for symbol in (S.c_typ, S.lam_c_typ, S.growth):
        assert symbol in S.DEFINED and symbol in S.LATEX_NAMES and S.ALL[symbol.name] is symbol
    # The new names are internal: never accepted by --subs.
    assert not {"c_typ", "lambda_c_typ", "growth"} & set(S.PUBLIC)
