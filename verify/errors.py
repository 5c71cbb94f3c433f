"""Typed errors of the verification layer and the set of errors that count as user errors."""

from __future__ import annotations

from stl.numerics.errors import InputError as _NumericsInputError
from stl.theory.errors import InputError as _TheoryInputError


class VerifyError(Exception):
    """Base class of every error raised by :mod:`stl.verify`."""


class InputError(VerifyError, ValueError):
    """A value supplied by the user is outside its allowed domain.

    >>> str(InputError("--workers", 0, "an integer >= 1"))
    '--workers: got 0; allowed: an integer >= 1'
    """

    def __init__(self, argument: str, got: object, allowed: str):
        self.argument = argument
        self.got = got
        self.allowed = allowed
        super().__init__(f"{argument}: got {got}; allowed: {allowed}")


class CorruptResultError(VerifyError):
    """A file in an output directory is damaged or was not written by this toolkit."""


#: Exceptions the CLI reports as one line with exit status 2 (no traceback).
USER_ERRORS: tuple[type[BaseException], ...] = (
    InputError,
    _TheoryInputError,
    _NumericsInputError,
)
