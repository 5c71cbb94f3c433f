"""Typed errors of the numeric layer (bad model names, parameters, sizes, ...)."""

from __future__ import annotations

import numbers


class NumericsError(Exception):
    """Base class of every error raised by :mod:`stl.numerics`."""


class InputError(NumericsError, ValueError):
    """A value supplied by the user is outside its allowed domain.

    >>> str(InputError("n", 0, "an integer >= 1"))
    'n: got 0; allowed: an integer >= 1'
    """

    def __init__(self, argument: str, got: object, allowed: str):
        self.argument = argument
        self.got = got
        self.allowed = allowed
        super().__init__(f"{argument}: got {got}; allowed: {allowed}")


def check_int(argument: str, value: object, low: int) -> int:
    """``value`` as an ``int`` when it is an integer (not a bool) ``>= low``; else ``InputError``.

    >>> check_int("--generations", 3, 0)
    3
    >>> check_int("--replicates", 1.5, 1)
    Traceback (most recent call last):
    ...
    stl.numerics.errors.InputError: --replicates: got 1.5; allowed: an integer >= 1
    """
    # numbers.Integral covers int and numpy integers; bool is an int but never a count
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise InputError(argument, value, f"an integer >= {low}")
    return int(value)
