"""T1: the assembled bound against its proof pieces, at random points."""

from __future__ import annotations

import math

import sympy as sp

from stl.theory.results.theorem1 import derivation, generation0_bound, theorem1_bound
from stl.theory.results.theorem1_rate import theorem1_rate_bound
from stl.theory.symbols import M, beta_n, d_tv, gamma, i, lam, n


def shift_by_recurrence(d: float, lam_value: float, generations: int) -> float:
    """a_{generations} from L1's recurrence, iterated (generations >= 0)."""
    value = d
    for _ in range(generations):
        value = d + (1 - lam_value) * value
    return value


def gamma_by_recurrence(tau: float, rho_value: float, generations: int, real: bool) -> float:
    value = tau
    for _ in range(generations):
        value = (tau if real else 0.0) + rho_value * value
    return value


def t1_from_pieces(beta, lam_value, n_value, gamma_value, m, d, k):
    """THEORY.md T1 proof: (a) lam beta (1 + n_s gamma), (b) (1-lam) M a_{i-1}, (c) (1-lam) beta."""
    n_s = (1 - lam_value) * n_value
    real = lam_value * beta * (1 + n_s * gamma_value)
    synthetic = (1 - lam_value) * beta
    shift = (1 - lam_value) * m * shift_by_recurrence(d, lam_value, k - 1)
    return real + synthetic + shift


def test_bound_equals_the_sum_of_proof_pieces(points):
    bound = theorem1_bound()
    function = bound.lambdify()
    for _ in range(300):
        row = {"beta_n": points.uniform(0, 0.2), "lam": points.uniform(0.001, 1),
                   "n": points.integer(1, 1000), "gamma": points.uniform(0, 1),
                   "M": points.uniform(0.1, 5), "d_tv": points.uniform(0, 1), "i": points.integer(1, 60)}
        expected = t1_from_pieces(row["beta_n"], row["lam"], row["n"], row["gamma"], row["M"],
                                  row["d_tv"], row["i"])
        assert math.isclose(function(**row), expected, rel_tol=1e-10)


def test_exact_rational_points(points):
    bound = theorem1_bound()
    for _ in range(40):
        values = {beta_n: sp.Rational(points.integer(0, 100), 1000),
                  lam: sp.Rational(points.integer(1, 100), 100), n: points.integer(1, 200),
                  gamma: sp.Rational(points.integer(0, 100), 100),
                  M: points.integer(1, 4), d_tv: sp.Rational(points.integer(0, 100), 100),
                  i: points.integer(1, 20)}
        value = bound.subs(values).expr
        a_prev = values[d_tv]
        for _ in range(values[i] - 1):
            a_prev = values[d_tv] + (1 - values[lam]) * a_prev
        expected = (values[beta_n] * (1 + values[lam] * (1 - values[lam]) * values[n]
                                      * values[gamma])
                    + (1 - values[lam]) * values[M] * a_prev)
        assert sp.simplify(value - expected) == 0


def test_generation_zero_and_lambda_limits():
    bound = theorem1_bound()
    assert bound.subs(i=0).expr == beta_n == generation0_bound().expr
    at_zero = bound.subs(lam=0)
    assert sp.simplify(at_zero.expr - (beta_n + M * d_tv * i)) == 0  # linear in i: collapse
    assert at_zero.rate(i).order == i
    assert bound.subs(lam=1).expr == beta_n  # only real data
    assert sp.simplify(bound.limit(i, sp.oo).term("shift") - M * d_tv * (1 - lam) / lam) == 0


def test_recursive_form_matches_l2_recurrence(points):
    bound = theorem1_bound(recursive=True)
    function = bound.lambdify()
    for _ in range(100):
        lam_value = points.uniform(0.01, 1)
        n_value = points.integer(1, 300)
        tau = points.uniform(0, 1) / n_value
        k = points.integer(1, 30)
        row = {"beta_n": points.uniform(0, 0.1), "lam": lam_value, "n": n_value, "tau_n": tau,
                   "M": 1.0, "d_tv": points.uniform(0, 0.5), "i": k}
        gamma_prev = gamma_by_recurrence(tau, (1 - lam_value) * n_value * tau, k - 1, True)
        expected = t1_from_pieces(row["beta_n"], lam_value, n_value, gamma_prev, 1.0,
                                  row["d_tv"], k)
        assert math.isclose(function(**row), expected, rel_tol=1e-9)


def test_rate_form_dominates_expectation_form_pieces(points):
    rate = theorem1_rate_bound()
    assert rate.hides_constants and not theorem1_bound().hides_constants
    assert rate.term("shift") == theorem1_bound().term("shift")
    function = rate.lambdify(term="concentration")
    for _ in range(20):
        n_value, delta_value = points.integer(1, 10 ** 6), points.uniform(1e-6, 0.999)
        expected = math.sqrt(math.log(1 / delta_value) / n_value)  # M = c_0 = 1
        assert math.isclose(function(M=1.0, c_0=1.0, delta=delta_value, n=n_value), expected,
                            rel_tol=1e-12)
    assert rate.subs(i=0).term("shift") == 0


def test_identity_and_limit_steps():
    for step in derivation().steps:
        if step.kind == "identity":
            assert sp.expand(step.relation.lhs - step.relation.rhs) == 0
        if step.kind == "limit":
            limit, value = step.relation.lhs, step.relation.rhs
            point = {M: 2, d_tv: sp.Rational(1, 10), i: 9, lam: sp.Rational(1, 10 ** 10)}
            assert abs(float(limit.args[0].subs(point)) - float(value.subs(point))) < 1e-6
