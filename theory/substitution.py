"""Substituting numbers into closed forms without expanding them symbolically.

``(1 - λ)^(i-1)`` at ``λ = 1/2, i = 100000`` is an exact rational with 30 000 digits:
sympy computes it, and printing it then fails (Python refuses to print integers of more
than 4300 digits), while substituting ``i = 1000`` into a derivation step used to ask
sympy's assumption system about a degree-1000 polynomial for a minute. This module
rebuilds an expression bottom-up instead: a power of a number whose exact value would
be huge is evaluated as a 30-digit float, and relations are rebuilt unevaluated (so a
step never collapses to ``True``).

>>> import sympy as sp
>>> from stl.theory.symbols import i, lam
>>> substitute((1 - lam) ** (i - 1), {lam: sp.Rational(1, 2), i: 100000})
2.00199780...e-30103
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import sympy as sp
from sympy.core.relational import Relational

#: Exact powers of numbers up to this many digits stay exact; beyond, 30-digit floats.
MAX_EXACT_DIGITS = 400
#: Working precision (decimal digits) of the floats that replace huge exact powers.
FLOAT_DIGITS = 30


def exact_digits(base: sp.Expr, exponent: sp.Expr) -> float:
    """Rough number of digits of the exact value of ``base**exponent`` (numbers only)."""
    if not exponent.is_Integer or base in (0, 1, -1):
        return 0.0
    if base.is_Rational:
        size = max(abs(int(base.p)), int(base.q))
        digits = math.log10(size) if size.bit_length() < 1000 else size.bit_length() * math.log10(2)
        return abs(int(exponent)) * digits
    # irrational numbers (sqrt(2), pi): sympy evaluates even powers of surds exactly
    return abs(int(exponent)) * 1.0 if abs(int(exponent)) > MAX_EXACT_DIGITS else 0.0


def power(base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
    """``base**exponent``, as a float when the exact number would be huge."""
    if base.is_number and exponent.is_number and exact_digits(base, exponent) > MAX_EXACT_DIGITS:
        return sp.Float(base, FLOAT_DIGITS) ** exponent
    return sp.Pow(base, exponent)


def substitute(expr: sp.Basic, values: Mapping[sp.Symbol, sp.Expr]) -> sp.Basic:
    """``expr`` with ``values`` substituted, bottom-up (see the module docstring).

    Symbolic values go through sympy's ``subs`` first (so ``n_s -> (1 - λ) n`` also
    matches products); numbers are then put in node by node.
    """
    values = {s: sp.sympify(v) for s, v in values.items()}
    symbolic = {s: v for s, v in values.items() if v.free_symbols}
    numbers = {s: v for s, v in values.items() if not v.free_symbols}
    if isinstance(expr, Relational):
        return expr.func(substitute(expr.lhs, values), substitute(expr.rhs, values),
                         evaluate=False)
    current = expr.subs(symbolic) if symbolic else expr
    if not numbers:
        return current
    return _rebuild(current, numbers)


def _rebuild(expr: sp.Basic, numbers: Mapping[sp.Symbol, sp.Expr]) -> sp.Basic:
    if expr in numbers:
        return numbers[expr]
    if not expr.args or not (expr.free_symbols & set(numbers)):
        return expr
    if isinstance(expr, Relational):
        return expr.func(_rebuild(expr.lhs, numbers), _rebuild(expr.rhs, numbers),
                         evaluate=False)
    if isinstance(expr, (sp.Limit, sp.Sum, sp.Integral, sp.Derivative, sp.Subs, sp.Order,
                         sp.Piecewise)):
        # bound variables, or conditions that must be decided in order: sympy's own subs
        return expr.subs(numbers)
    args = [_rebuild(arg, numbers) for arg in expr.args]
    if expr.is_Pow:
        return power(*args)
    return expr.func(*args)
