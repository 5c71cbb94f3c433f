"""The bridge (stl.verify.bridge) is the one place theory's formulas become numpy: each of its
functions equals theory's object evaluated exactly at random points, nothing outside theory
types a formula again, and a fault planted in theory reaches every use."""

from __future__ import annotations

import io
import math
import random
import tokenize
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from stl.theory.results import recursive_stability as rs
from stl.theory.symbols import PUBLIC
from stl.verify import bridge

ROOT = Path(__file__).resolve().parents[2]
P = PUBLIC


def test_rho_and_lambda_c_equal_theory_at_random_points():
    rng = random.Random(1)
    for _ in range(50):
        tau, n, lam = rng.uniform(0, 0.1), rng.randint(2, 5000), rng.random()
        exact = float(rs.RHO.subs({P["tau_n"]: sp.Float(tau), P["n"]: n, P["lam"]: sp.Float(lam)}))
        assert bridge.rho(tau, n, lam) == pytest.approx(exact, rel=1e-14)
        c = rng.uniform(0.05, 40)
        assert bridge.critical_proportion(c) == min(max(float(rs.critical_proportion().subs(P["c"], c)), 0.0), 1.0)


def test_l2_function_equals_iterating_the_recurrence():
    """L2's solved bound, reached by lambdify, against the recurrence iterated by hand
    (γ^0 = τ, γ^j = τ(1 + (1 − λ) n γ^{j−1}); λ = 0: γ^j = n τ γ^{j−1})."""
    f = bridge.l2_function()
    tau, n, G = 0.004, 200, 6
    for lam in (0.3, 0.0):
        g = [tau]
        for _ in range(G):
            g.append(tau * (1 + (1 - lam) * n * g[-1]) if lam else n * tau * g[-1])
        got = [float(f(tau_n=tau, n=n, lam=lam, i=i)) for i in range(G + 1)]
        np.testing.assert_allclose(got, g, rtol=1e-10)


def test_rate_forms_and_their_coefficients_invert_each_other():
    from stl.theory.results.corollary import RATES

    forms = bridge.rate_forms()
    rng = random.Random(2)
    for _ in range(30):
        n, coef = rng.randint(1, 10**6), rng.uniform(0, 10)
        for symbol, form in RATES.items():
            (name,) = {s.name for s in form.free_symbols} - {"n"}
            value = float(forms[symbol.name](**{name: coef, "n": n}))
            assert value == pytest.approx(float(form.subs({P[name]: coef, P["n"]: n})), rel=1e-14)
            assert float(bridge.rate_coefficient(symbol.name, value, n)) == pytest.approx(coef, rel=1e-12)


def test_typical_forms_equal_theory():
    from stl.theory.results.typical_boundary import TYPICAL_RHO, typical_critical_proportion, typical_growth
    from stl.theory.symbols import c_typ, i, lam

    rng = random.Random(3)
    kept, none = bridge.typical_growth_function(True), bridge.typical_growth_function(False)
    for _ in range(30):
        r, g = rng.uniform(0.1, 2.5), rng.randint(1, 12)
        assert kept(r, g) == pytest.approx(float(typical_growth(True).subs({lam: 0, c_typ: r, i: g})), rel=1e-12)
        assert none(r, g) == pytest.approx(float(typical_growth(False).subs({lam: 0, c_typ: r, i: g})), rel=1e-12)
        c, share = rng.uniform(0.2, 5), rng.uniform(0, 0.9)
        assert bridge.typical_critical_proportion(c) == pytest.approx(
            float(typical_critical_proportion().subs(c_typ, c)), abs=1e-15)
        assert float(TYPICAL_RHO.subs({lam: share, c_typ: bridge.typical_constant(1.3, share)})) == pytest.approx(1.3)
    assert kept(1.0, 6) == 7.0   # the limit at ρ = 1


def test_t3_forms_equal_theory():
    from stl.theory.results import optimal_size as T3
    from stl.theory.symbols import A, C, n_r

    rng = random.Random(4)
    for _ in range(20):
        a_, c_, nr = rng.uniform(0.1, 10), rng.uniform(0.1, 10), rng.randint(1, 1000)
        assert bridge.t3_optimum(a_, c_, nr) == pytest.approx(
            float(T3.optimal_synthetic_size().subs({A: a_, C: c_, n_r: nr})), rel=1e-12, abs=1e-12)
        u = rng.uniform(1, 20)
        gp = sum(k * u ** e for k, e in bridge.geometric_program_terms(a_, c_, nr))
        assert gp == pytest.approx(float(T3.objective_in_t().subs({A: a_, C: c_, n_r: nr, T3.t: u * nr})), rel=1e-12)


# --------------------------------------------------------------------------------------
# nothing outside theory types a formula again
# --------------------------------------------------------------------------------------

