"""Constants of the one-dimensional Gaussian model with known ``σ`` (mean fitted by MLE).

The TV distance between two Gaussians of equal variance is derived here by integration
(it is also what turns parameter stability into TV-stability for T2 and linear
regression). For ``β_n`` and ``τ_n`` the data are taken in ``[-R_z, R_z]`` (clipped):
without a bounded range one sample can move the mean arbitrarily far and no uniform
stability holds. The loss is the bounded proxy ``min(M, (z - μ)²/(2σ²))`` of the
negative log-likelihood (the NLL minus its constant, clipped at ``M``).

>>> gaussian_tv(0, 1, 1)                                     # THEORY.md T2
erf(sqrt(2)/4)
>>> constants().d_tv                                         # exact for generation 0
2*atan(1/(2*sqrt(n)))/pi
"""

from __future__ import annotations

from functools import cache

import sympy as sp

from stl.theory.models.constants import ModelConstants
from stl.theory.symbols import M, R_z, i, j, n, sigma

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


def constants(scale: sp.Expr | None = None, radius: sp.Expr | None = None) -> ModelConstants:
    """Constants of the 1-D mean model; ``scale``/``radius`` fix ``σ`` and ``R_z``.

    ``scale`` has the name of the numeric model's ``--param scale`` (the real standard
    deviation), so ``stl bound gaussian --param scale=2`` reaches it.
    """
    shift = mean_shift_worst_case()
    lipschitz = sp.sqrt(2 * M) / sigma  # |d/dμ| of the clipped loss where it is not clipped
    result = ModelConstants(
        model="gaussian",
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
            ("variance_ratio_replace_mle", variance_under_replace(False)),
            ("variance_ratio_replace_unbiased", variance_under_replace(True)),
        ),
    )
    values = {}
    if scale is not None:
        values["scale"] = scale
    if radius is not None:
        values["radius"] = radius
    return result.with_parameters(**values) if values else result
