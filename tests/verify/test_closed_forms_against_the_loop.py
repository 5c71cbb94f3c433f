"""Simulated loops against exact formulas, within Monte Carlo error (|mean − exact| ≤ 4·stderr).

The formulas live once, on their models' theory cards (:mod:`stl.theory.models`, with the
derivations and citations; ``tests/verify/test_closed_form_derivations.py`` checks them by
independent routes) and reach numpy through the bridge (the ``closed_forms`` fixture);
here the batched loop is held against them. The tolerance is four standard errors of the
simulated mean (fixed seeds), never a hand-tuned number.
"""

from __future__ import annotations

import numpy as np
import pytest

from stl.numerics.loop import iterate, run_loop
from stl.numerics.models.registry import get_model
from stl.numerics.rng import ReplicateStreams
from stl.numerics.schemes import get_scheme


def close(traj, metric, exact, k=4.0):
    mean, se = traj.mean(metric), traj.stderr(metric)
    dev = np.abs(mean - exact)
    assert np.all(dev <= k * se), f"{metric}: worst |mean-exact|/se = {np.max(dev / se):.2f}"


@pytest.mark.parametrize("dim", [1, 3])
def test_gaussian_mle_variance_collapse_under_replace(dim, closed_forms):
    """MLE refit loop (Shumailov et al. 2024, "AI models collapse when trained on
    recursively generated data", Gaussian example): given the parent's covariance Σ, the
    MLE covariance of n fresh draws has E Σ̂ = (n−1)/n Σ. Generation 0 is already an MLE
    fit to real data, so E[tr Σ̂_j / d] = ((n−1)/n)^(j+1) σ².
    The mean is a martingale with increments of conditional covariance Σ̂_{k−1}/n, so
    E‖μ̂_j − μ‖² = (d/n) Σ_{k=0}^{j} ((n−1)/n)^k = (d/n)(1 − c^(j+1))/(1 − c), c = (n−1)/n."""
    n, g = 10, 15
    t = run_loop(get_model("gaussian", {"dim": str(dim)}), "replace", n, 0.0, g, 4000, seed=11,
                 metrics=("variance", "mean_error"))
    close(t, "variance", closed_forms.gaussian_variance(n, g))
    close(t, "mean_error", closed_forms.gaussian_mean_error(n, g, dim=dim))


def test_gaussian_unbiased_variance_is_a_martingale(closed_forms):
    """With the unbiased estimator E[σ̂²_j | σ̂²_{j−1}] = σ̂²_{j−1}, so E σ̂²_j = σ² = 1 for
    every j (collapse happens almost surely, but not in expectation), and the mean's
    squared error grows linearly: E‖μ̂_j − μ‖² = d (j + 1)/n."""
    n, g = 10, 10
    t = run_loop(get_model("gaussian", {"estimator": "unbiased"}), "replace", n, 0.0, g, 4000, seed=5,
                 metrics=("variance", "mean_error"))
    close(t, "variance", closed_forms.gaussian_variance(n, g, estimator="unbiased"))
    close(t, "mean_error", closed_forms.gaussian_mean_error(n, g, estimator="unbiased"))


def test_categorical_heterozygosity_follows_wright_fisher(closed_forms):
    """λ = 0 resamples n symbols from the current frequencies: the haploid Wright–Fisher
    model (Ewens 2004, "Mathematical Population Genetics", §3.2). For multinomial
    resampling E[1 − Σq'² | q] = (1 − 1/n)(1 − Σq²), and generation 0 is itself a
    sample of n from p, so E H_j = (1 − Σp²)(1 − 1/n)^(j+1)."""
    model = get_model("categorical", {"k": "6"})
    n, g = 30, 40
    t = run_loop(model, "replace", n, 0.0, g, 6000, seed=2, metrics=("heterozygosity",))
    close(t, "heterozygosity", closed_forms.wright_fisher_heterozygosity(n, g, model.p))


