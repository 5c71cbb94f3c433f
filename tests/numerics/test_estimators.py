"""Estimators against analytic constants (THEORY.md sections 1, 2, 4) and coupling laws."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from stl.numerics.errors import InputError
from stl.numerics.estimators import Estimate, estimate_beta, estimate_dtv, estimate_gamma, estimate_tau
from stl.numerics.models.registry import get_model
from stl.numerics.rng import ReplicateStreams


def test_categorical_tau_is_one_over_n():
    """Swapping one of n points moves exactly 1/n of mass when the symbols differ, so the
    supremum is τ_n = 1/n (THEORY.md §4); with 16 candidate neighbours per dataset every
    replicate reaches it unless all 16 equal the removed symbol."""
    n = 40
    e = estimate_tau(get_model("categorical", {"k": "5"}), n, 300, seed=3)
    assert isinstance(e, Estimate) and e.n_replicates == 300
    assert e.ci_low - 1e-12 <= 1 / n <= e.ci_high + 1e-12
    assert abs(e.value - 1 / n) <= 4 * e.stderr + 1e-12


def test_categorical_beta_between_two_and_four_over_n():
    """Brier loss: with q' = q + (e_a − e_b)/n, ℓ(q', z) − ℓ(q, z) = 2(q_a − q_b + 1/n)/n −
    2(1[z=a] − 1[z=b])/n. The changes at z = a and z = b differ by 4/n, so the largest
    is ≥ 2/n whenever a ≠ b, and |·| ≤ 4/n + 2/n² always (THEORY.md §4). Both swapped
    points are in the probe set, so each replicate's maximum lies in [2/n, 4/n + 2/n²]."""
    n = 25
    e = estimate_beta(get_model("categorical", {"k": "4"}), n, 200, seed=1)
    per = e.per_replicate
    assert np.all(per <= 4 / n + 2 / n ** 2 + 1e-12)
    assert np.all(per >= 2 / n - 1e-12)
    assert e.ci_low <= e.value <= e.ci_high


def test_gaussian_tau_matches_a_looped_reference():
    """τ̂_n for the 1-D Gaussian equals the same definition computed independently, one
    replicate at a time, with np.mean/np.var and a grid integral of ½|p − q|
    (the Gaussian mean/variance TV-stability, D2)."""
    n, r, k = 30, 6, 4
    model = get_model("gaussian", {})
    e = estimate_tau(model, n, r, seed=8, neighbours=k)
    st = ReplicateStreams(seed=8, replicates=r)
    s = model.draw_real(st, n, purpose="real")[..., 0]
    new = model.draw_real(st, k, purpose="neighbour")[..., 0]
    x = np.linspace(-12, 12, 400001)
    for i in range(r):
        best = 0.0
        for j in range(k):
            s2 = s[i].copy()
            s2[0] = new[i, j]
            p = norm.pdf(x, s[i].mean(), s[i].std())
            q = norm.pdf(x, s2.mean(), s2.std())
            best = max(best, 0.5 * np.trapezoid(np.abs(p - q), x))
        assert abs(e.per_replicate[i] - best) < 1e-6


def test_gaussian_equal_variance_mean_shift_tv():
    """Moving one of n points by δ shifts the mean by δ/n; with equal variances the TV is
    2Φ(|δ|/(2nσ)) − 1 exactly (THEORY.md T2's Gaussian identity)."""
    from stl.numerics.models.gaussian import gaussian_tv_1d

    n, delta, sigma = 50, 3.0, 1.3
    assert abs(float(gaussian_tv_1d(0.0, sigma, delta / n, sigma)) - (2 * norm.cdf(delta / (2 * n * sigma)) - 1)) < 1e-12


