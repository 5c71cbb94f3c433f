"""Each closed form exists once, on its model's theory card; the numbers a check computes
are that expression through the bridge (lambdify), equal to sympy's own evaluation at random
points, so a report never states a formula other than the one held."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import sympy as sp

from stl.theory.symbols import dim, i, n, sigma
from stl.verify.cards import all_cards, card

FORMS = [(c.name, f) for c in all_cards() for f in c.closed_forms]


@pytest.mark.parametrize("model, form", FORMS, ids=[f"{m}:{f.name}:{dict(f.when)}" for m, f in FORMS])
def test_the_bridge_evaluates_the_cards_expression_at_random_points(model, form):
    c = card(model)
    rng = np.random.default_rng(zlib.crc32(f"{model}:{form.name}:{dict(form.when)}".encode()))
    names = {sym: name for name, sym in c.theory.symbols.items()}
    for _ in range(6):
        d = int(rng.integers(1, 6))
        size = int(rng.integers(d + 3, 200))
        facts = {"scale": float(rng.uniform(0.2, 3.0)), "noise": float(rng.uniform(0.2, 3.0)), "dim": d,
                 "real_heterozygosity": float(rng.uniform(0, 1))}
        G = int(rng.integers(0, 12))
        values = c.closed_form_values(form, facts, size, G)
        bound = {sym: facts[names[sym]] for sym in form.expr.free_symbols - {n, i}}
        for g in range(G + 1):
            exact = float(sp.N(form.expr.subs({**bound, n: size, i: g}).doit()))
            assert values[g] == pytest.approx(exact, rel=1e-12), (form.name, g)


def test_limits_of_the_closed_forms():
    # i → ∞: the MLE variance and heterozygosity collapse to 0; the accumulated OLS error
    # converges to a (π²/6)-bounded sum; n → ∞: every error vanishes.
    variance = card("gaussian").closed_form("variance", "replace", {}).expr
    wright_fisher = card("categorical").closed_form("heterozygosity", "replace", {}).expr
    assert sp.limit(variance.subs(n, 10), i, sp.oo) == 0
    assert sp.limit(wright_fisher.subs(n, 10), i, sp.oo) == 0
    acc = card("linreg").closed_form("test_error", "accumulate", {}).expr.subs({n: 20, dim: 3, sigma: 1})
    tail = float(sp.N(acc.subs(i, 400).doit()))
    assert tail < float(sp.pi ** 2 / 6 * 3 / (20 - 3 - 1))
    assert sp.limit(card("linreg").closed_form("test_error", "replace", {}).expr, n, sp.oo) == 0


def test_a_form_the_card_does_not_give_is_refused():
    from stl.verify.errors import InputError

    with pytest.raises(InputError, match="closed form theory gives for gaussian"):
        card("gaussian").closed_form("kl_to_real", "replace", {})
    with pytest.raises(InputError):   # a ridge is not OLS: the OLS forms do not apply
        card("linreg").closed_form("test_error", "replace", {"ridge": "0.1"})
    with pytest.raises(InputError):   # the estimator's own range refuses it
        card("gaussian").closed_form("variance", "replace", {"estimator": "median"})
