"""One batched optimiser for ``R`` independent models stored as stacked tensors.

Every parameter tensor has a leading replicate axis. The training objective is the *sum*
over replicates of each replicate's own mean loss, so the gradient with respect to
replicate ``r``'s slice is exactly the gradient of replicate ``r``'s loss; and because
SGD and Adam act elementwise (no global gradient norm), one optimiser over the stacked
tensors performs ``R`` independent trainings in one computation: no Python loop over
replicates, and a replicate's result does not depend on its batch companions (up to
floating-point reassociation in batched kernels).
"""

from __future__ import annotations

from typing import Callable

import torch

from numerics.errors import InputError
from numerics.icl.prompts import Prompts

#: predict(params, x (R,B,T,d), y (R,B,T)) -> predictions of every y_k (R,B,T).
Predictor = Callable[[dict, torch.Tensor, torch.Tensor], torch.Tensor]

OPTIMIZERS = ("sgd", "adam")
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8


def squared_errors(predict: Predictor, params: dict, p: Prompts, loss_from: int) -> torch.Tensor:
    """``(ŷ_k − y_k)²`` at the scored positions ``k ≥ loss_from``: ``(R, N, T − loss_from)``."""
    pred = predict(params, p.x, p.y)
    return (pred[..., loss_from:] - p.y[..., loss_from:]) ** 2


def train(params: dict[str, torch.Tensor], predict: Predictor, data: Prompts, *, steps: int,
          lr: float | torch.Tensor, order: torch.Tensor | None, optimizer: str = "adam",
          loss_from: int = 0) -> dict[str, torch.Tensor]:
    """Train every replicate's model on its own prompts; returns detached parameters.

    ``order`` ``(R, steps, B)`` holds each replicate's minibatch indices (drawn from the
    replicate streams, so two trainings can share the exact batch sequence, as the
    TV-stability estimate needs); ``None`` means full-batch gradient descent. ``lr`` may
    be a tensor broadcasting against every parameter (a step size per replicate).
    """
    if optimizer not in OPTIMIZERS:
        raise InputError("optimizer", optimizer, ", ".join(OPTIMIZERS))
    params = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    names = list(params)
    # Hand-written updates (torch.optim's first step imports the compiler stack, seconds
    # of start-up for a CLI run); both rules are elementwise, hence per replicate.
    m1 = {k: torch.zeros_like(params[k]) for k in names} if optimizer == "adam" else None
    m2 = {k: torch.zeros_like(params[k]) for k in names} if optimizer == "adam" else None
    for step in range(steps):
        batch = data if order is None else data.take(order[:, step])
        err = squared_errors(predict, params, batch, loss_from)
        # Sum over replicates of per-replicate means: see the module docstring.
        loss = err.mean(dim=(1, 2)).sum()
        grads = torch.autograd.grad(loss, [params[k] for k in names])
        with torch.no_grad():
            for k, g in zip(names, grads):
                if optimizer == "sgd":
                    params[k] -= lr * g
                    continue
                m1[k].mul_(ADAM_BETAS[0]).add_(g, alpha=1 - ADAM_BETAS[0])
                m2[k].mul_(ADAM_BETAS[1]).addcmul_(g, g, value=1 - ADAM_BETAS[1])
                c1 = 1 - ADAM_BETAS[0] ** (step + 1)
                c2 = 1 - ADAM_BETAS[1] ** (step + 1)
                params[k] -= lr * (m1[k] / c1) / ((m2[k] / c2).sqrt() + ADAM_EPS)
    return {k: v.detach() for k, v in params.items()}
