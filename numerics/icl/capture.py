"""Run one training step many times: eagerly, or captured once as a CUDA graph and replayed.

A training step of :mod:`stl.numerics.icl.training` is a function of no arguments that
reads and writes only tensors it was built with (weights, optimiser moments, a step
counter, the data): nothing in it depends on Python values that change between steps,
and nothing copies a value to the host. Such a step can be recorded once as a CUDA
graph and replayed: the GPU then runs the step's few hundred kernels back to back,
without the per-kernel launch cost that made the eager step launch-bound (issue 19:
10 ms a step whatever the replicate count).

:func:`run_steps` does it in the order CUDA graphs need: ``warmup`` eager steps on a side
stream (they are real steps: cuBLAS picks its kernels and the caching allocator settles),
then one step captured (capture records kernels without running them, so it does not
advance the state), then ``steps − warmup`` replays. The number of steps taken is
``steps`` in every mode, and the replayed kernels are the eager ones, so a captured run
equals an eager run to floating-point tolerance (``tests/numerics/icl/test_training.py``
on the CPU with a stand-in graph, ``test_gpu.py`` on CUDA).

``mode``: ``"eager"``, ``"graph"`` (refuse to run if capture fails) or ``"auto"`` (graph on
CUDA when there are enough steps to amortise capture; eager otherwise, and eager after
a failed capture, reported in :class:`StepReport` rather than hidden).

>>> count = []
>>> report = run_steps(lambda: count.append(1), 5, "cpu", mode="auto")
>>> len(count), report.mode
(5, 'eager')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from stl.numerics.errors import InputError

MODES = ("auto", "eager", "graph")
#: Eager steps before capture (cuBLAS handles, workspace and allocator pool settle).
WARMUP = 3
#: ``auto`` captures only runs with more steps than this (capture costs a few steps' time).
MIN_STEPS_TO_CAPTURE = 20


@dataclass(frozen=True)
class StepReport:
    """How a run's steps were executed: ``mode`` (``eager``/``graph``), ``steps`` taken,
    ``eager_steps`` among them, and why capture was not used (``None`` when it was)."""

    mode: str
    steps: int
    eager_steps: int
    reason: str | None = None


def _cuda_graph_factory():
    import torch

    def capture(step: Callable[[], None]):
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            step()
        return graph.replay

    return capture


def _side_stream_warmup(step: Callable[[], None], count: int) -> None:
    import torch

    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(count):
            step()
    torch.cuda.current_stream().wait_stream(side)


def prepare_steps(step: Callable[[], None], steps: int, device, *, mode: str = "auto",
                  capture_factory: Callable | None = None,
                  warmup: int = WARMUP) -> tuple[Callable[[], None], int, StepReport]:
    """Get ready to take ``steps`` steps: ``(advance, taken, report)``, where ``taken`` steps
    were already taken (the eager warm-up before a capture) and each call of ``advance``
    takes one more (a graph replay, or the eager step). :func:`run_steps` and the
    benchmark's timings share it.

    ``capture_factory`` (tests) replaces CUDA-graph capture: it returns ``capture(step)``,
    which records ``step`` *without* running it and returns a function that replays it.
    """
    if mode not in MODES:
        raise InputError("capture", mode, ", ".join(MODES))
    device_type = getattr(device, "type", device)
    if mode == "graph" and device_type != "cuda" and capture_factory is None:
        raise InputError("capture", mode, "eager or auto on the CPU (CUDA graphs need CUDA)")
    want_graph = mode == "graph" or (mode == "auto" and (device_type == "cuda" or capture_factory is not None)
                                     and steps > MIN_STEPS_TO_CAPTURE)
    if not want_graph or steps <= warmup:
        why = None if mode == "eager" else ("not CUDA" if device_type != "cuda" else "too few steps")
        return step, 0, StepReport("eager", steps, steps, why)
    if capture_factory is None:
        _side_stream_warmup(step, warmup)
    else:
        for _ in range(warmup):
            step()
    try:
        replay = (capture_factory or _cuda_graph_factory())(step)
    except Exception as exc:  # noqa: BLE001 - any capture failure falls back to the eager step
        if mode == "graph":
            raise
        # A failed capture ran nothing (capture records, it does not execute), so the
        # remaining steps are still to take: take them eagerly and say why.
        return step, warmup, StepReport("eager", steps, steps, f"capture failed: {type(exc).__name__}: {exc}")
    return replay, warmup, StepReport("graph", steps, warmup)


def run_steps(step: Callable[[], None], steps: int, device, *, mode: str = "auto",
              capture_factory: Callable | None = None, warmup: int = WARMUP) -> StepReport:
    """Take ``steps`` steps of ``step`` on ``device`` (see the module docstring and
    :func:`prepare_steps`)."""
    advance, taken, report = prepare_steps(step, steps, device, mode=mode, capture_factory=capture_factory,
                                           warmup=warmup)
    for _ in range(steps - taken):
        advance()
    return report
