"""Errors of the numeric layer: the shared :class:`~stl.kernel.errors.InputError` for bad
model names, parameters and sizes, and ``check_int``.

>>> check_int("--generations", 3, 0)
3
"""

from __future__ import annotations

from stl.kernel.errors import InputError, check_int

__all__ = ["InputError", "NumericsError", "check_int"]


class NumericsError(Exception):
    """Base class of the errors only :mod:`stl.numerics` raises."""
