"""Constants of linear regression in the loop (OLS/ridge, Gaussian inputs and noise).

Honest scope: the loss is the squared error clipped at ``M`` (so ``M`` is exact). With
Gaussian inputs the OLS fit has no *uniform* stability (one input can be arbitrarily
large), so ``β_n`` is left unknown (``None``) for the numeric estimators. What is exact
is the conversion from parameter stability to TV-stability: with ``x ~ N(0, I)`` and
label noise ``σ``, ``E_x d_TV <= E|xᵀΔθ|/(σ√(2π)) = ‖Δθ‖/(π σ)``; with a parameter
stability ``‖Δθ‖ <= c_θ/n`` this gives ``τ_n``. The test error of OLS under the
``replace`` and ``accumulate`` schemes is exact (Gaussian design, fresh inputs each
generation): the model's card (:data:`CARDS`) gives both closed forms.

>>> constants().tau_n                                           # THEORY.md section 4
c_theta/(pi*n*sigma)
>>> test_error_replace()
d*sigma**2*(i + 1)/(-d + n - 1)
"""

from __future__ import annotations

import sympy as sp

from stl.theory.models.card import ClosedForm, TheoryCard
from stl.theory.models.constants import ModelConstants
from stl.theory.models.gaussian import tv_linear_bound
from stl.theory.symbols import M, c_theta, dim, i, j, k, n, sigma


def mean_abs_projection() -> sp.Expr:
    """``E|xᵀv| / ‖v‖`` for ``x ~ N(0, I)``: ``xᵀv ~ N(0, ‖v‖²)``, so ``E|Z| = sqrt(2/π)``."""
    z = sp.Symbol("z", real=True)
    return sp.integrate(sp.Abs(z) * sp.exp(-z ** 2 / 2) / sp.sqrt(2 * sp.pi), (z, -sp.oo, sp.oo))


def tv_per_parameter_change(change: sp.Expr) -> sp.Expr:
    """Upper bound on ``E_x d_TV`` between label laws whose parameters differ by ``change``."""
    return sp.simplify(tv_linear_bound(change, sigma) * mean_abs_projection())


def ols_parameter_error() -> sp.Expr:
    """``E‖θ̂ - θ‖²`` of OLS with ``n`` Gaussian inputs in ``d`` dimensions (``n > d + 1``):
    ``σ² E tr((XᵀX)^{-1}) = σ² d/(n - d - 1)`` (mean of an inverse Wishart)."""
    return sigma ** 2 * dim / (n - dim - 1)


def test_error_replace() -> sp.Expr:
    """``E‖θ_i - θ*‖²`` under ``replace``: each generation adds an independent OLS error.

    Synthetic labels ``y = xᵀθ̂_{j−1} + ε`` give ``θ̂_j = θ̂_{j−1} + (XᵀX)⁻¹Xᵀε_j``: independent
    increments of mean square ``σ² E tr (XᵀX)⁻¹ = σ² d/(n − d − 1)`` (Dohmatob, Feng, Kempe
    2024, "Model collapse demystified: the case of regression", isotropic case). Solved by
    rsolve from ``e_j = e_{j-1} + σ² d/(n-d-1)``, ``e_0 = σ² d/(n-d-1)``.
    """
    e = sp.Function("e")
    step = ols_parameter_error()
    solution = sp.rsolve(e(j) - e(j - 1) - step, e(j), {e(0): step})
    # factor out the per-generation error so the (i + 1) growth is visible
    return sp.factor(solution.subs(j, i) / step) * step


def test_error_accumulate() -> sp.Expr:
    """``E‖θ_i - θ*‖²`` under ``accumulate`` (all data so far is kept).

    With ``P_j = Σ_{k≤j} X_kᵀX_k`` the pooled OLS error ``δ = θ̂ − θ*`` obeys
    ``δ_j = δ_{j−1} + P_j⁻¹X_jᵀε_j`` exactly; the increments are uncorrelated,
    ``P_j ~ Wishart((j+1)n, I)`` and, by exchangeability of its ``j + 1`` parts,
    ``E P_j⁻¹X_jᵀX_jP_j⁻¹ = E P_j⁻¹/(j + 1) = I/((j + 1)((j + 1)n − d − 1))``. Hence
    ``σ² d Σ_{k=1}^{i+1} 1/(k(kn − d − 1))``, bounded by ``π²/6`` times generation 0's error
    (Gerstgrasser et al. 2024, "Is model collapse inevitable?").
    """
    return sigma ** 2 * dim * sp.Sum(1 / (k * (k * n - dim - 1)), (k, 1, i + 1))


_E_TEST = sp.Symbol("E_test_error_i", nonnegative=True)
_NOTATION = {_E_TEST: r"\mathbb{E}\,\lVert \hat{\theta}_{i} - \theta^{*} \rVert^{2}"}
#: OLS in ``d`` dimensions needs ``n > d + 1`` samples for a finite error (inverse-Wishart mean).
_OLS_DEFINED = sp.StrictGreaterThan(n, dim + 1)


def test_error_closed_forms() -> tuple[ClosedForm, ...]:
    """The test error of OLS (``ridge = 0``) under ``replace`` and under ``accumulate``."""
    return (ClosedForm("linreg_replace", "test_error", "replace", test_error_replace(), _E_TEST, _NOTATION,
                       when={"ridge": 0.0}, requires=_OLS_DEFINED, source="Dohmatob, Feng, Kempe 2024"),
            ClosedForm("linreg_accumulate", "test_error", "accumulate", test_error_accumulate(), _E_TEST, _NOTATION,
                       when={"ridge": 0.0}, requires=_OLS_DEFINED, source="Gerstgrasser et al. 2024"))


def constants() -> ModelConstants:
    """Constants of the linear-regression model (see the module docstring)."""
    generation0 = tv_per_parameter_change(sp.sqrt(ols_parameter_error()))
    return ModelConstants(
        model="linreg",
        beta_n=None,
        tau_n=tv_per_parameter_change(c_theta / n),
        M=M,
        d_tv=None,
        parameters=(sigma, c_theta, dim),
        keywords=(("noise", sigma), ("dim", dim)),
        notes=(
            ("beta_n", "unknown: OLS with Gaussian inputs is not uniformly stable; estimate it"),
            ("tau_n", "bound, given a parameter stability ||dtheta|| <= c_theta/n of the fit"),
            ("M", "the clip level of the squared error"),
            ("d_tv", ("unknown for mixed generations (the mixture is not a linear-Gaussian law); "
                     "extras['d_tv_generation0'] bounds generation 0 (Jensen, n > d + 1)")),
        ),
        extras=(
            ("d_tv_generation0", generation0),
            ("ols_parameter_error", ols_parameter_error()),
        ),
    )


CARDS = (TheoryCard("linreg", constants=constants, closed_forms=test_error_closed_forms(),
                    symbols={"noise": sigma, "dim": dim}),)
