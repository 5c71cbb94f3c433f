"""Batched training of ``R`` small torch networks at once, for the ``flow`` and ``charlm`` models.

Every weight tensor has a leading replicate axis. The objective is the *sum* over
replicates of each replicate's own loss, so the gradient of replicate ``r``'s slice is
exactly the gradient of its own loss, and Adam (elementwise) then performs ``R``
independent trainings in one computation: no Python loop over replicates, and a
replicate's result does not depend on which other replicates share its batch (up to
floating-point reassociation in batched kernels; everything here is float64, where that
is far below any effect the estimators measure).

Initial weights are drawn in NumPy from the replicate's ``"init"`` stream
(:mod:`stl.numerics.rng`), so two fits given equal streams start from the same weights
— the shared internal randomness that TV-stability and recursive-stability estimates
need — and a seed gives the same numbers on every device.

torch is imported inside the functions: importing this module does not import it.

>>> import numpy as np
>>> from stl.numerics.rng import ReplicateStreams
>>> w = init_weights(ReplicateStreams(0, 3), {"a": (2, 4)}, {"a": 2})
>>> tuple(w["a"].shape)
(3, 2, 4)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np

from stl.kernel.adam import BETAS, adam_update

#: Float type of every network (see the module docstring).
DTYPE_NAME = "float64"
ADAM_BETAS = BETAS  # the kernel's (kept under the name the module exported)


def torch_dtype():
    import torch

    return getattr(torch, DTYPE_NAME)


def init_weights(streams, shapes: Mapping[str, tuple[int, ...]], fan_in: Mapping[str, int | None]) -> dict:
    """Weights ``(R, *shape)`` as torch tensors: normal draws of the ``"init"`` stream scaled
    by ``1/√fan_in``; a ``fan_in`` of ``None`` means zeros (nothing is drawn for it)."""
    import torch

    out = {}
    for name, shape in shapes.items():
        fan = fan_in.get(name)
        if fan is None:
            out[name] = torch.zeros((streams.replicates, *shape), dtype=torch_dtype())
            continue
        z = streams.normal("init", shape) / math.sqrt(fan)
        out[name] = torch.as_tensor(z, dtype=torch_dtype())
    return out


def train_adam(weights: dict, loss_fn: Callable[[dict], "object"], *, steps: int, lr: float) -> dict:
    """Full-batch Adam with cosine decay of the rate to 0; returns detached weights.

    ``loss_fn(weights)`` returns the per-replicate losses ``(R,)``.
    """
    import torch

    names = list(weights)
    R = next(iter(weights.values())).shape[0]
    shapes = [weights[k].shape[1:] for k in names]
    sizes = [int(torch.Size(s).numel()) for s in shapes]
    # One flat (R, P) leaf: the update is a few tensor ops whatever the number of tensors.
    flat = torch.cat([weights[k].detach().reshape(R, -1) for k in names], dim=1).clone().requires_grad_(True)

    def unflatten(t):
        return {k: piece.reshape(R, *s) for k, piece, s in zip(names, t.split(sizes, dim=1), shapes)}

    m1, m2 = torch.zeros_like(flat), torch.zeros_like(flat)
    for step in range(steps):
        loss = loss_fn(unflatten(flat)).sum()
        (g,) = torch.autograd.grad(loss, flat)
        with torch.no_grad():
            rate = lr * 0.5 * (1.0 + math.cos(math.pi * step / steps))
            adam_update(flat, g, m1, m2, rate=rate, c1=1 - ADAM_BETAS[0] ** (step + 1),
                        c2=1 - ADAM_BETAS[1] ** (step + 1))
    return {k: v.detach().clone() for k, v in unflatten(flat.detach()).items()}


def as_tensor(array: np.ndarray):
    import torch

    return torch.as_tensor(np.ascontiguousarray(array), dtype=torch_dtype())


def to_numpy(t) -> np.ndarray:
    return t.detach().to("cpu").double().numpy()
