"""The gain-c Bernoulli learner: τ_n = c/n, and L2 holds with equality before any clip."""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pytest

from stl.numerics.estimators import estimate_gamma, estimate_tau
from stl.numerics.loop import run_loop
from stl.numerics.models.registry import get_model

CELLS = [(0.5, 3.0), (0.8, 3.0), (0.0, 1.5)]  # (λ, c): unstable, stable, no real data (ρ = 1.5)
G, N, R = 3, 10_000, 1_500
Z = NormalDist().inv_cdf(1 - 0.001 / (2 * len(CELLS) * G))


def l2(tau: float, rho: float, i: int, kept: bool) -> float:
    # THEORY.md L2, written out here as the independent reference of this test
    if not kept:
        return tau * rho ** i
    return tau * (1 - rho ** (i + 1)) / (1 - rho) if rho != 1 else tau * (i + 1)


@pytest.mark.parametrize("lam,c", CELLS)
def test_l2_holds_with_equality_before_the_clip(lam, c):
    model = get_model("gain-bernoulli", {"gain": str(c)})
    clip = run_loop(model, "mix" if lam else "replace", N, lam, G, R, seed=5, metrics=("at_clip",))
    assert clip.values["at_clip"].max() == 0  # sizes chosen so that no chain reaches the clip
    est = estimate_gamma(model, "mix" if lam else "replace", N, lam, G, R, seed=5, neighbour="distinct")
    tau, rho = c / N, (1 - lam) * c
    for i in range(1, G + 1):
        ref = l2(tau, rho, i, lam > 0)
        assert abs(est.value[i] - ref) <= Z * est.stderr[i], (i, est.value[i], ref, est.stderr[i])


def test_tau_is_c_over_n():
    model = get_model("gain-bernoulli", {"gain": "2.5"})
    est = estimate_tau(model, n=400, replicates=50, seed=1)
    assert np.allclose(est.per_replicate, 2.5 / 400)


def test_the_synchronous_coupling_is_maximal():
    model = get_model("gain-bernoulli", {"gain": "2"})
    from stl.numerics.models.gain_bernoulli import GainParams
    from stl.numerics.rng import ReplicateStreams

    a, b = GainParams(np.array([0.3, 0.9])), GainParams(np.array([0.35, 0.2]))
    _, _, differ = model.sample_coupled(a, b, ReplicateStreams(0, 2), 200_000)
    tv = model.tv([(1.0, a)], [(1.0, b)])
    se = np.sqrt(tv * (1 - tv) / 200_000)
    assert np.all(np.abs(differ.mean(axis=1) - tv) <= 4.5 * se)
