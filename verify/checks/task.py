"""One independent unit of a check's work, and the function every backend ships.

A task is a module-level function plus plain keyword arguments, so it pickles to any
worker; its randomness comes only from ``(seed, replicate)`` streams
(:mod:`stl.numerics.rng`), so where it runs does not matter. ``key`` names the task
within its check (a tuple such as ``("loop", 0, 500)``), so that a check reads its
outputs by name, not by position (:class:`stl.verify.checks.check.Outputs`).

A task that raises ends only itself: :func:`guarded` wraps a task so that its exception
comes back as a :class:`TaskFailure` value (type, message, the end of the traceback)
instead of ending the process that runs the suite; the runner turns it into the
check's ``error`` verdict.

>>> def _double(x):
...     return 2 * x
>>> execute(Task(_double, {"x": 3}, ("double",)))[0]
6
>>> out, _ = execute(guarded(Task(_double, {"x": None}, ("double",))))
>>> out.error
"TypeError: unsupported operand type(s) for *: 'int' and 'NoneType'"
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from stl.verify.plumbing.frozen import FrozenDict


@dataclass(frozen=True)
class Task:
    """One independent unit of work: ``fn(**kwargs)``.

    ``fn`` must be a module-level function (so it pickles) and ``kwargs`` plain values;
    ``key`` names the task within its check (unique there), e.g. ``("loop", "cfg0", 500)``.
    """

    fn: Callable[..., Any]
    kwargs: Mapping[str, Any]
    key: Any = ""

    @property
    def label(self) -> str:
        """``key`` as text, for progress lines."""
        return " ".join(map(str, self.key)) if isinstance(self.key, tuple) else str(self.key)

    def __post_init__(self):
        object.__setattr__(self, "kwargs", FrozenDict(self.kwargs))

    def run(self) -> Any:
        return self.fn(**dict(self.kwargs))


@dataclass(frozen=True)
class TaskFailure:
    """What a guarded task returns instead of raising: ``Type: message`` and the traceback's end."""

    error: str
    trace: str = ""

    @classmethod
    def of(cls, exc: BaseException) -> "TaskFailure":
        import traceback

        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        return cls(describe_exception(exc), "".join(lines)[-4000:])


def describe_exception(exc: BaseException) -> str:
    """``Type: message`` on one line (at most 2000 characters)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:2000] if text else type(exc).__name__


def call_guarded(fn: Callable[..., Any], kwargs: Mapping[str, Any]) -> Any:
    """``fn(**kwargs)``, or a :class:`TaskFailure` if it raises an ``Exception`` (an
    interruption — ``KeyboardInterrupt``, ``SystemExit`` — still propagates)."""
    try:
        return fn(**dict(kwargs))
    except Exception as exc:  # noqa: BLE001 - every error of one task is recorded, not raised
        return TaskFailure.of(exc)


def guarded(task: Task) -> Task:
    """The same work as ``task`` (same key) whose exception is returned as a :class:`TaskFailure`."""
    return Task(call_guarded, {"fn": task.fn, "kwargs": task.kwargs}, task.key)


def execute(task: Task) -> tuple[Any, float]:
    """Run ``task`` and return ``(output, seconds)``; the function every backend ships."""
    start = time.perf_counter()
    out = task.run()
    return out, time.perf_counter() - start