def test_categorical_fixation_probability_is_initial_frequency():
    """Under neutral Wright–Fisher drift a symbol's frequency is a bounded martingale, so
    it fixes with probability equal to its expected initial frequency (Ewens 2004,
    §1.4), here p_0 = 0.3 (generation 0 is an unbiased sample of p). The last
    generation's frequency has the same mean at any horizon; we also check that by
    generation 300 almost every replicate has fixed, so the fixation fraction itself
    estimates p_0."""
    model = get_model("categorical", {"probs": "0.3,0.7"})
    streams = ReplicateStreams(seed=9, replicates=4000)
    for j, params, _, _ in iterate(model, get_scheme("replace", 20, 0.0), 300, streams):
        pass
    q0 = params.probs[:, 0]
    fixed = (q0 == 0) | (q0 == 1)
    assert fixed.mean() > 0.999
    frac = (q0 == 1).mean()
    se = np.sqrt(0.3 * 0.7 / q0.size)
    assert abs(frac - 0.3) <= 4 * se


def test_linreg_replace_errors_add_up(closed_forms):
    """OLS with fresh N(0, I_d) inputs: θ̂_j = θ̂_{j−1} + (XᵀX)⁻¹Xᵀε_j, and
    E tr (XᵀX)⁻¹ = d/(n − d − 1) (inverse-Wishart mean), so the independent errors add:
    E‖θ̂_j − θ*‖² = (j + 1) σ² d/(n − d − 1) (Dohmatob, Feng, Kempe 2024, "Model collapse
    demystified: the case of regression", Thm. 1 in the isotropic case)."""
    n, d, sigma, g = 20, 3, 0.5, 8
    t = run_loop(get_model("linreg", {"dim": str(d), "noise": str(sigma)}), "replace", n, 0.0, g, 4000,
                 seed=4, metrics=("test_error",))
    close(t, "test_error", closed_forms.linreg_replace(n, g, dim=d, noise=sigma))


def test_linreg_accumulate_error_stays_bounded(closed_forms):
    """Accumulating data (Gerstgrasser et al. 2024, "Is model collapse inevitable?",
    Thm. 1). With P_j = Σ_{k≤j} X_kᵀX_k the pooled OLS satisfies P_j δ_j = P_j δ_{j−1} +
    X_jᵀε_j, i.e. δ_j = δ_{j−1} + P_j⁻¹X_jᵀε_j exactly (δ = θ̂ − θ*). The increments are
    uncorrelated, P_j ~ Wishart((j+1)n, I) and, by exchangeability of its j + 1 parts,
    E P_j⁻¹ X_jᵀX_j P_j⁻¹ = E P_j⁻¹/(j + 1) = I/((j + 1)((j + 1)n − d − 1)). Hence
    E‖δ_j‖² = σ² d Σ_{k=0}^{j} 1/((k + 1)((k + 1)n − d − 1)) ≤ (π²/6) σ² d/(n − d − 1)."""
    n, d, sigma, g = 20, 3, 0.5, 8
    t = run_loop(get_model("linreg", {"dim": str(d), "noise": str(sigma)}), "accumulate", n, 0.0, g, 4000,
                 seed=4, metrics=("test_error",))
    close(t, "test_error", closed_forms.linreg_accumulate(n, g, dim=d, noise=sigma))
    assert np.all(t.mean("test_error") <= np.pi ** 2 / 6 * sigma ** 2 * d / (n - d - 1) + 4 * t.stderr("test_error"))


