"""Synthetic prompts of THEORY.md T2 and the sequential maximal coupling (D3)."""

import math

import numpy as np
import torch
from scipy import stats

from stl.numerics.icl import lsa
from stl.numerics.icl.prompts import prompt_noise_size, split_prompt_noise
from stl.numerics.icl.synthetic import gaussian_tv, synthesize, synthesize_coupled
from stl.numerics.rng import ReplicateStreams

F64 = {"dtype": torch.float64}
D, T = 3, 7


def _noise(seed, n, R=2):
    s = ReplicateStreams(seed, R)
    z = torch.as_tensor(s.normal("synthetic", (n, prompt_noise_size(D, T))))
    u = torch.as_tensor(s.uniform("coupling", (n, T)))
    return z, u


def _gamma(scale, R=2):
    return {"gamma": scale * torch.eye(D, **F64).expand(R, D, D).clone()}


def test_first_labels_from_task_rest_from_parent():
    z, _ = _noise(0, 20)
    k0, sigma, sig_s = 3, 0.2, 0.3
    p = synthesize(lsa.predict, _gamma(0.8), z, dim=D, length=T, seed_labels=k0, noise=sigma, label_noise=sig_s)
    w_std, x, e = split_prompt_noise(z, D, T)
    w = w_std / math.sqrt(D)
    task = torch.einsum("rntd,rnd->rnt", x, w) + sigma * e
    torch.testing.assert_close(p.y[..., :k0], task[..., :k0])
    # Each later label is the parent's prediction from the *synthetic* prefix plus σ_s ξ.
    parent = lsa.predict(_gamma(0.8), p.x, p.y)
    torch.testing.assert_close(p.y[..., k0:], parent[..., k0:] + sig_s * e[..., k0:])
    assert not torch.allclose(p.y[..., k0:], task[..., k0:])


def test_all_task_labels_when_seed_labels_is_full():
    z, _ = _noise(1, 5)
    p = synthesize(lsa.predict, _gamma(0.5), z, dim=D, length=T, seed_labels=T, noise=0.1, label_noise=0.3)
    torch.testing.assert_close(p.y, torch.einsum("rntd,rnd->rnt", p.x, p.w) + 0.1 * split_prompt_noise(z, D, T)[2])


def test_identical_parents_never_separate_and_chain_a_is_the_plain_sample():
    z, u = _noise(2, 50)
    kw = {"dim": D, "length": T, "seed_labels": 2, "noise": 0.1, "label_noise": 0.2}
    c = synthesize_coupled(lsa.predict, _gamma(0.7), lsa.predict, _gamma(0.7), z, u, **kw)
    assert not c.differ.any() and torch.equal(c.a.y, c.b.y) and float(c.hazard.abs().max()) == 0.0
    plain = synthesize(lsa.predict, _gamma(0.7), z, **kw)
    assert torch.equal(c.a.y, plain.y)


def test_coupling_separation_rate_and_exact_marginal_of_chain_b():
    # One parent-written label (k_0 = T − 1): P(differ) must equal E[2Φ(|a−b|/2σ_s) − 1]
    # (the hazard), and chain b's label must be exactly N(b, σ_s²).
    z, u = _noise(3, 20000, R=1)
    sig_s = 0.25
    kw = {"dim": D, "length": T, "seed_labels": T - 1, "noise": 0.1, "label_noise": sig_s}
    ga, gb = _gamma(0.5, 1), _gamma(0.8, 1)
    c = synthesize_coupled(lsa.predict, ga, lsa.predict, gb, z, u, **kw)
    diff = c.differ.double().flatten()
    haz = c.hazard.flatten()
    se = math.sqrt((diff.var() / diff.numel()).item())
    assert abs(diff.mean().item() - haz.mean().item()) < 4 * se
    b_mean = lsa.predict(gb, c.b.x, c.b.y)[..., -1]
    resid = ((c.b.y[..., -1] - b_mean) / sig_s).flatten().numpy()
    assert stats.kstest(resid, "norm").pvalue > 1e-3
    assert 0.05 < diff.mean().item() < 0.95   # a non-trivial test case


def test_gaussian_tv_closed_form():
    delta = torch.tensor([0.0, 0.3, 1.0, 5.0], **F64)
    expect = 2 * stats.norm.cdf(np.abs(delta.numpy()) / (2 * 0.4)) - 1
    np.testing.assert_allclose(gaussian_tv(delta, 0.4).numpy(), expect, rtol=1e-12, atol=1e-15)
