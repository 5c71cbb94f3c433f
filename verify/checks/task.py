"""One independent unit of a check's work, and the function every backend ships.

A task is a module-level function plus plain keyword arguments, so it pickles to any
worker; its randomness comes only from ``(seed, replicate)`` streams
(:mod:`stl.numerics.rng`), so where it runs does not matter. ``key`` names the task
within its check (a tuple such as ``("loop", 0, 500)``), so that a check reads its
outputs by name, not by position (:class:`stl.verify.checks.check.Outputs`).

>>> def _double(x):
...     return 2 * x
>>> execute(Task(_double, {"x": 3}, ("double",)))[0]
6
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from stl.verify.frozen import FrozenDict


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


def execute(task: Task) -> tuple[Any, float]:
    """Run ``task`` and return ``(output, seconds)``; the function every backend ships."""
    start = time.perf_counter()
    out = task.run()
    return out, time.perf_counter() - start
