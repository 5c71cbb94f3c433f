"""Limits and rates of closed forms: the asymptotic engine behind ``Bound.limit``/``rate``.

sympy's ``limit`` needs help with the bounds of the theory: it cannot tell that
``(1 - λ)^i`` vanishes unless it knows ``0 < λ < 1``, it cannot send ``ρ^i`` to zero
without the condition ``ρ < 1``, and it expands products it could have kept factored.
This module takes a limit of one expression given the domains of its symbols:

* factor by factor where no factor's limit is infinite (keeps the bound's shape);
* with every bounded symbol written as an interior point ``low + (high-low) u/(1+u)``;
* in the stable phase of a geometric factor ``x^i`` (``x = u/(1+u)``), returning the
  condition ``x < 1`` that the result needs.

:func:`leading_order` gives the order of growth as a symbol goes to infinity, and
:class:`Rate` is that order together with what it held fixed. :class:`LimSup` is the
left-hand side of a bound after a limit.

>>> import sympy as sp
>>> from stl.theory.assumptions import default_domains
>>> from stl.theory.symbols import d_tv, i, lam
>>> shift = d_tv * (1 - (1 - lam) ** (i + 1)) / lam            # THEORY.md L1
>>> limit_of(shift, i, sp.oo, "-", default_domains(shift))
(d_tv/lam, ())
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from stl.theory import symbols as S
from stl.theory.assumptions import Condition, Domain
from stl.theory.errors import InputError
from stl.theory.substitution import substitute


class LimSup(sp.Limit):
    """``limsup_{x -> x0} f``: what a limit of a bound bounds (the lhs need not converge).

    A subclass of :class:`sympy.Limit` so that ``x`` stays a bound variable; only the
    printing differs (:mod:`stl.theory.latex`). ``srepr`` text still rebuilds in plain
    sympy (as an undefined function ``LimSup``).
    """

    def _sympystr(self, printer):
        expr, var, point = self.args[0], self.args[1], self.args[2]
        return f"limsup({printer._print(expr)}, {printer._print(var)} -> {printer._print(point)})"


def bad(expr: sp.Expr) -> bool:
    """Whether ``expr`` is undefined (NaN or complex infinity) somewhere inside."""
    return expr.has(sp.S.NaN) or expr.has(sp.zoo)


def default_direction(domain: Domain | None, value: sp.Expr) -> str:
    """The side a limit is approached from: inside the domain of its symbol."""
    if value == sp.oo:
        return "-"
    if value == -sp.oo:
        return "+"
    if domain is not None and value == domain.low:
        return "+"
    if domain is not None and value == domain.high:
        return "-"
    return "+-"


def interior(expr: sp.Expr, exclude: set, domains: Iterable[Domain]):
    """Replace each symbol with a bounded interval domain by an interior parametrization.

    ``x = low + (high - low) u / (1 + u)`` with ``u > 0`` covers the open interval, so
    sympy knows e.g. ``0 < 1 - λ < 1`` and can send ``(1 - λ)^i`` to zero. Returns the
    rewritten expression and the map back from each ``u`` to its symbol.
    """
    forward, back = {}, {}
    for dom in domains:
        x = dom.symbol
        if x in exclude or x not in expr.free_symbols or dom.integer:
            continue
        if dom.low.is_infinite or dom.high.is_infinite:
            continue
        u = sp.Dummy(f"u_{x.name}", positive=True)
        forward[x] = dom.low + (dom.high - dom.low) * u / (1 + u)
        back[u] = (x - dom.low) / (dom.high - x)
    return expr.subs(forward), back


def limit_of(expr: sp.Expr, symbol: sp.Symbol, value: sp.Expr, direction: str,
             domains: tuple[Domain, ...]) -> tuple[sp.Expr, tuple[Condition, ...]]:
    """The limit of ``expr`` and the conditions it needed (``x < 1`` for ``x^i -> 0``).

    Raises :class:`~stl.theory.errors.InputError` when sympy cannot take it in closed form.
    """
    if symbol not in expr.free_symbols:
        return expr, ()
    if value.is_finite and not expr.has(sp.Piecewise, sp.Abs, sp.Min, sp.Max):
        # elementary closed forms are continuous where they are defined
        direct = substitute(expr, {symbol: value})
        if not bad(direct) and direct.is_finite is not False:
            return direct, ()
    if (expr.is_Add or expr.is_Mul) and value.is_infinite:
        # factor by factor keeps the closed form's shape (β_n (1 + λ n_s τ_n/(1 - ρ)),
        # not sympy's expanded quotient) wherever no factor's limit is infinite or zero
        # against an infinite one
        parts = [limit_of(arg, symbol, value, direction, domains) for arg in expr.args]
        limits = [limit for limit, _ in parts]
        moving = [limit for arg, limit in zip(expr.args, limits) if symbol in arg.free_symbols]
        if all(limit.is_finite is not False and not limit.has(sp.oo, -sp.oo)
               for limit in moving) and not any(bad(v) for v in limits):
            conditions: list[Condition] = []
            for _, found in parts:
                conditions += [c for c in found if c not in conditions]
            return expr.func(*limits), tuple(conditions)
    plain = _try_limit(expr, symbol, value, direction)
    if plain is not None and _clean(plain):
        return plain, ()
    inner, back = interior(expr, {symbol}, domains)
    result = _try_limit(inner, symbol, value, direction)
    if result is not None and _clean(result):
        return sp.factor(sp.simplify(result.subs(back))), ()
    phased = _limit_in_stable_phase(expr, symbol, value, direction, domains)
    if phased is not None:
        return phased
    raise InputError("limit", f"{symbol.name} -> {value}",
                     "a limit sympy can take in closed form (substitute numbers for "
                     "the other symbols first, e.g. --subs lam=1/2)")


def _domain(domains: Iterable[Domain], symbol: sp.Symbol) -> Domain | None:
    return next((d for d in domains if d.symbol == symbol), None)


def _limit_in_stable_phase(expr, symbol, value, direction, domains):
    """``x^i -> 0`` needs ``0 <= x < 1``: assume it for every such base ``x`` and say so.

    Each base ``x`` (L2's ``ρ = (1 - λ) n τ_n``, or ``(1 - λ) c`` under the rate forms) is
    written ``u/(1 + u)`` with ``u > 0``, which sympy can send to the limit; the result is
    then written back in ``x``. The condition ``x < 1`` becomes part of the bound.
    """
    if value != sp.oo:
        return None
    bases = []
    for power in expr.atoms(sp.Pow):
        base = power.base
        single = next(iter(base.free_symbols)) if len(base.free_symbols) == 1 else None
        bounded_binomial = (base.is_Add and single is not None
                            and _domain(domains, single) is not None
                            and not _domain(domains, single).low.is_infinite)
        if (symbol in power.exp.free_symbols and symbol not in base.free_symbols
                and not base.is_number and base not in bases and not bounded_binomial):
            bases.append(base)
    if not bases:
        return None
    back, conditions = {}, []
    inner = expr
    for base in bases:
        u = sp.Dummy("u", positive=True)
        inner = inner.subs(base, u / (1 + u))
        back[u] = base / (1 - base)
        conditions.append(Condition(sp.StrictLessThan(base, 1), phase_reason(base)))
    inner, interior_back = interior(inner, {symbol}, domains)
    result = _try_limit(inner, symbol, value, direction)
    if result is None or not _clean(result):
        return None
    result = sp.factor(sp.simplify(result.subs(interior_back).subs(back)))
    if symbol in result.free_symbols:
        return None
    return result, tuple(conditions)


def phase_reason(base: sp.Expr) -> str:
    """Why ``base < 1`` is assumed: L2's stable phase when ``base`` is a form of ``ρ`` (it
    holds a TV-stability ``τ_n`` or ``c``), else so that the powers of ``base`` vanish."""
    if base.free_symbols & {S.tau_n, S.c}:
        return "rho < 1, the stable phase of L2"
    return "so that its powers vanish"


def _try_limit(expr, symbol, value, direction):
    try:
        return sp.limit(expr, symbol, value, dir=direction)
    except ValueError:
        if direction == "+-":
            try:
                return sp.limit(expr, symbol, value, dir="+")
            except (ValueError, NotImplementedError):
                return None
        return None
    except NotImplementedError:
        return None


def _clean(expr: sp.Expr) -> bool:
    return not (expr.has(sp.Limit) or expr.has(sp.sign) or expr.has(sp.AccumBounds)
                or bad(expr) or any(isinstance(e, sp.exp) and e.args[0].has(sp.oo)
                                    for e in sp.preorder_traversal(expr)))


# --------------------------------------------------------------------------- rates


def leading_order(expr: sp.Expr, symbol: sp.Symbol, domains: tuple[Domain, ...]) -> sp.Expr:
    """Leading asymptotic order of ``expr`` as ``symbol -> oo``, constants dropped."""
    if symbol not in expr.free_symbols:
        return sp.Integer(1)
    inner, back = interior(expr, exclude={symbol}, domains=domains)
    lead = _leading_factor(inner, symbol)
    lead = sp.expand_log(sp.powsimp(lead.subs(back), force=True), force=True)
    _, dependent = sp.powdenest(lead, force=True).as_independent(symbol, as_Add=False)
    return _normal_power(dependent, symbol)


def _leading_factor(expr: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    """The fastest-growing ``symbol``-dependent factor among the terms of ``expr``.

    Each additive term contributes its ``symbol``-dependent factor; the leader is the one
    every other factor is ``O`` of (a finite limit of the ratio). sympy's ``Order`` is
    the fallback when a ratio's limit cannot be decided.
    """
    factors = []
    for term in sp.Add.make_args(sp.expand(expr)):
        _, dependent = term.as_independent(symbol, as_Add=False)
        if dependent not in factors:
            factors.append(dependent)
    try:
        for candidate in factors:
            ratios = (sp.limit(other / candidate, symbol, sp.oo) for other in factors)
            if all(r.is_finite for r in ratios):
                return _as_power(candidate, symbol)
    except (NotImplementedError, ValueError, TypeError):
        pass
    try:
        return sp.Order(expr, (symbol, sp.oo)).expr
    except (NotImplementedError, ValueError, TypeError) as exc:
        raise InputError("--rate", symbol.name,
                         f"a symbol in which the order can be decided ({exc})") from None


def _as_power(factor: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    """``symbol**p`` when ``factor`` is asymptotically a constant times it, else ``factor``.

    ``n_s/sqrt(n_r + n_s)`` becomes ``sqrt(n_s)``; ``log(n)/n`` and ``2**i`` stay as
    they are (no power of the symbol captures them).
    """
    if factor.is_number:
        return factor
    try:
        power = sp.limit(sp.log(factor) / sp.log(symbol), symbol, sp.oo)
        if not (power.is_real and power.is_finite):
            return factor
        ratio = sp.limit(factor / symbol ** power, symbol, sp.oo)
    except (NotImplementedError, ValueError, TypeError):
        return factor
    if ratio.is_finite and ratio.is_nonzero and ratio.is_positive:
        return symbol ** power
    return factor


def _normal_power(expr: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
    """Write ``sqrt(1/n)`` as ``1/sqrt(n)`` (same value for positive ``n``)."""
    pos = sp.Dummy("p", positive=True)
    return sp.powsimp(sp.powdenest(expr.subs(symbol, pos), force=True)).subs(pos, symbol)


@dataclass(frozen=True)
class Rate:
    """``O(order)`` as ``symbol -> oo``, with the indexed symbols it held fixed.

    A rate of T1 in ``n`` that keeps ``β_n`` is the rate *at fixed stability*; that
    premise belongs to the answer, so it is part of the value, and the rate prints it
    (``str(rate)`` is the line ``stl derive --rate`` prints).

    >>> from stl.theory.results.theorem1 import theorem1_bound
    >>> print(theorem1_bound().rate("n"))                          # THEORY.md T1
    O(n) as n -> oo, holding beta_n, gamma, d_tv fixed (they depend on n in general; --rates or .with_rates() puts in their forms)
    """

    symbol: sp.Symbol
    order: sp.Expr
    held_fixed: tuple[sp.Symbol, ...] = ()
    premises: tuple = ()

    #: What puts in the forms of held-fixed symbols, on the command line and in Python.
    SUGGESTION = "--rates or .with_rates() puts in their forms"

    def text(self) -> str:
        line = f"O({sp.sstr(self.order)}) as {self.symbol.name} -> oo"
        if self.held_fixed:
            line += (", holding " + ", ".join(s.name for s in self.held_fixed)
                     + f" fixed (they depend on {self.symbol.name} in general; "
                     + self.SUGGESTION + ")")
        return line

    __str__ = text

    def latex(self, notation: Mapping[Any, str] | None = None) -> str:
        r"""``O\left(n^{-1/2}\right) \text{ as } n \to \infty`` (the premise in words)."""
        from stl.theory.latex import to_latex

        order = to_latex(self.order, notation)
        tex = (r"O\left(" + order + r"\right) \text{ as } " + to_latex(self.symbol, notation)
               + r" \to \infty")
        if self.held_fixed:
            fixed = ", ".join(to_latex(s, notation) for s in self.held_fixed)
            tex += r" \text{ with } " + fixed + r" \text{ held fixed}"
        return tex

    def _repr_latex_(self) -> str:
        return "$" + self.latex() + "$"

    def to_dict(self) -> dict:
        from stl.theory.latex import to_latex

        return {"symbol": self.symbol.name, "expr": sp.srepr(self.order),
                "text": sp.sstr(self.order), "latex": to_latex(self.order),
                "held_fixed": [s.name for s in self.held_fixed],
                "statement": self.text(), "statement_latex": self.latex(),
                "premises": [p.to_dict() for p in self.premises]}
