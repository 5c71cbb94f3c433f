"""Deferred fits: the estimators' two chains train as one batched run, with unchanged numbers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from stl.numerics.estimators import estimate_gamma, estimate_tau
from stl.numerics.icl import sizing
from stl.numerics.icl.deferred import ICLParams
from stl.numerics.models.registry import get_model
from stl.numerics.rng import ReplicateStreams

TF = {"recipe": "small", "dim": "2", "context": "3", "width": "8", "heads": "2", "layers": "1", "steps": "6",
      "batch": "4", "probes": "30", "label_noise": "0.5"}


def _eager(model):
    """The same model with every fit trained at once (each read right after fit)."""
    fit = model.fit

    def fit_now(*a, **k):
        params = fit(*a, **k)
        params.tensors
        return params

    model.fit = fit_now
    return model


def test_tau_fits_both_neighbours_in_one_training_with_the_same_numbers():
    batched = get_model("transformer", TF, device="cpu")
    est = estimate_tau(batched, n=12, replicates=3, seed=4, neighbours=2)
    assert batched.trainings == 1
    alone = _eager(get_model("transformer", TF, device="cpu"))
    ref = estimate_tau(alone, n=12, replicates=3, seed=4, neighbours=2)
    assert alone.trainings == 2
    np.testing.assert_allclose(est.per_replicate, ref.per_replicate, rtol=1e-5, atol=1e-6)


def test_gamma_chains_train_together_every_generation():
    batched = get_model("transformer", TF, device="cpu")
    est = estimate_gamma(batched, "mix", n=10, lam=0.5, generations=2, replicates=3, seed=1, measure_draws=16)
    assert batched.trainings == 3                       # one per generation for both chains
    alone = _eager(get_model("transformer", TF, device="cpu"))
    ref = estimate_gamma(alone, "mix", n=10, lam=0.5, generations=2, replicates=3, seed=1, measure_draws=16)
    assert alone.trainings == 6
    np.testing.assert_array_equal(est.per_replicate, ref.per_replicate)


def test_a_pending_fit_nobody_reads_is_never_trained():
    m = get_model("transformer", TF, device="cpu")
    s = ReplicateStreams(0, 2)
    data = m.draw_real(s, 8)
    dropped = m.fit(data, streams=s)
    assert dropped.pending and dropped.replicates == 2
    del dropped
    kept = m.fit(data, streams=ReplicateStreams(0, 2))
    kept.tensors
    assert m.trainings == 1 and not kept.pending


def test_fits_read_their_streams_when_called_not_when_trained():
    # Two fits from one stream object get different initial weights, whatever the order
    # in which they are trained later: the draws happen at fit time.
    m = get_model("transformer", TF, device="cpu")
    s = ReplicateStreams(0, 2)
    data = m.draw_real(s, 8)
    first, second = m.fit(data, streams=s), m.fit(data, streams=s)
    b, a = second.tensors, first.tensors
    ref = ReplicateStreams(0, 2)
    want = _eager(get_model("transformer", TF, device="cpu"))
    a2, b2 = want.fit(data, streams=ref), want.fit(data, streams=ref)
    for k in a:
        torch.testing.assert_close(a[k], a2.tensors[k])
        torch.testing.assert_close(b[k], b2.tensors[k])
    assert not torch.equal(a["w_qkv"], b["w_qkv"])


def test_replicates_split_into_trainings_that_fit_the_memory(monkeypatch):
    m = get_model("transformer", TF, device="cpu")
    s = ReplicateStreams(3, 5)
    data = m.draw_real(s, 8)
    whole = m.fit(data, streams=s).tensors
    per = m.training_bytes_per_replicate(8)
    # Room for two replicates at a time: three trainings, the same weights.
    monkeypatch.setattr(sizing, "free_bytes", lambda device: 2.5 * per / sizing.TRAIN_FRACTION)
    split = m.fit(data, streams=ReplicateStreams(3, 5)).tensors
    for k in whole:
        torch.testing.assert_close(split[k], whole[k], rtol=1e-6, atol=1e-7)


def test_chunked_prediction_equals_one_pass(monkeypatch):
    m = get_model("transformer", TF, device="cpu")
    s = ReplicateStreams(0, 2)
    theta = m.fit(m.draw_real(s, 8), streams=s)
    probe = m._probe_prompts(s)
    whole = m.predict_chunked(theta.tensors, probe.x, probe.y)
    per = m.activation_bytes_per_prompt()
    monkeypatch.setattr(sizing, "free_bytes", lambda device: 7 * 2 * per / sizing.EVAL_FRACTION)
    assert m._prompt_chunk(2) == 7
    torch.testing.assert_close(m.predict_chunked(theta.tensors, probe.x, probe.y), whole)


def test_activation_estimate_grows_with_the_network():
    small = get_model("transformer", {**TF, "width": "8"}, device="cpu").activation_bytes_per_prompt()
    wide = get_model("transformer", {**TF, "width": "16"}, device="cpu").activation_bytes_per_prompt()
    deep = get_model("transformer", {**TF, "layers": "3"}, device="cpu").activation_bytes_per_prompt()
    assert 1.5 * small < wide and 2 * small < deep


def test_params_object_needs_tensors_or_a_request():
    with pytest.raises(ValueError):
        ICLParams()
    assert ICLParams({"a": torch.zeros(3, 2)}).replicates == 3



def test_identical_fits_train_once_and_each_gets_its_own_weights():
    # Two loops started from the same seed share S_0, initial weights and minibatches: their
    # generation-0 fits are one training, with the numbers of either fit alone.
    from stl.numerics.loop import iterate
    from stl.numerics.schemes import get_scheme

    m = get_model("transformer", TF, device="cpu")
    loops = [iterate(m, get_scheme(scheme, 10, lam), 0, ReplicateStreams(5, 3), keep_train=False)
             for scheme, lam in (("replace", 0.0), ("mix", 0.5))]
    (_, a, _, _), (_, b, _, _) = next(zip(*loops))
    other = m.fit(m.draw_real(ReplicateStreams(6, 3), 10), streams=ReplicateStreams(6, 3))
    ta, tb, to = a.tensors, b.tensors, other.tensors
    assert m.trainings == 1
    alone = _eager(get_model("transformer", TF, device="cpu"))
    s = ReplicateStreams(5, 3)
    ref = alone.fit(alone.draw_real(s, 10), streams=s).tensors
    for k in ref:
        torch.testing.assert_close(ta[k], ref[k], rtol=1e-6, atol=1e-7)
        assert torch.equal(ta[k], tb[k]) and ta[k].data_ptr() != tb[k].data_ptr()
    assert not torch.equal(to["w_qkv"], ta["w_qkv"])


def test_fits_on_different_numbers_of_prompts_train_together_with_their_own_numbers():
    # Minibatch fits of n = 7 and n = 12 are one training (the smaller set padded with rows
    # its indices never reach); each replicate's weights are those of its fit alone.
    m = get_model("transformer", TF, device="cpu")
    s7, s12 = ReplicateStreams(1, 2), ReplicateStreams(2, 3)
    a = m.fit(m.draw_real(s7, 7), streams=s7)
    b = m.fit(m.draw_real(s12, 12), streams=s12)
    ta, tb = a.tensors, b.tensors
    assert m.trainings == 1
    alone = _eager(get_model("transformer", TF, device="cpu"))
    r7, r12 = ReplicateStreams(1, 2), ReplicateStreams(2, 3)
    ra = alone.fit(alone.draw_real(r7, 7), streams=r7).tensors
    rb = alone.fit(alone.draw_real(r12, 12), streams=r12).tensors
    for k in ra:
        torch.testing.assert_close(ta[k], ra[k], rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(tb[k], rb[k], rtol=1e-5, atol=1e-6)
