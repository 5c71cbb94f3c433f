"""Transformer constants of T2 (in-context linear regression), in one place.

``τ_n <= m · Lip_θ(TF) · Δ_n / (σ_s √(2π))``: each of the ``m`` synthetic labels is
Gaussian around the parent's prediction, which moves by at most ``Lip · Δ_n`` when one
training prompt changes the parameters by ``Δ_n``; the TV of a chain of Gaussian labels
is at most the sum of the per-label TVs. ``Lip <= κ (1 + Γ)^L`` grows geometrically
with the depth ``L`` (weight-norm growth ``Γ`` per layer) and ``Δ_n = c_A / n``.

>>> constants().rate_coefficients()["c"]                          # THEORY.md T2
sqrt(2)*c_A*kappa*m*(Gamma + 1)**L/(2*sqrt(pi)*sigma_s)
"""

from __future__ import annotations

import sympy as sp

from stl.theory.models.card import TheoryCard
from stl.theory.models.constants import ModelConstants
from stl.theory.models.gaussian import tv_linear_bound
from stl.theory.symbols import Gamma, L, M, c_A, kappa, m, n, sigma_s

#: Parameter-Lipschitz constant of the prediction, with its depth factor.
LIPSCHITZ = kappa * (1 + Gamma) ** L
#: Parameter stability of the optimizer.
PARAMETER_STABILITY = c_A / n


def tau_from(lipschitz: sp.Expr, parameter_change: sp.Expr) -> sp.Expr:
    """``m`` labels, each moved by at most ``lipschitz · parameter_change``."""
    return m * tv_linear_bound(lipschitz * parameter_change, sigma_s)


def constants() -> ModelConstants:
    """The transformer's ``τ_n`` (a bound); ``β_n`` and ``d_TV`` are left to estimators."""
    return ModelConstants(
        model="transformer",
        beta_n=None,
        tau_n=tau_from(LIPSCHITZ, PARAMETER_STABILITY),
        M=M,
        d_tv=None,
        parameters=(m, kappa, Gamma, L, sigma_s, c_A),
        # m bounds the generated labels per prompt, so the prompt length is a valid value
        keywords=(("context", m), ("layers", L), ("label_noise", sigma_s)),
        notes=(
            ("beta_n", "unknown in closed form; estimate it"),
            ("tau_n", ("bound: m labels, linear Gaussian TV bound, Lip <= kappa (1+Gamma)^L, "
                      "Delta_n = c_A/n")),
            ("M", "the clip level of the squared prediction error"),
            ("d_tv", "unknown in closed form; estimate it"),
        ),
        extras=(("lipschitz", LIPSCHITZ), ("parameter_stability", PARAMETER_STABILITY)),
    )


#: T2's constants describe both in-context learners: the linear self-attention model is the
#: one-layer, linear-attention case of the transformer (its ``L`` stays a symbol).
CARDS = (TheoryCard("transformer", constants=constants), TheoryCard("lsa", constants=constants))
