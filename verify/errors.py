"""Errors of the verification layer and the set of errors that count as user errors.

A bad user value is the shared :class:`~stl.kernel.errors.InputError` in every layer
(re-exported here); the command line prints it as one line with exit status 2.
"""

from __future__ import annotations

from stl.kernel.errors import InputError

__all__ = ["USER_ERRORS", "CorruptResultError", "InputError", "VerifyError"]


class VerifyError(Exception):
    """Base class of the errors only :mod:`stl.verify` raises."""


class CorruptResultError(VerifyError):
    """A file in an output directory is damaged or was not written by this toolkit."""


#: Exceptions the CLI reports as one line with exit status 2 (no traceback).
USER_ERRORS: tuple[type[BaseException], ...] = (InputError,)
