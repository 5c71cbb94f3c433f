"""The Bound value object: assumptions checked on substitution, limits, rates, numpy."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import sympy as sp

from stl.theory.bound import Bound
from stl.theory.errors import AssumptionError, InputError
from stl.theory.indexed import dependents
from stl.theory.results.recursive_stability import recursive_stability_bound
from stl.theory.results.shift import shift_bound
from stl.theory.results.theorem1 import theorem1_bound
from stl.theory.results.theorem1_rate import theorem1_rate_bound
from stl.theory.symbols import M, beta_n, d_tv, gamma, i, lam, n, tau_n


@pytest.mark.parametrize("name, value, allowed", [
    ("lam", 1.5, "[0, 1]"),
    ("lam", -0.1, "[0, 1]"),
    ("n", 0, ">= 1"),
    ("n", 2.5, ">= 1"),
    ("i", -1, ">= 0"),
    ("gamma", 2, "[0, 1]"),
    ("M", 0, "(0, oo)"),
])
def test_numbers_outside_the_domain_are_refused(name, value, allowed):
    with pytest.raises(AssumptionError) as info:
        theorem1_bound().subs({name: value})
    assert info.value.argument == name and allowed in info.value.allowed


@pytest.mark.parametrize("value", [0, 1, 1.0, -0.5])
def test_delta_must_be_strictly_inside_the_unit_interval(value):
    with pytest.raises(AssumptionError, match="delta"):
        theorem1_rate_bound().subs(delta=value)


@pytest.mark.parametrize("value", [float("nan"), sp.nan, np.float64("nan")])
def test_nan_is_refused(value):
    with pytest.raises(AssumptionError, match="nan"):
        theorem1_bound().subs(lam=value)


def test_unknown_or_foreign_symbols_are_refused():
    with pytest.raises(InputError):
        theorem1_bound().subs(x=1)
    with pytest.raises(InputError, match="a symbol of this result"):
        shift_bound().subs(beta_n=1)  # a public symbol that L1 does not contain


def test_bound_is_immutable_and_terms_sum_to_expr():
    bound = theorem1_bound()
    with pytest.raises(dataclasses.FrozenInstanceError):
        bound.source = "other"  # type: ignore[misc]
    assert sp.simplify(bound.expr - sum(e for _, e in bound.terms)) == 0
    assert bound.subs(lam=sp.Rational(1, 2)) is not bound
    assert lam in bound.free_symbols  # the original is unchanged


def test_symbolic_substitution_keeps_checks_for_new_symbols():
    bound = theorem1_bound().subs(beta_n="4/n", d_tv="a/sqrt(n)")
    assert beta_n not in bound.free_symbols and d_tv not in bound.free_symbols
    with pytest.raises(AssumptionError):
        bound.subs(a=-1)


def test_evaluate_requires_every_symbol():
    with pytest.raises(InputError, match="no value for"):
        theorem1_bound().evaluate(lam=0.5)


def test_removable_singularity_is_resolved_by_the_limit(points):
    bound = shift_bound()
    for _ in range(20):
        d, k = points.fraction(), points.integer(0, 30)
        assert bound.subs(lam=0, d_tv=d, i=k).expr == sp.Rational((k + 1) * d)  # L1, linear


def test_rho_equal_one_gives_linear_growth(points):
    bound = recursive_stability_bound()
    for _ in range(8):
        lam_value = points.fraction(0, 1)
        n_value = points.integer(2, 50)
        tau_value = 1 / ((1 - lam_value) * n_value)  # rho = 1 exactly
        if tau_value > 1:
            continue
        k = points.integer(0, 20)
        value = bound.subs(lam=lam_value, n=n_value, tau_n=tau_value, i=k).expr
        assert value == sp.Rational(tau_value * (k + 1))


def test_limit_in_i_and_rate(points):
    bound = theorem1_bound()
    limit = bound.limit("i", "oo")
    expected_shift = M * d_tv * (1 - lam) / lam  # THEORY.md T1 with (1-lam)^i -> 0
    assert sp.simplify(limit.term("shift") - expected_shift) == 0
    # gamma = γ_n^{i-1} is replaced by L2's limit τ_n/(1 - ρ), ρ = (1-λ) n τ_n, under ρ < 1:
    # THEORY.md T1 with L2, written out by hand
    rho = (1 - lam) * n * tau_n
    expected_stability = beta_n * (1 + lam * (1 - lam) * n * tau_n / (1 - rho))
    assert sp.simplify(limit.term("stability") - expected_stability) == 0
    assert [c.relation for c in limit.conditions] == [sp.StrictLessThan(rho, 1)]
    assert not dependents(limit.free_symbols, i) and i not in limit.free_symbols
    assert bound.subs(lam=0).rate("i").order == i  # collapse: linear in i
    assert bound.subs(lam=sp.Rational(1, 3)).rate("i").order == 1  # bounded in i
    assert shift_bound().limit("lam", 0).expr == d_tv * (i + 1)


@pytest.mark.parametrize("symbol, target", [("i", "-oo"), ("lam", "oo"), ("lam", "-oo"),
                                            ("n", "-oo"), ("d_tv", "oo")])
def test_limit_to_an_infinite_end_outside_the_domain_is_refused(symbol, target):
    """i >= 0, lam in [0, 1], n >= 1, d_tv in [0, 1]: a limit there is meaningless (i -> -oo
    used to print |E gen_i| <= -oo); only the infinite ends a domain has are allowed."""
    with pytest.raises(InputError, match="limit"):
        theorem1_bound().limit(symbol, target)
    assert gamma not in theorem1_bound().limit("i", "oo").free_symbols


def test_lambdify_matches_evaluate_including_special_points(points):
    bound = theorem1_bound()
    function = bound.lambdify()
    rows = []
    for _ in range(60):
        rows.append({"beta_n": points.uniform(0, 0.1), "lam": points.uniform(0, 1),
                         "n": points.integer(1, 500), "gamma": points.uniform(0, 0.05),
                         "M": points.uniform(0.5, 3), "d_tv": points.uniform(0, 0.3),
                         "i": points.integer(0, 25)})
    rows += [dict(rows[0], lam=0.0), dict(rows[1], i=0), dict(rows[2], lam=1.0)]
    columns = {key: np.array([row[key] for row in rows]) for key in rows[0]}
    fast = function(**columns)
    for row, value in zip(rows, fast):
        exact = bound.evaluate(**row)
        assert math.isclose(value, exact, rel_tol=1e-10, abs_tol=1e-14)
    terms = {name: bound.lambdify(term=name)(**columns) for name in bound.term_names}
    np.testing.assert_allclose(terms["stability"] + terms["shift"], fast, rtol=1e-12)


def test_lambdify_checks_domains_and_names():
    function = theorem1_bound().lambdify()
    good = {"beta_n": 0.1, "lam": 0.5, "n": 10, "gamma": 0.1, "M": 1, "d_tv": 0.1, "i": 2}
    assert function(**good) > 0
    with pytest.raises(AssumptionError):
        function(**dict(good, lam=np.array([0.5, 1.2])))
    with pytest.raises(AssumptionError):
        function(**dict(good, n=np.array([np.nan])))
    with pytest.raises(InputError):
        function(lam=0.5)


def test_generation_zero_is_a_special_case():
    bound = theorem1_bound()
    assert bound.subs(i=0).expr == beta_n
    assert bound.evaluate(beta_n=0.2, lam=0.3, n=10, gamma=0.5, M=1, d_tv=0.1, i=0) == 0.2


def test_hand_made_bound_gets_default_domains():
    bound = Bound((("only", gamma * n),), "test")
    assert {d.name for d in bound.assumptions} == {"gamma", "n"}
    with pytest.raises(AssumptionError):
        bound.subs(n=0)
    with pytest.raises(ValueError):
        Bound((("x", n), ("x", gamma)), "test")


def test_repr_latex_renders_statement():
    text = theorem1_bound()._repr_latex_()
    assert text.startswith("$") and text.endswith("$") and r"\leq" in text


def test_lambdify_handles_a_whole_replace_run():
    """lam = 0 at every generation: the removable singularity is resolved for all rows."""
    function = theorem1_bound().lambdify()
    generations = np.arange(0, 40)
    values = function(beta_n=0.01, lam=0.0, n=100, gamma=0.02, M=2.0, d_tv=0.05, i=generations)
    # T1 at lam = 0: beta_n + M d_tv i for i >= 1, beta_n at i = 0 (THEORY.md T1)
    np.testing.assert_allclose(values, 0.01 + 2.0 * 0.05 * generations, rtol=1e-12)


def test_substituting_a_limit_variable_keeps_the_limit_step_general():
    """`stl derive theorem1 --subs lam=1/2` must not print Limit(f, 1/2, 0)."""
    import sympy as sp

    from stl.theory.results import get
    from stl.theory.symbols import PUBLIC

    derivation = get("theorem1").subs({PUBLIC["lam"]: sp.Rational(1, 2)})
    for step in derivation.steps:
        for lim in step.relation.atoms(sp.Limit):
            assert isinstance(lim.args[1], sp.Symbol), step.relation
    assert any(step.relation.atoms(sp.Limit) for step in derivation.steps)


def test_rate_is_an_object_that_prints_like_the_cli_and_says_what_it_held():
    from stl.theory.limits import Rate

    rate = theorem1_bound().rate("n")
    assert isinstance(rate, Rate) and rate.order == n
    assert str(rate) == rate.text() and "holding beta_n, gamma, d_tv fixed" in str(rate)
    assert "--rates" in str(rate)
    resolved = theorem1_bound().with_rates().rate("n")
    assert resolved.held_fixed == () and str(resolved) == "O(1/sqrt(n)) as n -> oo"


def test_hypotheses_are_named_from_the_definitions_module():
    with pytest.raises(ValueError, match="HYPOTHESES"):
        Bound((("x", n),), "test", requires=("D9",))
    with pytest.raises(ValueError, match="provenance"):
        Bound((("x", n),), "test", provenance="folklore")


def test_special_cases_follow_a_limit():
    """L2 at lam = 0 is a special case; taking i -> oo first must keep it, so substituting
    lam = 0 afterwards gives the lam = 0 limit (0 for n tau_n < 1), not the general one."""
    limit = recursive_stability_bound().limit("i", "oo")
    at_zero = limit.subs(lam=0)
    assert at_zero.expr == 0 and [c.relation for c in at_zero.conditions] == [n * tau_n < 1]
    assert recursive_stability_bound().subs(lam=0).limit("i", "oo").expr == 0
