"""Run a list of checks through a backend, storing each task and each result as soon as it is done.

All tasks of all pending checks go to the backend at once (so a pool stays busy across
checks); when the last task of a check returns, the check concludes in this process and
its result is written to the store. With a store, every finished *task* is stored too
(``DIR/tasks/<check>/``, bit-exact and pickle-free: :mod:`stl.verify.plumbing.codec`), so a run
killed in the middle of a long check resumes inside it: only the missing tasks run
again, and because every task's randomness comes from ``(seed, replicate)`` streams the
concluded result is the same as an uninterrupted run's. Checks whose stored result is
still valid are not recomputed; stored files that cannot be trusted are reported and
recomputed. A check that raises — in its plan, in a task or in its conclusion — is
recorded with the verdict ``error`` and the rest of the suite runs on; its finished
tasks stay stored, so resuming re-runs only what errored.

>>> from stl.verify.suites import resolve
>>> from stl.verify.plumbing.backends import LocalBackend
>>> run = run_checks(resolve(["smoke-optimum"]), seed=0, backend=LocalBackend(1))
>>> [r.verdict for r in run.results]
['pass']
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from stl.verify.plumbing.backends import Backend, LocalBackend
from stl.verify.checks.check import Check, CheckResult
from stl.verify.checks.task import Task, TaskFailure, describe_exception, guarded
from stl.verify.plumbing.frozen import thaw
from stl.verify.store import Issue, ResultStore, fingerprint

#: ``on_event(kind, name, done, total)``. ``kind`` is ``"reused"`` or ``"finished"`` for a
#: check (``done``/``total`` count checks), or ``"task"`` for one finished task (``name`` is
#: ``"check: task label"``; ``done``/``total`` count the tasks this run computes).
EventFn = Callable[[str, str, int, int], None]


@dataclass(frozen=True)
class Run:
    """Results in the order the checks were given, plus what resume found.

    ``reused``: checks whose stored result was reused whole; ``resumed``: checks that
    continued from stored tasks, ``{name: (tasks reused, tasks in all)}``.
    """

    results: tuple[CheckResult, ...]
    reused: tuple[str, ...]
    issues: tuple[Issue, ...]
    resumed: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def errors(self) -> tuple[str, ...]:
        """Checks that raised instead of concluding (verdict ``error``)."""
        return tuple(r.name for r in self.results if r.verdict == "error")


def task_fingerprint(check_fp: str, index: int, task: Task) -> str:
    """What identifies one task's output: its check, its place in the plan, its function
    and its arguments (a changed plan never reuses a stored output)."""
    from stl.verify.store import digest

    fn = getattr(task.fn, "__module__", "?") + ":" + getattr(task.fn, "__qualname__", repr(task.fn))
    kwargs = json.loads(json.dumps(thaw(task.kwargs), sort_keys=True, default=repr))
    return digest({"check": check_fp, "index": int(index), "key": repr(task.key), "fn": fn, "kwargs": kwargs})


def run_checks(checks: Sequence[Check], seed: int, backend: Backend | None = None,
               store: ResultStore | None = None, on_event: EventFn | None = None) -> Run:
    """Run ``checks`` to their end; a check that raises gets the verdict ``error``.

    The plan, every task (guarded: :func:`~stl.verify.checks.task.guarded`) and the
    conclusion of each check may raise; the exception becomes that check's ``error``
    result (``details``: ``error``, ``where``, ``traceback``) and every other check runs
    on. An ``error`` result is never stored, while the tasks that finished are, so a
    resumed run recomputes the checks that errored — only their missing tasks — and
    reuses everything else. If the backend itself fails (a worker process killed), the
    checks still waiting for tasks get ``error`` with the backend's message.
    """
    backend = backend or LocalBackend(1)
    checks = list(checks)
    total = len(checks)
    results: dict[str, CheckResult] = {}
    reused: list[str] = []
    issues: list[Issue] = []
    resumed: dict[str, tuple[int, int]] = {}
    done = 0

    if store is not None:
        issues.extend(store.sweep())
    fps = {c.name: fingerprint(c.name, c.kind, c.parameters, seed) for c in checks}
    pending: list[Check] = []
    for check in checks:
        if store is not None:
            result, issue = store.lookup(check.name, fps[check.name])
            if issue is not None:
                issues.append(issue)
            if result is not None:
                results[check.name] = result
                reused.append(check.name)
                store.clear_tasks(check.name)
                done += 1
                if on_event:
                    on_event("reused", check.name, done, total)
                continue
        pending.append(check)

    # Flatten every pending check's missing tasks into one list for the backend.
    flat: list[Task] = []
    owner: list[tuple[int, int, str]] = []
    outputs: list[list] = []
    times: list[float] = []
    remaining: list[int] = []
    failures: list[tuple[str, str, str] | None] = []   # (where, error, traceback) of each check
    keys: list[list] = []
    for ci, check in enumerate(pending):
        failures.append(None)
        try:
            tasks = check.tasks(seed)
        except Exception as exc:  # noqa: BLE001 - recorded as the check's error
            failures[ci] = ("plan", describe_exception(exc), _trace(exc))
            tasks = ()
        outputs.append([None] * len(tasks))
        keys.append([t.key for t in tasks])
        times.append(0.0)
        remaining.append(len(tasks))
        found = 0
        for ti, task in enumerate(tasks):
            tfp = task_fingerprint(fps[check.name], ti, task) if store is not None else ""
            if store is not None:
                stored, issue = store.lookup_task(check.name, ti, tfp)
                if issue is not None:
                    issues.append(issue)
                if stored is not None:
                    outputs[ci][ti], secs = stored
                    times[ci] += secs
                    remaining[ci] -= 1
                    found += 1
                    continue
            flat.append(guarded(task))
            owner.append((ci, ti, tfp))
        if found:
            resumed[check.name] = (found, len(tasks))

    def conclude(ci: int) -> None:
        nonlocal done
        check = pending[ci]
        result = None
        if failures[ci] is None:
            try:
                result = check.finish(seed, outputs[ci], times[ci])
            except Exception as exc:  # noqa: BLE001 - recorded as the check's error
                failures[ci] = ("conclude", describe_exception(exc), _trace(exc))
        if result is None:
            where, error, trace = failures[ci]
            result = check.failed(seed, where, error, times[ci], trace)
        elif store is not None:
            store.save(result, fps[check.name])
            store.clear_tasks(check.name)
        results[check.name] = result
        outputs[ci] = []  # free memory
        remaining[ci] = -1
        done += 1
        if on_event:
            on_event("error" if result.verdict == "error" else "finished", check.name, done, total)

    for ci, n_tasks in enumerate(remaining):
        if n_tasks == 0:
            conclude(ci)
    tasks_done = 0
    try:
        for index, (out, secs) in backend.imap_unordered(flat):
            ci, ti, tfp = owner[index]
            times[ci] += secs
            remaining[ci] -= 1
            tasks_done += 1
            if isinstance(out, TaskFailure):
                if failures[ci] is None:
                    failures[ci] = (f"task {flat[index].label or ti}", out.error, out.trace)
            else:
                outputs[ci][ti] = out
                if store is not None:  # kept until the check's result is stored
                    store.save_task(pending[ci].name, ti, tfp, out, secs)
            if on_event:
                on_event("task", f"{pending[ci].name}: {flat[index].label}", tasks_done, len(flat))
            if remaining[ci] == 0:
                conclude(ci)
    except Exception as exc:  # noqa: BLE001 - the backend broke: what is unfinished errs, the rest stands
        error, trace = describe_exception(exc), _trace(exc)
        for ci, left in enumerate(remaining):
            if left > 0:
                if failures[ci] is None:
                    failures[ci] = ("backend", f"the backend stopped before this check's tasks ended: {error}", trace)
                conclude(ci)

    return Run(tuple(results[c.name] for c in checks), tuple(reused), tuple(issues), dict(resumed))


def _trace(exc: BaseException) -> str:
    import traceback

    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-4000:]
