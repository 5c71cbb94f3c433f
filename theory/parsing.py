"""Safe parsing of expressions typed by users (``--subs beta_n=4/n``).

This is a security boundary: sympy's ``sympify``/``parse_expr`` run Python ``eval``
on their input, so they are never called on user text. Instead the text is parsed by
Python's :mod:`ast` (which only builds a tree, it executes nothing) and the tree is
walked against a whitelist; every sympy object is built here, node by node.

Allowed: numbers, ``+ - * / **``, unary minus/plus,
parentheses, the public symbol names of DESIGN.md, the constants ``pi``, ``E``,
``oo``, and calls of the functions in :data:`FUNCTIONS`. Everything else (attribute
access, subscripts, strings, lambdas, keywords, dunder names, unknown names) is refused.

Size is capped too, because sympy computes exactly whatever it is given: every number
built must lie below ``10^MAX_DIGITS`` in size (``10**10000``, ``exp(exp(exp(10)))`` are
refused before they are computed), a nonzero one above ``10^-MAX_SMALL_DIGITS`` (every
double, ``δ = 1e-300`` included, is accepted), a symbolic base takes powers up to
:data:`MAX_SYMBOLIC_EXPONENT` (``(n + 1)**10000`` is a polynomial sympy cannot reason
about), and complex or undefined values (``sqrt(-1)``, ``log(0)``) are refused: no
quantity of the theory is complex.

>>> parse_expression("4/n + 2/n**2")
4/n + 2/n**2
>>> parse_expression("().__class__")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
stl.theory.errors.ExpressionError: expression: got '().__class__'; allowed: ... (refused: attribute access)
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from types import MappingProxyType

import sympy as sp

from stl.theory.errors import ExpressionError
from stl.theory.symbols import PUBLIC

#: Longest accepted input; keeps parsing time and memory trivially bounded.
MAX_LENGTH = 500
#: Deepest accepted expression tree (nested parentheses/operators).
MAX_DEPTH = 40
#: Largest accepted integer exponent magnitude: ``9**9**9`` would otherwise hang sympy.
MAX_EXPONENT = 10_000
#: Largest exponent of a power of a *symbolic* base: ``(n + 1)**10000`` is a polynomial of
#: degree 10000, and sympy's assumption queries on it (real roots, signs) never end. No
#: rate form of the theory needs more than a small power.
MAX_SYMBOLIC_EXPONENT = 100
#: Every number an expression builds must lie below 10^MAX_DIGITS in size: a
#: 10000-digit integer cannot even be printed by Python, and ``exp(exp(exp(10)))``
#: overflows every numeric library. The sizes the toolkit works with (n up to 10^9)
#: are far inside.
MAX_DIGITS = 100
#: A nonzero number must lie above 10^-MAX_SMALL_DIGITS in size. Small numbers do not
#: overflow anything, so the cap is looser: it admits every double (down to about
#: 5e-324), so a user's ``delta=1e-300`` is taken as written, and still refuses the
#: exact ``10**-10000`` whose digits sympy would carry through every step.
MAX_SMALL_DIGITS = 400

CONSTANTS = MappingProxyType({"pi": sp.pi, "E": sp.E, "oo": sp.oo})


def _rational(*args: sp.Expr) -> sp.Expr:
    if len(args) not in (1, 2) or not all(arg.is_Integer for arg in args):
        raise ValueError("Rational takes one or two integers")
    return sp.Rational(*(int(arg) for arg in args))


def _log(*args: sp.Expr) -> sp.Expr:
    if len(args) not in (1, 2):
        raise ValueError("log takes one or two arguments")
    return sp.log(*args)


def _unary(function):
    def call(*args: sp.Expr) -> sp.Expr:
        if len(args) != 1:
            raise ValueError(f"{function.__name__} takes one argument")
        return function(args[0])
    return call


def _variadic(function):
    def call(*args: sp.Expr) -> sp.Expr:
        if not args:
            raise ValueError(f"{function.__name__} takes at least one argument")
        return function(*args)
    return call


#: Function name -> builder. Only these may be called.
FUNCTIONS = MappingProxyType({
    "sqrt": _unary(sp.sqrt),
    "log": _log,
    "exp": _unary(sp.exp),
    "Rational": _rational,
    "Min": _variadic(sp.Min),
    "Max": _variadic(sp.Max),
    "Abs": _unary(sp.Abs),
    "erf": _unary(sp.erf),
})

_NODE_NAMES = {
    ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambdas",
    ast.Tuple: "a tuple", ast.List: "a list", ast.Dict: "a dict", ast.Set: "a set",
    ast.Compare: "comparisons", ast.BoolOp: "boolean operators", ast.IfExp: "if-expressions",
    ast.JoinedStr: "strings", ast.ListComp: "comprehensions", ast.GeneratorExp: "generators",
    ast.Starred: "starred arguments", ast.NamedExpr: "assignments",
}


def _allowed(symbols: Mapping[str, sp.Symbol]) -> str:
    return ("numbers, + - * / ** ( ), the symbols " + ", ".join(symbols)
            + ", the constants " + ", ".join(CONSTANTS)
            + " and the functions " + ", ".join(FUNCTIONS))


class _Builder:
    def __init__(self, text: str, argument: str, symbols: Mapping[str, sp.Symbol]):
        self.text = text
        self.argument = argument
        self.symbols = symbols

    def refuse(self, why: str) -> ExpressionError:
        shown = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        return ExpressionError(self.argument, repr(shown),
                               f"{_allowed(self.symbols)} (refused: {why})")

    def build(self, node: ast.AST, depth: int = 0) -> sp.Expr:
        if depth > MAX_DEPTH:
            raise self.refuse(f"nesting deeper than {MAX_DEPTH}")
        if isinstance(node, ast.Expression):
            return self.build(node.body, depth + 1)
        if isinstance(node, ast.Constant):
            return self._constant(node.value)
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.UnaryOp):
            operand = self.build(node.operand, depth + 1)
            if isinstance(node.op, ast.USub):
                return -operand
            if isinstance(node.op, ast.UAdd):
                return operand
            raise self.refuse(f"the operator {type(node.op).__name__}")
        if isinstance(node, ast.BinOp):
            return self._binop(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        raise self.refuse(_NODE_NAMES.get(type(node), type(node).__name__))

    def _constant(self, value: object) -> sp.Expr:
        # bool is an int subclass; True/False are not numbers for our purposes
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.refuse(f"the literal {value!r}")
        if isinstance(value, float):
            # nan/inf literals cannot be written in Python source, but 1e999 is inf
            if not math.isfinite(value):
                raise self.refuse("a non-finite number (write oo for infinity)")
            return self.checked(sp.Float(repr(value)))
        if value.bit_length() > MAX_DIGITS * 3.33:  # before sympy (or str) sees the digits
            raise self.refuse(f"a number beyond 10^{MAX_DIGITS} in size")
        return self.checked(sp.Integer(value))

    def _name(self, name: str) -> sp.Expr:
        if name.startswith("_"):
            raise self.refuse(f"the name {name!r}")
        if name in self.symbols:
            return self.symbols[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in FUNCTIONS:
            raise self.refuse(f"the function {name!r} used without a call")
        raise self.refuse(f"unknown name {name!r}")

    def _binop(self, node: ast.BinOp, depth: int) -> sp.Expr:
        left = self.build(node.left, depth + 1)
        right = self.build(node.right, depth + 1)
        op = node.op
        if isinstance(op, ast.Add):
            return self.checked(left + right)
        if isinstance(op, ast.Sub):
            return self.checked(left - right)
        if isinstance(op, ast.Mult):
            return self.checked(left * right)
        if isinstance(op, ast.Div):
            if right == 0:
                raise self.refuse("division by zero")
            return self.checked(left / right)
        if isinstance(op, ast.BitXor):
            # Python gives ^ a lower precedence than *, so a*n^2 would mean (a*n)^2
            raise self.refuse("^ (write powers as **)")
        if isinstance(op, ast.Pow):
            if right.is_number and right.is_finite and abs(float(right)) > MAX_EXPONENT:
                raise self.refuse(f"an exponent larger than {MAX_EXPONENT}")
            if right.is_number and left.free_symbols and abs(float(right)) > MAX_SYMBOLIC_EXPONENT:
                raise self.refuse(f"a power of a symbolic expression above {MAX_SYMBOLIC_EXPONENT}")
            if left.is_number and right.is_number:
                self._check_power(left, right)
            return self.checked(left ** right)
        raise self.refuse(f"the operator {type(op).__name__}")

    def _check_power(self, base: sp.Expr, exponent: sp.Expr) -> None:
        """Refuse ``base**exponent`` before sympy computes it exactly (``10**10000``)."""
        if base == 0:
            return
        self._check_size(_log10(base) * float(exponent))

    def checked(self, value: sp.Expr) -> sp.Expr:
        """``value``, unless it is undefined, complex or too large (see :data:`MAX_DIGITS`)."""
        if value.has(sp.S.NaN, sp.zoo):
            raise self.refuse("an undefined value, e.g. log(0) or 0/0")
        if value.has(sp.I) or value.is_extended_real is False:
            raise self.refuse("a complex value, e.g. sqrt(-1) or log(-1)")
        if value.is_number and value.is_finite is not False:
            if value.is_extended_real is None:  # e.g. an unevaluated power of a negative base
                numeric = sp.N(value, 15)
                if numeric.has(sp.I) or not numeric.is_real:
                    raise self.refuse("a complex value, e.g. sqrt(-1) or log(-1)")
            if value != 0:
                self._check_size(_log10(value))
        return value

    def _check_size(self, log10_size: float) -> None:
        if log10_size > MAX_DIGITS:
            raise self.refuse(f"a number beyond 10^{MAX_DIGITS} in size")
        if log10_size < -MAX_SMALL_DIGITS:
            raise self.refuse(f"a nonzero number below 10^-{MAX_SMALL_DIGITS} in size")

    def _call(self, node: ast.Call, depth: int) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise self.refuse("calling anything but a listed function")
        name = node.func.id
        if name not in FUNCTIONS:
            raise self.refuse(f"unknown function {name!r}")
        if node.keywords:
            raise self.refuse("keyword arguments")
        args = [self.build(arg, depth + 1) for arg in node.args]
        if name == "exp" and len(args) == 1 and args[0].is_number and args[0].is_extended_real \
                and float(args[0]) > MAX_DIGITS * math.log(10):
            raise self.refuse(f"a number beyond 10^{MAX_DIGITS} in size")
        try:
            value = FUNCTIONS[name](*args)
        except (ValueError, TypeError) as exc:
            raise self.refuse(str(exc)) from None
        return self.checked(value)


def _log10(value: sp.Expr) -> float:
    """``log10 |value|`` of a number, computed without building the number's digits."""
    if value == 0:
        return 0.0
    if value.is_Rational:
        p, q = abs(int(value.p)), int(value.q)
        return (p.bit_length() - q.bit_length()) * math.log10(2) + \
            math.log10((p / 2 ** p.bit_length()) / (q / 2 ** q.bit_length()))
    magnitude = sp.Abs(sp.N(value, 15))
    if magnitude.is_zero:
        return 0.0
    if not magnitude.is_finite:
        return math.inf
    # mpmath numbers have an unbounded exponent: take the log there, not in floats
    return float(sp.log(magnitude, 10).evalf(15)) if magnitude.is_Float else \
        float(sp.log(sp.Float(magnitude, 15), 10))


