"""The GPT-style decoder: shapes, causal masking, seeds, batched = per-replicate training."""

import itertools

import pytest
import torch

from stl.numerics.errors import InputError
from stl.numerics.icl.prompts import sample_prompts
from stl.numerics.icl.training import lr_factor, train
from stl.numerics.icl.transformer import (
    TransformerConfig,
    causal_linear_attention,
    init_params,
    predictor,
    tokens,
)
from stl.numerics.rng import ReplicateStreams


def _setup(R=2, layers=2, attention="linear"):
    cfg = TransformerConfig(dim=3, length=6, layers=layers, width=8, heads=2, attention=attention)
    s = ReplicateStreams(11, R)
    return cfg, init_params(cfg, s), sample_prompts(s, "real", 5, dim=3, context=5, noise=0.1), s


def test_shapes_and_tokens():
    cfg, params, p, _ = _setup()
    assert predictor(cfg)(params, p.x, p.y).shape == (2, 5, 6)
    tok = tokens(p.x, p.y)
    assert tok.shape == (2, 5, 12, 4)
    assert torch.equal(tok[:, :, 0::2, 3], torch.zeros(2, 5, 6))      # input tokens carry no label
    assert torch.equal(tok[:, :, 1::2, 3], p.y)


@pytest.mark.parametrize("attention", ["linear", "softmax"])
def test_causal_masking_no_peeking(attention):
    # Changing y_k (and any later x, y) never changes ŷ_1..ŷ_k: prediction k sees the prefix only.
    cfg, params, p, _ = _setup(attention=attention)
    f = predictor(cfg)
    base = f(params, p.x, p.y)
    for k in range(6):
        y2, x2 = p.y.clone(), p.x.clone()
        y2[..., k:] += torch.randn_like(y2[..., k:]) * 3
        x2[..., k + 1:, :] += 1.0
        out = f(params, x2, y2)
        torch.testing.assert_close(out[..., : k + 1], base[..., : k + 1], rtol=0, atol=1e-6)
        if k + 1 < 6:
            assert not torch.allclose(out[..., k + 1:], base[..., k + 1:])


def test_init_is_reproducible_and_replicates_differ():
    cfg = TransformerConfig(dim=3, length=4, layers=1, width=8, heads=2)
    a = init_params(cfg, ReplicateStreams(4, 2))
    b = init_params(cfg, ReplicateStreams(4, 2))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["w_qkv"][0], a["w_qkv"][1])
    tail = init_params(cfg, ReplicateStreams(4, 1, first=1))
    assert torch.equal(a["w_qkv"][1:], tail["w_qkv"])


def test_linear_attention_formula():
    # out_t = (1/(t+1)) Σ_{s<=t} (q_t·k_s/√d_h) v_s, written as a loop.
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 5, 4, generator=g) for _ in range(3))
    out = causal_linear_attention(q, k, v)
    for t in range(5):
        want = sum((q[..., t, :] * k[..., s, :]).sum(-1, keepdim=True) / 2.0 * v[..., s, :]
                   for s in range(t + 1)) / (t + 1)
        torch.testing.assert_close(out[..., t, :], want)


def test_bad_attention_is_input_error():
    with pytest.raises(InputError):
        TransformerConfig(dim=2, length=3, attention="relu")


def test_cosine_schedule_with_warmup():
    f = [lr_factor(s, 100, "cosine", 0.05) for s in range(100)]
    assert f[0] == pytest.approx(0.2) and f[4] == 1.0 and f[5] == 1.0       # linear warm-up to the peak
    assert all(a >= b for a, b in itertools.pairwise(f[5:])) and f[-1] < 0.01        # then a monotone decay to ~0
    assert lr_factor(50, 100, "constant", 0.05) == 1.0


@pytest.mark.parametrize("schedule,clip", [("constant", None), ("cosine", 0.05)])
def test_batched_training_equals_separate_trainings(schedule, clip):
    # Summing per-replicate losses with elementwise Adam = independent trainings; the
    # gradient clip (tiny here, so it binds) uses each replicate's own gradient norm.
    cfg, params, _, s = _setup(R=3, layers=1)
    data = sample_prompts(s, "train", 40, dim=3, context=5, noise=0.1)
    order = torch.as_tensor(s.integers("batches", 40, (15, 8)))
    f = predictor(cfg)
    kw = {"schedule": schedule, "clip": clip}
    together = train(params, f, data, steps=15, lr=1e-2, order=order, **kw)
    for r in range(3):
        one = {k: v[r:r + 1] for k, v in params.items()}
        mine = type(data)(data.x[r:r + 1], data.y[r:r + 1])
        alone = train(one, f, mine, steps=15, lr=1e-2, order=order[r:r + 1], **kw)
        for k in together:
            torch.testing.assert_close(together[k][r:r + 1], alone[k], rtol=1e-4, atol=1e-5)


def test_weight_decay_shrinks_and_curriculum_truncates():
    from stl.numerics.icl.prompts import Prompts
    from stl.numerics.icl.training import curriculum_length

    cfg, params, p, _ = _setup()
    f = predictor(cfg)
    plain = train(params, f, p, steps=5, lr=0.01, order=None, optimizer="sgd")
    decayed = train(params, f, p, steps=5, lr=0.01, order=None, optimizer="sgd", weight_decay=5.0)

    def norm(ps):
        return sum((v ** 2).sum() for v in ps.values())

    assert norm(decayed) < norm(plain)
    # One step of a full curriculum sees the first two pairs only: the same step as on
    # prompts cut to two pairs (position embeddings of later tokens stay untouched).
    cut = Prompts(p.x[:, :, :2], p.y[:, :, :2])
    a = train(params, f, p, steps=1, lr=0.01, order=None, optimizer="sgd", curriculum=1.0)
    b = train(params, f, cut, steps=1, lr=0.01, order=None, optimizer="sgd")
    assert all(torch.allclose(a[k], b[k]) for k in a)
    assert [curriculum_length(s, 8, 6, 0.5) for s in range(8)] == [2, 3, 4, 5, 6, 6, 6, 6]
    with pytest.raises(InputError):
        train(params, f, p, steps=1, lr=0.01, order=None, curriculum=1.5)
