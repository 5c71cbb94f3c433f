r"""One-layer linear self-attention (LSA) for in-context linear regression (THEORY.md T2).

The model keeps the merged key-query/value form of a linear attention layer reading
``(x, y)`` tokens: for the label of position ``k`` (0-based, ``k`` labelled pairs before
it) it predicts

    ŷ_k = x_kᵀ Γ h_k,        h_k = (1/k) Σ_{j<k} y_j x_j      (ŷ_0 = 0),

one ``d × d`` matrix ``Γ`` per replicate. It is trained by gradient descent on the
squared error of the *query* (``k = m``, after ``m = context`` examples), as in the
trained-linear-transformer literature; when it labels synthetic prompts it uses the same
``Γ`` on every prefix.

Closed-form optimum (derived here). Write ``h = h_m``. With ``x_q`` independent of ``h``
and isotropic, ``E(x_qᵀΓh − y_q)² = E‖Γh − w‖² + σ²``. By rotation invariance
``E[hhᵀ] = (s/d) I`` and ``E[h wᵀ] = E[wwᵀ] = I/d``, where

    s = E‖h‖² = (1/m²)[m(m−1) E‖w‖² + m E(y²‖x‖²)] = (m + d + 1 + σ²d) / m,

using ``E(xᵀw)²‖x‖² = (d + 2)‖w‖²`` for Gaussian ``x`` and ``E‖w‖² = 1``. Hence the
population risk of any ``Γ`` is

    risk(Γ) = (s/d)‖Γ‖_F² − (2/d) tr Γ + 1 + σ²,

strictly convex with unique minimiser ``Γ* = c* I``,

    c* = 1/s = m / (m + d + 1 + σ²d),      risk(Γ*) = 1 + σ² − c*.

(``c* → 1`` as ``m → ∞``: LSA becomes one step of gradient descent from 0 with the
right step size; for finite ``m`` it shrinks the averaging estimate.)

>>> import torch
>>> from stl.numerics.rng import ReplicateStreams
>>> from stl.numerics.icl.prompts import sample_prompts
>>> p = sample_prompts(ReplicateStreams(1, 2), "real", 4000, dim=3, context=8, noise=0.5,
...                    dtype=torch.float64)
>>> g = train_lsa(p, steps=30, lr=1.0)
>>> c = optimal_scale(context=8, dim=3, noise=0.5)
>>> bool(abs(torch.diagonal(g, dim1=1, dim2=2).mean() - c) < 0.05)
True
"""

from __future__ import annotations

import math

import torch

from stl.numerics.icl.prompts import Prompts


