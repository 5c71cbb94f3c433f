"""Typed errors of the numeric layer (bad model names, parameters, sizes, ...)."""

from __future__ import annotations


class NumericsError(Exception):
    """Base class of every error raised by :mod:`numerics`."""


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
