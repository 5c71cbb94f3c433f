"""Each closed form of the literature exists twice — sympy (stl.theory.results.closed_forms,
what reports print) and numpy (stl.numerics.closed_forms, what checks compute) — and the
two agree at random points, so a report never states a formula other than the one held."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import sympy as sp

from stl.numerics.closed_forms import FORMULAS
from stl.theory.results import closed_forms as T
from stl.theory.symbols import dim, i, n, sigma

CASES = [(f, e) for f in FORMULAS for e in T.ESTIMATORS
         if e == "mle" or f.startswith("gaussian")]


@pytest.mark.parametrize("formula, estimator", CASES)
def test_sympy_and_numpy_closed_forms_agree_at_random_points(formula, estimator):
    rng = np.random.default_rng(zlib.crc32(f"{formula}:{estimator}".encode()))
    expr = T.closed_form(formula, estimator)
    for _ in range(8):
        d = int(rng.integers(1, 6))
        size = int(rng.integers(d + 3, 200))
        scale = float(rng.uniform(0.2, 3.0))
        probs = rng.dirichlet(np.ones(int(rng.integers(2, 8))))
        G = int(rng.integers(0, 12))
        kwargs = {"scale": scale, "noise": scale, "dim": d, "probs": probs, "estimator": estimator}
        numeric = FORMULAS[formula](n=size, generations=G, **kwargs)
        values = {n: size, sigma: scale, dim: d, T.H_0: 1.0 - float(np.sum(probs ** 2))}
        for g in range(G + 1):
            exact = float(sp.N(expr.subs({**values, i: g}).doit()))
            assert numeric[g] == pytest.approx(exact, rel=1e-12), (formula, g)


def test_limits_of_the_closed_forms():
    # i → ∞: the MLE variance and heterozygosity collapse to 0; the accumulated OLS error
    # converges to (π²/6)-bounded sum; n → ∞: every error vanishes.
    assert sp.limit(T.closed_form("gaussian_variance").subs(n, 10), i, sp.oo) == 0
    assert sp.limit(T.closed_form("wright_fisher_heterozygosity").subs(n, 10), i, sp.oo) == 0
    acc = T.closed_form("linreg_accumulate").subs({n: 20, dim: 3, sigma: 1})
    tail = float(sp.N(acc.subs(i, 400).doit()))
    assert tail < float(sp.pi ** 2 / 6 * 3 / (20 - 3 - 1))
    assert sp.limit(T.closed_form("linreg_replace"), n, sp.oo) == 0


def test_unknown_formula_and_estimator_are_refused():
    from stl.theory.errors import InputError

    with pytest.raises(InputError):
        T.closed_form("no-such-formula")
    with pytest.raises(InputError):
        T.closed_form("gaussian_variance", "median")
