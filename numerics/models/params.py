"""A model's ``--param`` keys: each a :class:`ParamSpec` whose range states itself once.

A range object parses a CLI string and prints what it allows, like click's ``IntRange``:
the text an error shows is made from the same numbers the parser checks, so the two
cannot drift apart. ``int_in``, ``float_in`` and ``choice_of`` build them;
:class:`ParamSpec` reads its ``allowed`` text from its range (a plain parsing function,
as a third-party model may give, keeps an explicit ``allowed`` text).

>>> IntRange(2, 10_000).allowed, IntRange(0).allowed
('an integer in [2, 10000]', 'an integer >= 0')
>>> FloatRange(0.0, 1.0, low_open=True).allowed, FloatRange(0.0, low_open=True).allowed
('a number in (0, 1]', 'a number > 0')
>>> Choice("mle", "unbiased").allowed
'mle or unbiased'
>>> ParamSpec("k", int_in(2, 10), "3", help="symbols").allowed
'an integer in [2, 10]'
>>> parse_params("m", [ParamSpec("k", int_in(2), "3")], {"k": "5"})
{'k': 5}
>>> parse_params("m", [ParamSpec("k", int_in(2), "3")], {"k": "1"})
Traceback (most recent call last):
...
stl.kernel.errors.InputError: --param k: got 1; allowed: an integer >= 2
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stl.numerics.errors import InputError


def _number(x: float) -> str:
    return f"{x:g}" if math.isfinite(x) else str(x)


@dataclass(frozen=True)
class IntRange:
    """An integer in ``[low, high]`` (no upper limit when ``high`` is None); ``condition``
    names a constraint the model checks against its other parameters (printed, not parsed)."""

    low: int
    high: int | None = None
    condition: str = ""

    def parse(self, text: str) -> int:
        value = int(str(text).strip())
        if value < self.low or (self.high is not None and value > self.high):
            raise ValueError(text)
        return value

    __call__ = parse

    @property
    def allowed(self) -> str:
        base = (f"an integer >= {self.low}" if self.high is None
                else f"an integer in [{self.low}, {self.high}]")
        return f"{base} {self.condition}" if self.condition else base

    def where(self, condition: str) -> IntRange:
        """The same range with a cross-parameter ``condition`` in its text."""
        return IntRange(self.low, self.high, condition)


@dataclass(frozen=True)
class FloatRange:
    """A finite number in ``[low, high]``; either end may be open or absent."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    condition: str = ""

    def parse(self, text: str) -> float:
        value = float(str(text).strip())
        if not math.isfinite(value):
            raise ValueError(text)
        if self.low is not None and (value < self.low or (self.low_open and value == self.low)):
            raise ValueError(text)
        if self.high is not None and (value > self.high or (self.high_open and value == self.high)):
            raise ValueError(text)
        return value

    __call__ = parse

    @property
    def allowed(self) -> str:
        if self.low is None and self.high is None:
            base = "a number"
        elif self.high is None:
            base = f"a number {'>' if self.low_open else '>='} {_number(self.low)}"
        elif self.low is None:
            base = f"a number {'<' if self.high_open else '<='} {_number(self.high)}"
        else:
            base = (f"a number in {'(' if self.low_open else '['}{_number(self.low)}, "
                    f"{_number(self.high)}{')' if self.high_open else ']'}")
        return f"{base} {self.condition}" if self.condition else base

    def where(self, condition: str) -> FloatRange:
        return FloatRange(self.low, self.high, self.low_open, self.high_open, condition)


@dataclass(frozen=True)
class Choice:
    """One of ``options`` (exact text); ``note`` adds a remark to the allowed text."""

    options: tuple[str, ...]
    note: str = ""

    def __init__(self, *options: str, note: str = ""):
        object.__setattr__(self, "options", tuple(options))
        object.__setattr__(self, "note", note)

    def parse(self, text: str) -> str:
        value = str(text).strip()
        if value not in self.options:
            raise ValueError(text)
        return value

    __call__ = parse

    @property
    def allowed(self) -> str:
        base = " or ".join(self.options) if len(self.options) == 2 else " | ".join(self.options)
        return f"{base} {self.note}" if self.note else base


def int_in(low: int, high: int | None = None) -> IntRange:
    """An integer in ``[low, high]`` (no upper limit when ``high`` is None)."""
    return IntRange(low, high)


def float_in(low: float | None = None, high: float | None = None, *, low_open: bool = False,
             high_open: bool = False) -> FloatRange:
    """A finite number in ``[low, high]`` (``(low, high]`` when ``low_open``)."""
    return FloatRange(low, high, low_open, high_open)


def choice_of(*options: str) -> Choice:
    """One of ``options`` (exact text)."""
    return Choice(*options)


@dataclass(frozen=True)
class ParamSpec:
    """One ``--param`` a model accepts: name, its range (or a parsing function), default (as
    text), allowed text, help.

    With a range object (:class:`IntRange`, :class:`FloatRange`, :class:`Choice`) the allowed
    text is the range's own; a plain function needs ``allowed`` (e.g. a comma-separated
    vector). A text given beside a range is kept (a third-party model's words), and
    ``stated_once`` says whether it is the range's: the built-in models state every range
    once (``tests/numerics/test_model_declarations.py``).

    >>> ParamSpec("k", int_in(2, 10), "10", "an integer in [2, 5]").stated_once
    False
    """

    name: str
    parse: Callable[[str], Any]
    default: str | None
    allowed: str | None = None
    help: str = ""

    def __post_init__(self):
        own = getattr(self.parse, "allowed", None)
        if self.allowed is None:
            if own is None:
                raise ValueError(f"ParamSpec {self.name}: a parsing function needs its allowed text")
            object.__setattr__(self, "allowed", own)

    @property
    def stated_once(self) -> bool:
        """Whether the allowed text is the one its range prints (or there is no range)."""
        own = getattr(self.parse, "allowed", None)
        return own is None or own == self.allowed


def parse_params(model: str, specs: Sequence[ParamSpec], given: Mapping[str, str]) -> dict[str, Any]:
    """Typed values of ``given`` (CLI strings) filled with defaults; ``InputError`` otherwise."""
    by_name = {s.name: s for s in specs}
    for key in given:
        if key not in by_name:
            allowed = ", ".join(by_name) or "(none)"
            raise InputError(f"--param {key}", key, f"a parameter of {model}: {allowed}")
    out: dict[str, Any] = {}
    for spec in specs:
        text = given.get(spec.name, spec.default)
        if text is None:
            out[spec.name] = None
            continue
        try:
            out[spec.name] = spec.parse(text)
        except (ValueError, TypeError):
            raise InputError(f"--param {spec.name}", text, spec.allowed) from None
    return out