@pytest.mark.parametrize("lam", [0.0, 0.5])
def test_categorical_gamma_within_the_l2_bound(lam):
    """L2: γ^i ≤ τ_n(1 − ρ^(i+1))/(1 − ρ), ρ = (1 − λ)nτ_n, with τ_n = 1/n; with λ = 0 no
    real point survives, so γ^i ≤ τ_n ρ^i = 1/n. γ̂ may not exceed it beyond its CI."""
    n, g = 20, 8
    model = get_model("categorical", {"k": "4"})
    e = estimate_gamma(model, "mix", n, lam, g, 1500, seed=6)
    assert not e.proxy and "maximal" in e.method
    tau = 1 / n
    i = np.arange(g + 1)
    if lam == 0:
        bound = tau * np.ones(g + 1)
    else:
        rho = (1 - lam) * n * tau
        bound = tau * (1 - rho ** (i + 1)) / (1 - rho)
    assert np.all(e.ci_low <= bound)
    # The differing fraction of synthetic draws has mean γ^{j−1} under the maximal coupling.
    diff = e.details["synthetic_differ"][:, 1:].mean(axis=0)
    se = e.details["synthetic_differ"][:, 1:].std(axis=0, ddof=1) / np.sqrt(e.n_replicates)
    assert np.all(np.abs(diff - e.value[:-1]) <= 4 * np.hypot(se, e.stderr[:-1]))


@pytest.mark.parametrize("name,params", [("categorical", {"k": "5"}), ("gaussian", {}),
                                         ("gaussian", {"dim": "2"}), ("linreg", {"dim": "2"})])
def test_maximal_coupling_marginals_and_differ_rate(name, params):
    """``sample_coupled``: each side has its parent's law (first two moments within 4 se)
    and P(x ≠ x') equals d_TV of the parents (D3), TV computed by ``model.tv``."""
    model = get_model(name, params)
    st = ReplicateStreams(seed=12, replicates=400)
    a = model.fit(model.draw_real(st, 8))
    b = model.fit(model.draw_real(st, 8))
    m = 400
    xa, xb, differ = model.sample_coupled(a, b, st, m)
    ref_a = model.sample(a, st, m, purpose="ref-a")
    ref_b = model.sample(b, st, m, purpose="ref-b")
    for got, ref in ((xa, ref_a), (xb, ref_b)):
        g = got.reshape(got.shape[0], m, -1).astype(float)
        f = ref.reshape(ref.shape[0], m, -1).astype(float)
        for stat in (lambda z: z.mean(axis=1), lambda z: (z ** 2).mean(axis=1)):
            dv = (stat(g) - stat(f)).ravel()
            assert abs(dv.mean()) <= 4 * dv.std(ddof=1) / np.sqrt(dv.size)
    assert np.array_equal(differ, (xa != xb).reshape(xa.shape[0], m, -1).any(axis=2))
    tv = model.tv([(1.0, a)], [(1.0, b)], st, samples=4000)
    dv = differ.mean(axis=1) - tv
    assert abs(dv.mean()) <= 4 * dv.std(ddof=1) / np.sqrt(dv.size) + 1e-12


def test_gamma_at_generation_zero_is_the_random_neighbour_expectation():
    """γ̂^0 for the categorical model: the fresh point has another symbol with probability
    1 − Σp², and then d_TV = 1/n exactly; so E γ̂^0 = (1 − Σp²)/n, below D3's supremum
    τ_n = 1/n. The method text must say it is a lower estimate of that supremum."""
    model = get_model("categorical", {"k": "4"})
    n = 20
    e = estimate_gamma(model, "mix", n, 0.5, 0, 4000, seed=3)
    exact = (1 - np.sum(model.p ** 2)) / n
    assert abs(e.value[0] - exact) <= 4 * e.stderr[0]
    assert e.ci_high[0] < 1 / n
    assert "lower estimate of the supremum" in e.method and "random" in e.method


