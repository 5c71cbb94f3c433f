"""The :class:`Bound` value object: named terms that sum to an upper bound.

A bound knows its terms (in order), the assumptions it needs (checked whenever numbers
are substituted), whether it hides an absolute constant (the ``≲`` of THEORY.md T1'),
and which result it comes from. Everything returns a new bound; nothing mutates. It also
remembers what was done to it: the values substituted (``given``, stated as "with
λ = 1/2" when pasted), the forms the theory put in for indexed symbols (``premises``,
e.g. L2 for ``γ_n^{i-1}`` when ``i → ∞``) and the limits taken.

>>> from stl.theory.results.shift import shift_bound
>>> bound = shift_bound()                       # THEORY.md L1
>>> bound.evaluate(d_tv="1/10", lam="1/2", i=1)
0.15
>>> bound.subs(lam=0).expr                      # the lambda -> 0 limit: linear in i
d_tv*(i + 1)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import sympy as sp

from stl.theory import symbols as S
from stl.theory.assumptions import Condition, Domain, default_domains
from stl.theory.errors import AssumptionError, InputError
from stl.theory.indexed import Premise, dependents, forms
from stl.theory.substitution import substitute


@dataclass(frozen=True)
class SpecialCase:
    """Where ``symbol == value`` the bound is replaced by ``bound`` (e.g. L2 at λ = 0)."""

    symbol: sp.Symbol
    value: sp.Expr
    bound: Bound
    reason: str


@dataclass(frozen=True)
class Rate:
    """``O(order)`` as ``symbol -> oo``, with the indexed symbols it held fixed.

    A rate of T1 in ``n`` that keeps ``β_n`` is the rate *at fixed stability*; the
    premise belongs to the answer, so it is part of the value.
    """

    symbol: sp.Symbol
    order: sp.Expr
    held_fixed: tuple[sp.Symbol, ...] = ()
    premises: tuple[Premise, ...] = ()

    def text(self) -> str:
        line = f"O({sp.sstr(self.order)}) as {self.symbol.name} -> oo"
        if self.held_fixed:
            line += (", holding " + ", ".join(s.name for s in self.held_fixed)
                     + f" fixed (they depend on {self.symbol.name} in general)")
        return line

    def latex(self, notation: Mapping[Any, str] | None = None) -> str:
        r"""``O\left(n^{-1/2}\right) \text{ as } n \to \infty`` (the premise in words)."""
        order = S.to_latex(self.order, notation)
        tex = (r"O\left(" + order + r"\right) \text{ as } " + S.to_latex(self.symbol, notation)
               + r" \to \infty")
        if self.held_fixed:
            fixed = ", ".join(S.to_latex(s, notation) for s in self.held_fixed)
            tex += r" \text{ with } " + fixed + r" \text{ held fixed}"
        return tex

    def to_dict(self) -> dict:
        return {"symbol": self.symbol.name, "expr": sp.srepr(self.order),
                "text": sp.sstr(self.order), "latex": S.to_latex(self.order),
                "held_fixed": [s.name for s in self.held_fixed],
                "statement": self.text(), "statement_latex": self.latex(),
                "premises": [p.to_dict() for p in self.premises]}


def _paper_place(symbol: sp.Symbol) -> int:
    return S.PAPER_ORDER.index(symbol) if symbol in S.PAPER_ORDER else len(S.PAPER_ORDER)


@dataclass(frozen=True)
class Bound:
    """An upper bound ``lhs <= sum(terms)``; see the module docstring."""

    terms: tuple[tuple[str, sp.Expr], ...]
    source: str
    lhs: sp.Expr | None = None
    assumptions: tuple[Domain, ...] = ()
    conditions: tuple[Condition, ...] = ()
    hides_constants: bool = False
    special_cases: tuple[SpecialCase, ...] = ()
    description: str = ""
    _domains_done: bool = field(default=False, repr=False, compare=False)
    #: Values substituted so far, in order (symbol, value): "with λ = 1/2, n = 100".
    given: tuple[tuple[sp.Symbol, sp.Expr], ...] = field(default=(), kw_only=True)
    #: Forms the theory substituted for indexed symbols (L2 for γ, the rate forms).
    premises: tuple[Premise, ...] = field(default=(), kw_only=True)
    #: Limits taken so far, in order (symbol, value).
    limits: tuple[tuple[sp.Symbol, sp.Expr], ...] = field(default=(), kw_only=True)
    #: For a high-probability bound, the probability it holds with (``1 - δ``).
    confidence: sp.Expr | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        terms = tuple((str(name), sp.sympify(expr)) for name, expr in self.terms)
        names = [name for name, _ in terms]
        if len(set(names)) != len(names):
            raise ValueError(f"term names must be unique, got {names}")
        object.__setattr__(self, "terms", terms)
        if not self._domains_done:
            # every free symbol gets a domain: the caller's overrides, else the default
            doms = default_domains(sp.Add(*(e for _, e in terms)), tuple(self.assumptions))
            object.__setattr__(self, "assumptions", doms)
            object.__setattr__(self, "_domains_done", True)

    # --- views ---------------------------------------------------------------------
    @property
    def expr(self) -> sp.Expr:
        """The bound itself: the sum of the terms."""
        return sp.Add(*(expr for _, expr in self.terms))

    @property
    def term_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.terms)

    def term(self, name: str) -> sp.Expr:
        for term_name, expr in self.terms:
            if term_name == name:
                return expr
        raise InputError("term", repr(name), "one of " + ", ".join(self.term_names))

    @property
    def free_symbols(self) -> set[sp.Symbol]:
        return set(self.expr.free_symbols)

    def known_symbols(self) -> set[sp.Symbol]:
        """Symbols that may be substituted: free ones and those of special cases."""
        known = self.free_symbols | {d.symbol for d in self.assumptions}
        for case in self.special_cases:
            known.add(case.symbol)
        return known

    def domain(self, symbol: sp.Symbol) -> Domain | None:
        for dom in self.assumptions:
            if dom.symbol == symbol:
                return dom
        return None

    def only(self, name: str) -> Bound:
        """The bound made of the single term ``name``.

        Special cases follow along where they change this term (T1's ``i = 0`` changes
        ``stability``; it leaves T1''s ``concentration`` alone, which then does not
        depend on ``i``).
        """
        expr = self.term(name)
        cases = []
        for case in self.special_cases:
            other = (case.bound.only(name) if name in case.bound.term_names
                     else case.bound._zero(name))
            if case.symbol in expr.free_symbols or sp.simplify(other.expr - expr) != 0:
                cases.append(replace(case, bound=other))
        keep = expr.free_symbols | {case.symbol for case in cases}
        doms = tuple(d for d in self.assumptions if d.symbol in keep)
        return replace(self, terms=((name, expr),), assumptions=doms,
                       special_cases=tuple(cases), _domains_done=True)

    def _zero(self, name: str) -> Bound:
        return replace(self, terms=((name, sp.Integer(0)),), special_cases=(),
                       _domains_done=True)

    def _rebuilt(self, terms, lhs, domains, conditions, cases, **changes) -> Bound:
        """A bound like this one with new parts (new symbols get default domains)."""
        return Bound(tuple(terms), self.source, lhs, tuple(domains), tuple(conditions),
                     self.hides_constants, tuple(cases), self.description,
                     given=changes.get("given", self.given),
                     premises=changes.get("premises", self.premises),
                     limits=changes.get("limits", self.limits),
                     confidence=changes.get("confidence", self.confidence))

    # --- substitution ----------------------------------------------------------------
    def _resolve(self, mapping: Mapping[Any, Any] | None, kwargs: Mapping[str, Any],
                 argument: str) -> dict[sp.Symbol, sp.Expr]:
        known = self.known_symbols()
        resolved: dict[sp.Symbol, sp.Expr] = {}
        for key, value in list((mapping or {}).items()) + list(kwargs.items()):
            symbol = key if isinstance(key, sp.Symbol) else S.lookup(str(key), public_only=False)
            if symbol not in known:
                raise InputError(argument, symbol.name,
                                 "a symbol of this result: "
                                 + ", ".join(sorted(s.name for s in known)))
            resolved[symbol] = _to_sympy(value, symbol.name)
        return resolved

    def subs(self, mapping: Mapping[Any, Any] | None = None, **kwargs: Any) -> Bound:
        """Substitute symbols (by symbol or contract name) with numbers or expressions.

        Numbers are checked against the bound's assumptions; a removable singularity
        (e.g. L1's closed form at λ = 0) is resolved by taking the limit there.
        """
        values = self._resolve(mapping, kwargs, "subs")
        for symbol, value in values.items():
            dom = self.domain(symbol)
            if dom is not None:
                dom.check(value)
        return self._put(values, given=self.given + tuple(values.items()))

    def _put(self, values: dict, *, given=None, premise: Premise | None = None) -> Bound:
        """Substitute checked ``values``; record them as ``given`` or under ``premise``."""
        given = self.given if given is None else given
        premises = self.premises + ((premise,) if premise is not None
                                    and premise not in self.premises else ())
        for case in self.special_cases:
            if case.symbol in values and _same(values[case.symbol], case.value):
                rest = {s: v for s, v in values.items()
                        if s != case.symbol and s in case.bound.known_symbols()}
                special = case.bound._put(rest) if rest else case.bound
                return replace(special, given=given, premises=premises)
        for cond in self.conditions:
            cond.check(values)
        numbers = [(s, v) for s, v in values.items() if not v.free_symbols]
        symbolic = [(s, v) for s, v in values.items() if v.free_symbols]
        terms = tuple((name, _substitute(expr, symbolic, numbers, self))
                      for name, expr in self.terms)
        remaining = set().union(*(e.free_symbols for _, e in terms)) if terms else set()
        doms = tuple(d for d in self.assumptions if d.symbol in remaining)
        conds = tuple(c2 for c2 in (Condition(substitute(c.relation, values), c.text)
                                    for c in self.conditions)
                      if c2.relation is not sp.true)
        cases = tuple(
            replace(case, value=case.value, bound=case.bound._put(
                {s: v for s, v in values.items() if s in case.bound.known_symbols()}))
            for case in self.special_cases if case.symbol not in values)
        lhs = substitute(self.lhs, values) if self.lhs is not None else None
        confidence = None if self.confidence is None else substitute(self.confidence, values)
        return self._rebuilt(terms, lhs, doms, conds, cases, given=given, premises=premises,
                             confidence=confidence)

    def resolve(self, variable: sp.Symbol | str) -> Bound:
        """Put in the theory's form of every symbol indexed by ``variable`` (``i`` or ``n``).

        ``i``: ``γ_n^{i-1}`` by L2 at generation ``i - 1``; ``n``: also the Corollary's
        rates ``β_n = b/n``, ``τ_n = c/n``, ``d_TV(n) = a n^{-1/2}``
        (:mod:`stl.theory.indexed`). Each substitution is recorded as a premise.

        >>> from stl.theory.results.theorem1 import theorem1_bound
        >>> bound = theorem1_bound().resolve("n")                  # THEORY.md Corollary
        >>> sorted(s.name for s in bound.free_symbols)
        ['M', 'a', 'b', 'c', 'i', 'lam', 'n']
        >>> bound.rate("n")
        1/sqrt(n)
        """
        sym = variable if isinstance(variable, sp.Symbol) else S.lookup(variable, public_only=False)
        bound = self
        for symbol, form, premise in forms(sym):
            if symbol in bound.known_symbols():
                bound = bound._put({symbol: form}, premise=premise)
        return bound

    def with_rates(self) -> Bound:
        """The bound under the Corollary's rate forms (:meth:`resolve` in ``n``)."""
        return self.resolve(S.n)

    def evaluate(self, mapping: Mapping[Any, Any] | None = None, **numbers: Any) -> float:
        """The bound as a float once every free symbol has a number.

        >>> from stl.theory.results.theorem1 import theorem1_bound
        >>> value = theorem1_bound().evaluate(beta_n=0.01, lam=0.5, n=100, gamma=0.02,
        ...                                   M=2, d_tv=0.05, i=3)     # THEORY.md T1
        >>> round(value, 12)
        0.1025
        """
        values = self._resolve(mapping, numbers, "evaluate")
        for symbol, value in values.items():
            if value.free_symbols:
                raise InputError(symbol.name, str(value), "a number")
        result = self.subs(values)
        missing = sorted(s.name for s in result.free_symbols)
        if missing:
            raise InputError("evaluate", "no value for " + ", ".join(missing),
                             "a number for every symbol of the bound")
        return _to_float(result.expr)

    def limit(self, symbol: sp.Symbol | str, value: Any, direction: str | None = None
              ) -> Bound:
        """Each term's limit as ``symbol -> value`` (``oo`` allowed); the lhs becomes a limsup.

        Other symbols are taken in the interior of their domains, so ``(1 - λ)^i -> 0``
        as ``i -> oo`` (THEORY.md Corollary). Symbols indexed by ``symbol`` are first
        replaced by the theory's forms (:meth:`resolve`), so no quantity of the result
        still depends on ``symbol``; where a geometric factor ``x^i`` only vanishes for
        ``x < 1`` (L2's ``ρ``) that condition is added. An integer index (``i``, ``n``)
        has a limit only at infinity.

        >>> from stl.theory.results.theorem1 import theorem1_bound
        >>> limit = theorem1_bound().limit("i", "oo")             # THEORY.md T1 + L2
        >>> [c.text for c in limit.conditions]
        ['(1 - lam) n tau_n < 1 (rho < 1, the stable phase of L2)']
        """
        sym = symbol if isinstance(symbol, sp.Symbol) else S.lookup(symbol, public_only=False)
        if sym not in self.known_symbols():
            raise InputError("limit", sym.name, "a symbol of this result: "
                             + ", ".join(sorted(s.name for s in self.known_symbols())))
        target = _to_sympy(value, sym.name)
        if target.free_symbols:  # a moving point (n -> sqrt(n)) is not a limit sympy can take
            raise InputError("limit", f"{sym.name}={target}", "a number, oo or -oo (no symbols)")
        dom = self.domain(sym)
        if target.is_number and target.is_finite:
            if dom is not None:
                dom.check(target)
            if dom is not None and dom.integer:
                raise InputError("limit", f"{sym.name} -> {target}",
                                 f"{sym.name} -> oo ({sym.name} is an integer index, so only its "
                                 f"limit at infinity exists; --subs {sym.name}={target} gives "
                                 "the value there)")
        elif target.is_number and dom is not None and not (
                (target == sp.oo and dom.high == sp.oo)
                or (target == -sp.oo and dom.low == -sp.oo)):
            # an infinite end the symbol's domain does not reach (i -> -oo, lam -> oo)
            raise InputError("limit", f"{sym.name} -> {target}",
                             "a point of " + dom.describe() + " or an infinite end of it")
        bound = self.resolve(sym) if dependents(self.known_symbols(), sym) else self
        dirn = direction or _direction(bound.domain(sym), target)
        terms, found = [], []
        for name, expr in bound.terms:
            value_, conditions = _limit(expr, sym, target, dirn, bound)
            terms.append((name, value_))
            found += [c for c in conditions if c not in found]
        remaining = set().union(*(e.free_symbols for _, e in terms)) if terms else set()
        doms = tuple(d for d in bound.assumptions if d.symbol in remaining)
        conds = tuple(c for c in bound.conditions if sym not in c.relation.free_symbols)
        conds += tuple(c for c in found if c not in conds)
        lhs = None if bound.lhs is None else S.LimSup(bound.lhs, sym, target, dirn)
        return bound._rebuilt(terms, lhs, doms, conds, (),
                              limits=bound.limits + ((sym, target),))

    def rate(self, symbol: sp.Symbol | str) -> sp.Expr:
        """Leading asymptotic order of the bound as ``symbol -> oo`` (constants dropped).

        Symbols indexed by ``symbol`` are held fixed; :meth:`rate_of` says which, and
        ``with_rates().rate("n")`` gives the Corollary's order.

        >>> from stl.theory.results.corollary import corollary_bound
        >>> corollary_bound().rate("n")                  # THEORY.md Corollary
        1/sqrt(n)
        """
        sym = symbol if isinstance(symbol, sp.Symbol) else S.lookup(symbol, public_only=False)
        if sym not in self.free_symbols:
            return sp.Integer(1)
        inner, back = _interior(self.expr, exclude={sym}, domains=self.assumptions)
        lead = _leading_factor(inner, sym)
        lead = sp.expand_log(sp.powsimp(lead.subs(back), force=True), force=True)
        _, dependent = sp.powdenest(lead, force=True).as_independent(sym, as_Add=False)
        return _normal_power(dependent, sym)

    def rate_of(self, symbol: sp.Symbol | str) -> Rate:
        """The order in ``symbol`` together with what it assumed (see :class:`Rate`).

        >>> from stl.theory.results.theorem1 import theorem1_bound
        >>> print(theorem1_bound().rate_of("n").text())            # THEORY.md T1
        O(n) as n -> oo, holding beta_n, gamma, d_tv fixed (they depend on n in general)
        >>> print(theorem1_bound().with_rates().rate_of("n").text())
        O(1/sqrt(n)) as n -> oo
        """
        sym = symbol if isinstance(symbol, sp.Symbol) else S.lookup(symbol, public_only=False)
        held = dependents(self.free_symbols, sym)
        return Rate(sym, self.rate(sym), tuple(sorted(held, key=_paper_place)),
                    self.premises)

    # --- numbers ----------------------------------------------------------------------
    def lambdify(self, term: str | None = None) -> Callable[..., Any]:
        """A vectorized numpy function of keyword arrays (names of the free symbols).

        Points where the closed form is singular but the bound is not (a removable
        singularity, or a special case such as T1 at ``i = 0``) are recomputed exactly
        through :meth:`evaluate`, so the fast path and the exact path agree.
        """
        import numpy as np

        target = self if term is None else self.only(term)
        symbols = sorted(target.known_symbols(), key=lambda s: s.name)
        names = [s.name for s in symbols]
        fast = sp.lambdify(symbols, target.expr, modules="numpy")
        special = {case.symbol.name: float(case.value) for case in target.special_cases}

        accepted = {s.name for s in self.known_symbols()}  # a term takes the bound's columns

        def function(**arrays: Any) -> Any:
            missing = [name for name in names if name not in arrays]
            unknown = sorted(set(arrays) - accepted)
            if missing or unknown:
                raise InputError("lambdify", ", ".join(sorted(arrays)),
                                 "values for " + ", ".join(names)
                                 + (" (and optionally " + ", ".join(sorted(accepted - set(names)))
                                    + ")" if accepted - set(names) else ""))
            columns = [np.asarray(arrays[name], dtype=float) for name in names]
            columns = np.broadcast_arrays(*columns)
            for symbol, column in zip(symbols, columns):
                dom = target.domain(symbol)
                if np.isnan(column).any():
                    raise AssumptionError(symbol.name, "nan",
                                          dom.describe() if dom else "a number")
                if dom is not None:
                    bad = [v for v in column.ravel() if not dom.contains(float(v))]
                    if bad:
                        raise AssumptionError(symbol.name, bad[0], dom.describe())
            with np.errstate(all="ignore"):
                out = np.asarray(fast(*columns), dtype=float)
            out = np.broadcast_to(out, columns[0].shape).copy() if columns else out
            redo = ~np.isfinite(out)
            for name, value in special.items():
                redo |= columns[names.index(name)] == value
            if redo.any():
                _redo_exactly(target, names, columns, out, redo, special)
            return out if out.ndim else float(out)

        function.__doc__ = f"{target.source} bound as a numpy function of {', '.join(names)}"
        function.symbols = tuple(names)  # type: ignore[attr-defined]
        return function

    # --- printing ---------------------------------------------------------------------
    def rhs(self) -> sp.Expr:
        """The sum of the terms, unevaluated so that printing keeps their order."""
        if len(self.terms) == 1:
            return self.terms[0][1]
        return sp.Add(*(e for _, e in self.terms if e != 0), evaluate=False)

    def generation(self) -> sp.Expr | None:
        """The value given to the generation ``i``, if any."""
        return dict(self.given).get(S.i)

    def notation(self, notation: Mapping[Any, str] | None = None) -> dict:
        """The typeset names this bound prints with: ``notation`` over the defaults.

        Once ``i`` has a value, ``gamma`` prints as ``γ_n^{i-1}`` at that value.
        """
        names: dict = {}
        if self.generation() is not None:
            names.update(S.generation_names(self.generation())[0])
        for key, tex in (notation or {}).items():
            names[key if isinstance(key, sp.Symbol) else S.lookup(str(key), public_only=False)] = tex
        return names

    def latex(self, notation: Mapping[Any, str] | None = None) -> str:
        """LaTeX of the right-hand side, terms in their order (the paper's).

        ``notation`` renames symbols, e.g. ``{"gamma": r"\\rho_n^{i-1}"}``.
        """
        text = ""
        for piece in self.terms_latex(notation):
            if not text:
                text = piece
            elif piece.startswith("- "):
                text += " - " + piece[2:]
            else:
                text += " + " + piece
        return text or "0"

    def terms_latex(self, notation: Mapping[Any, str] | None = None) -> list[str]:
        """LaTeX of each non-zero term, in order."""
        names = self.notation(notation)
        return [S.to_latex(expr, names) for _, expr in self.terms if expr != 0] or (
            [S.to_latex(self.terms[0][1], names)] if self.terms else [])

    def lhs_latex(self, notation: Mapping[Any, str] | None = None) -> str | None:
        return None if self.lhs is None else S.to_latex(self.lhs, self.notation(notation))

    def relation_latex(self) -> str:
        """``\\leq``, or ``\\lesssim`` for a bound that hides an unnamed constant."""
        return r"\lesssim" if self.hides_constants and S.c_0 not in self.free_symbols \
            else r"\leq"

    def statement(self) -> sp.Basic:
        """``lhs <= rhs`` as a sympy relation (the bound alone when there is no lhs)."""
        if self.lhs is None:
            return self.rhs()
        return sp.LessThan(self.lhs, self.rhs(), evaluate=False)

    def statement_latex(self, notation: Mapping[Any, str] | None = None) -> str:
        """``lhs \\leq rhs`` in LaTeX (terms in order, factors in the paper's order)."""
        rhs = self.latex(notation)
        lhs = self.lhs_latex(notation)
        return rhs if lhs is None else f"{lhs} {self.relation_latex()} {rhs}"

    def given_latex(self, notation: Mapping[Any, str] | None = None) -> list[str]:
        """``\\lambda = \\frac{1}{2}``-style LaTeX of each substituted value."""
        names = self.notation(notation)
        return [S.to_latex(sp.Eq(symbol, value, evaluate=False), names)
                for symbol, value in self.given]

    def pretty(self, unicode: bool = True, width: int = 88) -> str:
        """2-D text of the statement (sympy's pretty printer, Unicode names)."""
        names = S.generation_names(self.generation())[1] if self.generation() is not None else None
        return S.to_pretty(self.statement(), unicode=unicode, width=width, names=names)

    # Jupyter and sympy printing hooks
    def _latex(self, printer=None) -> str:
        """``sympy.latex(bound)`` prints the statement (sympy's printer hook)."""
        return self.statement_latex()

    def _repr_latex_(self) -> str:
        return "$" + self.statement_latex() + "$"

    def _repr_markdown_(self) -> str:
        lines = [f"**{self.source}**" + (f": {self.description}" if self.description else ""),
                 "", "$$" + self.statement_latex() + "$$"]
        if self.given:
            lines += ["", "with " + ", ".join(f"${t}$" for t in self.given_latex())]
        for premise in self.premises:
            lines += ["", f"using ${premise.latex}$"]
        if self.conditions:
            lines += ["", "valid when " + ", ".join(f"${c.latex()}$" for c in self.conditions)]
        return "\n".join(lines)

    def assumption_dicts(self) -> list[dict]:
        return [d.to_dict() for d in self.assumptions] + [c.to_dict() for c in self.conditions]

    def __str__(self) -> str:
        return str(self.statement())


def _redo_exactly(bound: Bound, names: list[str], columns: list, out, redo, special) -> None:
    """Recompute the points where the closed form failed, grouped by their special values.

    Points that share the same values at domain ends or special cases (e.g. every
    generation of a ``lam = 0`` run) get one exact symbolic substitution, lambdified
    once; anything still undefined is evaluated point by point.
    """
    import numpy as np

    def special_key(index) -> tuple:
        key = []
        for name, column in zip(names, columns):
            value = float(column[index])
            dom = bound.domain(S.lookup(name, public_only=False))
            at_end = dom is not None and value in (float(dom.low), float(dom.high))
            if at_end or special.get(name) == value:
                key.append((name, value))
        return tuple(key)

    groups: dict[tuple, list] = {}
    indices = list(zip(*np.nonzero(redo))) if out.ndim else ([()] if redo else [])
    for index in indices:
        groups.setdefault(special_key(index), []).append(index)
    for key, members in groups.items():
        left = members
        if key:
            exact = {name: sp.Integer(int(v)) if float(v).is_integer() else sp.Float(v)
                     for name, v in key}
            reduced = bound.subs(exact)
            symbols = sorted(reduced.free_symbols, key=lambda s: s.name)
            fast = sp.lambdify(symbols, reduced.expr, modules="numpy")
            for index in members:
                args = [float(columns[names.index(s.name)][index]) for s in symbols]
                with np.errstate(all="ignore"):
                    out[index] = float(fast(*args))
            left = [index for index in members if not np.isfinite(out[index])]
        for index in left:
            point = {name: float(col[index]) for name, col in zip(names, columns)}
            out[index] = bound.evaluate(**point)


def _to_sympy(value: Any, name: str) -> sp.Expr:
    if isinstance(value, sp.Basic):
        expr = value
    elif isinstance(value, bool):
        raise InputError(name, repr(value), "a number or sympy expression")
    elif isinstance(value, str):
        from stl.theory.parsing import parse_expression  # text goes through the safe parser

        expr = parse_expression(value, argument=name)
    elif isinstance(value, numbers.Rational):  # int, fractions.Fraction: keep exact
        expr = sp.Rational(value.numerator, value.denominator)
    elif isinstance(value, float):
        if math.isnan(value):
            raise AssumptionError(name, "nan", "a number (NaN is not one)")
        expr = sp.Float(value) if math.isfinite(value) else (sp.oo if value > 0 else -sp.oo)
    else:
        try:
            expr = sp.Float(float(value))  # numpy scalars and the like
        except (TypeError, ValueError):
            raise InputError(name, repr(value), "a number or sympy expression") from None
        if expr.has(sp.S.NaN):
            raise AssumptionError(name, "nan", "a number (NaN is not one)")
    if expr.has(sp.S.NaN):
        raise AssumptionError(name, "nan", "a number (NaN is not one)")
    return expr


def _to_float(expr: sp.Expr) -> float:
    if expr.has(sp.S.NaN) or expr.has(sp.zoo):
        raise AssumptionError("bound", str(expr), "a point where the bound is defined")
    try:
        return float(expr)
    except TypeError:
        raise AssumptionError("bound", str(expr), "a real number") from None


def _bad(expr: sp.Expr) -> bool:
    return expr.has(sp.S.NaN) or expr.has(sp.zoo)


def _direction(dom: Domain | None, value: sp.Expr) -> str:
    if value == sp.oo:
        return "-"
    if value == -sp.oo:
        return "+"
    if dom is not None and value == dom.low:
        return "+"
    if dom is not None and value == dom.high:
        return "-"
    return "+-"


def _same(value: sp.Expr, other: sp.Expr) -> bool:
    """``value == other`` as numbers (cheap), else symbolically."""
    if value.is_number and other.is_number:
        return bool(sp.Eq(value, other))
    return sp.simplify(value - other) == 0


def _substitute(expr: sp.Expr, symbolic: Iterable, numbers: Iterable, bound: Bound) -> sp.Expr:
    """Substitute, replacing a 0/0 that the substitution creates by the limit there.

    Numbers go in node by node (:func:`stl.theory.substitution.substitute`), so a power
    such as ``(1/2)^(i-1)`` at ``i = 100000`` is a float, not a 30 000-digit rational.
    """
    current = expr.subs(list(symbolic)) if symbolic else expr
    for symbol, value in numbers:
        nxt = substitute(current, {symbol: value})
        if _bad(nxt) and not _bad(current):
            nxt, _ = _limit(current, symbol, value, _direction(bound.domain(symbol), value), bound)
        current = nxt
    return current


def _interior(expr: sp.Expr, exclude: set, domains: Iterable[Domain]):
    """Replace each symbol with a bounded interval domain by an interior parametrization.

    ``x = low + (high - low) u / (1 + u)`` with ``u > 0`` covers the open interval, so
    sympy knows e.g. ``0 < 1 - λ < 1`` and can send ``(1 - λ)^i`` to zero.
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


def _limit(expr: sp.Expr, symbol: sp.Symbol, value: sp.Expr, direction: str,
           bound: Bound) -> tuple[sp.Expr, tuple[Condition, ...]]:
    """The limit of ``expr`` and the conditions it needed (``x < 1`` for ``x^i -> 0``)."""
    if symbol not in expr.free_symbols:
        return expr, ()
    if value.is_finite and not expr.has(sp.Piecewise, sp.Abs, sp.Min, sp.Max):
        # elementary closed forms are continuous where they are defined
        direct = substitute(expr, {symbol: value})
        if not _bad(direct) and direct.is_finite is not False:
            return direct, ()
    if (expr.is_Add or expr.is_Mul) and value.is_infinite:
        # factor by factor keeps the closed form's shape (β_n (1 + λ n_s τ_n/(1 - ρ)),
        # not sympy's expanded quotient) wherever no factor's limit is infinite or zero
        # against an infinite one
        parts = [_limit(arg, symbol, value, direction, bound) for arg in expr.args]
        limits = [limit for limit, _ in parts]
        moving = [limit for arg, limit in zip(expr.args, limits) if symbol in arg.free_symbols]
        if all(limit.is_finite is not False and not limit.has(sp.oo, -sp.oo)
               for limit in moving) and not any(_bad(v) for v in limits):
            conditions = []
            for _, found in parts:
                conditions += [c for c in found if c not in conditions]
            return expr.func(*limits), tuple(conditions)
    plain = _try_limit(expr, symbol, value, direction)
    if plain is not None and _clean(plain):
        return plain, ()
    inner, back = _interior(expr, {symbol}, bound.assumptions)
    result = _try_limit(inner, symbol, value, direction)
    if result is not None and _clean(result):
        return sp.factor(sp.simplify(result.subs(back))), ()
    phased = _limit_in_stable_phase(expr, symbol, value, direction, bound)
    if phased is not None:
        return phased
    raise InputError("limit", f"{symbol.name} -> {value}",
                     "a limit sympy can take in closed form (substitute numbers for "
                     "the other symbols first, e.g. --subs lam=1/2)")


def _limit_in_stable_phase(expr, symbol, value, direction, bound):
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
        if (symbol in power.exp.free_symbols and symbol not in base.free_symbols
                and not base.is_number and base not in bases
                and not (base.is_Add and len(base.free_symbols) == 1
                         and bound.domain(next(iter(base.free_symbols))) is not None
                         and not bound.domain(next(iter(base.free_symbols))).low.is_infinite)):
            bases.append(base)
    if not bases:
        return None
    back, conditions = {}, []
    inner = expr
    for base in bases:
        u = sp.Dummy("u", positive=True)
        inner = inner.subs(base, u / (1 + u))
        back[u] = base / (1 - base)
        conditions.append(Condition(sp.StrictLessThan(base, 1), _phase_text(base)))
    inner, interior_back = _interior(inner, {symbol}, bound.assumptions)
    result = _try_limit(inner, symbol, value, direction)
    if result is None or not _clean(result):
        return None
    result = sp.factor(sp.simplify(result.subs(interior_back).subs(back)))
    if symbol in result.free_symbols:
        return None
    return result, tuple(conditions)


def _phase_text(base: sp.Expr) -> str:
    if sp.simplify(base - (1 - S.lam) * S.n * S.tau_n) == 0:
        return "(1 - lam) n tau_n < 1 (rho < 1, the stable phase of L2)"
    if sp.simplify(base - (1 - S.lam) * S.c) == 0:
        return "(1 - lam) c < 1 (rho < 1, the stable phase of L2)"
    return f"{sp.sstr(base)} < 1 (so that its powers vanish)"


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
                or _bad(expr) or any(isinstance(e, sp.exp) and e.args[0].has(sp.oo)
                                     for e in sp.preorder_traversal(expr)))


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
