"""Run a list of checks through a backend, storing each result as soon as it is done.

All tasks of all pending checks go to the backend at once (so a pool stays busy across
checks); when the last task of a check returns, the check concludes in this process and
its result is written to the store. Checks whose stored result is still valid are not
recomputed; stored files that cannot be trusted are reported and recomputed.

>>> from stl.verify.suites import resolve
>>> from stl.verify.backends import LocalBackend
>>> run = run_checks(resolve(["smoke-optimum"]), seed=0, backend=LocalBackend(1))
>>> [r.verdict for r in run.results]
['pass']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from stl.verify.backends import Backend, LocalBackend
from stl.verify.checks.check import Check, CheckResult
from stl.verify.store import Issue, ResultStore, fingerprint

#: ``on_event(kind, check_name, done, total)``; kind is ``"reused"`` or ``"finished"``.
EventFn = Callable[[str, str, int, int], None]


@dataclass(frozen=True)
class Run:
    """Results in the order the checks were given, plus what resume found."""

    results: tuple[CheckResult, ...]
    reused: tuple[str, ...]
    issues: tuple[Issue, ...]


def run_checks(checks: Sequence[Check], seed: int, backend: Backend | None = None,
               store: ResultStore | None = None, on_event: EventFn | None = None) -> Run:
    backend = backend or LocalBackend(1)
    checks = list(checks)
    total = len(checks)
    results: dict[str, CheckResult] = {}
    reused: list[str] = []
    issues: list[Issue] = []
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
                done += 1
                if on_event:
                    on_event("reused", check.name, done, total)
                continue
        pending.append(check)

    # Flatten every pending check's tasks into one list for the backend.
    flat = []
    owner: list[tuple[int, int]] = []
    outputs: list[list] = []
    times: list[float] = []
    remaining: list[int] = []
    for ci, check in enumerate(pending):
        tasks = check.tasks(seed)
        outputs.append([None] * len(tasks))
        times.append(0.0)
        remaining.append(len(tasks))
        for ti, task in enumerate(tasks):
            flat.append(task)
            owner.append((ci, ti))

    def conclude(ci: int) -> None:
        nonlocal done
        check = pending[ci]
        result = check.finish(seed, outputs[ci], times[ci])
        if store is not None:
            store.save(result, fps[check.name])
        results[check.name] = result
        outputs[ci] = []  # free memory
        done += 1
        if on_event:
            on_event("finished", check.name, done, total)

    for ci, n_tasks in enumerate(remaining):
        if n_tasks == 0:
            conclude(ci)
    for index, (out, secs) in backend.imap_unordered(flat):
        ci, ti = owner[index]
        outputs[ci][ti] = out
        times[ci] += secs
        remaining[ci] -= 1
        if remaining[ci] == 0:
            conclude(ci)

    return Run(tuple(results[c.name] for c in checks), tuple(reused), tuple(issues))
