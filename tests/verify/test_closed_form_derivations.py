"""The closed forms of the model cards (theory's expressions, evaluated through the bridge)
against independent computations at random parameters.

Each formula is recomputed by a different route — exact enumeration of the Wright–Fisher
Markov chain, the one-step recursions of the Gaussian loop with quadrature for the
one-step factor, quadrature of chi-square/Beta laws for OLS in one dimension, and a
direct numpy Monte Carlo (not the toolkit's loop) for OLS in several dimensions. Exact
routes are compared to 1e-9 relative (floating-point rounding); Monte Carlo routes within
four standard errors of the simulated mean (fixed seeds).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, stats


RNG_SEEDS = range(4)


def _compositions(n: int, k: int):
    """All count vectors of ``n`` balls in ``k`` boxes."""
    for cuts in itertools.combinations(range(n + k - 1), k - 1):
        edges = (-1,) + cuts + (n + k - 1,)
        yield tuple(edges[j + 1] - edges[j] - 1 for j in range(k))


def _multinomial_pmf(counts, probs) -> float:
    n = sum(counts)
    coef = math.factorial(n)
    out = 1.0
    for c, p in zip(counts, probs):
        coef //= math.factorial(c)
        out *= p ** c
    return coef * out


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_wright_fisher_matches_exact_enumeration(seed, closed_forms):
    """Exact law of the count vector, generation by generation (no formula used)."""
    rng = np.random.default_rng(seed)
    n, k, G = int(rng.integers(2, 7)), int(rng.integers(2, 4)), 4
    p = rng.dirichlet(np.ones(k))
    states = list(_compositions(n, k))
    law = {s: _multinomial_pmf(s, p) for s in states}          # generation 0: a sample of p
    trans = {s: {t: _multinomial_pmf(t, np.array(s) / n) for t in states} for s in states}
    exact = []
    for _ in range(G + 1):
        exact.append(sum(w * (1.0 - sum((c / n) ** 2 for c in s)) for s, w in law.items()))
        new = dict.fromkeys(states, 0.0)
        for s, w in law.items():
            for t, q in trans[s].items():
                new[t] += w * q
        law = new
    got = closed_forms.wright_fisher_heterozygosity(n, G, p)
    np.testing.assert_allclose(got, exact, rtol=1e-9, atol=1e-12)


def _mle_factor(n: int) -> float:
    """``E[σ̂²_mle/σ²] = E[χ²_{n−1}]/n`` by quadrature of the chi-square density."""
    val, _ = integrate.quad(lambda x: x * stats.chi2.pdf(x, n - 1), 0, np.inf)
    return val / n


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_gaussian_variance_and_mean_error_match_the_recursion(seed, closed_forms):
    """v_j = f·v_{j−1}, e_j = e_{j−1} + d·v_{j−1}/n (v_{−1} = scale², e_{−1} = 0),
    with the one-step factor f from quadrature (MLE) or 1 (unbiased)."""
    rng = np.random.default_rng(seed)
    n, d, G = int(rng.integers(2, 60)), int(rng.integers(1, 4)), int(rng.integers(1, 12))
    scale = float(rng.uniform(0.2, 3.0))
    for estimator, f in (("mle", _mle_factor(n)), ("unbiased", 1.0)):
        v, e, vs, es = scale ** 2, 0.0, [], []
        for _ in range(G + 1):
            e += d * v / n
            v *= f
            vs.append(v)
            es.append(e)
        np.testing.assert_allclose(closed_forms.gaussian_variance(n, G, scale=scale, estimator=estimator), vs,
                                   rtol=1e-9)
        np.testing.assert_allclose(closed_forms.gaussian_mean_error(n, G, scale=scale, dim=d, estimator=estimator),
                                   es, rtol=1e-9)


def _inv_chi2_mean(m: int) -> float:
    val, _ = integrate.quad(lambda x: stats.chi2.pdf(x, m) / x, 0, np.inf)
    return val


@pytest.mark.parametrize("seed", RNG_SEEDS)
def test_linreg_one_dimension_matches_quadrature(seed, closed_forms):
    """d = 1: the OLS increment of generation j has E‖·‖² = σ² E[B_j/P_j] with
    P_j ~ χ²_{(j+1)n} (pooled inputs) and B_j = X_j²/P_j ~ Beta(n/2, jn/2) independent
    of P_j (Lukacs), so = σ² E[B_j] E[1/P_j]; replace uses j = 0 every generation."""
    rng = np.random.default_rng(seed)
    n, G, sigma = int(rng.integers(4, 30)), int(rng.integers(1, 8)), float(rng.uniform(0.3, 2.0))
    step0 = sigma ** 2 * _inv_chi2_mean(n)
    np.testing.assert_allclose(closed_forms.linreg_replace(n, G, dim=1, noise=sigma), step0 * np.arange(1, G + 2),
                               rtol=1e-7)
    incs = [sigma ** 2 * stats.beta(n / 2, j * n / 2).mean() * _inv_chi2_mean((j + 1) * n) if j else step0
            for j in range(G + 1)]
    np.testing.assert_allclose(closed_forms.linreg_accumulate(n, G, dim=1, noise=sigma), np.cumsum(incs), rtol=1e-7)


@pytest.mark.parametrize("scheme", ["replace", "accumulate"])
def test_linreg_several_dimensions_match_direct_monte_carlo(scheme, closed_forms):
    """A direct numpy simulation of OLS on its own synthetic labels (not stl.numerics.loop)."""
    rng = np.random.default_rng(17 if scheme == "replace" else 18)
    n, d, G, R = int(rng.integers(8, 20)), int(rng.integers(2, 5)), 4, 20000
    sigma = float(rng.uniform(0.5, 1.5))
    theta = np.zeros((R, d))                 # θ* = 0: the error is θ̂ itself
    gram, xty = np.zeros((R, d, d)), np.zeros((R, d))
    err = np.empty((R, G + 1))
    for j in range(G + 1):
        x = rng.standard_normal((R, n, d))
        y = np.einsum("rnd,rd->rn", x, theta) + sigma * rng.standard_normal((R, n))
        g, b = np.einsum("rnd,rne->rde", x, x), np.einsum("rnd,rn->rd", x, y)
        if scheme == "accumulate":
            gram, xty = gram + g, xty + b
            g, b = gram, xty
        theta = np.linalg.solve(g, b[..., None])[..., 0]
        err[:, j] = np.sum(theta ** 2, axis=1)
    formula = closed_forms.linreg_replace if scheme == "replace" else closed_forms.linreg_accumulate
    exact = formula(n, G, dim=d, noise=sigma)
    mean, se = err.mean(axis=0), err.std(axis=0, ddof=1) / math.sqrt(R)
    assert np.all(np.abs(mean - exact) <= 4 * se), np.max(np.abs(mean - exact) / se)


def test_formulas_refuse_invalid_inputs(closed_forms):
    with pytest.raises(ValueError):
        closed_forms.linreg_replace(5, 2, dim=4)
    with pytest.raises(ValueError):
        closed_forms.gaussian_variance(10, 2, estimator="median")
    with pytest.raises(ValueError):
        closed_forms.wright_fisher_heterozygosity(10, -1, [1.0])
