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
et al. 2022): early steps see the short prefixes the model must solve first. With
``f = 0`` every step sees whole prompts.

**A step with static shapes.** Each step (:class:`TrainingRun`) is a fixed sequence of
tensor operations on tensors built once: the weights as one flat ``(R, P)`` leaf, Adam's
two moments beside it, a step counter *on the device*, and tables indexed by that
counter — the learning-rate factor and Adam's bias corrections per step, the minibatch
indices per replicate and step, and the loss weight of every prompt position per step.
The curriculum is a *mask* over a fixed prompt length, not a slice: because the
networks are causal, the prediction at position ``k`` does not depend on anything after
``k``, so weighting the loss of positions ``≥ length`` by zero gives the same loss and
the same gradient as cutting the prompts (tested). Clipping and the schedule are tensor
operations, and nothing is copied to the host: no ``.item()``, no Python branch on
data. The same step runs eagerly on a CPU and, on CUDA, is captured once as a CUDA
graph and replayed (:mod:`stl.numerics.icl.capture`).

>>> import torch
>>> from stl.numerics.rng import ReplicateStreams
>>> from stl.numerics.icl.prompts import sample_prompts
>>> from stl.numerics.icl.transformer import TransformerConfig, init_params, predictor
>>> s = ReplicateStreams(0, 2)
>>> cfg = TransformerConfig(dim=2, length=4, layers=1, width=8, heads=2)
>>> data = sample_prompts(s, "real", 16, dim=2, context=3, noise=0.1)
>>> order = torch.as_tensor(s.integers("batches", 16, (5, 4)))
>>> out = train(init_params(cfg, s), predictor(cfg), data, steps=5, lr=1e-2, order=order,
...             schedule="cosine", clip=1.0, curriculum=0.5)
>>> tuple(out["w_qkv"].shape)
(2, 1, 8, 24)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from stl.kernel.adam import BETAS, EPS, adam_update
from stl.numerics.errors import InputError
from stl.numerics.icl.capture import MODES, StepReport, run_steps
from stl.numerics.icl.fusion import LossFunction
from stl.numerics.icl.precision import PRECISIONS, training_precision
from stl.numerics.icl.prompts import Prompts

#: predict(params, x (R,B,T,d), y (R,B,T)) -> predictions of every y_k (R,B,T).
Predictor = Callable[[dict, torch.Tensor, torch.Tensor], torch.Tensor]

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("constant", "cosine")
ADAM_BETAS, ADAM_EPS = BETAS, EPS  # the kernel's flat Adam (stl.kernel.adam)


def lr_factor(step: int, steps: int, schedule: str, warmup: float) -> float:
    """Multiplier of the base learning rate at ``step`` (0-based) of ``steps``.

    >>> [round(lr_factor(s, 10, "cosine", 0.2), 3) for s in (0, 1, 2, 6, 9)]
    [0.5, 1.0, 1.0, 0.5, 0.038]
    """
    return float(lr_factors(steps, schedule, warmup)[step])


def lr_factors(steps: int, schedule: str, warmup: float) -> np.ndarray:
    """:func:`lr_factor` of every step ``0 .. steps − 1`` as one array (the step's table)."""
    step = np.arange(steps, dtype=np.float64)
    if schedule == "constant":
        return np.ones(steps)
    n_warm = round(warmup * steps)
    span = max(1, steps - n_warm)
    cosine = 0.5 * (1.0 + np.cos(math.pi * (step - n_warm) / span))
    return np.where(step < n_warm, (step + 1) / max(n_warm, 1), cosine)


def curriculum_length(step: int, steps: int, length: int, curriculum: float) -> int:
    """Prompt pairs seen at ``step`` under a length curriculum over the first ``curriculum``
    fraction of ``steps`` (``min(length, 2)`` pairs first, ``length`` from then on).

    >>> [curriculum_length(s, 10, 11, 0.5) for s in (0, 2, 4, 5, 9)]
    [2, 5, 9, 11, 11]
    """
    return int(curriculum_lengths(steps, length, curriculum)[step])


