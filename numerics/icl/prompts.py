"""In-context linear-regression prompts (THEORY.md T2), batched over replicates.

A prompt is ``(x_1, y_1, ..., x_T, y_T)`` for one task ``w ~ N(0, I_d/d)`` with
``x_k ~ N(0, I_d)`` and ``y_k = wᵀx_k + ε_k``, ``ε_k ~ N(0, σ²)``. With ``context = m``
a prompt has ``T = m + 1`` labelled pairs: the last pair is the *query* whose label the
ICL risk scores after ``m`` labelled examples (DESIGN.md ``icl_risk``), and an
autoregressive model predicts every ``y_k`` from the prefix before it.

Layouts
    * :class:`Prompts` keeps the pieces as tensors: ``x`` ``(R, N, T, d)``, ``y``
      ``(R, N, T)`` and the task ``w`` ``(R, N, d)`` (``w`` is kept for the baselines'
      tests and is never shown to a model).
    * The engine's dataset layout (``stl.numerics.models.base``) is one array
      ``(R, N, T, d + 1)`` whose last channel is ``y``: :meth:`Prompts.pack` /
      :func:`unpack`. Packed prompts carry no task.

>>> from stl.numerics.rng import ReplicateStreams
>>> p = sample_prompts(ReplicateStreams(0, 3), "real", n=4, dim=5, context=10, noise=0.1)
>>> tuple(p.x.shape), tuple(p.y.shape), tuple(p.pack().shape)
((3, 4, 11, 5), (3, 4, 11), (3, 4, 11, 6))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from stl.numerics.errors import InputError
from stl.numerics.icl._torch import as_tensor
from stl.numerics.rng import ReplicateStreams


@dataclass(frozen=True)
class Prompts:
    """A batch of prompts for ``R`` replicates: ``x (R,N,T,d)``, ``y (R,N,T)``, ``w (R,N,d)|None``."""

    x: torch.Tensor
    y: torch.Tensor
    w: torch.Tensor | None = None

    @property
    def replicates(self) -> int:
        return self.x.shape[0]

    @property
    def count(self) -> int:
        return self.x.shape[1]

    @property
    def length(self) -> int:
        return self.x.shape[2]

    @property
    def dim(self) -> int:
        return self.x.shape[3]

    def pack(self) -> torch.Tensor:
        """``(R, N, T, d + 1)``: inputs then the label in the last channel."""
        return torch.cat([self.x, self.y.unsqueeze(-1)], dim=-1)

    def take(self, index: torch.Tensor) -> Prompts:
        """Per-replicate selection: ``index`` ``(R, B)`` of prompt indices → ``B`` prompts each."""
        rows = torch.arange(self.replicates, device=index.device).unsqueeze(1)
        w = None if self.w is None else self.w[rows, index]
        return Prompts(self.x[rows, index], self.y[rows, index], w)


def unpack(data: torch.Tensor | np.ndarray, *, device: torch.device | None = None,
           dtype: torch.dtype = torch.float32) -> Prompts:
    """Inverse of :meth:`Prompts.pack` (accepts the engine's NumPy arrays)."""
    if isinstance(data, np.ndarray):
        data = as_tensor(data, device or torch.device("cpu"), dtype)
    if data.ndim != 4 or data.shape[-1] < 2:
        raise InputError("prompts", tuple(data.shape), "an array (R, N, T, d + 1) with d >= 1")
    return Prompts(data[..., :-1], data[..., -1])


def check_prompt_params(dim: int, context: int, noise: float) -> None:
    """Raise :class:`InputError` for sizes no prompt can have."""
    if int(dim) != dim or dim < 1:
        raise InputError("dim", dim, "an integer >= 1")
    if int(context) != context or context < 1:
        raise InputError("context", context, "an integer >= 1")
    if not (math.isfinite(noise) and noise >= 0):
        raise InputError("noise", noise, "a finite float >= 0")


def prompt_noise_size(dim: int, length: int) -> int:
    """Standard normals one prompt consumes: task ``d``, inputs ``T·d``, one per label ``T``."""
    return dim + length * dim + length


def split_prompt_noise(z: torch.Tensor, dim: int, length: int):
    """Split a ``(..., prompt_noise_size)`` block into ``(w_std, x, label_std)``.

    ``w_std`` is ``N(0, I_d)`` (scale by ``1/√d`` for the task), ``x`` is ``(..., T, d)``,
    ``label_std`` ``(..., T)`` standard normals for the label noise.
    """
    lead = z.shape[:-1]
    w_std = z[..., :dim]
    x = z[..., dim:dim + length * dim].reshape(*lead, length, dim)
    e = z[..., dim + length * dim:]
    return w_std, x, e


def prompts_from_noise(z: torch.Tensor, dim: int, length: int, noise: float) -> Prompts:
    """Real prompts built from pre-drawn standard normals ``z`` ``(R, N, prompt_noise_size)``."""
    w_std, x, e = split_prompt_noise(z, dim, length)
    w = w_std / math.sqrt(dim)
    y = torch.einsum("rntd,rnd->rnt", x, w) + noise * e
    return Prompts(x, y, w)


def sample_prompts(streams: ReplicateStreams, purpose: str, n: int, dim: int, context: int,
                   noise: float, *, device: torch.device | str = "cpu",
                   dtype: torch.dtype = torch.float32) -> Prompts:
    """``n`` real prompts of ``context + 1`` pairs per replicate, drawn from ``streams[purpose]``.

    Each prompt consumes :func:`prompt_noise_size` normals in one block, so the prompts
    of replicate ``r`` depend only on ``(seed, r, purpose)`` and on how many prompts were
    drawn before (not on how replicates are split).
    """
    check_prompt_params(dim, context, noise)
    if int(n) != n or n < 1:
        raise InputError("n", n, "an integer >= 1")
    length = context + 1
    z = streams.normal(purpose, (n, prompt_noise_size(dim, length)))
    return prompts_from_noise(as_tensor(z, torch.device(device), dtype), dim, length, noise)
