"""The lsa/transformer models through the engine's Model protocol and registry."""

import numpy as np
import pytest

from stl.numerics.errors import InputError
from stl.numerics.loop import run_loop
from stl.numerics.models.base import REAL
from stl.numerics.models.registry import get_model
from stl.numerics.rng import ReplicateStreams

SMALL_TF = {"dim": "2", "context": "4", "width": "8", "layers": "1", "steps": "20", "batch": "8", "probes": "50"}


@pytest.mark.parametrize("name,params", [("lsa", {"dim": "2", "context": "4", "probes": "50"}),
                                         ("transformer", SMALL_TF)])
def test_protocol_shapes_metrics_and_loss_range(name, params):
    m = get_model(name, params, device="cpu")
    s = ReplicateStreams(0, 3)
    data = m.draw_real(s, 30)
    assert data.shape == (3, 30, 5, 3)
    theta = m.fit(data, streams=s)
    syn = m.sample(theta, s, 6)
    assert syn.shape == (3, 6, 5, 3)
    loss = m.loss(theta, data)
    assert loss.shape == (3, 30) and (loss >= 0).all() and (loss <= m.loss_bound).all()
    got = m.metrics(theta, data, s)
    assert tuple(got) == m.metric_names and all(v.shape == (3,) for v in got.values())
    assert {"icl_risk", "gen_gap", "icl_risk_ls", "icl_risk_ridge", "icl_risk_avg"} <= set(got)


@pytest.mark.parametrize("bad", [{"dim": "0"}, {"heads": "3"}, {"nope": "1"}, {"lr": "-1"},
                                 {"seed_labels": "99"}, {"label_noise": "nan"}])
def test_bad_params_are_input_errors(bad):
    with pytest.raises(InputError):
        get_model("transformer", {**SMALL_TF, **bad}, device="cpu")


def test_same_seed_same_numbers_and_replicate_split():
    m = get_model("transformer", SMALL_TF, device="cpu")
    a = run_loop(m, "mix", n=16, lam=0.5, generations=1, replicates=2, seed=5)
    b = run_loop(m, "mix", n=16, lam=0.5, generations=1, replicates=2, seed=5)
    np.testing.assert_array_equal(a.values["icl_risk"], b.values["icl_risk"])
    tail = run_loop(m, "mix", n=16, lam=0.5, generations=1, replicates=1, seed=5, first=1)
    np.testing.assert_allclose(a.values["icl_risk"][1:], tail.values["icl_risk"], rtol=1e-4)


def test_noise_blocks_match_stream_draws():
    m = get_model("lsa", {"dim": "2", "context": "3"}, device="cpu")
    s = ReplicateStreams(1, 2)
    theta = m.fit(m.draw_real(s, 40), streams=s)
    noise = m.draw_noise(ReplicateStreams(7, 2), 5, 2)
    direct = m.sample(theta, ReplicateStreams(7, 2), 5)
    np.testing.assert_array_equal(m.sample(theta, s, 5, noise=noise[:, 0]), direct)


def test_tv_and_densities():
    m = get_model("lsa", {"dim": "2", "context": "3", "seed_labels": "1", "label_noise": "0.3",
                          "probes": "4000"}, device="cpu")
    s = ReplicateStreams(2, 2)
    theta = m.fit(m.draw_real(s, 200), streams=s)
    assert np.all(m.tv([(1.0, theta)], [(1.0, theta)], s) == 0)
    # The label-ratio TV equals the generic density-based estimate up to Monte Carlo error.
    other = m.fit(m.draw_real(s, 200), streams=s)
    fast = m.tv([(1.0, theta)], [(1.0, other)], s)
    generic = super(type(m), m).tv([(1.0, theta)], [(1.0, other)], s)
    assert np.all(np.abs(fast - generic) < 0.05) and np.all(fast > 0)
    # Real prompts are far more likely under D_0 than under a parent that rewrites labels.
    real = m.draw_real(s, 100)
    assert m.log_density(REAL, real).mean() > m.log_density(theta, real).mean()


def test_sample_coupled_protocol():
    m = get_model("lsa", {"dim": "2", "context": "3", "label_noise": "0.2"}, device="cpu")
    s = ReplicateStreams(3, 2)
    a = m.fit(m.draw_real(s, 100), streams=s)
    b = m.fit(m.draw_real(s, 100), streams=s)
    xa, xb, differ = m.sample_coupled(a, b, s, 64)
    assert xa.shape == xb.shape == (2, 64, 4, 3) and differ.shape == (2, 64)
    same = ~differ
    np.testing.assert_array_equal(xa[same], xb[same])
    assert (xa[differ] != xb[differ]).any(axis=(-1, -2)).all()


def test_warm_start_option():
    # warm_start=1 starts generation j from its parent's weights; 0 from a fresh init.
    base = {**SMALL_TF, "steps": "0"}
    s = ReplicateStreams(4, 2)
    cold = get_model("transformer", base, device="cpu")
    warm = get_model("transformer", {**base, "warm_start": "1"}, device="cpu")
    data = cold.draw_real(s, 10)
    parent = get_model("transformer", {**SMALL_TF, "steps": "5"}, device="cpu").fit(data, streams=s)
    kept = warm.fit(data, streams=ReplicateStreams(5, 2), warm=parent)
    fresh = cold.fit(data, streams=ReplicateStreams(5, 2), warm=parent)
    for k in parent.tensors:
        assert np.array_equal(kept.tensors[k].numpy(), parent.tensors[k].numpy())
    assert not np.array_equal(fresh.tensors["w_qkv"].numpy(), parent.tensors["w_qkv"].numpy())
