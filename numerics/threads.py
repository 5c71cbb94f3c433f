"""How many CPU threads torch may use inside the toolkit's training loops.

The networks the loop trains (LSA, the small transformers, flows, char-LMs) hold a few
thousand weights each; a training step is hundreds of tiny kernels, and their cost is
launch overhead, not arithmetic. Extra intra-op threads do not speed that up, and on a
machine that other jobs keep busy they spin waiting for each other: the quick suite's T2
check took 510 s instead of 16 s on two cores at load average 15 (issue 10), and 50 Adam
steps of ``charlm`` took 32 s on two threads against 0.6 s on one.

So the policy is **one thread** by default, inside a block that restores torch's
previous setting afterwards (the toolkit never changes the setting for the rest of a
caller's program). A user who trains something large enough to profit from threads
sets ``STL_TORCH_THREADS`` (an integer in ``[1, available_cpus()]``, or ``auto`` for
all of them).

>>> resolve_threads({"STL_TORCH_THREADS": "1"})
1
>>> resolve_threads({}) == DEFAULT_THREADS
True
>>> resolve_threads({"STL_TORCH_THREADS": "auto"}) == available_cpus()
True

The same holds for the BLAS under numpy: the classical models call LAPACK and BLAS on
stacks of small matrices (``(R, d, d)`` factorisations, ``(R, n, d) @ (R, d, d)``
products), where a second OpenBLAS thread on a busy machine costs far more than it
gives: ``stl simulate gaussian --scheme accumulate --n 100 --generations 100
--replicates 100 --param dim=10`` took 41 s of CPU with OpenBLAS's default two threads
at load average 4 and 7.5 s with one. The ``stl`` command therefore starts with one
BLAS thread (:func:`limit_blas_threads`, before numpy is imported) unless the user has
set the variable; a library user keeps numpy's own default.

>>> env = {"OMP_NUM_THREADS": "4"}
>>> limit_blas_threads(env)["OPENBLAS_NUM_THREADS"], env["OMP_NUM_THREADS"]
('1', '4')
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterator, Mapping

from stl.numerics.errors import InputError

#: Threads used when ``STL_TORCH_THREADS`` is not set (see the module docstring).
DEFAULT_THREADS = 1
ENV = "STL_TORCH_THREADS"


def available_cpus() -> int:
    """CPUs this process may run on: the affinity mask, capped by a cgroup CPU quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 1
    try:  # cgroup v2: "max 100000" or "200000 100000"
        quota, period = open("/sys/fs/cgroup/cpu.max", encoding="ascii").read().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, int(int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


def resolve_threads(environ: Mapping[str, str] | None = None) -> int:
    """The thread count the policy gives under ``environ`` (default ``os.environ``)."""
    environ = os.environ if environ is None else environ
    raw = environ.get(ENV, "").strip()
    if not raw:
        return DEFAULT_THREADS
    cpus = available_cpus()
    if raw == "auto":
        return cpus
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if not 1 <= value <= cpus:
        raise InputError(ENV, raw, f"an integer in [1, {cpus}] or 'auto'")
    return value


#: The variables the BLAS/OpenMP runtimes under numpy and scipy read at start-up.
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_blas_threads(environ=None):
    """Set each of :data:`BLAS_VARIABLES` to ``1`` where it is not set already (the user's
    value wins); returns ``environ``. Only effective before numpy is first imported."""
    environ = os.environ if environ is None else environ
    for name in BLAS_VARIABLES:
        environ.setdefault(name, str(DEFAULT_THREADS))
    return environ


@contextmanager
def torch_threads(threads: int | None = None) -> Iterator[int]:
    """Run torch with ``threads`` intra-op threads (default: :func:`resolve_threads`)
    inside the block, then restore the previous setting; yields the count used."""
    import torch

    count = resolve_threads() if threads is None else threads
    before = torch.get_num_threads()
    if count != before:
        torch.set_num_threads(count)
    try:
        yield count
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)
