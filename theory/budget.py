"""A deadline for symbolic work, so that no input hangs a command.

sympy's algorithms (limits, simplification, assumption queries on large polynomials)
have no time limit of their own, and what they cost depends on the input in ways that
no size cap captures fully. :func:`deadline` arms a timer; when it fires inside the
``with`` block, :class:`~stl.theory.errors.TimeBudgetExceeded` is raised there. The
timer then re-fires every quarter second, so a handler deep in sympy that swallows one
interrupt cannot keep the work alive.

It needs ``SIGALRM`` (POSIX) and the main thread; elsewhere it does nothing and the
work runs unbounded, as before.

>>> import time
>>> try:
...     with deadline(0.05):
...         time.sleep(1)
... except TimeBudgetExceeded as exc:
...     print(exc)
symbolic work did not finish within 0.05 s
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from stl.theory.errors import TimeBudgetExceeded

#: Default budget of one ``stl derive``/``stl latex`` call, in seconds. Every named
#: result with every documented option takes under 5 s on one slow core; the margin is
#: for loaded machines. ``STL_SYMBOLIC_TIMEOUT`` overrides it.
DEFAULT_SECONDS = 30.0


def default_seconds() -> float:
    """:data:`DEFAULT_SECONDS`, or ``STL_SYMBOLIC_TIMEOUT`` when that is a positive number."""
    text = os.environ.get("STL_SYMBOLIC_TIMEOUT", "")
    try:
        value = float(text)
    except ValueError:
        return DEFAULT_SECONDS
    return value if 0 < value < 86400 else DEFAULT_SECONDS


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise :class:`TimeBudgetExceeded` in the block once ``seconds`` have passed."""
    usable = (seconds is not None and seconds > 0 and hasattr(signal, "SIGALRM")
              and threading.current_thread() is threading.main_thread())
    if not usable:
        yield
        return

    def expire(signum, frame):
        raise TimeBudgetExceeded(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.25)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