def prefix_means(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``h_k = (1/k) Σ_{j<k} y_j x_j`` for every position ``k`` (``h_0 = 0``): ``(..., T, d)``."""
    yx = y.unsqueeze(-1) * x
    # Exclusive cumulative sum: position k sees only pairs j < k (no peeking at y_k).
    csum = torch.cumsum(yx, dim=-2) - yx
    counts = torch.arange(x.shape[-2], device=x.device, dtype=x.dtype).clamp(min=1)
    return csum / counts.unsqueeze(-1)


def predict(params: dict, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``ŷ_k`` for every position of prompts ``(R, N, T, d)``: ``(R, N, T)``."""
    h = prefix_means(x, y)
    gamma = params["gamma"]
    return ((x @ gamma.unsqueeze(1)) * h).sum(-1)


def init_params(replicates: int, dim: int, *, device="cpu", dtype=torch.float64) -> dict:
    # Γ = 0: the risk is convex in Γ, so the start does not change the optimum and a
    # deterministic start keeps neighbouring-dataset comparisons (τ̂) free of init noise.
    return {"gamma": torch.zeros(replicates, dim, dim, device=device, dtype=dtype)}


def query_features(data: Prompts) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x_q, h_m, y_q)``: the query input, the context mean ``h_m`` and the query label."""
    # Only the query's prefix mean is needed: (1/m) Σ_{j<m} y_j x_j as one reduction.
    ctx_x, ctx_y = data.x[..., :-1, :], data.y[..., :-1]
    h = (ctx_y.unsqueeze(-2) @ ctx_x).squeeze(-2) / ctx_x.shape[-2]
    return data.x[..., -1, :], h, data.y[..., -1]


def curvature(xq: torch.Tensor, h: torch.Tensor, iterations: int = 30) -> torch.Tensor:
    """Largest Hessian eigenvalue ``L`` ``(R,)`` of the query loss in ``Γ``, by power iteration.

    The loss ``mean (x_qᵀΓh − y_q)²`` is quadratic in ``Γ`` with Hessian-vector product
    ``V ↦ 2·mean x_q (x_qᵀ V h) hᵀ``; gradient descent with step ``lr/L`` converges for
    ``lr < 2`` whatever the scale of the (possibly synthetic) labels.
    """
    R, n, d = xq.shape
    v = torch.eye(d, dtype=h.dtype, device=h.device).expand(R, d, d) / math.sqrt(d)
    lam = torch.ones(R, dtype=h.dtype, device=h.device)
    for _ in range(iterations):
        s = ((xq @ v) * h).sum(-1, keepdim=True)                    # (R, n, 1)
        hv = 2.0 * (xq * s).transpose(1, 2) @ h / n                  # (R, d, d)
        lam = hv.flatten(1).norm(dim=1)
        v = hv / lam.clamp(min=1e-300).view(R, 1, 1)
    return lam


def train_lsa(data: Prompts, *, steps: int, lr: float, order: torch.Tensor | None = None,
              warm: dict | None = None) -> torch.Tensor:
    """Gradient descent on the query loss with step ``lr / L`` (:func:`curvature`): ``Γ`` ``(R, d, d)``.

    ``order`` ``(R, steps, B)`` gives minibatch indices (SGD); ``None`` is full-batch GD.
    Gradients come from autograd on the query features (``x_q``, ``h_m``), computed once:
    the loss only scores the query, so the other positions need not be recomputed.
    """
    start = warm if warm is not None else init_params(data.replicates, data.dim,
                                                      device=data.x.device, dtype=data.x.dtype)
    xq, h, yq = query_features(data)
    step = (lr / curvature(xq, h).clamp(min=1e-12)).view(-1, 1, 1)
    gamma = start["gamma"].detach().clone().requires_grad_(True)
    rows = torch.arange(data.replicates, device=xq.device).unsqueeze(1)
    for t in range(steps):
        if order is None:
            a, b, c = xq, h, yq
        else:
            idx = order[:, t]
            a, b, c = xq[rows, idx], h[rows, idx], yq[rows, idx]
        pred = ((a @ gamma) * b).sum(-1)
        # Sum of per-replicate means: each replicate's slice gets its own gradient.
        loss = ((pred - c) ** 2).mean(1).sum()
        (grad,) = torch.autograd.grad(loss, gamma)
        with torch.no_grad():
            gamma -= step * grad
    return gamma.detach()


def second_moment(context: int, dim: int, noise: float) -> float:
    """``s = E‖h_m‖² = (m + d + 1 + σ²d)/m`` (see the module docstring)."""
    return (context + dim + 1 + noise ** 2 * dim) / context


def optimal_scale(context: int, dim: int, noise: float) -> float:
    """``c* = m / (m + d + 1 + σ²d)``: the trained LSA's optimum is ``Γ* = c* I``."""
    return 1.0 / second_moment(context, dim, noise)


def population_risk(gamma: torch.Tensor, context: int, dim: int, noise: float) -> torch.Tensor:
    """Exact query risk ``(s/d)‖Γ‖_F² − (2/d) tr Γ + 1 + σ²`` of each ``Γ`` ``(R, d, d)``."""
    s = second_moment(context, dim, noise)
    fro = (gamma ** 2).sum(dim=(-1, -2))
    tr = torch.diagonal(gamma, dim1=-2, dim2=-1).sum(-1)
    return s / dim * fro - 2.0 / dim * tr + 1.0 + noise ** 2


def optimal_risk(context: int, dim: int, noise: float) -> float:
    """``risk(Γ*) = 1 + σ² − c*``."""
    return 1.0 + noise ** 2 - optimal_scale(context, dim, noise)