def _paren_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def parse_expression(text: str, *, argument: str = "expression",
                     symbols: Mapping[str, sp.Symbol] | None = None) -> sp.Expr:
    """Parse ``text`` into a sympy expression, allowing only whitelisted constructs.

    ``symbols`` defaults to the public symbols (``stl.theory.symbols.PUBLIC``); ``argument``
    names the option in error messages. Raises :class:`stl.theory.errors.ExpressionError`.
    """
    table = PUBLIC if symbols is None else symbols
    builder = _Builder(text if isinstance(text, str) else repr(text), argument, table)
    if not isinstance(text, str):
        raise builder.refuse("not a string")
    if len(text) > MAX_LENGTH:
        raise builder.refuse(f"longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise builder.refuse("an empty expression")
    if _paren_depth(text) > MAX_DEPTH:
        raise builder.refuse(f"parentheses nested deeper than {MAX_DEPTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        raise builder.refuse("not a valid expression") from None
    except (ValueError, MemoryError, RecursionError):
        raise builder.refuse("not a valid expression") from None
    try:
        return builder.build(tree)
    except RecursionError:
        raise builder.refuse("too deeply nested") from None


def parse_substitutions(pairs: Mapping[str, str], *, argument: str = "--subs"
                        ) -> dict[sp.Symbol, sp.Expr]:
    """Parse ``{"beta_n": "4/n"}`` into ``{beta_n: 4/n}``; keys must be public names.

    >>> parse_substitutions({"lam": "1/2"})
    {lam: 1/2}
    """
    from stl.theory.errors import InputError

    result: dict[sp.Symbol, sp.Expr] = {}
    for key, value in pairs.items():
        if key not in PUBLIC:
            raise InputError(argument, repr(key), "one of the symbols " + ", ".join(PUBLIC))
        result[PUBLIC[key]] = parse_expression(value, argument=f"{argument} {key}")
    return result
