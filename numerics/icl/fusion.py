"""A training step's loss compiled into fused kernels (``--param compile=on``).

The eager step of :mod:`stl.numerics.icl.training` runs one kernel per tensor operation:
about 180 for the two-layer ``learn-cpu`` network, each reading its inputs from device
memory and writing its result back. Counted operator by operator
(``benchmarks/gpu.py``, "traffic"), one replicate's step moves 58 MB, so at
``R = 256`` the eager sequence needs 15 GB a step: 3.1 ms at an H200's 4.8 TB/s before
any arithmetic, twice issue 19's 1.5 ms target. Replaying the kernels as a CUDA graph
removes their launch cost but not their traffic; only fewer, larger kernels do.

:class:`LossFunction` gives the step its loss — the forward pass, the squared error and
the per-position weights, and through autograd their backward — either as the plain
function or compiled by ``torch.compile`` (TorchInductor: elementwise chains such as
layer norm with its per-replicate gain, GELU and the residual adds become single
generated kernels, on a CPU as C++ and on CUDA as Triton). The compiled function is the
same mathematics with fewer intermediate tensors, so a compiled step equals the eager
step to floating-point reassociation (``tests/numerics/icl/test_fusion.py``), and it is
captured as a CUDA graph like the eager one.

Compiling costs time once per process and shape (16–30 s on 2 CPU cores for the
``learn-cpu`` network; a few seconds when torch's on-disk cache already holds it), so it
is off by default and pays for itself only in long trainings. Measured on one CPU thread,
``learn-cpu`` at R = 2: 13.1 ms a step against 16.2 eager, so a cold compilation is repaid
after about 5000 steps; the whole default ``stl simulate transformer --generations 0`` (one
fit of 2000 steps) took 1.08 times as long with it, 33.4 s against 30.9 s. On a GPU, where
the eager step's memory traffic is its floor, it is the route to issue 19's step-time
targets, measured there by ``benchmarks/gpu.py``.

A compilation that fails (no C compiler, no Triton) falls back to the plain function and
says so (a ``RuntimeWarning``, and :attr:`LossFunction.note`), never silently. The compiled
code is cached by torch per code object and input shapes, so the fits of one model in one
process compile once per replicate count (up to torch's recompile limit, 8 variants per
process by default; beyond it torch warns and runs the further variants eagerly).

>>> import torch
>>> f = LossFunction(compile=False)
>>> float(f(lambda p, x: p["a"] * x, ["a"], [(2,)], torch.ones(1, 2), [torch.ones(1, 2)],
...         torch.zeros(1, 2), torch.full((2,), 0.5)))
1.0
>>> f.note
'eager'
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence

import torch


def squared_loss(forward: Callable, names: Sequence[str], shapes: Sequence[tuple[int, ...]],
                 flat: torch.Tensor, feats: Sequence[torch.Tensor], y: torch.Tensor,
                 weights: torch.Tensor) -> torch.Tensor:
    """Every replicate's weighted squared error, summed over replicates.

    ``flat`` ``(R, P)`` holds every weight; ``names``/``shapes`` cut it into the network's
    tensors (views, no copy); ``weights`` ``(T,)`` weights each prompt position (the
    curriculum's mask over a fixed prompt length divided by the minibatch's count).
    """
    R = flat.shape[0]
    sizes = [math.prod(sh) for sh in shapes]
    params = {k: piece.view(R, *sh) for k, piece, sh in zip(names, flat.split(sizes, dim=1), shapes)}
    pred = forward(params, *feats)
    return (((pred.to(y.dtype) - y) ** 2) * weights).sum()


class LossFunction:
    """:func:`squared_loss`, plain (``compile=False``) or compiled with ``torch.compile``.

    ``note``: ``"eager"``, ``"compiled"`` (after the first successful call) or
    ``"eager (compile failed: …)"``.
    """

    def __init__(self, *, compile: bool):
        self.note = "compiled (not yet called)" if compile else "eager"
        self._fn = torch.compile(squared_loss, dynamic=False) if compile else squared_loss
        self._first = compile

    def __call__(self, *args) -> torch.Tensor:
        if not self._first:
            return self._fn(*args)
        self._first = False
        try:
            out = self._fn(*args)
        except Exception as exc:  # noqa: BLE001 - any compiler failure keeps the same loss, eagerly
            self._fn = squared_loss
            self.note = f"eager (compile failed: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:200]})"
            warnings.warn(f"--param compile=on: training without compiling, {self.note}", RuntimeWarning,
                          stacklevel=2)
            return squared_loss(*args)
        self.note = "compiled"
        return out
