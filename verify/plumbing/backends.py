"""Where tasks run: this process, a local process pool, a Dask cluster, or Ray.

Every backend does one thing: take a list of :class:`~stl.verify.checks.check.Task` and
yield ``(index, (output, seconds))`` pairs as tasks finish, in any order. The runner
puts outputs back in plan order before a check concludes, and every task's randomness
comes from ``(seed, replicate)`` streams, so the numbers do not depend on the backend
or on the number of workers (tested in ``tests/verify/test_backends.py``).

Dask is the scale-out engine: ``DaskBackend(address)`` connects a
``distributed.Client`` to a running scheduler (``--address`` or the environment
variable ``STL_DASK_ADDRESS``); without an address it starts a ``LocalCluster``. Ray is
optional and imported only when chosen.

>>> from stl.verify.checks.task import Task
>>> from stl.verify.plumbing.backends import LocalBackend
>>> [out for _, (out, secs) in LocalBackend(1).imap_unordered([Task(dict, {"a": 1}), Task(dict, {"b": 2})])]
[{'a': 1}, {'b': 2}]
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import Any

from stl.verify.checks.task import Task, execute
from stl.verify.errors import InputError

BACKENDS: tuple[str, ...] = ("local", "dask", "ray")

#: Most workers one may ask for: a larger number would start that many processes here.
MAX_WORKERS: int = 256

#: Environment variable read for the Dask scheduler address when no option is given.
DASK_ADDRESS_ENV = "STL_DASK_ADDRESS"

TaskResult = tuple[Any, float]


def _check_workers(workers) -> None:
    if not isinstance(workers, int) or isinstance(workers, bool) or not 1 <= workers <= MAX_WORKERS:
        raise InputError("--workers", workers, f"an integer in [1, {MAX_WORKERS}]")


class Backend:
    """Base class; subclasses implement :meth:`imap_unordered` and may hold resources."""

    name = "base"
    workers = 1

    def imap_unordered(self, tasks: Sequence[Task]) -> Iterator[tuple[int, TaskResult]]:
        raise NotImplementedError  # pragma: no cover - abstract

    def close(self) -> None:
        """Release workers and connections (idempotent)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def describe(self) -> str:
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"


class LocalBackend(Backend):
    """Sequential in this process for ``workers == 1``, else a spawn-based process pool."""

    name = "local"

    def __init__(self, workers: int = 1):
        _check_workers(workers)
        self.workers = workers
        self._pool = None

    def _executor(self):
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # spawn: workers start clean (no inherited threads or torch state).
            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def imap_unordered(self, tasks):
        tasks = list(tasks)
        if self.workers == 1 or len(tasks) <= 1:
            for i, task in enumerate(tasks):
                yield i, execute(task)
            return
        from concurrent.futures import as_completed

        pool = self._executor()
        futures = {pool.submit(execute, task): i for i, task in enumerate(tasks)}
        try:
            for fut in as_completed(futures):
                yield futures[fut], fut.result()
        finally:
            for fut in futures:
                fut.cancel()

    def close(self):
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class DaskBackend(Backend):
    """Tasks as Dask futures on a ``distributed`` cluster.

    ``address``: scheduler address (``tcp://host:8786``); ``None`` starts a
    ``LocalCluster`` with ``workers`` single-threaded workers (``processes=False`` keeps
    them as threads of this process — light, for tests).
    """

    name = "dask"

    def __init__(self, address: str | None = None, workers: int = 1, processes: bool = True):
        _check_workers(workers)
        try:
            import distributed
        except ImportError:
            raise InputError("--backend", "dask",
                             "local or ray (dask is not installed: pip install 'stl-toolkit[dask]')") from None
        self.address = address
        self._cluster = None
        if address:
            try:
                self._client = distributed.Client(address, timeout="20s")
            except (OSError, TimeoutError, ValueError, TypeError) as exc:
                raise InputError("--address", address,
                                 f"a reachable Dask scheduler, e.g. tcp://host:8786 ({exc})") from None
            self.workers = max(len(self._client.scheduler_info().get("workers", {})), 1)
        else:
            self._cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=processes,
                # CRITICAL: worker heartbeats racing the shutdown log tracebacks at ERROR;
                # a failing task still raises through its future
                dashboard_address=None, silence_logs=50,
            )
            self._client = distributed.Client(self._cluster)
            self.workers = workers

    @property
    def client(self):
        return self._client

    def imap_unordered(self, tasks):
        import distributed

        tasks = list(tasks)
        if not tasks:
            return
        futures = [self._client.submit(execute, task, pure=False) for task in tasks]
        index = {fut.key: i for i, fut in enumerate(futures)}
        try:
            for fut in distributed.as_completed(futures):
                yield index[fut.key], fut.result()
        finally:
            for fut in futures:
                fut.release()

    def close(self):
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


class RayBackend(Backend):
    """Tasks as Ray remote functions (``pip install 'stl-toolkit[ray]'``)."""

    name = "ray"

    def __init__(self, address: str | None = None, workers: int = 1):
        try:
            import ray
        except ImportError:
            raise InputError("--backend", "ray",
                             "local or dask (ray is not installed: pip install 'stl-toolkit[ray]')") from None
        self._ray = ray
        if not ray.is_initialized():
            if address:
                ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
            else:
                ray.init(num_cpus=workers, ignore_reinit_error=True, log_to_driver=False)
        self.workers = workers
        self._remote = ray.remote(execute)

    def imap_unordered(self, tasks):
        ray = self._ray
        refs = [self._remote.remote(task) for task in tasks]
        index = {ref: i for i, ref in enumerate(refs)}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                yield index[ref], ray.get(ref)

    def close(self):
        if self._ray.is_initialized():
            self._ray.shutdown()


def make_backend(name: str, workers: int = 1, address: str | None = None) -> Backend:
    """The backend called ``name`` (``local``, ``dask`` or ``ray``).

    >>> make_backend("local", 1).describe()
    'local (1 worker)'
    """
    if name not in BACKENDS:
        raise InputError("--backend", name, ", ".join(BACKENDS))
    _check_workers(workers)
    if name == "local":
        if address:
            raise InputError("--address", address, "only with --backend dask or ray")
        return LocalBackend(workers)
    if name == "dask":
        return DaskBackend(address or os.environ.get(DASK_ADDRESS_ENV) or None, workers)
    return RayBackend(address, workers)