def test_categorical_coupling_marginals_are_exact_per_symbol():
    """Stronger than the moment check: every symbol's frequency on each side of the
    categorical maximal coupling against the parent's exact probability. Per replicate
    the frequency of s has mean p_s and variance p_s(1 − p_s)/m; pooled over replicates
    the standardized deviation must be within 4 for every symbol and side."""
    model = get_model("categorical", {"k": "6"})
    st = ReplicateStreams(seed=21, replicates=500)
    a = model.fit(model.draw_real(st, 7))
    b = model.fit(model.draw_real(st, 7))
    m = 300
    xa, xb, differ = model.sample_coupled(a, b, st, m)
    for x, probs in ((xa, a.probs), (xb, b.probs)):
        freq = np.stack([(x == s).mean(axis=1) for s in range(model.k)], axis=1)
        dev = (freq - probs).sum(axis=0)
        se = np.sqrt((probs * (1 - probs) / m).sum(axis=0))
        z = np.where(se > 0, dev / np.where(se > 0, se, 1), dev)
        assert np.all(np.abs(z) <= 4), z
    # the flag is exact: flagged pairs differ (disjoint residual supports), others agree
    assert np.all(xa[~differ] == xb[~differ]) and np.all(xa[differ] != xb[differ])


@pytest.mark.parametrize("dim", ["1", "2"])
def test_gaussian_coupling_with_small_residual_blocks(monkeypatch, dim):
    """The residual step of the Gaussian maximal coupling draws capped blocks per round
    (memory stays bounded when TV is tiny) and only for replicates still filling. With a
    cap of 4 candidates it needs many rounds; the coupling must stay exact: x' has the
    law P_b (first two moments within 4 se of a reference sample) and P(x != x') = TV."""
    from stl.numerics.models import gaussian

    monkeypatch.setattr(gaussian, "RESIDUAL_BLOCK", 4)
    model = get_model("gaussian", {"dim": dim})
    st = ReplicateStreams(seed=13, replicates=300)
    a = model.fit(model.draw_real(st, 8))
    b = model.fit(model.draw_real(st, 8))
    m = 200
    xa, xb, differ = model.sample_coupled(a, b, st, m)
    ref = model.sample(b, st, m, purpose="ref-b").reshape(300, m, -1)
    got = xb.reshape(300, m, -1)
    for stat in (lambda z: z.mean(axis=1), lambda z: (z ** 2).mean(axis=1)):
        dv = (stat(got) - stat(ref)).ravel()
        assert abs(dv.mean()) <= 4 * dv.std(ddof=1) / np.sqrt(dv.size)
    assert np.array_equal(differ, (xa != xb).any(axis=2))
    tv = model.tv([(1.0, a)], [(1.0, b)], st, samples=4000)
    dv = differ.mean(axis=1) - tv
    assert abs(dv.mean()) <= 4 * dv.std(ddof=1) / np.sqrt(dv.size) + 1e-12


def test_kde_gamma_is_labelled_proxy():
    e = estimate_gamma(get_model("kde", {}), "mix", 20, 0.5, 2, 20, seed=0)
    assert e.proxy and "PROXY" in e.method


def test_dtv_generation_zero_is_distance_to_real_and_categorical_exact():
    """At j = 0, D̃_0 = D_0, so d̂_TV(0) equals the mean of the loop's ``tv_to_real``
    (the same replicates, same seed); later generations use the scheme's mixture."""
    from stl.numerics.loop import run_loop

    model = get_model("categorical", {"k": "5"})
    e = estimate_dtv(model, "mix", 30, 0.5, 3, 200, seed=2)
    t = run_loop(model, "mix", 30, 0.5, 3, 200, seed=2)
    assert np.allclose(e.per_replicate[:, 0], t.values["tv_to_real"][:, 0])
    assert e.value.shape == (4,) and np.all(e.ci_low <= e.ci_high)


