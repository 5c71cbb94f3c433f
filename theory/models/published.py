"""Closed forms of published model-collapse results, for the reproductions in ``verify``.

Each function returns a sympy expression in the contract symbols (``n``, ``i``,
``sigma``, ``d``) that a check of :mod:`stl.verify.checks.literature` evaluates and holds
against the toolkit's simulated loop.

* :func:`gaussian_log_variance_replace` — Shumailov et al. (2024): refitting a Gaussian
  to its own samples makes the variance collapse *almost surely*, even with the unbiased
  estimator whose expectation never moves. The log-variance shows it as a drift:
  ``σ̂²_i = σ² Π_{j≤i} χ²_{n−1, j}/q`` with independent factors (Cochran's theorem: the
  scatter of ``n`` Gaussian points is ``σ̂²_{i−1} χ²_{n−1}`` whatever the mean), and
  ``E log χ²_ν = ψ(ν/2) + log 2``, so ``E log σ̂²_i`` falls linearly in ``i`` with slope
  ``ψ((n−1)/2) + log(2/q) < 0`` (Jensen), for ``q = n`` (MLE) and ``q = n − 1`` (unbiased).
* :func:`accumulate_bound_linreg` — Gerstgrasser et al. (2024): with accumulated data the
  OLS test error stays below ``(π²/6) σ² d/(n − d − 1)`` at every generation, because the
  error added at generation ``k`` is at most ``1/k²`` times generation 0's
  (``k(kn − d − 1) ≥ k²(n − d − 1)``), while with replaced data it grows linearly.

>>> gaussian_log_variance_replace("mle").subs({n: 2, i: 0, sigma: 1})
-2*log(2) - EulerGamma
>>> accumulate_bound_linreg()
pi**2*d*sigma**2/(6*(-d + n - 1))
"""

from __future__ import annotations

import sympy as sp

from stl.theory.errors import InputError
from stl.theory.models.linreg import ols_parameter_error
from stl.theory.symbols import i, n, sigma

ESTIMATORS = ("mle", "unbiased")


def expected_log_chi2(dof: sp.Expr) -> sp.Expr:
    """``E log X`` for ``X ~ χ²_ν``: ``ψ(ν/2) + log 2`` (the log of a Gamma(ν/2, 2) variable)."""
    return sp.digamma(dof / 2) + sp.log(2)


def gaussian_log_variance_replace(estimator: str = "unbiased") -> sp.Expr:
    """``E log σ̂²_i`` of a 1-D Gaussian refitted ``i`` times to its own ``n`` samples
    (generation 0 is the fit to real data ``N(μ, σ²)``); see the module docstring."""
    if estimator not in ESTIMATORS:
        raise InputError("estimator", estimator, " | ".join(ESTIMATORS))
    divisor = n if estimator == "mle" else n - 1
    return 2 * sp.log(sigma) + (i + 1) * (expected_log_chi2(n - 1) - sp.log(divisor))


def accumulate_bound_linreg() -> sp.Expr:
    """Gerstgrasser et al.'s bound on ``E test_error_i`` under ``accumulate``, uniform in ``i``:
    ``Σ_k 1/k² = π²/6`` times generation 0's OLS error ``σ² d/(n − d − 1)``."""
    k = sp.Symbol("k", positive=True, integer=True)
    return sp.summation(1 / k ** 2, (k, 1, sp.oo)) * ols_parameter_error()
