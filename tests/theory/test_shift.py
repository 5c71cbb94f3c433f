"""L1: the closed form from rsolve against the raw recurrence and the geometric sum."""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from stl.theory.results.shift import derivation, shift_bound, shift_closed_form, shift_sum
from stl.theory.symbols import d_tv, i, lam


def iterate_recurrence(d: Fraction, lam_value: Fraction, generations: int) -> Fraction:
    """a_0 = d, a_j = d + (1 - lam) a_{j-1}: THEORY.md L1 with equality."""
    value = d
    for _ in range(generations):
        value = d + (1 - lam_value) * value
    return value


def test_closed_form_equals_recurrence_exactly(points):
    closed = shift_closed_form()
    for _ in range(200):
        d, lam_value, k = points.fraction(), points.fraction(), points.integer(0, 40)
        value = closed.subs({d_tv: sp.Rational(d.numerator, d.denominator),
                             lam: sp.Rational(lam_value.numerator, lam_value.denominator),
                             i: k})
        assert value == sp.Rational(*_pair(iterate_recurrence(d, lam_value, k)))


def test_closed_form_equals_the_finite_sum(points):
    closed = shift_closed_form()
    for _ in range(50):
        k = points.integer(0, 15)
        lam_value = sp.Rational(points.integer(1, 99), 100)
        assert sp.simplify(shift_sum(k).doit().subs(lam, lam_value)
                           - closed.subs({i: k, lam: lam_value})) == 0


def test_contract_form_of_the_bound():
    # DESIGN/issue: expr equals d_TV(n)(1 - (1 - lam)^{i+1}) / lam
    expected = d_tv * (1 - (1 - lam) ** (i + 1)) / lam
    assert sp.simplify(shift_bound().expr - expected) == 0


def test_limits():
    bound = shift_bound()
    assert sp.expand(bound.limit(lam, 0).expr) == sp.expand(d_tv * (i + 1))  # collapse
    assert sp.simplify(bound.limit(i, sp.oo).expr - d_tv / lam) == 0  # bounded for lam > 0
    assert bound.subs(lam=1).expr == d_tv  # all real data: generation-0 error only


def test_bound_never_exceeds_d_over_lambda(points):
    function = shift_bound().lambdify()
    for _ in range(100):
        d, lam_value, k = points.uniform(0, 1), points.uniform(0.01, 1), points.integer(0, 200)
        assert function(d_tv=d, lam=lam_value, i=k) <= d / lam_value * (1 + 1e-12)


def test_derivation_identity_steps_hold():
    for step in derivation().steps:
        if step.kind == "identity":
            assert sp.simplify(step.relation.lhs - step.relation.rhs) == 0


def _pair(fraction: Fraction) -> tuple[int, int]:
    return fraction.numerator, fraction.denominator
