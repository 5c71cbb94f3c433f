"""Prompts (THEORY.md T2 data) and the least-squares / ridge / averaging baselines."""

import math

import pytest
import torch

from stl.numerics.errors import InputError
from stl.numerics.icl.baselines import baseline_risks, task_estimate
from stl.numerics.icl.prompts import sample_prompts, unpack
from stl.numerics.rng import ReplicateStreams

F64 = {"dtype": torch.float64}


def test_shapes_and_pack_roundtrip():
    p = sample_prompts(ReplicateStreams(3, 2), "real", n=7, dim=4, context=6, noise=0.2, **F64)
    assert p.x.shape == (2, 7, 7, 4) and p.y.shape == (2, 7, 7) and p.w.shape == (2, 7, 4)
    q = unpack(p.pack())
    assert torch.equal(q.x, p.x) and torch.equal(q.y, p.y)


def test_labels_follow_the_task_and_seed_is_reproducible():
    a = sample_prompts(ReplicateStreams(5, 3), "real", 50, dim=3, context=4, noise=0.0, **F64)
    b = sample_prompts(ReplicateStreams(5, 3), "real", 50, dim=3, context=4, noise=0.0, **F64)
    assert torch.equal(a.y, b.y)
    torch.testing.assert_close(a.y, torch.einsum("rntd,rnd->rnt", a.x, a.w))


def test_replicate_split_invariance():
    full = sample_prompts(ReplicateStreams(9, 4), "real", 5, 2, 3, 0.1, **F64)
    tail = sample_prompts(ReplicateStreams(9, 2, first=2), "real", 5, 2, 3, 0.1, **F64)
    assert torch.equal(full.y[2:], tail.y)


def test_task_prior_scale():
    # w ~ N(0, I/d): E‖w‖² = 1, tolerance from the standard error of the mean.
    p = sample_prompts(ReplicateStreams(1, 1), "real", 4000, dim=5, context=1, noise=0.0, **F64)
    sq = (p.w ** 2).sum(-1).flatten()
    assert abs(sq.mean().item() - 1.0) < 4 * sq.std().item() / math.sqrt(sq.numel())


@pytest.mark.parametrize("bad", [{"dim": 0}, {"context": 0}, {"noise": -1.0}, {"noise": float("nan")}])
def test_bad_sizes_are_input_errors(bad):
    kw = {"dim": 2, "context": 3, "noise": 0.1} | bad
    with pytest.raises(InputError):
        sample_prompts(ReplicateStreams(0, 1), "real", 3, **kw)


def test_ridge_is_the_bayes_posterior_mean():
    # Kernel form of the Gaussian posterior mean, E[w | X, y] = Σ_w Xᵀ(X Σ_w Xᵀ + σ²I)⁻¹ y
    # with Σ_w = I/d: an independent formula for what ridge with penalty σ²d computes.
    sigma, d, m = 0.7, 4, 3
    p = sample_prompts(ReplicateStreams(2, 2), "real", 6, dim=d, context=m, noise=sigma, **F64)
    X, y = p.x[..., :-1, :], p.y[..., :-1]
    K = X @ X.transpose(-1, -2) / d + sigma ** 2 * torch.eye(m, **F64)
    post = (X.transpose(-1, -2) @ torch.linalg.solve(K, y.unsqueeze(-1))).squeeze(-1) / d
    torch.testing.assert_close(task_estimate(p, "ridge", sigma), post)


def test_least_squares_and_average():
    p = sample_prompts(ReplicateStreams(4, 1), "real", 5, dim=3, context=8, noise=0.0, **F64)
    # Noiseless, m ≥ d: least squares recovers the task exactly.
    torch.testing.assert_close(task_estimate(p, "ls", 0.0), p.w)
    torch.testing.assert_close(task_estimate(p, "ridge", 0.0), p.w)
    X, y = p.x[..., :-1, :], p.y[..., :-1]
    manual = sum(y[..., k:k + 1] * X[..., k, :] for k in range(8)) / 8
    torch.testing.assert_close(task_estimate(p, "avg", 0.0), manual)


def test_bayes_risk_is_smallest():
    # Ridge is Bayes-optimal: on shared prompts its risk is below LS and averaging up to
    # Monte Carlo error (paired differences, tolerance from their standard error).
    sigma = 0.5
    p = sample_prompts(ReplicateStreams(8, 1), "real", 4000, dim=4, context=5, noise=sigma, **F64)
    yq = p.y[..., -1]
    xq = p.x[..., -1, :]
    errs = {m: ((xq * task_estimate(p, m, sigma)).sum(-1) - yq) ** 2 for m in ("ls", "ridge", "avg")}
    for other in ("ls", "avg"):
        diff = (errs["ridge"] - errs[other]).flatten()
        assert diff.mean().item() < 3 * diff.std().item() / math.sqrt(diff.numel())
    r = baseline_risks(p, sigma)
    assert set(r) == {"ls", "ridge", "avg"} and r["ridge"].shape == (1,)
