"""τ̂_n, ĉ and γ̂_n^i for the ICL models (THEORY.md T2, D3); λ_c of ĉ is the bridge's
(tests/verify/test_bridge.py)."""

import numpy as np
import pytest

from stl.numerics.errors import InputError
from stl.numerics.icl.stability import estimate_icl_gamma, estimate_icl_tau
from stl.numerics.models.registry import get_model
from stl.numerics.rng import ReplicateStreams

LSA = {"dim": "2", "context": "4", "steps": "30", "probes": "400", "label_noise": "0.2"}


def test_same_data_same_streams_is_the_same_fit():
    # "All other randomness shared": a refit with equal streams reproduces the weights, so
    # τ̂ measures the data change only.
    m = get_model("transformer", {"dim": "2", "context": "3", "width": "8", "layers": "1",
                                  "steps": "10", "batch": "4"}, device="cpu")
    data = m.draw_real(ReplicateStreams(0, 2), 20)
    a = m.fit(data, streams=ReplicateStreams(1, 2))
    b = m.fit(data, streams=ReplicateStreams(1, 2))
    assert np.all(m.tv([(1.0, a)], [(1.0, b)], ReplicateStreams(2, 2)) == 0)


def test_tau_shrinks_with_n_and_c_is_n_tau():
    m = get_model("lsa", LSA, device="cpu")
    small = estimate_icl_tau(m, n=40, replicates=12, seed=3)
    large = estimate_icl_tau(m, n=320, replicates=12, seed=3)
    assert small.c.value == pytest.approx(40 * small.tau.value)
    # One prompt in 320 moves the fit less than one in 40 (confidence intervals apart).
    assert large.tau.ci_high < small.tau.ci_low
    for est, n in ((small, 40), (large, 320)):   # τ ∈ [0, 1], so ĉ's interval lies in [0, n]
        assert 0 <= est.c.ci_low <= est.c.value <= est.c.ci_high <= n


def test_gamma_under_the_coupling():
    m = get_model("lsa", LSA, device="cpu")
    e = estimate_icl_gamma(m, "mix", n=40, lam=0.5, generations=2, replicates=6, seed=1)
    assert e.value.shape == (3,) and not e.proxy
    assert np.all((e.value >= 0) & (e.value <= 1))
    differ = e.details["synthetic_differ"]
    assert np.isnan(differ[:, 0]).all() and np.all((differ[:, 1:] >= 0) & (differ[:, 1:] <= 1))


def test_non_icl_model_is_refused():
    with pytest.raises(InputError):
        estimate_icl_tau(get_model("categorical", {"k": "3"}), n=10, replicates=2, seed=0)