#: How the critical proportion, the real share's complement and ρ look when typed by hand.
RETYPED = ("1 - 1 /", "1.0 - 1.0 /", "1-1/", "(1 - lam)", "(1.0 - lam", "1 - lam)", "1.0 - lam)")
#: None left: the ICL estimate's own λ_c and L2 recursion were removed from numerics (the
#: bridge's critical_proportion and l2_function are the only numeric forms).
PENDING: set[str] = set()
#: The numerics layer may not import theory: its exact Markov chain and T1's measured proof
#: pieces weigh by the real share as the loop itself does (a definition of the loop, not a bound).
LOOP_DEFINITIONS = {"numerics/exact.py", "numerics/estimators/pieces.py", "numerics/schemes.py"}
#: Typed on purpose: the identity check restates THEORY.md's definition of ρ as the
#: independent side of an identity, and the self-test's faults are deliberately wrong formulas.
ON_PURPOSE = {"verify/checks/identities.py", "verify/selftest.py"}


def _code_text(path: Path) -> str:
    """The source without its strings and comments (formulas in docstrings and LaTeX are prose)."""
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline):
        if tok.type not in (tokenize.STRING, tokenize.COMMENT):
            out.append(tok.string)
    return " ".join(out).replace("( ", "(").replace(" )", ")")


def test_no_formula_is_typed_again_outside_theory():
    found = []
    for layer in ("numerics", "verify"):
        for path in sorted((ROOT / layer).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in PENDING | LOOP_DEFINITIONS | ON_PURPOSE:
                continue
            text = _code_text(path)
            found += [f"{rel}: {pattern!r}" for pattern in RETYPED if pattern in text]
    assert not found, "formulas typed again (use stl.verify.bridge):\n" + "\n".join(found)


# --------------------------------------------------------------------------------------
# a fault planted in theory reaches every use
# --------------------------------------------------------------------------------------

@pytest.fixture
def wrong_lambda_c(monkeypatch):
    """λ_c = 1 − 1/(2c) instead of 1 − 1/c, planted where theory defines it."""
    c = P["c"]
    monkeypatch.setattr(rs, "critical_proportion", lambda: 1 - 1 / (2 * c))


def test_a_planted_lambda_c_reaches_the_atlas(wrong_lambda_c):
    from stl.verify.checks import atlas

    assert atlas.lambda_c_l2(4.0) == pytest.approx(0.875)     # 1 − 1/8, not 1 − 1/4


def test_a_planted_lambda_c_reaches_stl_optimize(wrong_lambda_c):
    from stl.verify.research.optimal_size import Problem, _upper_limit

    p = Problem(n_r=100, b=1.0, c=3.0)
    # n_s where n_r/(n_r + n_s) = 1 − 1/(2c): 100/(1 − 1/6) − 100 = 20, not 50
    assert _upper_limit(p) == math.floor(20.0 * 0.999)


def test_a_planted_lambda_c_reaches_the_icl_checks(wrong_lambda_c):
    from stl.verify.checks import icl

    assert icl._lam_of(2.0) == pytest.approx(0.75)            # 1 − 1/4, not 1 − 1/2


def test_a_planted_lambda_c_reaches_the_phase_checks_labels(wrong_lambda_c):
    assert bridge.critical_proportion(2.0) == pytest.approx(0.75)


def test_a_planted_rho_reaches_the_phase_checks(monkeypatch):
    from stl.verify.checks import phase

    monkeypatch.setattr(rs, "RHO", P["n"] * P["tau_n"])
    cells = phase._phase_cells({"model": "gain-bernoulli", "n": 1000, "lams": (0.5,), "cs": (2.0,),
                                "replicates": 10, "boundary_replicates": 20})
    assert cells[0]["rho"] == pytest.approx(2.0) and not cells[0]["boundary"]   # was (1 − 0.5)·2 = 1


def test_a_planted_rate_form_reaches_stl_optimize(monkeypatch):
    from stl.theory.results import corollary
    from stl.verify.research.optimal_size import Problem, objective

    p = Problem(n_r=50, b=1.0, c=0.5, i=10)
    before = float(objective(p)(100.0))
    monkeypatch.setattr(corollary, "RATES", {**corollary.RATES, P["tau_n"]: 2 * P["c"] / P["n"]})
    assert float(objective(p)(100.0)) != before


def test_a_planted_rho_reaches_the_icl_checks_proportion(monkeypatch):
    """The adaptive ICL phase check puts its loops at the λ where ρ has a target value."""
    assert bridge.proportion_at_rho(1.0, 4.0) == pytest.approx(0.75)
    monkeypatch.setattr(rs, "RHO", (1 - P["lam"]) * P["n"] * P["tau_n"] / 2)
    assert bridge.proportion_at_rho(1.0, 4.0) == pytest.approx(0.5)    # (1 − λ)·4/2 = 1
