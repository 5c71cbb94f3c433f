"""Work and memory budget: refuse a run that cannot finish before starting it.

``stl simulate``, ``stability``, ``bound`` and ``sweep`` estimate, from the model, ``n``,
the replicates and the generations, how much memory the run holds at its peak and how
long it computes, *before* any work starts. A run that needs more memory than the
machine has available is refused (it would end in a ``MemoryError`` or take the machine
down); a run estimated to take longer than ``--max-time`` seconds (default one day) is
refused with the estimate; one estimated above ten minutes gets a one-line note on
stderr, so a long run is never silent.

The estimate counts *element operations*: per replicate and generation, a model touches
its training set and, when its metrics draw one, its Monte Carlo probe (``(n + probe) × p``
numbers, ``p`` the numbers of one data point), its fitted parameters (``q`` numbers) and,
for models whose parameters hold the training data (``q`` grows with ``n``, e.g. a kernel
density estimate), ``q × probe`` density terms. The in-context learners train a network: ``steps × batch × (m + 1) × h² ×
layers`` per replicate and generation (``h`` the width, ``d + 1`` for linear attention).
``p`` and ``q`` come from the model's own cost model (:meth:`Model.cost
<stl.numerics.models.base.Model.cost>`: by default a one-point draw and fits on two sizes),
so the estimate needs no table of model names and reads no model's parameters. An in-context learner also says
how much memory one replicate's training needs (``training_bytes_per_replicate``, the
estimate its fits use to decide how many replicates train together,
:mod:`stl.numerics.icl.sizing`): a run is refused when not even one replicate fits on its
device, and on CUDA its time is counted per optimiser step — a fixed cost per step
(:data:`CUDA_SECONDS_PER_STEP`, the replay of one captured step) plus its arithmetic at
:data:`CUDA_FLOPS` — because a step costs the same for 8 replicates as for 256 there. The seconds per element
operation (:data:`SECONDS_PER_UNIT`) and per generation (:data:`SECONDS_PER_GENERATION`)
are calibrated by ``benchmarks/run.py`` (its budget section: CPU seconds of the loop
against the estimate over the numpy models at three sizes); the promise — right to within
a factor of ten, which is what a budget needs — is measured there, not in the tests.

>>> from stl.numerics.models.registry import get_model
>>> est = estimate_run(get_model("categorical", {"k": "10"}), n=100, replicates=200, generations=10)
>>> est.peak_bytes < 10**8, est.seconds < 60
(True, True)
>>> estimate_run(get_model("categorical", {"k": "10"}), n=100, replicates=200,
...              generations=10**7).peak_bytes > 10**10
True
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from stl.numerics.models.cost import Cost
from stl.verify.errors import InputError

#: Seconds per element operation of the numpy models and per training unit of the torch
#: models (measured: 0.4–3 × 10⁻⁸ over categorical, gaussian, linreg and kde).
SECONDS_PER_UNIT = 2e-8
#: Seconds per training unit (one weight times one prompt token) of the torch models
#: (measured: 0.9–1.2 × 10⁻⁹ for lsa and transformer on the CPU).
SECONDS_PER_TRAIN_UNIT = 1e-9
#: CUDA: the fixed cost of one captured training step and the arithmetic rate of its
#: float32 products (both conservative for an H100/H200 class GPU: issue 19's benchmark,
#: benchmarks/gpu.py, measures them; a step of the learning recipe is launch-bound below
#: a few hundred replicates).
CUDA_SECONDS_PER_STEP = 1e-3
CUDA_FLOPS = 1e13
#: Python overhead of one generation of the loop (measured: 1.2 × 10⁻⁴ s with tiny sizes).
SECONDS_PER_GENERATION = 1.2e-4
#: Default ``--max-time``: one day.
DEFAULT_MAX_TIME_S = 86_400.0
#: Above this estimate a run prints a note (it is long; progress shows on a terminal).
NOTE_ABOVE_S = 600.0
_BYTES = 8  # float64 / int64


@dataclass(frozen=True)
class Estimate:
    """What a run is expected to cost: peak memory and compute time, and how they were found."""

    peak_bytes: float
    seconds: float
    units: float
    explanation: str
    #: Device memory one replicate's training needs (ICL models on CUDA; 0 otherwise).
    device_bytes: float = 0.0

    def describe(self) -> str:
        return f"about {_size(self.peak_bytes)} of memory and {_duration(self.seconds)} ({self.explanation})"


#: The sizes of one model at one ``n`` (:class:`stl.numerics.models.cost.Cost`), read from the model.
Shape = Cost


def model_shape(model, n: int) -> Cost:
    """What one replicate and generation of ``model`` costs at ``n``: the model's own cost
    model (:meth:`stl.numerics.models.base.Model.cost`; the in-context learners state
    their training's)."""
    return model.cost(n)


def estimate_run(model, n: int, replicates: int, generations: int, *, metrics: int | None = None,
                 command: str = "simulate", neighbours: int = 16, est_replicates: int = 0) -> Estimate:
    """Peak memory and time of one run of ``command`` (``simulate``, ``stability``, ``bound``).

    ``stability`` fits ``2 × neighbours`` neighbouring datasets per replicate (held at once)
    and runs three chains over the generations (the coupled pair for ``γ`` and one for
    ``d_TV``); ``bound`` is a loop plus those estimators on ``est_replicates``.
    """
    try:
        s = model_shape(model, n)
    except Exception:  # noqa: BLE001 - a model whose tiny fit fails still runs; estimate it as one number per point
        s = Cost(1, 0, False, int(getattr(model, "probe_size", 0) or 0), 0.0)
    gens = generations + 1
    metrics = len(getattr(model, "metric_names", ())) if metrics is None else metrics
    # element operations per replicate and generation, the training of a network counted
    # in element operations at the ratio of the two measured speeds
    per_rep_gen = (n + s.probe) * s.point + s.params + (s.params * s.probe if s.params_grow else 0) \
        + s.train_units * (SECONDS_PER_TRAIN_UNIT / SECONDS_PER_UNIT)

    def loop(reps: float, passes: float) -> tuple[float, float]:
        # memory: the training set, the synthetic set, the pool and pre-drawn noise (4 × n
        # points), the probe, three parameter sets (parent, child, real) and the trajectory
        data = 4 * n * s.point + s.probe * s.point + 3 * s.params
        if s.params_grow:  # densities of the probe (or the training set) against every kept point
            data += 3 * s.params * max(s.probe, n)
        return reps * _BYTES * (data * passes + gens * metrics), reps * per_rep_gen * gens * passes

    if command == "stability":
        mem, _ = loop(replicates, 1)
        nb_mem = replicates * _BYTES * 2 * neighbours * ((n + s.probe) * s.point + s.params)
        units = replicates * per_rep_gen * (2 * neighbours + 3 * gens)
        mem, what = max(mem * 2, nb_mem), f"{replicates} replicates × ({2 * neighbours} neighbours + 3 × {gens} generations)"
    elif command == "bound":
        mem, units = loop(replicates, 1)
        r_e = est_replicates or min(replicates, 200)
        units += r_e * per_rep_gen * (2 * neighbours + 3 * gens)
        mem = max(mem, r_e * _BYTES * 2 * neighbours * ((n + s.probe) * s.point + s.params))
        what = f"{replicates} replicates × {gens} generations, constants on {r_e} replicates"
    else:
        mem, units = loop(replicates, 1)
        what = f"{replicates} replicates × {gens} generations × n = {n}"
    sizes = f"{s.point} numbers per point, {s.params} per fitted model"
    seconds = units * SECONDS_PER_UNIT + gens * SECONDS_PER_GENERATION * (3 if command != "simulate" else 1)
    device = getattr(model, "device", "cpu")
    if s.train_bytes:
        # One replicate's training must fit (more train together when they fit): on the CPU
        # it is host memory like the rest; on CUDA the device's (checked in enforce_device).
        sizes += f", {_size(s.train_bytes)} to train one replicate"
        if device != "cuda":
            mem += s.train_bytes
    if device == "cuda" and s.steps:
        trained = units / max(per_rep_gen, 1.0)           # replicate-generations fitted
        train_share = s.train_units * (SECONDS_PER_TRAIN_UNIT / SECONDS_PER_UNIT)
        # the replicates of a generation train together: a step's fixed cost once for all
        per_step = CUDA_SECONDS_PER_STEP + s.step_flops / CUDA_FLOPS * replicates
        gpu_s = per_step * s.steps * trained / max(replicates, 1)
        seconds = (gpu_s + trained * (per_rep_gen - train_share) * SECONDS_PER_UNIT
                   + gens * SECONDS_PER_GENERATION * (3 if command != "simulate" else 1))
    return Estimate(float(mem), float(seconds), float(units), f"{what}; {sizes}", float(s.train_bytes))


def _meminfo(key: str, path: str = "/proc/meminfo") -> float | None:
    try:
        with open(path, encoding="ascii") as fh:
            for line in fh:
                if line.startswith(key + ":"):
                    return float(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _cgroup_room() -> float | None:
    """Room left under a cgroup v2 memory limit (containers, CI runners, batch jobs)."""
    try:
        with open("/sys/fs/cgroup/memory.max", encoding="ascii") as fh:
            limit = fh.read().strip()
        with open("/sys/fs/cgroup/memory.current", encoding="ascii") as fh:
            used = fh.read().strip()
    except OSError:
        return None
    if limit == "max" or not limit.isdigit() or not used.isdigit():
        return None
    return float(int(limit) - int(used))


def _rlimit_room() -> float | None:
    """Room left under this process's address-space limit (``ulimit -v``)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    size = _meminfo("VmSize", f"/proc/{os.getpid()}/status") or 0.0
    return float(soft) - size


def available_bytes() -> float:
    """Memory this process may still use: the least of the machine's ``MemAvailable``
    (Linux; else physical memory), a cgroup limit and an address-space limit."""
    rooms = [r for r in (_meminfo("MemAvailable"), _cgroup_room(), _rlimit_room()) if r is not None]
    if not rooms:
        try:
            rooms = [float(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))]
        except (ValueError, OSError, AttributeError):
            return math.inf
    return max(min(rooms), 0.0)


def enforce(estimate: Estimate, *, max_time_s: float | None = None, argument: str = "--n/--replicates/--generations",
            memory_bytes: float | None = None) -> str | None:
    """Refuse (``InputError``) a run beyond the memory or time budget; return a note for a
    long run (``None`` otherwise)."""
    memory = available_bytes() if memory_bytes is None else memory_bytes
    limit = DEFAULT_MAX_TIME_S if max_time_s is None else float(max_time_s)
    if estimate.peak_bytes > memory:
        raise InputError(argument, f"a run needing {estimate.describe()}",
                         f"a run within the {_size(memory)} of memory available (fewer replicates, "
                         "generations or a smaller n)")
    if estimate.seconds > limit:
        raise InputError(argument, f"a run estimated at {estimate.describe()}",
                         f"a run estimated within --max-time {limit:g} s (raise --max-time to run it anyway)")
    if estimate.seconds > NOTE_ABOVE_S:
        return f"note: this run is estimated at {_duration(estimate.seconds)} ({estimate.explanation})"
    return None


def check_args(args, model, scheme) -> None:
    """The budget check of ``stl simulate|stability|bound`` (called from ``cmd_simulate.build``)."""
    import sys

    command = getattr(args, "command", "simulate")
    metric = getattr(args, "metric", None)
    est = estimate_run(model, scheme.n, args.replicates, args.generations,
                       metrics=len(set(metric)) if metric else None, command=command,
                       neighbours=int(getattr(args, "neighbours", 16) or 16),
                       est_replicates=int(getattr(args, "est_replicates", 0) or 0))
    if getattr(model, "device", "cpu") == "cuda" and est.device_bytes:
        enforce_device(est.device_bytes)
    note = enforce(est, max_time_s=getattr(args, "max_time", None))
    if note and not getattr(args, "quiet", False):
        print(f"stl {command}: {note}", file=sys.stderr)


def enforce_device(per_replicate: float, free: float | None = None) -> None:
    """Refuse a run whose single replicate cannot train in the CUDA device's free memory
    (more replicates are split into trainings that fit, so one is the limit)."""
    if free is None:
        import torch

        from stl.numerics.icl.sizing import free_bytes

        free = free_bytes(torch.device("cuda"))
    if per_replicate > free:
        raise InputError("--n", f"a run needing {_size(per_replicate)} of GPU memory per replicate",
                         f"a run within the {_size(free)} free on the GPU (a smaller n, batch or network)")


def _size(b: float) -> str:
    if not math.isfinite(b):
        return "unlimited"
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= scale:
            return f"{b / scale:.3g} {unit}"
    return f"{b:.0f} B"


def _duration(s: float) -> str:
    if s >= 86_400:
        return f"{s / 86_400:.3g} days"
    if s >= 3600:
        return f"{s / 3600:.3g} h"
    if s >= 60:
        return f"{s / 60:.3g} min"
    return f"{s:.2g} s"
