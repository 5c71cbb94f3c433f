"""Closed forms of the model-collapse literature: exact ``E metric_i`` of simple loops.

The one home of these formulas (numpy only). Each function returns the exact expected
value of a loop metric at generations ``i = 0..generations`` (an array of length
``generations + 1``), where generation 0 is the model fitted to the real sample ``S_0``
(DESIGN.md). The verification checks (:mod:`stl.verify.checks.closed_forms`) hold the
simulated loops against them; ``tests/numerics/test_closed_forms_module.py`` checks each
formula against an independent computation (exact enumeration, a recursion).

All formulas are for the fully synthetic loop (``replace``, ``λ = 0``) unless said
otherwise; they are equalities for the expectation, not bounds.

>>> import numpy as np
>>> np.round(wright_fisher_heterozygosity(n=10, generations=1, probs=[0.5, 0.5]), 6).tolist()
[0.45, 0.405]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from stl.numerics.errors import InputError


def _generations(generations: int) -> np.ndarray:
    g = int(generations)
    if g < 0:
        raise InputError("generations", generations, "an integer >= 0")
    return np.arange(g + 1, dtype=float)


def _positive_n(n: int) -> float:
    if not n >= 1:
        raise InputError("n", n, "a number >= 1")
    return float(n)


def wright_fisher_heterozygosity(n: int, generations: int, probs: Sequence[float], **_) -> np.ndarray:
    """``E H_i`` of the categorical MLE loop under ``replace``: ``(1 − 1/n)^{i+1} (1 − Σ p_s²)``.

    Derivation. ``H(q) = 1 − Σ_s q_s²`` (heterozygosity, the chance that two draws from
    ``q`` differ). Refitting frequencies to ``n`` draws from ``q`` gives ``q̂ = N/n`` with
    ``N ~ Multinomial(n, q)``, so ``E q̂_s² = q_s² + q_s(1 − q_s)/n`` and
    ``E[H(q̂) | q] = (1 − 1/n) H(q)`` — the haploid Wright–Fisher model of population
    genetics (Ewens 2004, *Mathematical Population Genetics*, §3.2). Generation 0 is
    itself a sample of ``n`` from ``p``, hence ``i + 1`` factors.

    >>> round(float(wright_fisher_heterozygosity(4, 0, [0.25] * 4)[0]), 6)
    0.5625
    """
    p = np.asarray(probs, dtype=float)
    n = _positive_n(n)
    return (1.0 - float(np.sum(p ** 2))) * (1.0 - 1.0 / n) ** (_generations(generations) + 1.0)


def gaussian_variance(n: int, generations: int, scale: float = 1.0, estimator: str = "mle",
                      **_) -> np.ndarray:
    """``E variance_i`` (trace of the fitted covariance / d) of the Gaussian loop under ``replace``.

    Derivation. Given the parent covariance ``Σ``, ``n`` fresh draws give a sample
    covariance with ``E[Σ̂_mle | Σ] = (n − 1)/n · Σ`` (Wishart mean) and
    ``E[Σ̂_unbiased | Σ] = Σ``. Iterating the conditional expectation from the real law
    ``N(μ, scale² I)`` (generation 0 is already a fit): ``E variance_i = ((n − 1)/n)^{i+1}
    scale²`` for the MLE — the variance collapse of Shumailov et al. (2024, *Nature*,
    "AI models collapse when trained on recursively generated data") — and ``scale²``
    for the unbiased estimator (a martingale).

    >>> gaussian_variance(2, 1).tolist(), gaussian_variance(2, 1, estimator="unbiased").tolist()
    ([0.5, 0.25], [1.0, 1.0])
    """
    if estimator not in ("mle", "unbiased"):
        raise InputError("estimator", estimator, "'mle' or 'unbiased'")
    n, i = _positive_n(n), _generations(generations)
    s2 = float(scale) ** 2
    if estimator == "unbiased":
        return np.full(i.shape, s2)
    return s2 * ((n - 1.0) / n) ** (i + 1.0)


def gaussian_mean_error(n: int, generations: int, scale: float = 1.0, dim: int = 1,
                        estimator: str = "mle", **_) -> np.ndarray:
    """``E‖μ̂_i − μ‖²`` of the Gaussian loop under ``replace``.

    Derivation. ``μ̂_j = μ̂_{j−1} + ξ_j`` where ``ξ_j`` (the mean of ``n`` draws minus the
    parent's mean) has ``E[ξ_j ξ_jᵀ | past] = Σ̂_{j−1}/n`` and is uncorrelated with the
    past; ``μ̂_0 − μ`` has covariance ``scale² I/n``. So ``E‖μ̂_i − μ‖² = (d/n) Σ_{j=0}^{i}
    E variance_{j−1}`` with ``E variance_{−1} = scale²``: for the MLE ``(d scale²/n)
    Σ_{j=0}^{i} ((n−1)/n)^j = d scale² (1 − ((n−1)/n)^{i+1})``; for the unbiased
    estimator ``d scale² (i + 1)/n`` (a random walk).

    >>> gaussian_mean_error(2, 1).tolist(), gaussian_mean_error(2, 1, estimator="unbiased").tolist()
    ([0.5, 0.75], [0.5, 1.0])
    """
    n, i = _positive_n(n), _generations(generations)
    s2d = float(scale) ** 2 * int(dim)
    if estimator == "unbiased":
        return s2d * (i + 1.0) / n
    if estimator != "mle":
        raise InputError("estimator", estimator, "'mle' or 'unbiased'")
    return s2d * (1.0 - ((n - 1.0) / n) ** (i + 1.0))


def _ols_check(n: int, dim: int) -> None:
    if not n > int(dim) + 1:
        raise InputError("n", n, f"n > dim + 1 = {int(dim) + 1} (the OLS closed forms need it)")


def linreg_replace(n: int, generations: int, dim: int = 5, noise: float = 1.0, **_) -> np.ndarray:
    """``E test_error_i = E‖θ̂_i − θ*‖²`` of OLS under ``replace`` (fresh ``N(0, I_d)`` inputs).

    Derivation. Synthetic labels ``y = xᵀθ̂_{j−1} + ε`` give ``θ̂_j = θ̂_{j−1} +
    (XᵀX)⁻¹Xᵀε_j``: independent increments with ``E‖(XᵀX)⁻¹Xᵀε‖² = σ² E tr (XᵀX)⁻¹ =
    σ² d/(n − d − 1)`` (inverse-Wishart mean). They add up:
    ``E test_error_i = (i + 1) σ² d/(n − d − 1)`` (Dohmatob, Feng, Kempe 2024, "Model
    collapse demystified: the case of regression", isotropic case).

    >>> linreg_replace(7, 1, dim=1, noise=2.0).tolist()
    [0.8, 1.6]
    """
    _ols_check(n, dim)
    return (_generations(generations) + 1.0) * float(noise) ** 2 * dim / (n - dim - 1.0)


def linreg_accumulate(n: int, generations: int, dim: int = 5, noise: float = 1.0, **_) -> np.ndarray:
    """``E test_error_i`` of OLS under ``accumulate`` (all data so far is kept).

    Derivation. With ``P_j = Σ_{k≤j} X_kᵀX_k`` the pooled OLS error ``δ = θ̂ − θ*`` obeys
    ``δ_j = δ_{j−1} + P_j⁻¹X_jᵀε_j`` exactly; the increments are uncorrelated,
    ``P_j ~ Wishart((j+1)n, I)`` and, by exchangeability of its ``j + 1`` parts,
    ``E P_j⁻¹X_jᵀX_jP_j⁻¹ = E P_j⁻¹/(j + 1) = I/((j + 1)((j + 1)n − d − 1))``. Hence
    ``E test_error_i = σ² d Σ_{k=1}^{i+1} 1/(k(kn − d − 1))``, bounded by ``π²/6`` times
    generation 0's error (Gerstgrasser et al. 2024, "Is model collapse inevitable?").

    >>> [round(float(x), 6) for x in linreg_accumulate(7, 1, dim=1, noise=2.0)]
    [0.8, 0.966667]
    """
    _ols_check(n, dim)
    k = _generations(generations) + 1.0
    return float(noise) ** 2 * dim * np.cumsum(1.0 / (k * (k * n - dim - 1.0)))


#: Formula name → ``function(n, generations, **model parameters)`` → ``E metric`` per generation.
FORMULAS = {
    "wright_fisher_heterozygosity": wright_fisher_heterozygosity,
    "gaussian_variance": gaussian_variance,
    "gaussian_mean_error": gaussian_mean_error,
    "linreg_replace": linreg_replace,
    "linreg_accumulate": linreg_accumulate,
}

__all__ = ["FORMULAS", "gaussian_mean_error", "gaussian_variance", "linreg_accumulate", "linreg_replace",
           "wright_fisher_heterozygosity"]
