"""LSA: prefix structure and the closed-form optimum Γ* = c*·I (THEORY.md T2, lsa docstring)."""

import math

import torch

from stl.numerics.icl import lsa
from stl.numerics.icl.prompts import sample_prompts
from stl.numerics.rng import ReplicateStreams

F64 = {"dtype": torch.float64}


def test_prediction_sees_only_the_prefix():
    p = sample_prompts(ReplicateStreams(0, 2), "real", 3, dim=3, context=5, noise=0.1, **F64)
    params = {"gamma": torch.randn(2, 3, 3, **F64)}
    base = lsa.predict(params, p.x, p.y)
    y2 = p.y.clone()
    y2[..., 3:] += 5.0
    x2 = p.x.clone()
    x2[..., 4:, :] += 1.0
    changed = lsa.predict(params, x2, y2)
    torch.testing.assert_close(changed[..., :4][..., :3], base[..., :3])
    assert torch.all(base[..., 0] == 0)


def test_gradient_descent_reaches_the_empirical_optimum():
    # The query loss is least squares in vec(Γ) with features vec(x_q h_mᵀ): solve it
    # directly and compare with the trained Γ.
    p = sample_prompts(ReplicateStreams(1, 3), "real", 600, dim=3, context=6, noise=0.3, **F64)
    g = lsa.train_lsa(p, steps=200, lr=1.0)
    h = lsa.prefix_means(p.x, p.y)[..., -1, :]
    phi = torch.einsum("rni,rnj->rnij", p.x[..., -1, :], h).flatten(2)
    sol = torch.linalg.lstsq(phi, p.y[..., -1:]).solution.squeeze(-1).reshape(3, 3, 3)
    torch.testing.assert_close(g, sol, atol=1e-7, rtol=1e-6)


def test_trained_lsa_reaches_the_closed_form_optimum():
    m, d, sigma, R = 8, 4, 0.5, 8
    p = sample_prompts(ReplicateStreams(2, R), "real", 3000, dim=d, context=m, noise=sigma, **F64)
    g = lsa.train_lsa(p, steps=60, lr=1.0)
    c = lsa.optimal_scale(m, d, sigma)
    diag = torch.diagonal(g, dim1=1, dim2=2).mean(1)
    off = (g - torch.diag_embed(torch.diagonal(g, dim1=1, dim2=2))).abs().amax(dim=(1, 2))
    se = diag.std().item() / math.sqrt(R)
    assert abs(diag.mean().item() - c) < 4 * se + 1e-3
    # Off-diagonal entries are pure estimation noise of the same order as the diagonal's.
    assert off.mean().item() < 8 * diag.std().item() + 0.02
    # Excess risk of the trained Γ over the optimum is an O(d²/n) estimation term.
    excess = lsa.population_risk(g, m, d, sigma) - lsa.optimal_risk(m, d, sigma)
    assert torch.all(excess >= -1e-12)
    assert excess.mean().item() < 5 * d * d / 3000


def test_population_risk_formula_matches_monte_carlo():
    m, d, sigma = 5, 3, 0.4
    p = sample_prompts(ReplicateStreams(3, 1), "real", 40000, dim=d, context=m, noise=sigma, **F64)
    gamma = torch.tensor([[[0.5, 0.1, 0.0], [0.0, 0.7, -0.2], [0.1, 0.0, 0.3]]], **F64)
    err = (lsa.predict({"gamma": gamma}, p.x, p.y)[..., -1] - p.y[..., -1]) ** 2
    se = err.std().item() / math.sqrt(err.numel())
    assert abs(err.mean().item() - lsa.population_risk(gamma, m, d, sigma).item()) < 4 * se
    cstar = lsa.optimal_scale(m, d, sigma)
    assert abs(cstar - m / (m + d + 1 + sigma ** 2 * d)) < 1e-15
