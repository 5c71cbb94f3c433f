"""Assumptions of bounds as data: domains of symbols and side conditions.

A bound only holds where its assumptions hold (THEORY.md sections 0-3: ``lam`` in
[0, 1], ``delta`` in (0, 1), ``n >= 1``...). Keeping them as data lets a bound check
numbers when they are substituted and print its hypotheses in a theorem environment.

>>> from stl.theory.assumptions import domain_of
>>> from stl.theory.symbols import lam
>>> domain_of(lam).check(0.25)
>>> domain_of(lam).check(1.5)
Traceback (most recent call last):
...
stl.theory.errors.AssumptionError: lam: got 1.5; allowed: a number in [0, 1] (proportion of real data)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType

import sympy as sp

from stl.theory import symbols as S
from stl.theory.errors import AssumptionError


@dataclass(frozen=True)
class Domain:
    """An interval (possibly integer-valued) that a symbol must lie in.

    ``low``/``high`` are sympy numbers or ``oo``; ``*_open`` say whether the end is
    excluded.
    """

    symbol: sp.Symbol
    low: sp.Expr = sp.S.NegativeInfinity
    high: sp.Expr = sp.S.Infinity
    low_open: bool = True
    high_open: bool = True
    integer: bool = False

    @property
    def name(self) -> str:
        return self.symbol.name

    def interval_text(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        low = "-oo" if self.low == sp.S.NegativeInfinity else str(self.low)
        high = "oo" if self.high == sp.S.Infinity else str(self.high)
        if self.integer:
            if self.high == sp.S.Infinity:
                return f"an integer >= {self.low if not self.low_open else self.low + 1}"
            return f"an integer in {left}{low}, {high}{right}"
        return f"a number in {left}{low}, {high}{right}"

    def describe(self) -> str:
        meaning = S.MEANING.get(self.name)
        return self.interval_text() + (f" ({meaning})" if meaning else "")

    def latex(self, notation=None) -> str:
        """``\\lambda \\in [0, 1]``-style statement, printed through sympy.

        Integer domains read ``n \\in \\{1, 2, \\ldots\\}``; ``notation`` renames symbols.
        """
        from stl.theory.latex import to_latex

        name = to_latex(self.symbol, notation)
        if self.integer:
            low = self.low + 1 if self.low_open else self.low
            if self.high != sp.S.Infinity:
                high = self.high - 1 if self.high_open else self.high
                return (name + r" \in \{" + to_latex(low) + r", \ldots, "
                        + to_latex(high) + r"\}")
            return (name + r" \in \{" + to_latex(low) + ", " + to_latex(low + 1)
                    + r", \ldots\}")
        if self.high == sp.S.Infinity:
            rel = (sp.StrictGreaterThan if self.low_open else sp.GreaterThan)(
                self.symbol, self.low, evaluate=False)
            return to_latex(rel, notation)
        interval = sp.Interval(self.low, self.high, self.low_open, self.high_open)
        return name + r" \in " + to_latex(interval)

    def contains(self, value: float) -> bool:
        if math.isnan(value):
            return False
        low, high = float(self.low), float(self.high)
        if value < low or value > high:
            return False
        if (self.low_open and value == low) or (self.high_open and value == high):
            return False
        # integer domains (n, i) refuse fractional values such as n = 2.5
        return not (self.integer and math.isfinite(value) and value != math.floor(value))

    def check(self, value: object, argument: str | None = None) -> None:
        """Raise :class:`AssumptionError` unless ``value`` (a number) is in the domain."""
        number = _as_float(value, argument or self.name, self.describe())
        if number is None:
            return
        if not self.contains(number):
            raise AssumptionError(argument or self.name, _show(value), self.describe())

    def to_dict(self) -> dict:
        return {"symbols": [self.name], "statement": f"{self.name}: {self.interval_text()}",
                "latex": self.latex()}


@dataclass(frozen=True)
class Condition:
    """A side condition between several symbols, e.g. ``(1 - lam) c < 1`` (Corollary).

    ``reason`` says why the condition is there ("rho < 1, the stable phase of L2"); the
    text is the relation itself followed by the reason, so it follows substitutions.
    """

    relation: sp.Basic
    reason: str

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(sorted(s.name for s in self.relation.free_symbols))

    @property
    def text(self) -> str:
        from stl.theory.latex import to_text

        return f"{to_text(self.relation)} ({self.reason})"

    def latex(self, notation=None) -> str:
        from stl.theory.latex import to_latex

        return to_latex(self.relation, notation)

    def subs(self, values: dict) -> Condition:
        """The condition with ``values`` put in (its relation may become ``True``)."""
        from stl.theory.substitution import substitute

        relation = substitute(self.relation, values)
        if isinstance(relation, sp.core.relational.Relational):
            decided = relation.func(relation.lhs, relation.rhs)  # evaluated: True, False or kept
            relation = decided if decided in (sp.true, sp.false) else relation
        return Condition(relation, self.reason)

    def check(self, mapping: dict) -> None:
        """Raise when the relation is decidably false after substituting ``mapping``."""
        value = self.relation.subs(mapping)
        if value is sp.false:
            got = ", ".join(f"{k.name}={_show(v)}" for k, v in mapping.items()
                            if k in self.relation.free_symbols)
            raise AssumptionError(", ".join(self.symbols), got, self.text)

    def to_dict(self) -> dict:
        return {"symbols": list(self.symbols), "statement": self.text, "latex": self.latex()}


def _show(value: object) -> str:
    # sympy prints Float(1.5) as 1.50000000000000; users typed 1.5
    if isinstance(value, (sp.Float, float)):
        return format(float(value), "g")
    return str(value)


def _as_float(value: object, argument: str, allowed: str) -> float | None:
    """Float value of a number (sympy or Python); ``None`` for symbolic values."""
    if isinstance(value, sp.Basic):
        if value.free_symbols:
            return None
        if value.has(sp.S.NaN) or value.has(sp.zoo):
            raise AssumptionError(argument, "nan", allowed)
        try:
            number = float(value)
        except TypeError:  # complex or otherwise non-real
            raise AssumptionError(argument, str(value), allowed) from None
    else:
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise AssumptionError(argument, repr(value), allowed) from None
    if math.isnan(number):
        raise AssumptionError(argument, "nan", allowed)
    return number


_INF = sp.S.Infinity
#: Default domain of every public symbol (THEORY.md section 0 and DESIGN.md).
DOMAINS: MappingProxyType = MappingProxyType({
    S.n: Domain(S.n, sp.Integer(1), _INF, low_open=False, integer=True),
    S.lam: Domain(S.lam, sp.Integer(0), sp.Integer(1), low_open=False, high_open=False),
    S.i: Domain(S.i, sp.Integer(0), _INF, low_open=False, integer=True),
    S.delta: Domain(S.delta, sp.Integer(0), sp.Integer(1)),
    S.M: Domain(S.M, sp.Integer(0), _INF),
    S.beta_n: Domain(S.beta_n, sp.Integer(0), _INF, low_open=False),
    S.tau_n: Domain(S.tau_n, sp.Integer(0), sp.Integer(1), low_open=False, high_open=False),
    S.gamma: Domain(S.gamma, sp.Integer(0), sp.Integer(1), low_open=False, high_open=False),
    S.d_tv: Domain(S.d_tv, sp.Integer(0), sp.Integer(1), low_open=False, high_open=False),
    S.n_r: Domain(S.n_r, sp.Integer(0), _INF, low_open=False),
    S.n_s: Domain(S.n_s, sp.Integer(0), _INF, low_open=False),
    S.c_0: Domain(S.c_0, sp.Integer(0), _INF),
    S.a: Domain(S.a, sp.Integer(0), _INF),
    S.b: Domain(S.b, sp.Integer(0), _INF),
    S.c: Domain(S.c, sp.Integer(0), _INF),
})


def domain_of(symbol: sp.Symbol) -> Domain:
    """Default domain of ``symbol``; unknown internal symbols get one from sympy assumptions."""
    if symbol in DOMAINS:
        return DOMAINS[symbol]
    if symbol.is_positive:
        return Domain(symbol, sp.Integer(0), _INF, integer=bool(symbol.is_integer))
    if symbol.is_nonnegative:
        return Domain(symbol, sp.Integer(0), _INF, low_open=False, integer=bool(symbol.is_integer))
    return Domain(symbol)


def default_domains(expr: sp.Basic, overrides: tuple[Domain, ...] = ()) -> tuple[Domain, ...]:
    """Domains of the free symbols of ``expr`` (sorted by name), ``overrides`` first served."""
    given = {d.symbol: d for d in overrides}
    symbols = sorted(expr.free_symbols | set(given), key=lambda s: s.name)
    return tuple(given.get(s) or domain_of(s) for s in symbols)
