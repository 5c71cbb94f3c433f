"""Corollary: the i -> oo limit (two ways), its n-rate and its edge cases."""

from __future__ import annotations

import math

import pytest
import sympy as sp

from stl.theory.errors import AssumptionError
from stl.theory.results.corollary import (
    corollary_bound,
    derivation,
    finite_i_bound,
    limit_of_terms,
    structured_limit,
)
from stl.theory.symbols import M, a, b, c, i, lam, n


def theory_formula(b_, c_, lam_, m, a_, n_):
    """THEORY.md Corollary, as stated there."""
    return (b_ / n_) * (1 + lam_ * (1 - lam_) * c_ / (1 - (1 - lam_) * c_)) \
        + m * (1 - lam_) * a_ / (lam_ * math.sqrt(n_))


def _stable_point(points):
    lam_value = points.uniform(0.02, 0.98)
    c_value = points.uniform(0.01, 0.99) / (1 - lam_value)  # (1 - lam) c < 1
    return {"b": points.uniform(0.1, 5), "c": c_value, "lam": lam_value, "M": points.uniform(0.5, 3),
                "a": points.uniform(0.1, 2), "n": points.integer(1, 10 ** 5)}


def test_limit_matches_the_stated_formula(points):
    function = corollary_bound().lambdify()
    for _ in range(200):
        row = _stable_point(points)
        expected = theory_formula(row["b"], row["c"], row["lam"], row["M"], row["a"], row["n"])
        assert math.isclose(function(**row), expected, rel_tol=1e-10)


def test_two_ways_of_taking_the_limit_agree():
    for (name, brute), (_, structured) in zip(limit_of_terms(), structured_limit()):
        assert sp.simplify(brute - structured) == 0, name


def test_finite_i_bound_converges_to_the_limit(points):
    finite = finite_i_bound().lambdify()
    limit = corollary_bound().lambdify()
    for _ in range(30):
        row = _stable_point(points)
        row["lam"] = max(row["lam"], 0.2)
        row["c"] = min(row["c"], 0.8 / (1 - row["lam"]))
        far = finite(**row, i=3000)
        assert math.isclose(far, limit(**row), rel_tol=1e-10)
        assert finite(**row, i=3) <= limit(**row) * (1 + 1e-12)  # increasing in i


def test_rate_in_n_and_uniformity_in_i():
    assert corollary_bound().rate(n).order == 1 / sp.sqrt(n)
    assert corollary_bound().rate(i).order == 1


def test_edge_cases():
    finite = finite_i_bound()
    collapse = finite.subs(lam=0)
    assert collapse.rate(i).order == i  # lam = 0: linear growth in i
    unstable = finite.subs(lam=sp.Rational(1, 2), c=4)  # (1 - lam) c = 2 > 1
    assert unstable.rate(i).order == 2 ** i
    with pytest.raises(AssumptionError):
        corollary_bound().subs(lam=sp.Rational(1, 2), c=3)  # outside the stable phase
    with pytest.raises(AssumptionError):
        corollary_bound().subs(lam=0)  # needs lam > 0


def test_limit_steps_hold_numerically():
    point = {b: 1, c: sp.Rational(3, 2), lam: sp.Rational(1, 2), M: 2, a: 1, n: 100}
    for step in derivation().steps:
        if step.kind != "limit":
            continue
        limit, value = step.relation.lhs, step.relation.rhs
        expr, symbol, target = limit.args[0], limit.args[1], limit.args[2]
        here = dict(point)
        if target == sp.oo:
            here[symbol] = 2000
        else:
            here.update({i: 9, symbol: sp.Rational(1, 10 ** 10)})
        assert abs(float(expr.subs(here)) - float(value.subs(here))) < 1e-6
