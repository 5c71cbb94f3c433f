"""The one error for a bad user value, shared by every layer.

:mod:`stl.theory.errors`, :mod:`stl.numerics.errors` and :mod:`stl.verify.errors` re-export
:class:`InputError`, so ``except InputError`` catches a bad value whichever layer found
it, and the command line turns any of them into one line and exit status 2.

>>> from stl.theory.errors import InputError as a
>>> from stl.numerics.errors import InputError as b
>>> a is b is InputError
True
"""

from __future__ import annotations

import numbers


class InputError(ValueError):
    """A value supplied by the user is outside its allowed domain.

    ``argument`` names what was given (an option, a parameter), ``got`` the value and
    ``allowed`` what would have been accepted.

    >>> str(InputError("lam", "1.5", "a number in [0, 1]"))
    'lam: got 1.5; allowed: a number in [0, 1]'
    """

    def __init__(self, argument: str, got: object, allowed: str):
        self.argument = argument
        self.got = got
        self.allowed = allowed
        super().__init__(f"{argument}: got {got}; allowed: {allowed}")

    def __reduce__(self):
        # keeps the three parts when an error crosses a process boundary (a worker's task)
        return (type(self), (self.argument, self.got, self.allowed))


def check_int(argument: str, value: object, low: int) -> int:
    """``value`` as an ``int`` when it is an integer (not a bool) ``>= low``; else ``InputError``.

    >>> check_int("--generations", 3, 0)
    3
    >>> check_int("--replicates", 1.5, 1)
    Traceback (most recent call last):
    ...
    stl.kernel.errors.InputError: --replicates: got 1.5; allowed: an integer >= 1
    """
    # numbers.Integral covers int and numpy integers; bool is an int but never a count
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise InputError(argument, value, f"an integer >= {low}")
    return int(value)
