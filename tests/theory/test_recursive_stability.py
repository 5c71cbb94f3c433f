"""L2: the solved recurrence, the λ = 0 case, ρ = 1 and the critical proportion."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from stl.theory.results.recursive_stability import (
    RHO,
    critical_proportion,
    derivation,
    gamma_in_rho,
    gamma_sum,
    recursive_stability_bound,
)
from stl.theory.symbols import c, i, lam, n, rho, tau_n


def iterate(tau: Fraction, rho_value: Fraction, generations: int, keeps_real: bool) -> Fraction:
    """gamma^0 = tau, gamma^j = tau (e + rho gamma^{j-1} / tau * tau)... written plainly:
    gamma^j = e tau + rho gamma^{j-1} (THEORY.md L2 with equality)."""
    value = tau
    for _ in range(generations):
        value = (tau if keeps_real else 0) + rho_value * value
    return value


def _q(value: Fraction) -> sp.Rational:
    return sp.Rational(value.numerator, value.denominator)


def test_closed_forms_equal_the_recurrence_exactly(points):
    for keeps_real in (True, False):
        closed = gamma_in_rho(keeps_real)
        for _ in range(150):
            tau, rho_value = points.fraction(0, 1), points.fraction(0, 3)
            if rho_value == 1:
                continue
            k = points.integer(0, 30)
            value = closed.subs({tau_n: _q(tau), rho: _q(rho_value), i: k})
            assert value == _q(iterate(tau, rho_value, k, keeps_real))


def test_closed_form_equals_the_raw_sum(points):
    for keeps_real in (True, False):
        for _ in range(20):
            k = points.integer(1, 12)
            values = {tau_n: sp.Rational(points.integer(1, 50), 100),
                      rho: sp.Rational(points.integer(1, 250), 100)}
            if values[rho] == 1:
                continue
            raw = gamma_sum(keeps_real).subs(i, k).doit().subs(values)
            assert sp.simplify(raw - gamma_in_rho(keeps_real).subs(i, k).subs(values)) == 0


def test_public_bound_uses_rho_of_lambda_n_tau(points):
    bound = recursive_stability_bound()
    for _ in range(60):
        lam_value = points.fraction(0, 1)
        n_value = points.integer(1, 40)
        tau = points.fraction(0, 1) / n_value
        k = points.integer(0, 20)
        rho_value = (1 - lam_value) * n_value * tau
        got = bound.subs(lam=_q(lam_value), n=n_value, tau_n=_q(tau), i=k).expr
        assert got == _q(iterate(tau, rho_value, k, keeps_real=True))


def test_lambda_zero_has_no_leading_one(points):
    bound = recursive_stability_bound()
    for _ in range(40):
        n_value, k = points.integer(1, 40), points.integer(0, 15)
        tau = points.fraction(0, 1) / n_value
        got = bound.subs(lam=0, n=n_value, tau_n=_q(tau), i=k).expr
        assert got == _q(iterate(tau, n_value * tau, k, keeps_real=False))


def test_rho_to_one_is_linear_growth():
    closed = gamma_in_rho(True)
    assert sp.simplify(sp.limit(closed, rho, 1) - tau_n * (i + 1)) == 0
    # numerically near 1 the closed form approaches the linear value
    for k in (1, 5, 20):
        near = closed.subs({rho: 1 + sp.Rational(1, 10 ** 12), tau_n: 1, i: k})
        assert abs(float(near) - (k + 1)) < 1e-8


def test_phase_transition_and_critical_proportion():
    assert critical_proportion() == 1 - 1 / c
    # at lambda_c the phase quantity is exactly 1
    assert sp.simplify(RHO.subs(tau_n, c / n).subs(lam, critical_proportion())) == 1
    closed = gamma_in_rho(True)
    stable = [float(closed.subs({rho: sp.Rational(1, 2), tau_n: 1, i: k})) for k in (10, 40)]
    unstable = [float(closed.subs({rho: 2, tau_n: 1, i: k})) for k in (10, 40)]
    assert abs(stable[1] - 2) < 1e-9  # tau/(1 - rho)
    assert unstable[1] / unstable[0] > 2 ** 29  # geometric growth


def test_limit_steps_hold_numerically():
    for step in derivation().steps:
        if step.kind != "limit":
            continue
        limit, value = step.relation.lhs, step.relation.rhs
        expr, (symbol, target) = limit.args[0], limit.args[1:3]
        if target == sp.oo:
            point = {rho: sp.Rational(1, 3), tau_n: sp.Rational(1, 5), symbol: 400}
        else:
            point = {tau_n: sp.Rational(1, 5), i: 7,
                     symbol: target + sp.Rational(1, 10 ** 9)}
        assert abs(float(expr.subs(point)) - float(value.subs(point))) < 1e-6
