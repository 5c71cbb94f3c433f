"""Argparse ``type=`` callables, one per contract range (DESIGN.md "Conventions").

Every option value is checked once, where it is parsed; a bad value becomes one line
``stl CMD: error: argument --n: got 0; allowed: an integer in [1, 1000000000]`` with
exit status 2 (argparse reports an ``ArgumentTypeError`` after naming the option).
Upper limits keep numbers that parse (``--replicates 99999999999999999999``) from
reaching numpy as sizes it cannot allocate.

>>> COUNT(1, 10)("3")
3
>>> COUNT(1, 10)("0")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: got 0; allowed: an integer in [1, 10]
>>> PROPORTION("0.25"), SEED("7")
(0.25, 7)
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

#: Largest sizes accepted on the command line: beyond them one dataset, one replicate
#: axis or one trajectory alone exceeds any machine's memory.
MAX_N = 10**9
MAX_REPLICATES = 10**9
MAX_GENERATIONS = 10**7
MAX_SEED = 2**63 - 1


def _fail(text: str, allowed: str):
    shown = text if len(text) <= 40 else text[:37] + "..."
    return argparse.ArgumentTypeError(f"got {shown}; allowed: {allowed}")


def COUNT(low: int, high: int) -> Callable[[str], int]:  # noqa: N802 - a type factory, read like a type
    """An integer in ``[low, high]`` written as an integer (``1e3`` and ``2.5`` are refused)."""
    allowed = f"an integer in [{low}, {high}]"

    def parse(text: str) -> int:
        stripped = text.strip()
        if not stripped or len(stripped) > 30:
            raise _fail(text, allowed)
        try:
            value = int(stripped, 10)
        except ValueError:
            raise _fail(text, allowed) from None
        if not low <= value <= high:
            raise _fail(text, allowed)
        return value

    parse.__name__ = "integer"
    return parse


def REAL(low: float, high: float, *, low_open: bool = False, high_open: bool = False,  # noqa: N802
         allowed: str | None = None) -> Callable[[str], float]:
    """A finite number in the interval (NaN and infinities are refused)."""
    left, right = "(" if low_open else "[", ")" if high_open else "]"
    allowed = allowed or f"a number in {left}{low:g}, {high:g}{right}"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise _fail(text, allowed) from None
        if not math.isfinite(value) or value < low or value > high or (low_open and value == low) \
                or (high_open and value == high):
            raise _fail(text, allowed)
        return value

    parse.__name__ = "number"
    return parse


def TEXT(what: str) -> Callable[[str], str]:  # noqa: N802
    """A non-empty string (``--out ""`` is refused instead of silently ignored)."""

    def parse(text: str) -> str:
        if not text.strip():
            raise _fail(repr(text), what)
        return text

    parse.__name__ = "text"
    return parse


N = COUNT(1, MAX_N)
REPLICATES = COUNT(1, MAX_REPLICATES)
GENERATIONS = COUNT(0, MAX_GENERATIONS)
SEED = COUNT(0, MAX_SEED)
PROPORTION = REAL(0.0, 1.0, allowed="a number in [0, 1]")
CONFIDENCE = REAL(0.0, 1.0, low_open=True, high_open=True, allowed="a number in (0, 1)")
PATH = TEXT("a non-empty path")
