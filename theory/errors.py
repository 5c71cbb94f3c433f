"""Typed errors of the symbolic layer.

Every error caused by user input names the offending argument and what would have
been allowed, so the command line can print it as one line and exit with status 2.
"""

from __future__ import annotations

from stl.kernel.errors import InputError

__all__ = ["AssumptionError", "ExpressionError", "InputError", "TheoryError", "TimeBudgetExceeded"]


class TheoryError(Exception):
    """Base class of the errors only :mod:`stl.theory` raises (a bad user value is the
    shared :class:`~stl.kernel.errors.InputError`, re-exported here)."""


class AssumptionError(InputError, TheoryError):
    """Substituted numbers violate an assumption of a bound (e.g. ``lam`` outside [0, 1])."""


class ExpressionError(InputError, TheoryError):
    """A user expression was refused by the safe parser."""


class TimeBudgetExceeded(BaseException):
    """Symbolic work ran past its deadline (:func:`stl.theory.budget.deadline`).

    A ``BaseException`` like ``KeyboardInterrupt``, on purpose: sympy catches
    ``Exception`` in places while it searches (limits, simplification), and a deadline
    that such a handler could swallow would not be one. The command line turns it into
    one ``InputError`` line naming the options that asked for the work.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(f"symbolic work did not finish within {seconds:g} s")
