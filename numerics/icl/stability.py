r"""TV-stability ``τ̂_n``, the critical real proportion and ``γ̂_n^i`` for the ICL models (T2).

THEORY.md T2 bounds ``τ_n`` for a transformer by ``m · Lip_θ · Δ_n / (σ_s √(2π))``; this
module measures it instead. ``τ̂_n``: draw ``S ~ D_0^n``, replace prompt 0 by a fresh
real prompt, train on both with *all other randomness shared* (the same initial weights
and the same minibatch index sequence: both fits read the same replicate streams), and
measure ``d_TV(P_{A(S)}, P_{A(S')})`` between the two laws of synthetic prompts. The
inputs, task and first ``k_0`` labels have the same law under both parents, so the TV is
that of the parent-written labels, estimated without bias as ``E_P (1 − q/p)_+`` from the
Gaussian label likelihoods (``ICLModel.tv``). With ``τ_n = c/n``, ``ĉ = n τ̂_n``; L2's
critical proportion of ``ĉ`` comes from theory through :mod:`stl.verify.bridge`.

``γ̂_n^i`` runs two loops from ``S_0 ≃ S_0'`` under the recursive coupling of D3 with the
engine's estimator (:func:`stl.numerics.estimators.estimate_gamma`), the ICL models
supplying a sequential, label-by-label coupling of their synthetic labels
(:mod:`stl.numerics.icl.synthetic`). That coupling is valid but not maximal, so the
differing fraction γ̂ reports is an *upper* estimate of ``E d_TV`` (``coupling = "upper"``;
the estimator's method text says so); it is not unbiased.

Both estimators fit two chains side by side; an ICL model's fits are deferred until their
weights are read (:mod:`stl.numerics.icl.deferred`), so the two fits of ``τ̂`` and the two
chains of every generation of ``γ̂`` train as one batched run, with the numbers separate
fits would give.

Two constants, two λ_c. ``n τ̂_n`` from the likelihood-ratio TV is the architecture
constant of D2; ``n γ̂_0`` (the differing fraction of one swap under the loop's coupling) is
the constant that drives the coupled loop's recursion, and it is the larger. The check
``t2_phase_check`` (:mod:`stl.verify.checks.icl`) predicts λ_c from the latter, because the
loops it runs count differing prompts under that same coupling.

>>> from stl.numerics.models.registry import get_model
>>> m = get_model("lsa", {"dim": "2", "context": "4", "steps": "20", "probes": "200"}, device="cpu")
>>> est = estimate_icl_tau(m, n=50, replicates=4, seed=0)
>>> abs(est.c.value - 50 * est.tau.value) < 1e-9 and 0 < est.tau.value <= 1
True
"""

from __future__ import annotations

from dataclasses import dataclass


from stl.numerics.errors import InputError
from stl.numerics.estimators import Estimate, estimate_gamma, estimate_tau


@dataclass(frozen=True)
class TauEstimate:
    """``tau`` (``τ̂_n``) and ``c`` (``n τ̂_n``) as :class:`Estimate`, and ``n``. L2's ``λ_c``
    of ``c`` is theory's formula: :func:`stl.verify.bridge.critical_proportion` (numerics
    does not restate it)."""

    tau: Estimate
    c: Estimate
    n: int

    @property
    def value(self) -> float:
        return self.tau.value

    @property
    def stderr(self) -> float:
        return self.tau.stderr

    @property
    def ci_low(self) -> float:
        return self.tau.ci_low

    @property
    def ci_high(self) -> float:
        return self.tau.ci_high


def estimate_icl_tau(model, n: int, replicates: int, seed: int, first: int = 0, *,
                     neighbours: int = 1, confidence: float = 0.95) -> TauEstimate:
    """``τ̂_n`` with ``ĉ = n τ̂_n`` for an ``lsa``/``transformer`` model.

    ``neighbours = K`` fresh replacement prompts per dataset; per replicate the largest
    TV over the ``K`` is kept (``K = 1``: the mean TV of a random swap, a lower estimate
    of the supremum in D2).
    """
    if getattr(model, "family", None) != "icl":
        raise InputError("MODEL", getattr(model, "name", model), "lsa or transformer")
    tau = estimate_tau(model, n, replicates, seed, first, neighbours=neighbours, confidence=confidence)
    c = Estimate.from_replicates("c", n * tau.per_replicate, tau.replicate_ids,
                                 f"c = n * tau_n with n={n}; " + tau.method, confidence=confidence,
                                 bounds=(0.0, float(n)))   # τ ∈ [0, 1], so c ∈ [0, n]
    return TauEstimate(tau, c, n)


def estimate_icl_gamma(model, scheme: str, n: int, lam: float, generations: int, replicates: int,
                       seed: int, first: int = 0, *, measure_draws: int = 256,
                       confidence: float = 0.95) -> Estimate:
    """``γ̂_n^i`` for ``i = 0..generations`` under D3's recursive coupling (the engine's estimator).

    ``details["synthetic_differ"]`` holds the measured fraction of differing synthetic
    prompts per generation (what T1 uses).
    """
    if getattr(model, "family", None) != "icl":
        raise InputError("MODEL", getattr(model, "name", model), "lsa or transformer")
    return estimate_gamma(model, scheme, n, lam, generations, replicates, seed, first,
                          confidence=confidence, measure_draws=measure_draws)
