"""``gen_gap`` on an ``accumulate`` pool from a random subsample: unbiased, split-invariant,
and able to fail (a biased subsample is caught by the same comparison)."""

import numpy as np
import pytest

from stl.numerics import loop as L
from stl.numerics.errors import InputError
from stl.numerics.loop import POOL_RISKS, PoolRiskSample, run_loop
from stl.numerics.models.registry import get_model

R, G = 400, 6


def paired_z(model_name: str, params: dict, n: int) -> np.ndarray:
    """Per generation, ``mean(sub − exact) / stderr(sub − exact)`` over replicates.

    Both runs share every stream except ``"pool-risk"`` (the subsample's own), so each
    replicate's chain is the same and the difference is the subsample's error alone:
    unbiasedness says its mean is 0.
    """
    model = get_model(model_name, params)
    exact = run_loop(model, "accumulate", n, 0.5, G, R, seed=11, metrics=("gen_gap",), pool_risk="exact")
    sub = run_loop(model, "accumulate", n, 0.5, G, R, seed=11, metrics=("gen_gap",))
    d = sub.values["gen_gap"] - exact.values["gen_gap"]
    se = d.std(axis=0, ddof=1) / np.sqrt(R)
    return d.mean(axis=0)[1:] / se[1:]


#: Bonferroni over the generations compared, two-sided 99 %.
Z = 3.6


@pytest.mark.parametrize("model,params,n", [("categorical", {"k": "5"}, 20), ("gaussian", {"dim": "2"}, 15)])
def test_the_subsample_mean_equals_the_exact_pool_risk_within_its_standard_error(model, params, n):
    z = paired_z(model, params, n)
    assert np.all(np.abs(z) < Z), z


def test_a_biased_subsample_is_caught(monkeypatch):
    """The comparison can fail: taking the newest points of the pool (the last synthetic
    set, fitted best by the current model) instead of uniform ones biases the risk."""

    def newest(self, pool):
        self._next()
        return pool[:, -self.size:]

    monkeypatch.setattr(PoolRiskSample, "take", newest)
    z = paired_z("categorical", {"k": "5"}, 20)
    assert np.any(np.abs(z) >= Z), z


def test_other_metrics_and_schemes_are_untouched():
    model = get_model("categorical", {"k": "4"})
    a = run_loop(model, "accumulate", 20, 0.5, 4, 30, seed=2, pool_risk="exact")
    b = run_loop(model, "accumulate", 20, 0.5, 4, 30, seed=2)
    for m in ("heterozygosity", "tv_to_real", "support_size"):
        assert np.array_equal(a.values[m], b.values[m])
    assert np.array_equal(a.values["gen_gap"][:, 0], b.values["gen_gap"][:, 0])  # S_0 is averaged exactly
    assert not np.array_equal(a.values["gen_gap"][:, 1:], b.values["gen_gap"][:, 1:])
    mix_a = run_loop(model, "mix", 20, 0.5, 4, 30, seed=2, pool_risk="exact")
    mix_b = run_loop(model, "mix", 20, 0.5, 4, 30, seed=2)
    assert np.array_equal(mix_a.values["gen_gap"], mix_b.values["gen_gap"])
    assert b.config["pool_risk"] == "subsample" and "pool_risk" not in mix_b.config


def test_the_subsample_does_not_depend_on_how_replicates_are_split(monkeypatch):
    model = get_model("gaussian", {"dim": "2"})
    whole = run_loop(model, "accumulate", 10, 0.5, 5, 12, seed=4)
    parts = [run_loop(model, "accumulate", 10, 0.5, 5, k, seed=4, first=f) for f, k in ((0, 5), (5, 7))]
    assert np.array_equal(whole.values["gen_gap"], np.concatenate([p.values["gen_gap"] for p in parts]))
    # nor on how its generations are chunked
    monkeypatch.setattr(L, "NOISE_BUDGET", 10 * 3)
    chunked = run_loop(model, "accumulate", 10, 0.5, 5, 12, seed=4)
    assert np.array_equal(whole.values["gen_gap"], chunked.values["gen_gap"])


def test_unknown_pool_risk_is_an_input_error():
    with pytest.raises(InputError, match="--pool-risk"):
        run_loop(get_model("categorical", {"k": "3"}), "accumulate", 10, 0.5, 1, 2, seed=0, pool_risk="half")
    assert POOL_RISKS == ("subsample", "exact")


def test_indices_cover_the_whole_pool_uniformly():
    from stl.numerics.rng import ReplicateStreams

    streams = ReplicateStreams(seed=0, replicates=1)
    pool = np.arange(7.0).reshape(1, 7)
    sample = PoolRiskSample(streams, size=7000, generations=1)
    counts = np.bincount(sample.take(pool)[0].astype(int), minlength=7)
    expected = 1000
    chi2 = ((counts - expected) ** 2 / expected).sum()
    assert counts.min() > 0 and chi2 < 22.5  # chi-square, 6 degrees of freedom, p = 0.001
