"""Numbers go into closed forms without symbolic blow-up; huge powers become floats."""

from __future__ import annotations

import pytest
import sympy as sp

from stl.theory.results import get
from stl.theory.results.theorem1 import theorem1_bound
from stl.theory.substitution import MAX_EXACT_DIGITS, substitute
from stl.theory.symbols import i, lam, n


def test_small_powers_stay_exact_and_huge_ones_are_floats():
    assert substitute((1 - lam) ** i, {lam: sp.Rational(1, 2), i: 10}) == sp.Rational(1, 1024)
    big = substitute((1 - lam) ** i, {lam: sp.Rational(1, 2), i: 100000})
    assert isinstance(big, sp.Float)
    assert abs(float(sp.log(big, 10)) + 100000 * 0.30103) < 1e-3  # log10(2^-100000)
    exact_limit = int(MAX_EXACT_DIGITS / 0.30103)  # 2^k has about 0.301 k digits
    assert substitute(lam ** i, {lam: sp.Rational(1, 2), i: exact_limit - 10}).is_Rational


def test_relations_stay_unevaluated():
    rel = substitute(sp.LessThan(lam, n, evaluate=False), {lam: sp.Rational(1, 2), n: 3})
    assert isinstance(rel, sp.LessThan) and rel.lhs == sp.Rational(1, 2)


@pytest.mark.timeout(120)
def test_late_generation_does_not_expand_powers():
    """`--subs i=100000` used to take minutes (symbolic power expansion in the steps); the
    hang is caught by the timeout marker, the cheap form by the result's size."""
    derivation = get("theorem1")
    early = derivation.subs({"i": 10, "lam": "1/2", "n": 100})
    late = derivation.subs({"i": 100000, "lam": "1/2", "n": 100})
    assert sp.count_ops(late.result.expr) <= sp.count_ops(early.result.expr) + 5
    value = late.result.subs(beta_n="1/100", gamma="1/50", M=2, d_tv="1/10").evaluate()
    # T1 at i -> infinity in practice: beta (1 + lam n_s gamma) + M (1 - lam) d / lam
    assert abs(value - (0.01 * (1 + 0.5 * 50 * 0.02) + 2 * 0.5 * 0.1 / 0.5)) < 1e-12


def test_bound_remembers_the_values_given():
    bound = theorem1_bound().subs(lam="1/2").subs(n=100)
    assert [(s.name, v) for s, v in bound.given] == [("lam", sp.Rational(1, 2)), ("n", 100)]
