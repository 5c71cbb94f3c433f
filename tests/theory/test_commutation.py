"""Substituting, then taking a limit, gives the bound that the limit, then substituting,
gives: for every result, every symbol it contains, random admissible values and every
limit it supports (``i -> oo``, ``n -> oo``, ``lam -> 0``).

The L2 replacement of ``γ_n^{i-1}`` (and the rate forms) is put into a bound only when a
limit needs it; a substitution made before must reach that form too, or the substituted
symbol comes back (``λ`` after ``--subs lam=1/2 --limit i=oo``). The test plants exactly
that fault (the form put in after the substitution, without it) and checks that the
property then fails.
"""

from __future__ import annotations

import functools
import math
import random
from fractions import Fraction

import pytest
import sympy as sp

from stl.theory.bound import Bound
from stl.theory.catalog import NAMES
from stl.theory.definitions import HYPOTHESES
from stl.theory.errors import InputError
from stl.theory.results import get
from stl.theory.indexed import dependents
from stl.theory.symbols import i, lam, n, n_r

#: The limits of the property (T3's objective has none of i, n, lam: it gets n_r -> oo).
LIMITS = ((i, sp.oo), (n, sp.oo), (lam, sp.Integer(0)), (n_r, sp.oo))
#: Random values per (result, symbol): each is a separate substitution.
VALUES_PER_SYMBOL = 2
#: Random points at which the two orders are compared.
POINTS = 12


def admissible(bound: Bound, symbol: sp.Symbol, rng: random.Random) -> sp.Expr:
    """A random exact value inside the domain of ``symbol`` (interior, so no special case
    is hit by accident; the special cases have tests of their own)."""
    dom = bound.domain(symbol)
    if dom is None or dom.integer:
        low = 1 if dom is None else int(dom.low) + (1 if dom.low_open else 0)
        return sp.Integer(rng.randint(max(low, 1), max(low, 1) + 40))
    if dom.high.is_finite:
        span = Fraction(str(dom.high)) - Fraction(str(dom.low))
        return sp.Rational(Fraction(str(dom.low)) + span * Fraction(rng.randint(1, 96), 97))
    return sp.Rational(rng.randint(1, 400), 97)


def point(bound: Bound, rng: random.Random) -> dict:
    """Random floats for every free symbol of ``bound`` (small TV-stabilities, so that the
    stable phase ``ρ < 1`` often holds)."""
    values = {}
    for symbol in sorted(bound.expanded().free_symbols | _condition_symbols(bound),
                         key=lambda s: s.name):
        dom = bound.domain(symbol)
        if dom is not None and dom.integer:
            values[symbol] = rng.randint(int(dom.low) + 1, int(dom.low) + 30)
        elif symbol.name in ("tau_n", "c", "gamma"):
            values[symbol] = rng.uniform(0.001, 0.05)
        elif dom is not None and dom.high.is_finite:
            values[symbol] = rng.uniform(float(dom.low) + 0.05, float(dom.high) - 0.05)
        else:
            values[symbol] = rng.uniform(0.1, 3.0)
    return values


def _condition_symbols(bound: Bound) -> set:
    found = set()
    for condition in bound.conditions:
        found |= condition.relation.free_symbols
    return found


def mentioned(bound: Bound) -> set:
    """Every symbol a bound still states: its terms, conditions, domains, premises,
    special cases, remarks, hypotheses (as printed) and defined expressions."""
    found = set(bound.free_symbols) | _condition_symbols(bound)
    found |= {d.symbol for d in bound.assumptions}
    for premise in bound.premises:
        found |= premise.free_symbols
    for case in bound.special_cases:  # printed as a statement only
        found |= case.bound.free_symbols | _condition_symbols(case.bound) | {case.symbol}
    for remark in bound.remarks:
        found |= remark.free_symbols
    for symbol, value in bound.defined:
        found |= value.free_symbols | {symbol}
    if bound.confidence is not None:
        found |= bound.confidence.free_symbols
    given = dict(bound.given)
    for code in bound.requires:
        found |= HYPOTHESES[code].subs(given).free_symbols
    return found


@functools.cache
def _limit(name: str, symbol: sp.Symbol, value: sp.Expr) -> Bound | None:
    try:
        return get(name).result.limit(symbol, value)
    except InputError:
        return None


def _values(name: str, seed: int) -> list[tuple[sp.Symbol, sp.Expr]]:
    rng = random.Random(seed)
    bound = get(name).result
    return [(symbol, admissible(bound, symbol, rng))
            for symbol in sorted(bound.known_symbols(), key=lambda s: s.name)
            for _ in range(VALUES_PER_SYMBOL)]


