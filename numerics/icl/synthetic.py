r"""Synthetic prompts of THEORY.md T2 and a sequential (label-by-label) coupling of two parents.

A synthetic prompt keeps the real input law and draws a fresh task ``w ~ N(0, I_d/d)``;
its first ``k_0`` (``seed_labels``) labels come from the task, ``y_k = wᵀx_k + ε_k``, and
the rest are written autoregressively by the parent model,

    y_k = TF_θ(x_1, y_1, …, x_k) + σ_s ξ_k,    ξ_k ~ N(0, 1),  k ≥ k_0,

so later labels depend on earlier synthetic ones. All standard normals of a prompt are
drawn in one block (:func:`stl.numerics.icl.prompts.prompt_noise_size`), which makes the
noise parameter-free and lets the engine pre-draw it for many generations.

Coupling two parents (THEORY.md D3). Both chains share the inputs, the task and the
first ``k_0`` labels (same law in both). For ``k ≥ k_0`` the pair of labels is drawn from
the maximal coupling of ``N(a_k, σ_s²)`` and ``N(b_k, σ_s²)`` given each chain's own
past — *sequentially*, because ``a_k``, ``b_k`` depend on the labels already written.
For equal variances the maximal coupling is the reflection coupling: with
``z = (a − b)/σ_s``, ``Z ~ N(0, 1)``, ``U ~ U(0, 1)``, set ``y = a + σ_s Z``; if
``U φ(Z) ≤ φ(Z + z)`` then ``y' = y``, else ``y' = b − σ_s Z``. Each marginal is exact
(``y'`` is ``N(b, σ_s²)``) and ``P(y ≠ y') = d_TV = 2Φ(|a − b|/(2σ_s)) − 1``.

Chain ``a`` uses exactly the noise an uncoupled draw would use, so the coupled sample of
parent ``a`` equals :func:`synthesize` with the same block.

The sequential coupling is a valid coupling of the two prompt laws; it can separate a
pair slightly more often than the joint maximal coupling, so the fraction of differing
prompts it gives is an upper estimate of the prompt-level TV, which THEORY.md D3 allows
("report the (larger) fraction it measures"). It is therefore declared ``coupling =
"upper"`` (never ``"maximal"``): a γ̂ measured with it overstates ``E d_TV``. On the T2
checks' LSA configuration (dim 2, context 6, σ_s = 0.3, n = 100) one swapped prompt gives
a differing fraction ≈ 1.7 times the likelihood-ratio TV (``ICLModel.tv``).

>>> import torch
>>> from stl.numerics.icl import lsa
>>> from stl.numerics.icl.prompts import prompt_noise_size
>>> z = torch.randn(2, 3, prompt_noise_size(2, 4), dtype=torch.float64)
>>> g = {"gamma": torch.eye(2, dtype=torch.float64).expand(2, 2, 2)}
>>> p = synthesize(lsa.predict, g, z, dim=2, length=4, seed_labels=2, noise=0.1, label_noise=0.2)
>>> tuple(p.y.shape)
(2, 3, 4)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from stl.numerics.errors import InputError
from stl.numerics.icl.prompts import Prompts, prompts_from_noise, split_prompt_noise


def check_synthetic_params(length: int, seed_labels: int, label_noise: float) -> None:
    if int(seed_labels) != seed_labels or not 0 <= seed_labels <= length:
        raise InputError("seed_labels", seed_labels, f"an integer in [0, {length}] (context + 1)")
    if not (math.isfinite(label_noise) and label_noise >= 0):
        raise InputError("label_noise", label_noise, "a finite float >= 0")


def _real_part(z: torch.Tensor, dim: int, length: int, noise: float) -> Prompts:
    # The real prompt of this noise block: inputs, task and task labels at every position.
    return prompts_from_noise(z, dim, length, noise)


@torch.no_grad()
def synthesize(predict, params: dict, z: torch.Tensor, *, dim: int, length: int, seed_labels: int,
               noise: float, label_noise: float) -> Prompts:
    """Synthetic prompts ``(R, N, T, ·)`` of one parent from standard normals ``z`` ``(R, N, ·)``."""
    check_synthetic_params(length, seed_labels, label_noise)
    real = _real_part(z, dim, length, noise)
    _, _, e = split_prompt_noise(z, dim, length)
    y = real.y.clone()
    for k in range(seed_labels, length):
        # Only the prefix up to x_k is passed: the label at k cannot peek at itself.
        mean = predict(params, real.x[:, :, : k + 1], y[:, :, : k + 1])[..., k]
        y[:, :, k] = mean + label_noise * e[..., k]
    return Prompts(real.x, y, real.w)


@dataclass(frozen=True)
class CoupledPrompts:
    """Two coupled synthetic batches and how they differ.

    ``differ`` ``(R, N)``: the prompts are not identical. ``hazard`` ``(R, N)``:
    ``Σ_k 1{still equal before k} · d_TV(N(a_k, σ_s²), N(b_k, σ_s²))`` — the conditional
    probability, given the coalesced path, that the pair separates; it has the same
    expectation as ``differ`` (tower property) and a smaller variance.
    """

    a: Prompts
    b: Prompts
    differ: torch.Tensor
    hazard: torch.Tensor


def gaussian_tv(delta: torch.Tensor, sigma: float) -> torch.Tensor:
    """``d_TV(N(a, σ²), N(b, σ²)) = 2Φ(|a − b|/(2σ)) − 1 = erf(|a − b|/(2√2 σ))``."""
    if sigma == 0:
        return (delta != 0).to(delta.dtype)
    return torch.erf(delta.abs() / (2.0 * math.sqrt(2.0) * sigma))


@torch.no_grad()
def synthesize_coupled(predict_a, params_a: dict, predict_b, params_b: dict, z: torch.Tensor,
                       u: torch.Tensor, *, dim: int, length: int, seed_labels: int, noise: float,
                       label_noise: float) -> CoupledPrompts:
    """Label-by-label coupling of two parents' synthetic prompts (an upper coupling, not maximal).

    ``z`` ``(R, N, prompt_noise_size)`` standard normals (shared), ``u`` ``(R, N, T)``
    uniforms for the accept step of each label.
    """
    check_synthetic_params(length, seed_labels, label_noise)
    real = _real_part(z, dim, length, noise)
    _, _, e = split_prompt_noise(z, dim, length)
    ya, yb = real.y.clone(), real.y.clone()
    differ = torch.zeros(ya.shape[:2], dtype=torch.bool, device=ya.device)
    hazard = torch.zeros(ya.shape[:2], dtype=ya.dtype, device=ya.device)
    for k in range(seed_labels, length):
        a = predict_a(params_a, real.x[:, :, : k + 1], ya[:, :, : k + 1])[..., k]
        b = predict_b(params_b, real.x[:, :, : k + 1], yb[:, :, : k + 1])[..., k]
        Z = e[..., k]
        hazard = hazard + (~differ).to(hazard.dtype) * gaussian_tv(a - b, label_noise)
        ya[:, :, k] = a + label_noise * Z
        if label_noise == 0:
            yb[:, :, k] = b
            same = a == b
        else:
            zz = (a - b) / label_noise
            # Accept (y' = y) with probability φ(Z + z)/φ(Z) ∧ 1, in log form.
            same = torch.log(u[..., k]) <= -Z * zz - 0.5 * zz ** 2
            yb[:, :, k] = torch.where(same, ya[:, :, k], b - label_noise * Z)
        differ = differ | ~same
    return CoupledPrompts(Prompts(real.x, ya, real.w), Prompts(real.x, yb, real.w), differ, hazard)