def curriculum_lengths(steps: int, length: int, curriculum: float) -> np.ndarray:
    """:func:`curriculum_length` of every step as one integer array."""
    ramp = round(curriculum * steps)
    start = min(length, 2)
    step = np.arange(steps, dtype=np.int64)
    if ramp == 0:
        return np.full(steps, length, dtype=np.int64)
    return np.where(step >= ramp, length, start + (length - start) * step // ramp)


def squared_errors(predict: Predictor, params: dict, p: Prompts, loss_from: int) -> torch.Tensor:
    """``(ŷ_k − y_k)²`` at the scored positions ``k ≥ loss_from``: ``(R, N, T − loss_from)``."""
    pred = predict(params, p.x, p.y)
    return (pred[..., loss_from:] - p.y[..., loss_from:]) ** 2


@dataclass(frozen=True)
class TrainingPlan:
    """Everything about a training run except the model and the data (validated here).

    ``capture``: ``auto`` (CUDA graph on CUDA, eager on a CPU), ``eager`` or ``graph``
    (:mod:`stl.numerics.icl.capture`); ``precision``: :mod:`stl.numerics.icl.precision`;
    ``compile``: the loss and its backward compiled into fused kernels
    (:mod:`stl.numerics.icl.fusion`).
    """

    steps: int
    optimizer: str = "adam"
    loss_from: int = 0
    schedule: str = "constant"
    warmup: float = 0.05
    clip: float | None = None
    weight_decay: float = 0.0
    curriculum: float = 0.0
    precision: str = "fp32"
    capture: str = "auto"
    compile: bool = False

    def __post_init__(self):
        if isinstance(self.steps, bool) or int(self.steps) != self.steps or self.steps < 0:
            raise InputError("steps", self.steps, "an integer >= 0")
        if self.optimizer not in OPTIMIZERS:
            raise InputError("optimizer", self.optimizer, ", ".join(OPTIMIZERS))
        if self.schedule not in SCHEDULES:
            raise InputError("schedule", self.schedule, ", ".join(SCHEDULES))
        if not 0 <= self.warmup <= 1:
            raise InputError("warmup", self.warmup, "a float in [0, 1]")
        if self.clip is not None and not self.clip > 0:
            raise InputError("clip", self.clip, "a float > 0 or None")
        if not self.weight_decay >= 0:
            raise InputError("weight_decay", self.weight_decay, "a float >= 0")
        if not 0 <= self.curriculum <= 1:
            raise InputError("curriculum", self.curriculum, "a float in [0, 1]")
        if self.precision not in PRECISIONS:
            raise InputError("precision", self.precision, ", ".join(PRECISIONS))
        if self.capture not in MODES:
            raise InputError("capture", self.capture, ", ".join(MODES))
        if not isinstance(self.compile, bool):
            raise InputError("compile", self.compile, "True or False")


class TrainingRun:
    """The state of one batched training and its step (see the module docstring).

    ``order`` ``(R, steps, B)`` holds each replicate's minibatch indices; ``None`` means
    full-batch gradient descent. ``lr`` is a float or a tensor broadcasting against the
    flat weights (one step size per replicate: ``(R,)`` or ``(R, 1)``).
    """

    def __init__(self, params: dict[str, torch.Tensor], predict: Predictor, data: Prompts, *,
                 lr: float | torch.Tensor, order: torch.Tensor | None, plan: TrainingPlan):
        self.plan = plan
        self.names = list(params)
        R = next(iter(params.values())).shape[0]
        self.R = R
        self.shapes = [params[k].shape[1:] for k in self.names]
        self.sizes = [math.prod(sh) for sh in self.shapes]
        device, dtype = data.x.device, data.x.dtype
        self.device = device
        # One flat (R, P) leaf holds every weight: the update is a handful of tensor ops
        # whatever the number of weight tensors (the few fused kernels of Adam), and each
        # weight is a view of it (no copy). The update rules are hand-written: torch.optim's
        # first step imports the compiler stack, seconds of start-up for a CLI run.
        self.flat = torch.cat([params[k].detach().reshape(R, -1).to(dtype) for k in self.names],
                              dim=1).clone().requires_grad_(True)
        if plan.optimizer == "adam":
            self.m1, self.m2 = torch.zeros_like(self.flat), torch.zeros_like(self.flat)
        self.t = torch.zeros(1, dtype=torch.long, device=device)
        steps = max(plan.steps, 1)
        # Per-step constants, indexed by the step counter on the device: the schedule's
        # factor and Adam's bias corrections 1 − β^(t+1).
        k = np.arange(1, steps + 1, dtype=np.float64)
        table = np.stack([lr_factors(steps, plan.schedule, plan.warmup),
                          1.0 - ADAM_BETAS[0] ** k, 1.0 - ADAM_BETAS[1] ** k], axis=1)
        self.table = torch.as_tensor(table, dtype=dtype, device=device)
        if isinstance(lr, torch.Tensor):
            lr = lr.to(device=device, dtype=dtype)
            lr = lr.reshape(R, 1) if lr.numel() == R else lr
        self.lr = lr
        # The data, prepared once (the transformer's tokens), flattened over (replicate,
        # prompt) so a minibatch is one index_select per tensor.
        prepare = getattr(predict, "prepare", None)
        feats = prepare(data.x, data.y) if prepare is not None else (data.x, data.y)
        self.forward = predict.from_prepared if prepare is not None else predict
        self.loss = LossFunction(compile=plan.compile)
        self.n = data.count
        self.features = [f.reshape(R * self.n, *f.shape[2:]) for f in feats]
        self.labels = data.y.reshape(R * self.n, data.length)
        if order is not None:
            if order.shape[:2] != (R, plan.steps):
                raise InputError("order", tuple(order.shape), f"(R={R}, steps={plan.steps}, batch)")
            self.batch = order.shape[2]
            # int32 on the device halves the table; offsets make the indices rows of
            # the (R·n)-row flattened data.
            self.order = order.to(device=device, dtype=torch.int32)
            self.offset = (torch.arange(R, device=device, dtype=torch.long) * self.n).unsqueeze(1)
        else:
            self.batch, self.order = self.n, None
        # Loss weight of every position for every prompt length: row L weights positions
        # loss_from <= k < L by 1/(B · count), so the weighted sum over a replicate's
        # minibatch is its mean squared error over the scored positions.
        T = data.length
        pos = torch.arange(T, device=device)
        lengths = torch.arange(T + 1, device=device).unsqueeze(1)
        mask = ((pos < lengths) & (pos >= plan.loss_from)).to(dtype)
        self.weights_by_length = mask / (self.batch * mask.sum(1, keepdim=True).clamp(min=1))
        if plan.curriculum > 0:
            self.lengths = torch.as_tensor(curriculum_lengths(steps, T, plan.curriculum), device=device)
        else:
            self.lengths = None
        self.full_weights = self.weights_by_length[T]

    # -- one step ----------------------------------------------------------------------
    def unflatten(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        return {k: piece.view(self.R, *sh) for k, piece, sh in
                zip(self.names, flat.split(self.sizes, dim=1), self.shapes)}

    def _minibatch(self):
        if self.order is None:
            return [f.view(self.R, self.n, *f.shape[1:]) for f in self.features], \
                self.labels.view(self.R, self.n, -1)
        idx = self.order.index_select(1, self.t).squeeze(1).long()        # (R, B)
        rows = (idx + self.offset).view(-1)
        feats = [f.index_select(0, rows).view(self.R, self.batch, *f.shape[1:]) for f in self.features]
        return feats, self.labels.index_select(0, rows).view(self.R, self.batch, -1)

    def step(self) -> None:
        """One optimiser step on every replicate (no host synchronisation)."""
        plan = self.plan
        factor, c1, c2 = self.table.index_select(0, self.t).unbind(1)        # each (1,)
        if self.lengths is None:
            weights = self.full_weights
        else:
            weights = self.weights_by_length.index_select(0, self.lengths.index_select(0, self.t)).squeeze(0)
        feats, y = self._minibatch()
        # The weighted sum over positions and prompts is each replicate's mean loss; the
        # sum over replicates gives every replicate's slice its own gradient.
        with training_precision(plan.precision, self.device):
            loss = self.loss(self.forward, self.names, self.shapes, self.flat, feats, y, weights)
        (g,) = torch.autograd.grad(loss, self.flat)
        with torch.no_grad():
            if plan.clip is not None:
                norm = g.norm(dim=1, keepdim=True)               # (R, 1): one norm per replicate
                g = g * (plan.clip / norm.clamp(min=plan.clip))
            rate = factor * self.lr
            if plan.weight_decay:
                self.flat.sub_((rate * plan.weight_decay) * self.flat)
            if plan.optimizer == "sgd":
                self.flat.sub_(rate * g)
            else:
                adam_update(self.flat, g, self.m1, self.m2, rate=rate, c1=c1, c2=c2)
            self.t.add_(1)

    def run(self, capture_factory=None) -> StepReport:
        """Take the plan's steps (eagerly or captured, :func:`capture.run_steps`); gradients
        are on whatever the caller's context (a deferred fit may be trained inside a
        ``no_grad`` block that first reads its weights)."""
        with torch.enable_grad():
            return run_steps(self.step, self.plan.steps, self.device, mode=self.plan.capture,
                             capture_factory=capture_factory)

    def params(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.unflatten(self.flat.detach()).items()}


def train(params: dict[str, torch.Tensor], predict: Predictor, data: Prompts, *, steps: int,
          lr: float | torch.Tensor, order: torch.Tensor | None, optimizer: str = "adam",
          loss_from: int = 0, schedule: str = "constant", warmup: float = 0.05,
          clip: float | None = None, weight_decay: float = 0.0, curriculum: float = 0.0,
          precision: str = "fp32", capture: str = "auto", compile: bool = False) -> dict[str, torch.Tensor]:
    """Train every replicate's model on its own prompts; returns detached parameters.

    ``order`` ``(R, steps, B)`` holds each replicate's minibatch indices (drawn from the
    replicate streams, so two trainings can share the exact batch sequence, as the
    TV-stability estimate needs); ``None`` means full-batch gradient descent. ``lr`` may
    be a tensor broadcasting against every parameter (a step size per replicate).
    ``schedule``, ``warmup``, ``clip``, ``weight_decay``, ``curriculum``: see the module
    docstring; ``precision``, ``capture`` and ``compile``: :class:`TrainingPlan`.
    """
    plan = TrainingPlan(steps, optimizer, loss_from, schedule, warmup, clip, weight_decay, curriculum,
                        precision, capture, compile)
    run = TrainingRun(params, predict, data, lr=lr, order=order, plan=plan)
    run.run()
    return run.params()
