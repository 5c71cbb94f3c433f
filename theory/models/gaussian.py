"""Gaussian models: the card of the numeric ``gaussian`` model, and the textbook 1-D mean model.

**The numeric model** (``stl simulate gaussian``) fits a mean and a covariance in ``d``
dimensions to unbounded Gaussian data and scores with the bounded Welsch loss (``M = 1``).
Its card (:data:`CARDS`) gives the closed forms of its variance and mean error under
``replace`` (MLE and unbiased estimator) and **no analytic constants**, for a stated
reason (:data:`NO_CONSTANTS`): with unbounded data one changed point can move ``μ̂`` and
``Σ̂`` arbitrarily far, so the suprema over neighbouring datasets are the trivial ones
(``β_n = M``, ``τ_n = 1``) and T1 with them is vacuous; ``d_TV(n)`` of a fitted mean and
covariance has no closed form. ``stl bound gaussian`` says so beside ``bound_analytic``.

**The textbook mean model** (:func:`mean_model_constants`): one dimension, known ``σ``, the
mean fitted by MLE to data clipped to ``[-R_z, R_z]`` (without a bounded range no uniform
stability holds), the loss the clipped NLL ``min(M, (z - μ)²/(2σ²))``. It has no numeric
twin; its derivations serve T2 and linear regression. The TV between two Gaussians of
equal variance is derived here by integration (what turns a parameter change into a TV
change, :func:`tv_linear_bound`).

>>> gaussian_tv(0, 1, 1)                                     # THEORY.md T2
erf(sqrt(2)/4)
>>> mean_model_constants().d_tv                              # exact for generation 0
2*atan(1/(2*sqrt(n)))/pi
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from stl.theory.models.card import ClosedForm, TheoryCard
from stl.theory.models.constants import ModelConstants
from stl.theory.symbols import M, R_z, dim, i, j, n, sigma

_gap = sp.Symbol("Delta", nonnegative=True)  # |difference of the means|
_s = sp.Symbol("s", positive=True)  # common standard deviation
_x = sp.Symbol("x", real=True)


def normal_pdf(x: sp.Expr, mean: sp.Expr, std: sp.Expr) -> sp.Expr:
    return sp.exp(-(x - mean) ** 2 / (2 * std ** 2)) / (std * sp.sqrt(2 * sp.pi))


@cache
def standard_normal_cdf() -> sp.Expr:
    """``Φ(y)``, by integrating the standard normal density."""
    y = sp.Symbol("y", real=True)
    return sp.Lambda(y, sp.integrate(normal_pdf(_x, 0, 1), (_x, -sp.oo, y)).rewrite(sp.erf))


@cache
def tv_equal_variance() -> sp.Expr:
    """``d_TV(N(0, s²), N(Δ, s²))`` as a function of ``Δ >= 0`` and ``s``.

    The densities cross at ``Δ/2`` and the first one is larger on the left, so the TV is
    the difference of the two masses left of ``Δ/2``: ``Φ(Δ/(2s)) - Φ(-Δ/(2s))``,
    i.e. ``2Φ(Δ/(2s)) - 1 = erf(Δ/(2√2 s))``.
    """
    phi = standard_normal_cdf()
    midpoint = _gap / 2
    mass = phi((midpoint - 0) / _s) - phi((midpoint - _gap) / _s)
    return sp.simplify(sp.simplify(mass).rewrite(sp.erf))


def gaussian_tv(mean_a, mean_b, std) -> sp.Expr:
    """``d_TV(N(a, σ²), N(b, σ²))`` for expressions ``a``, ``b``, ``σ``."""
    gap = sp.Abs(sp.sympify(mean_a) - sp.sympify(mean_b))
    return tv_equal_variance().subs({_gap: gap, _s: sp.sympify(std)})


@cache
def tv_slope() -> sp.Expr:
    """Slope at ``Δ = 0`` of the TV; the TV is concave in ``Δ >= 0``, so
    ``d_TV <= slope · Δ = Δ/(s√(2π))``."""
    tv = tv_equal_variance()
    curvature = sp.diff(tv, _gap, 2)
    if not sp.simplify(curvature).is_nonpositive:  # pragma: no cover
        raise RuntimeError("TV of equal-variance Gaussians is not concave in the gap")
    return sp.simplify(sp.diff(tv, _gap).subs(_gap, 0))


def tv_linear_bound(gap: sp.Expr, std: sp.Expr) -> sp.Expr:
    """``|a - b| / (σ √(2π))``, the linear upper bound on the Gaussian TV."""
    return tv_slope().subs(_s, std) * gap


@cache
def expected_tv_of_mean_fit() -> sp.Expr:
    """``E d_TV(N(μ̂, σ²), N(μ, σ²))`` for ``μ̂ - μ ~ N(0, σ²/n)``, exactly.

    ``erf(|G|/(2√2 σ))`` with ``G = (σ/√n) Z``: ``E[2Φ(a|Z|) - 1] = P(|X| <= a|Z|)`` for
    independent standard normals, an angle of ``4 atan(a)`` out of ``2π``.
    """
    z = sp.Symbol("z", positive=True)
    scale = _s / sp.sqrt(n)
    integrand = tv_equal_variance().subs(_gap, scale * z) * 2 * normal_pdf(z, 0, 1)
    value = sp.integrate(integrand, (z, 0, sp.oo))
    return sp.simplify(value)


def mean_shift_worst_case() -> sp.Expr:
    """Largest change of the sample mean when one point in ``[-R_z, R_z]`` changes."""
    return 2 * R_z / n


def variance_under_replace(unbiased: bool = False) -> sp.Expr:
    """``E σ̂²_i / σ²`` after ``i`` fully synthetic generations (solved by rsolve).

    MLE shrinks by ``(n-1)/n`` per generation (variance collapse); the unbiased
    estimator keeps the expectation.
    """
    ratio = sp.Integer(1) if unbiased else (n - 1) / n
    v = sp.Function("v")
    solution = sp.rsolve(v(j) - ratio * v(j - 1), v(j), {v(0): ratio})
    return sp.simplify(solution.subs(j, i))


def mean_model_constants(scale: sp.Expr | None = None, radius: sp.Expr | None = None) -> ModelConstants:
    """Constants of the textbook 1-D mean model (module docstring); ``scale``/``radius`` fix
    ``σ`` and ``R_z``. Not the numeric ``gaussian`` model, which has none (:data:`NO_CONSTANTS`)."""
    shift = mean_shift_worst_case()
    lipschitz = sp.sqrt(2 * M) / sigma  # |d/dμ| of the clipped loss where it is not clipped
    result = ModelConstants(
        model="gaussian-mean (1-D, known sigma, clipped data)",
        beta_n=lipschitz * shift,
        tau_n=gaussian_tv(0, shift, sigma),
        M=M,
        d_tv=expected_tv_of_mean_fit().subs(_s, sigma),
        parameters=(sigma, R_z),
        keywords=(("scale", sigma), ("radius", R_z)),
        notes=(
            ("beta_n", ("bound: Lipschitz constant sqrt(2M)/sigma of the clipped loss in the "
                       "mean times the worst mean shift 2R_z/n (data in [-R_z, R_z])")),
            ("tau_n", ("exact worst case for data in [-R_z, R_z]: erf(R_z/(sqrt(2) sigma n)); "
                      "the linear bound is in extras['tau_n_linear']")),
            ("M", "the clip level of the loss"),
            ("d_tv", ("exact for generation 0 with Gaussian (unclipped) data; at most "
                     "1/(pi sqrt(n))")),
        ),
        extras=(
            ("tau_n_linear", tv_linear_bound(shift, sigma)),
            ("d_tv_linear", sp.simplify(tv_linear_bound(1, 1) * sp.sqrt(2 / sp.pi)
                                        / sp.sqrt(n))),
        ),
    )
    values = {}
    if scale is not None:
        values["scale"] = scale
    if radius is not None:
        values["radius"] = radius
    return result.with_parameters(**values) if values else result


# --------------------------------------------------------------------------------------
# the card of the numeric gaussian model
# --------------------------------------------------------------------------------------

#: Why theory gives no analytic constants for the numeric ``gaussian`` model.
NO_CONSTANTS = ("none for the fitted mean and covariance on unbounded data: one changed point can move "
                "mu-hat and Sigma-hat arbitrarily far, so the suprema over neighbouring datasets are the "
                "trivial beta_n = M and tau_n = 1 (T1 with them is vacuous), and d_TV(n) of a fitted mean and "
                "covariance has no closed form; the estimated bound (bound_estimated) applies")

_E_VAR = sp.Symbol("E_variance_i", nonnegative=True)
_E_MEAN = sp.Symbol("E_mean_error_i", nonnegative=True)
_NOTATION = {_E_VAR: r"\mathbb{E}\,\hat{\sigma}^{2}_{i}", _E_MEAN: r"\mathbb{E}\,\lVert \hat{\mu}_{i} - \mu \rVert^{2}"}
_SHUMAILOV = "Shumailov et al. 2024, Nature"


def variance_closed_form(estimator: str) -> ClosedForm:
    """``E variance_i`` (the trace of the fitted covariance over ``d``) under ``replace``.

    Given the parent covariance ``Σ``, ``n`` fresh draws give a sample covariance with
    ``E[Σ̂_mle | Σ] = (n − 1)/n · Σ`` (the Wishart mean) and ``E[Σ̂_unbiased | Σ] = Σ``.
    Iterating the conditional expectation from the real law ``N(μ, σ² I)`` (generation 0 is
    already a fit): ``σ² ((n − 1)/n)^{i+1}`` for the MLE — the variance collapse of
    Shumailov et al. (2024, *Nature*, "AI models collapse when trained on recursively
    generated data") — and ``σ²`` for the unbiased estimator, a martingale
    (:func:`variance_under_replace` solves the recursion).

    >>> variance_closed_form("mle").expr.subs({sigma: 1, n: 2, i: 1})
    1/4
    """
    return ClosedForm("gaussian_variance", "variance", "replace",
                      sigma ** 2 * variance_under_replace(estimator == "unbiased"), _E_VAR, _NOTATION,
                      when={"estimator": estimator}, source=_SHUMAILOV)


def mean_error_closed_form(estimator: str) -> ClosedForm:
    """``E‖μ̂_i − μ‖²`` under ``replace``.

    ``μ̂_j = μ̂_{j−1} + ξ_j`` where ``ξ_j`` (the mean of ``n`` draws minus the parent's mean)
    has ``E[ξ_j ξ_jᵀ | past] = Σ̂_{j−1}/n`` and is uncorrelated with the past; ``μ̂_0 − μ`` has
    covariance ``σ² I/n``. So ``E‖μ̂_i − μ‖² = (d/n) Σ_{j=0}^{i} E variance_{j−1}`` with
    ``E variance_{−1} = σ²``: ``d σ² (1 − ((n − 1)/n)^{i+1})`` for the MLE and
    ``d σ² (i + 1)/n`` for the unbiased estimator (a random walk).

    >>> mean_error_closed_form("unbiased").expr.subs({sigma: 1, dim: 1, n: 2, i: 1})
    1
    """
    if estimator == "unbiased":
        expr = dim * sigma ** 2 * (i + 1) / n
    else:
        expr = dim * sigma ** 2 * (1 - variance_under_replace(False))   # the sum of the MLE's variances
    return ClosedForm("gaussian_mean_error", "mean_error", "replace", expr, _E_MEAN, _NOTATION,
                      when={"estimator": estimator}, source=_SHUMAILOV)


CARDS = (TheoryCard("gaussian", no_constants=NO_CONSTANTS,
                    closed_forms=tuple(f(e) for f in (variance_closed_form, mean_error_closed_form)
                                       for e in ("mle", "unbiased")),
                    symbols={"scale": sigma, "dim": dim}),)