def test_gaussian_tv_1d_matches_numerical_integration():
    """The closed-form 1-D TV against ½∫|p − q| on a fine grid (independent code path)."""
    from scipy.stats import norm

    from stl.numerics.models.gaussian import gaussian_tv_1d

    rng = np.random.default_rng(0)
    x = np.linspace(-30, 30, 600001)
    for _ in range(20):
        m1, m2 = rng.normal(size=2)
        s1, s2 = rng.uniform(0.3, 2.0, size=2)
        if _ % 4 == 0:
            s2 = s1
        grid = 0.5 * np.trapezoid(np.abs(norm.pdf(x, m1, s1) - norm.pdf(x, m2, s2)), x)
        assert abs(float(gaussian_tv_1d(m1, s1, m2, s2)) - grid) < 1e-6


def test_kde_tv_to_real_matches_independent_quadrature():
    """``tv_to_real`` of a 1-D KDE against a direct per-replicate integration of
    ½∫|p̂ − φ| with scipy densities (a looped, independent implementation)."""
    from scipy.stats import norm

    model = get_model("kde", {"bandwidth": "0.4"})
    st = ReplicateStreams(seed=1, replicates=3)
    th = model.fit(model.draw_real(st, 15))
    got = model.metrics(th, None, st)["tv_to_real"]
    x = np.linspace(-12, 12, 200001)
    for r in range(3):
        kde = norm.pdf(x[:, None], th.centres[r, :, 0], 0.4).mean(axis=1)
        assert abs(got[r] - 0.5 * np.trapezoid(np.abs(kde - norm.pdf(x)), x)) < 2e-4


def test_kde_tv_quadrature_is_blocked_without_changing_values(monkeypatch):
    """The 1-D KDE TV evaluates its (R, grid, n) kernel matrix in grid blocks (memory
    bounded for large n and R); any block size gives the same numbers."""
    from stl.numerics.models import kde
    from stl.numerics.models.base import REAL

    model = get_model("kde", {"bandwidth": "0.3"})
    st = ReplicateStreams(seed=2, replicates=4)
    a, b = model.fit(model.draw_real(st, 30)), model.fit(model.draw_real(st, 20))
    pairs = ([(1.0, a)], [(1.0, REAL)]), ([(0.5, REAL), (0.5, a)], [(1.0, b)])
    whole = [model.tv(p, q) for p, q in pairs]
    monkeypatch.setattr(kde, "GRID_BLOCK_ELEMENTS", 7)
    for (p, q), ref in zip(pairs, whole):
        assert np.array_equal(model.tv(p, q), ref)


def test_categorical_gen_gap_generation_zero():
    """Brier loss, MLE q̂ on n real points: R(q̂) − R̂(q̂) = 2(Σq̂² − p·q̂) (the Σq̂² and
    constant terms cancel, and R̂ uses q̂ itself as the empirical law). With
    E Σq̂² = Σp² + (1 − Σp²)/n and E p·q̂ = Σp², E gen_0 = 2(1 − Σp²)/n."""
    model = get_model("categorical", {"k": "5"})
    n = 15
    t = run_loop(model, "mix", n, 0.5, 0, 20000, seed=7, metrics=("gen_gap",))
    close(t, "gen_gap", np.array([2 * (1 - np.sum(model.p ** 2)) / n]))


def test_accumulate_without_gen_gap_keeps_no_pool():
    """With sufficient statistics and no ``gen_gap`` the accumulate pool is never stored
    (the running sums are all the fit needs)."""
    model = get_model("gaussian", {"dim": "2"})
    steps = iterate(model, get_scheme("accumulate", 10, 0.0), 3, ReplicateStreams(0, 2), keep_train=False)
    for j, theta, train, state in steps:
        if j:
            assert train is None and state.pool is None


@pytest.mark.slow
def test_done_criterion_categorical_20000_replicates(closed_forms):
    """The issue's acceptance run: n = 50, 60 generations, 20000 replicates, Wright–Fisher."""
    model = get_model("categorical", {})
    n, g = 50, 60
    t = run_loop(model, "replace", n, 0.0, g, 20000, seed=0, metrics=("heterozygosity",))
    close(t, "heterozygosity", closed_forms.wright_fisher_heterozygosity(n, g, model.p))
