"""Coherent limits and rates: nothing indexed by a vanished variable, premises stated."""

from __future__ import annotations

import math

import pytest
import sympy as sp

from stl.theory.catalog import NAMES
from stl.theory.errors import InputError
from stl.theory.indexed import dependents
from stl.theory.results import get
from stl.theory.results.corollary import corollary_bound
from stl.theory.results.theorem1 import theorem1_bound
from stl.theory.symbols import INDEXED_BY, LimSup, i, lam, n, tau_n


def _limit_or_none(bound, symbol):
    try:
        return bound.limit(symbol, sp.oo)
    except InputError:
        return None


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("variable", [i, n])
def test_no_free_symbol_depends_on_the_limit_variable(name, variable):
    bound = get(name).result
    if variable not in bound.known_symbols():
        pytest.skip(f"{name} has no {variable}")
    limit = bound.limit(variable, sp.oo)
    assert variable not in limit.free_symbols
    assert not dependents(limit.free_symbols, variable), limit.free_symbols
    assert isinstance(limit.lhs, LimSup)
    if dependents(bound.free_symbols, variable):
        assert limit.premises, "a resolved indexed symbol must be stated as a premise"


def test_t1_limit_matches_the_finite_bound_at_a_late_generation(points):
    """Closed-form limit against the finite-i bound (T1 with L2) evaluated far out:
    the finite bound converges geometrically, like rho^i and (1 - lam)^i."""
    finite = theorem1_bound(recursive=True)
    limit = theorem1_bound().limit("i", "oo")
    for _ in range(15):
        lam_v = points.fraction(0.05, 0.95)
        n_v = points.integer(5, 200)
        rho_v = points.fraction(0.05, 0.9)  # the stable phase, rho < 1
        tau_v = rho_v / ((1 - lam_v) * n_v)
        if tau_v > 1:
            continue
        values = {"lam": lam_v, "n": n_v, "tau_n": tau_v, "beta_n": points.fraction(0, 0.1),
                  "M": 2, "d_tv": points.fraction(0, 0.3)}
        far = finite.evaluate(**values, i=3000)
        assert math.isclose(limit.evaluate(**values), far, rel_tol=1e-9)


def test_limit_refuses_the_unstable_phase():
    """rho >= 1 (lam = 1/2, n tau_n = 4): the condition of the limit is false."""
    limit = theorem1_bound().limit("i", "oo")
    with pytest.raises(InputError, match="rho < 1"):
        limit.subs(lam="1/2", n=100, tau_n="1/25")


def test_t1_with_rates_and_limit_is_the_corollary(points):
    """THEORY.md Corollary = T1 with L2, the three rates and i -> oo."""
    derived = theorem1_bound().limit("i", "oo").with_rates()
    assert [c.relation for c in derived.conditions] == [sp.StrictLessThan((1 - lam) * sp.Symbol(
        "c", positive=True), 1)]
    for _ in range(10):
        values = {"lam": points.fraction(0.3, 0.9), "n": points.integer(1, 500), "a": 0.7,
                  "b": 1.3, "M": 2, "c": 1.1}
        assert math.isclose(derived.evaluate(**values), corollary_bound().evaluate(**values),
                            rel_tol=1e-12)


def test_limit_in_n_uses_the_rate_forms():
    limit = theorem1_bound().limit("n", "oo")
    assert limit.expr == 0
    assert any("rates" in p.text for p in limit.premises)


def test_integer_index_has_no_finite_limit():
    with pytest.raises(InputError, match="integer index"):
        theorem1_bound().limit("i", 1000)
    assert theorem1_bound().limit("lam", 1).expr == theorem1_bound().subs(lam=1).expr


def test_rate_states_what_it_held_fixed():
    rate = theorem1_bound().rate("n")
    assert rate.order == n and {s.name for s in rate.held_fixed} == {"beta_n", "gamma", "d_tv"}
    assert "holding beta_n, gamma, d_tv fixed" in rate.text()
    corollary = theorem1_bound().with_rates().rate("n")
    assert corollary.order == 1 / sp.sqrt(n) and corollary.held_fixed == ()
    assert corollary.premises  # it says which forms gave it
    assert theorem1_bound().rate("i").held_fixed == (sp.Symbol("gamma", nonnegative=True),)


def test_indexed_symbols_are_symbols_of_the_contract():
    assert set(INDEXED_BY) <= set(theorem1_bound().free_symbols | {tau_n})