def test_dtv_under_replace_is_the_same_at_every_generation():
    """1-D Gaussian, ``replace``: D̃_j = P_{θ_{j−1}} = N(μ, σ²) and θ_j is the MLE of n
    draws from it. TV is invariant under affine maps, and (μ̂ − μ)/σ ~ N(0, 1/n),
    σ̂²/σ² ~ χ²_{n−1}/n whatever (μ, σ), independently of the past: so d_TV(P_{θ_j}, D̃_j)
    has the same law at every generation, that of generation 0 against D_0. (Measuring
    against D_0 instead of the parent would make it grow.)"""
    e = estimate_dtv(get_model("gaussian", {}), "replace", 10, 0.0, 4, 2000, seed=4)
    base, base_se = e.value[0], e.stderr[0]
    assert np.all(np.abs(e.value[1:] - base) <= 4 * np.hypot(e.stderr[1:], base_se))
    t = estimate_dtv(get_model("gaussian", {}), "mix", 10, 0.5, 0, 2000, seed=4)
    assert np.array_equal(t.per_replicate[:, 0], e.per_replicate[:, 0])  # same S_0, same D_0


def test_estimate_ci_is_student_t_and_respects_the_range():
    """CI = mean ± q·se with q the t_{R−1} quantile (a z quantile under-covers for few
    replicates: 1.96 instead of 12.71 for R = 2), clipped to the range of the quantity
    (a TV cannot have a negative lower limit); the clipping survives ``concat``."""
    from scipy.stats import t as student_t

    e = Estimate.from_replicates("x", np.array([0.1, 0.3]), np.arange(2), "demo")
    q = student_t.ppf(0.975, 1)
    assert e.ci_high == pytest.approx(0.2 + q * 0.1) and e.ci_low == pytest.approx(0.2 - q * 0.1)
    b = Estimate.from_replicates("x", np.array([0.0, 0.0, 0.02]), np.arange(3), "demo", bounds=(0.0, 1.0))
    assert b.ci_low == 0.0 and 0.0 < b.ci_high <= 1.0
    parts = [Estimate.from_replicates("x", np.array([[0.0, 0.01]]), np.array([0]), "d", bounds=(0.0, 1.0)),
             Estimate.from_replicates("x", np.array([[0.0, 0.0]]), np.array([1]), "d", bounds=(0.0, 1.0))]
    assert np.all(Estimate.concat(parts).ci_low >= 0)
    # every estimator of a TV or a loss change reports a CI inside its range
    model = get_model("categorical", {"k": "3"})
    g = estimate_gamma(model, "mix", 10, 0.5, 2, 5, seed=0)
    d = estimate_dtv(model, "mix", 10, 0.5, 2, 5, seed=0)
    for est in (g, d):
        assert np.all(est.ci_low >= 0) and np.all(est.ci_high <= 1)
    beta = estimate_beta(model, 10, 3, seed=0, neighbours=2, probes=4)
    assert 0 <= beta.ci_low and beta.ci_high <= model.loss_bound


def test_estimators_split_invariant():
    model = get_model("gaussian", {"dim": "2"})
    whole = estimate_gamma(model, "mix", 12, 0.5, 2, 6, seed=4)
    parts = [estimate_gamma(model, "mix", 12, 0.5, 2, 2, seed=4, first=0),
             estimate_gamma(model, "mix", 12, 0.5, 2, 4, seed=4, first=2)]
    assert np.array_equal(Estimate.concat(parts).per_replicate, whole.per_replicate)
    t_whole = estimate_tau(model, 12, 5, seed=1, neighbours=3)
    t_parts = [estimate_tau(model, 12, 3, seed=1, neighbours=3), estimate_tau(model, 12, 2, seed=1, first=3, neighbours=3)]
    assert np.array_equal(Estimate.concat(t_parts).per_replicate, t_whole.per_replicate)


def test_estimator_bad_inputs():
    model = get_model("categorical", {})
    with pytest.raises(InputError):
        estimate_tau(model, 0, 10, seed=0)
    with pytest.raises(InputError):
        estimate_beta(model, 10, 1, seed=0)
    with pytest.raises(InputError):
        estimate_gamma(model, "mix", 10, 1.5, 2, 10, seed=0)
    with pytest.raises(InputError):
        estimate_dtv(model, "nope", 10, 0.5, 2, 10, seed=0)
