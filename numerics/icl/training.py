"""One batched optimiser for ``R`` independent models stored as stacked tensors.

Every parameter tensor has a leading replicate axis. The training objective is the *sum*
over replicates of each replicate's own mean loss, so the gradient with respect to
replicate ``r``'s slice is exactly the gradient of replicate ``r``'s loss; and because
SGD and Adam act elementwise (no global gradient norm), one optimiser over the stacked
tensors performs ``R`` independent trainings in one computation: no Python loop over
replicates, and a replicate's result does not depend on its batch companions (up to
floating-point reassociation in batched kernels).

Schedule and clipping (both per replicate, so the independence above is kept):
``schedule="cosine"`` warms the learning rate up linearly over the first
``warmup`` fraction of the steps and then decays it to 0 along a half cosine;
``clip = c`` rescales each replicate's gradient to norm at most ``c`` (the norm of that
replicate's slice of the stacked gradient, never a norm across replicates).

``weight_decay = w`` is decoupled decay (AdamW; for SGD the same as an ``(w/2)‖θ‖²``
penalty): every step also shrinks the weights by ``rate · w · θ``. It bounds how far one
prompt can move the trained weights, which is what keeps ``τ_n`` (and ``c = nτ_n``)
moderate (THEORY.md T2: ``Δ_n = c_A/n`` for a stable optimiser).

``curriculum = f`` grows the prompt length over the first fraction ``f`` of the steps,
linearly from ``min(T, 2)`` pairs to all ``T`` (a length curriculum in the spirit of Garg
et al. 2022): early steps are cheaper and see the short prefixes the model must solve
first. With ``f = 0`` every step sees whole prompts.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from stl.numerics.errors import InputError
from stl.numerics.icl.prompts import Prompts

#: predict(params, x (R,B,T,d), y (R,B,T)) -> predictions of every y_k (R,B,T).
Predictor = Callable[[dict, torch.Tensor, torch.Tensor], torch.Tensor]

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "cosine")
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


def lr_factor(step: int, steps: int, schedule: str, warmup: float) -> float:
    """Multiplier of the base learning rate at ``step`` (0-based) of ``steps``.

    >>> [round(lr_factor(s, 10, "cosine", 0.2), 3) for s in (0, 1, 2, 6, 9)]
    [0.5, 1.0, 1.0, 0.5, 0.038]
    """
    if schedule == "constant":
        return 1.0
    n_warm = round(warmup * steps)
    if step < n_warm:
        return (step + 1) / n_warm
    span = max(1, steps - n_warm)
    return 0.5 * (1.0 + math.cos(math.pi * (step - n_warm) / span))


def curriculum_length(step: int, steps: int, length: int, curriculum: float) -> int:
    """Prompt pairs seen at ``step`` under a length curriculum over the first ``curriculum``
    fraction of ``steps`` (``min(length, 2)`` pairs first, ``length`` from then on).

    >>> [curriculum_length(s, 10, 11, 0.5) for s in (0, 2, 4, 5, 9)]
    [2, 5, 9, 11, 11]
    """
    ramp = round(curriculum * steps)
    start = min(length, 2)
    if step >= ramp:
        return length
    return start + (length - start) * step // ramp


def squared_errors(predict: Predictor, params: dict, p: Prompts, loss_from: int) -> torch.Tensor:
    """``(ŷ_k − y_k)²`` at the scored positions ``k ≥ loss_from``: ``(R, N, T − loss_from)``."""
    pred = predict(params, p.x, p.y)
    return (pred[..., loss_from:] - p.y[..., loss_from:]) ** 2


def train(params: dict[str, torch.Tensor], predict: Predictor, data: Prompts, *, steps: int,
          lr: float | torch.Tensor, order: torch.Tensor | None, optimizer: str = "adam",
          loss_from: int = 0, schedule: str = "constant", warmup: float = 0.05,
          clip: float | None = None, weight_decay: float = 0.0,
          curriculum: float = 0.0) -> dict[str, torch.Tensor]:
    """Train every replicate's model on its own prompts; returns detached parameters.

    ``order`` ``(R, steps, B)`` holds each replicate's minibatch indices (drawn from the
    replicate streams, so two trainings can share the exact batch sequence, as the
    TV-stability estimate needs); ``None`` means full-batch gradient descent. ``lr`` may
    be a tensor broadcasting against every parameter (a step size per replicate).
    ``schedule``, ``warmup``, ``clip``, ``weight_decay`` and ``curriculum``: see the
    module docstring.
    """
    if optimizer not in OPTIMIZERS:
        raise InputError("optimizer", optimizer, ", ".join(OPTIMIZERS))
    if schedule not in SCHEDULES:
        raise InputError("schedule", schedule, ", ".join(SCHEDULES))
    if clip is not None and not clip > 0:
        raise InputError("clip", clip, "a float > 0 or None")
    if not weight_decay >= 0:
        raise InputError("weight_decay", weight_decay, "a float >= 0")
    if not 0 <= curriculum <= 1:
        raise InputError("curriculum", curriculum, "a float in [0, 1]")
    names = list(params)
    R = next(iter(params.values())).shape[0]
    shapes = [params[k].shape[1:] for k in names]
    sizes = [int(torch.Size(sh).numel()) for sh in shapes]
    # One flat (R, P) leaf holds every weight: the update is then a handful of tensor ops
    # instead of a few per weight tensor, which dominates the cost of small models. The
    # update rules are hand-written (torch.optim's first step imports the compiler stack,
    # seconds of start-up for a CLI run); both are elementwise, hence per replicate.
    flat = torch.cat([params[k].detach().reshape(R, -1) for k in names], dim=1).clone().requires_grad_(True)

    def unflatten(t):
        return {k: piece.reshape(R, *sh) for k, piece, sh in zip(names, t.split(sizes, dim=1), shapes)}

    if isinstance(lr, torch.Tensor):
        lr = lr.reshape(R, 1) if lr.numel() == R else lr
    if optimizer == "adam":
        m1, m2 = torch.zeros_like(flat), torch.zeros_like(flat)
    for step in range(steps):
        batch = data if order is None else data.take(order[:, step])
        k = curriculum_length(step, steps, data.length, curriculum)
        if k < data.length:
            batch = Prompts(batch.x[:, :, :k], batch.y[:, :, :k])
        err = squared_errors(predict, unflatten(flat), batch, loss_from)
        # Sum over replicates of per-replicate means: see the module docstring.
        loss = err.mean(dim=(1, 2)).sum()
        (g,) = torch.autograd.grad(loss, flat)
        with torch.no_grad():
            if clip is not None:
                norm = g.norm(dim=1, keepdim=True)          # (R, 1): one norm per replicate
                g = g * (clip / norm.clamp(min=clip))
            rate = lr * lr_factor(step, steps, schedule, warmup)
            if weight_decay:
                flat -= (rate * weight_decay) * flat
            if optimizer == "sgd":
                flat -= rate * g
                continue
            m1.mul_(ADAM_BETAS[0]).add_(g, alpha=1 - ADAM_BETAS[0])
            m2.mul_(ADAM_BETAS[1]).addcmul_(g, g, value=1 - ADAM_BETAS[1])
            c1 = 1 - ADAM_BETAS[0] ** (step + 1)
            c2 = 1 - ADAM_BETAS[1] ** (step + 1)
            flat -= rate * (m1 / c1) / ((m2 / c2).sqrt() + ADAM_EPS)
    return {k: v.detach().clone() for k, v in unflatten(flat.detach()).items()}