def commutation_failures(name: str, seed: int = 20250225, limit_cache=_limit) -> tuple[list, int]:
    """(failures, number of cases where both orders are defined) for result ``name``."""
    bound = get(name).result
    failures: list[str] = []
    compared = 0
    for symbol, value in _values(name, seed):
        for variable, target in LIMITS:
            if variable == symbol or variable not in bound.known_symbols():
                continue
            general = limit_cache(name, variable, target)
            if general is None:
                continue  # the result does not support this limit
            case = f"{name}: subs {symbol.name}={value}, limit {variable.name}->{target}"
            try:
                first = bound.subs({symbol: value}).limit(variable, target)
            except InputError:
                first = None
            if first is not None and symbol in mentioned(first):
                failures.append(f"{case}: {symbol.name} is back in "
                                f"{sp.sstr(first.expr)} / {[p.text for p in first.premises]}"
                                f" / {[c.text for c in first.conditions]}")
                continue
            if symbol in general.known_symbols():
                second = general.subs({symbol: value})
            elif dependents({symbol}, variable):
                continue  # not defined in this order: the limit replaced it by its form
            else:
                second = general  # the limit no longer depends on it: subs is the identity
            if first is None:
                failures.append(f"{case}: defined only when the limit comes first")
                continue
            compared += 1
            failures += _disagreements(case, first, second, random.Random(seed + compared))
    return failures, compared


def _disagreements(case: str, first: Bound, second: Bound, rng: random.Random) -> list[str]:
    out = []
    one, two = first.expanded(), second.expanded()
    if one.free_symbols != two.free_symbols:
        return [f"{case}: different symbols {one.free_symbols} vs {two.free_symbols}"]
    symbols = sorted(one.free_symbols | _condition_symbols(one) | _condition_symbols(two),
                     key=lambda s: s.name)
    f_one = sp.lambdify(symbols, one.expr, modules="math")
    f_two = sp.lambdify(symbols, two.expr, modules="math")
    conditions = [sp.lambdify(symbols, c.relation, modules="math") for c in one.conditions]
    others = [sp.lambdify(symbols, c.relation, modules="math") for c in two.conditions]
    for _ in range(POINTS):
        values = point(one, rng)
        args = [values.get(s, rng.uniform(0.001, 0.05)) for s in symbols]
        holds_one = all(bool(f(*args)) for f in conditions)
        holds_two = all(bool(f(*args)) for f in others)
        if holds_one != holds_two:
            out.append(f"{case}: conditions differ at {values}")
            break
        if not holds_one:
            continue
        try:
            a, b = f_one(*args), f_two(*args)
        except (ZeroDivisionError, ValueError, OverflowError):
            continue
        if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            out.append(f"{case}: {a} != {b} at {values}")
            break
    return out


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", NAMES)
def test_subs_then_limit_equals_limit_then_subs(name):
    failures, compared = commutation_failures(name)
    assert not failures, "\n".join(failures)
    supported = [v for v, t in LIMITS if _limit(name, v, t) is not None]
    if supported:
        assert compared > 0, f"{name}: no case where both orders are defined"


def test_every_result_supports_a_limit_and_most_cases_compare():
    """The property is not vacuous: every result supports at least one limit, and most
    (result, symbol, limit) cases are defined in both orders."""
    total = 0
    for name in NAMES:
        assert any(_limit(name, v, t) is not None for v, t in LIMITS), name
    for name in ("theorem1", "theorem1-rate", "recursive-stability"):
        total += commutation_failures(name)[1]
    assert total >= 40


@pytest.mark.timeout(600)
def test_the_property_fails_when_forms_ignore_earlier_substitutions(monkeypatch):
    """The deliberate fault: the L2 form is put in after the substitution without it."""
    monkeypatch.setattr(Bound, "_in_context", lambda self, form: form)
    failures, _ = commutation_failures("theorem1", limit_cache=_limit.__wrapped__)
    assert any("lam is back" in f for f in failures), failures
    assert any("n is back" in f or "tau_n is back" in f or "M is back" in f or "is back" in f
               for f in failures)


@pytest.mark.timeout(600)
def test_the_property_fails_when_premises_ignore_earlier_substitutions(monkeypatch):
    monkeypatch.setattr(Bound, "_premise_in_context", lambda self, premise: premise)
    failures, _ = commutation_failures("theorem1", limit_cache=_limit.__wrapped__)
    assert any("lam is back" in f for f in failures), failures
