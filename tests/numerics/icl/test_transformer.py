"""The GPT-style decoder: shapes, causal masking, seeds, batched = per-replicate training."""

import torch

from numerics.icl.prompts import sample_prompts
from numerics.icl.training import train
from numerics.icl.transformer import TransformerConfig, init_params, predictor, tokens
from numerics.rng import ReplicateStreams


def _setup(R=2, layers=2):
    cfg = TransformerConfig(dim=3, length=6, layers=layers, width=8, heads=2)
    s = ReplicateStreams(11, R)
    return cfg, init_params(cfg, s), sample_prompts(s, "real", 5, dim=3, context=5, noise=0.1), s


def test_shapes_and_tokens():
    cfg, params, p, _ = _setup()
    assert predictor(cfg)(params, p.x, p.y).shape == (2, 5, 6)
    tok = tokens(p.x, p.y)
    assert tok.shape == (2, 5, 12, 4)
    assert torch.equal(tok[:, :, 0::2, 3], torch.zeros(2, 5, 6))      # input tokens carry no label
    assert torch.equal(tok[:, :, 1::2, 3], p.y)


def test_causal_masking_no_peeking():
    # Changing y_k (and any later x, y) never changes ŷ_1..ŷ_k: prediction k sees the prefix only.
    cfg, params, p, _ = _setup()
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


def test_batched_training_equals_separate_trainings():
    # Summing per-replicate losses with elementwise Adam = independent trainings.
    cfg, params, _, s = _setup(R=3, layers=1)
    data = sample_prompts(s, "train", 40, dim=3, context=5, noise=0.1)
    order = torch.as_tensor(s.integers("batches", 40, (15, 8)))
    f = predictor(cfg)
    together = train(params, f, data, steps=15, lr=1e-2, order=order)
    for r in range(3):
        one = {k: v[r:r + 1] for k, v in params.items()}
        mine = type(data)(data.x[r:r + 1], data.y[r:r + 1])
        alone = train(one, f, mine, steps=15, lr=1e-2, order=order[r:r + 1])
        for k in together:
            torch.testing.assert_close(together[k][r:r + 1], alone[k], rtol=1e-4, atol=1e-5)
