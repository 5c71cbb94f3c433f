"""The :class:`Bound` value object: named terms that sum to an upper bound.

A bound knows its terms (in order), the assumptions it needs (domains of its symbols,
checked whenever numbers are substituted, side conditions, and the named hypotheses of
:mod:`stl.theory.definitions` it rests on), whether it hides an absolute constant (the
``≲`` of THEORY.md T1'), which result it comes from and whether that result is stated in
the paper or derived by this toolkit (``provenance``). Everything returns a new bound;
nothing mutates.

A bound also remembers what was done to it, in order (``history``): the values
substituted (stated as "let λ = 1/2" when pasted), the forms the theory put in for
indexed symbols (``premises``, e.g. L2 for ``γ_n^{i-1}`` when ``i → ∞``) and the limits
taken. A form is put in *in the bound's context*: it goes through every earlier step of
the history first, exactly as if it had been part of the bound from the start. So a
substituted symbol never comes back with a form, and substituting before a limit gives
the same bound as substituting after it.

>>> from stl.theory.results.shift import shift_bound
>>> bound = shift_bound()                       # THEORY.md L1
>>> bound.evaluate(d_tv="1/10", lam="1/2", i=1)
0.15
>>> bound.subs(lam=0).expr                      # the lambda -> 0 limit: linear in i
d_tv*(i + 1)
>>> from stl.theory.results.theorem1 import theorem1_bound
>>> first = theorem1_bound().subs(lam="1/2").limit("i", "oo")     # THEORY.md T1 + L2
>>> second = theorem1_bound().limit("i", "oo").subs(lam="1/2")
>>> first.expr == second.expr, "lam" in str(first.expr)
(True, False)
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
from stl.theory.limits import LimSup, Rate, bad, default_direction, leading_order, limit_of
from stl.theory.prose import Prose
from stl.theory.substitution import substitute

#: Where a result comes from (DESIGN.md ``Bound.provenance``) and what that means.
PROVENANCE: Mapping[str, str] = {
    "paper": "as the paper states it (Fu et al., ICLR 2025): a rate form up to an "
             "absolute constant",
    "derived": "this toolkit's derivation in the paper's framework, with explicit "
               "constants; the paper does not state it in this form",
}


@dataclass(frozen=True)
class SpecialCase:
    """Where ``symbol == value`` the bound is replaced by ``bound`` (e.g. L2 at λ = 0)."""

    symbol: sp.Symbol
    value: sp.Expr
    bound: Bound
    reason: str


@dataclass(frozen=True)
class Substitution:
    """One step of a bound's history: values put in, by the user or, with a ``premise``,
    by the theory (a form for an indexed symbol)."""

    values: tuple[tuple[sp.Symbol, sp.Expr], ...]
    premise: Premise | None = None


@dataclass(frozen=True)
class LimitTaken:
    """One step of a bound's history: the limit ``symbol -> value`` from ``direction``."""

    symbol: sp.Symbol
    value: sp.Expr
    direction: str


@dataclass(frozen=True)
class Bound:
    """An upper bound ``lhs <= sum(terms)``; see the module docstring.

    ``requires`` names the hypotheses of :mod:`stl.theory.definitions` the bound rests
    on; ``confidence`` is the probability a high-probability bound holds with, for the
    terms in ``confidence_terms`` (all terms when ``None``); ``remarks`` are sentences
    printed with the statement; ``defined`` lists symbols that stand for an expression
    (T2's ``c``), printed as "where c = ..." and expanded for numbers; substituting ``c``
    itself (a measured constant) replaces its definition.
    """

    terms: tuple[tuple[str, sp.Expr], ...]
    source: str
    lhs: sp.Expr | None = None
    assumptions: tuple[Domain, ...] = ()
    conditions: tuple[Condition, ...] = ()
    hides_constants: bool = False
    special_cases: tuple[SpecialCase, ...] = ()
    description: str = ""
    _domains_done: bool = field(default=False, repr=False, compare=False)
    #: What was done to the bound, in order (:class:`Substitution`, :class:`LimitTaken`).
    history: tuple[Any, ...] = field(default=(), kw_only=True)
    #: Forms the theory substituted for indexed symbols (L2 for γ, the rate forms).
    premises: tuple[Premise, ...] = field(default=(), kw_only=True)
    #: For a high-probability bound, the probability it holds with (``1 - δ``).
    confidence: sp.Expr | None = field(default=None, kw_only=True)
    confidence_terms: tuple[str, ...] | None = field(default=None, kw_only=True)
    #: ``paper`` (stated so in the paper) or ``derived`` (see :data:`PROVENANCE`).
    provenance: str = field(default="derived", kw_only=True)
    requires: tuple[str, ...] = field(default=(), kw_only=True)
    remarks: tuple[Prose, ...] = field(default=(), kw_only=True)
    defined: tuple[tuple[sp.Symbol, sp.Expr], ...] = field(default=(), kw_only=True)

    def __post_init__(self) -> None:
        terms = tuple((str(name), sp.sympify(expr)) for name, expr in self.terms)
        names = [name for name, _ in terms]
        if len(set(names)) != len(names):
            raise ValueError(f"term names must be unique, got {names}")
        if self.provenance not in PROVENANCE:
            raise ValueError(f"provenance must be one of {tuple(PROVENANCE)}, "
                             f"got {self.provenance!r}")
        from stl.theory.definitions import HYPOTHESES

        unknown = [code for code in self.requires if code not in HYPOTHESES]
        if unknown:
            raise ValueError(f"requires names hypotheses of stl.theory.definitions.HYPOTHESES, "
                             f"got {unknown}")
        if self.confidence_terms is not None and not set(self.confidence_terms) <= set(names):
            raise ValueError(f"confidence_terms {self.confidence_terms} are not terms {names}")
        object.__setattr__(self, "terms", terms)
        if not self._domains_done:
            # every free symbol gets a domain: the caller's overrides, else the default
            everything = sp.Add(*(e for _, e in terms), *(v for _, v in self.defined))
            doms = default_domains(everything, tuple(self.assumptions))
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

    @property
    def given(self) -> tuple[tuple[sp.Symbol, sp.Expr], ...]:
        """Values the user substituted so far, in order: "with λ = 1/2, n = 100"."""
        return tuple(pair for op in self.history if isinstance(op, Substitution)
                     and op.premise is None for pair in op.values)

    @property
    def limits(self) -> tuple[tuple[sp.Symbol, sp.Expr], ...]:
        """Limits taken so far, in order (symbol, value)."""
        return tuple((op.symbol, op.value) for op in self.history if isinstance(op, LimitTaken))

    @property
    def provenance_text(self) -> str:
        """What ``provenance`` means, in words (one line)."""
        return PROVENANCE[self.provenance]

    def known_symbols(self) -> set[sp.Symbol]:
        """Symbols that may be substituted: free ones, those of side conditions and special
        cases, and those of the expressions that defined symbols stand for (a value given
        to a defined symbol itself replaces its definition)."""
        known = self.free_symbols | {d.symbol for d in self.assumptions}
        for condition in self.conditions:
            known |= condition.relation.free_symbols
        for case in self.special_cases:
            known.add(case.symbol)
        for _, value in self.defined:
            known |= value.free_symbols
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
        for symbol, value in self.defined:
            if symbol in keep:
                keep |= value.free_symbols
        doms = tuple(d for d in self.assumptions if d.symbol in keep)
        terms_kept = None if self.confidence_terms is None else tuple(
            t for t in self.confidence_terms if t == name)
        return replace(self, terms=((name, expr),), assumptions=doms,
                       special_cases=tuple(cases), _domains_done=True,
                       confidence_terms=terms_kept)

    def _zero(self, name: str) -> Bound:
        return replace(self, terms=((name, sp.Integer(0)),), special_cases=(),
                       _domains_done=True)

    def expanded(self) -> Bound:
        """The bound with every defined symbol replaced by what it stands for."""
        if not self.defined:
            return self
        values = dict(self.defined)
        terms = tuple((name, expr.subs(values)) for name, expr in self.terms)
        conds = tuple(c.subs(values) for c in self.conditions)
        cases = tuple(replace(case, bound=case.bound.expanded()) for case in self.special_cases)
        return replace(self, terms=terms, conditions=conds, special_cases=cases, defined=(),
                       assumptions=_domains_for(terms, (), self.assumptions, conds),
                       _domains_done=True)

    def _rebuilt(self, terms, lhs, domains, conditions, cases, **changes) -> Bound:
        """A bound like this one with new parts (new symbols get default domains)."""
        kept = {name: changes.get(name, getattr(self, name)) for name in (
            "history", "premises", "confidence", "confidence_terms", "provenance",
            "requires", "remarks", "defined")}
        return Bound(tuple(terms), self.source, lhs, tuple(domains), tuple(conditions),
                     self.hides_constants, tuple(cases), self.description, **kept)

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
        return self._put(values)

    def _put(self, values: dict, *, premise: Premise | None = None,
             record: bool = True) -> Bound:
        """Substitute checked ``values``; record them in the history (under ``premise``
        when they are the theory's forms)."""
        step = Substitution(tuple(values.items()), premise)
        history = self.history + ((step,) if record else ())
        premises = tuple(p.subs(values) for p in self.premises)
        if premise is not None and premise not in premises:
            premises += (premise,)
        for case in self.special_cases:
            if case.symbol in values and _same(values[case.symbol], case.value):
                rest = {s: v for s, v in values.items()
                        if s != case.symbol and s in case.bound.known_symbols()}
                special = case.bound._put(rest, record=False) if rest else case.bound
                return replace(special, history=history, premises=premises,
                               provenance=self.provenance if premise is None else "derived")
        for cond in self.conditions:
            cond.check(values)
        numbers = [(s, v) for s, v in values.items() if not v.free_symbols]
        symbolic = [(s, v) for s, v in values.items() if v.free_symbols]
        terms = tuple((name, _substitute(expr, symbolic, numbers, self))
                      for name, expr in self.terms)
        defined = tuple((symbol, substitute(value, values)) for symbol, value in self.defined
                        if symbol not in values)  # a value given to it replaces its definition
        conds = tuple(c2 for c2 in (c.subs(values) for c in self.conditions)
                      if c2.relation is not sp.true)
        doms = _domains_for(terms, defined, self.assumptions, conds)
        cases = tuple(
            replace(case, bound=case.bound._put(
                {s: v for s, v in values.items() if s in case.bound.known_symbols()},
                record=False))
            for case in self.special_cases if case.symbol not in values)
        lhs = substitute(self.lhs, values) if self.lhs is not None else None
        confidence = None if self.confidence is None else substitute(self.confidence, values)
        remarks = tuple(r.subs(values) for r in self.remarks)
        return self._rebuilt(terms, lhs, doms, conds, cases, history=history, premises=premises,
                             confidence=confidence, remarks=remarks, defined=defined,
                             provenance=self.provenance if premise is None else "derived")

    def _in_context(self, form: Bound) -> Bound:
        """``form`` after every step of this bound's history, in order: what it would be
        had it been part of the bound from the start (see the module docstring)."""
        for step in self.history:
            if isinstance(step, Substitution):
                values = {s: v for s, v in step.values if s in form.known_symbols()}
                if values:
                    form = form._put(values, record=False)
            elif isinstance(step, LimitTaken) and step.symbol in form.known_symbols():
                form = form.limit(step.symbol, step.value, step.direction)
        return form

    def _premise_in_context(self, premise: Premise) -> Premise:
        for step in self.history:
            if isinstance(step, Substitution):
                premise = premise.subs(dict(step.values))
            elif isinstance(step, LimitTaken):
                premise = premise.limit(step.symbol, step.value, step.direction,
                                        self.assumptions)
        return premise

    def resolve(self, variable: sp.Symbol | str) -> Bound:
        """Put in the theory's form of every symbol indexed by ``variable`` (``i`` or ``n``).

        ``i``: ``γ_n^{i-1}`` by L2 at generation ``i - 1``; ``n``: also the Corollary's
        rates ``β_n = b/n``, ``τ_n = c/n``, ``d_TV(n) = a n^{-1/2}``
        (:mod:`stl.theory.indexed`). Each form is first taken through this bound's
        history (so it holds the values substituted so far) and recorded as a premise.

        >>> from stl.theory.results.theorem1 import theorem1_bound
        >>> bound = theorem1_bound().resolve("n")                  # THEORY.md Corollary
        >>> sorted(s.name for s in bound.free_symbols)
        ['M', 'a', 'b', 'c', 'i', 'lam', 'n']
        >>> bound.rate("n").order
        1/sqrt(n)
        """
        sym = variable if isinstance(variable, sp.Symbol) else S.lookup(variable, public_only=False)
        bound = self
        for symbol, form, premise in forms(sym):
            if symbol not in bound.known_symbols():
                continue
            shaped = bound._in_context(form)
            bound = bound._put({symbol: shaped.expr}, premise=bound._premise_in_context(premise))
            extra = tuple(c for c in shaped.conditions if c not in bound.conditions)
            if extra:
                bound = replace(bound, conditions=bound.conditions + extra)
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
        result = self.subs(values).expanded()
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
        ``x < 1`` (L2's ``ρ``) that condition is added. Special cases at other symbols
        are carried to the limit too. An integer index (``i``, ``n``) has a limit only at
        infinity.

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
        bound = self
        if any(sym in value_.free_symbols for _, value_ in self.defined):
            bound = self.expanded()  # the limit moves a defined symbol: work on its value
        if dependents(bound.known_symbols(), sym):
            bound = bound.resolve(sym)
        dirn = direction or default_direction(bound.domain(sym), target)
        terms, found = [], []
        for name, expr in bound.terms:
            value_, conditions = limit_of(expr, sym, target, dirn, bound.assumptions)
            terms.append((name, value_))
            found += [c for c in conditions if c not in found]
        conds = tuple(c for c in bound.conditions if sym not in c.relation.free_symbols)
        conds += tuple(c for c in found if c not in conds)
        doms = _domains_for(terms, bound.defined, bound.assumptions, conds)
        cases = []
        for case in bound.special_cases:
            if case.symbol == sym:
                continue  # the limit leaves the special point behind
            try:
                moved = (case.bound.limit(sym, target, dirn)
                         if sym in case.bound.known_symbols() else case.bound)
            except InputError:
                continue  # the general bound still holds at the special point
            cases.append(replace(case, bound=moved))
        lhs = None if bound.lhs is None else LimSup(bound.lhs, sym, target, dirn)
        # premises keep the forms as they were put in: the limit is of the whole bound
        return bound._rebuilt(terms, lhs, doms, conds, cases,
                              history=bound.history + (LimitTaken(sym, target, dirn),),
                              provenance="derived")

    def rate(self, symbol: sp.Symbol | str) -> Rate:
        """The leading order of the bound as ``symbol -> oo``, and what it held fixed.

        Symbols indexed by ``symbol`` (``β_n`` for ``n``) are held fixed, and the
        :class:`~stl.theory.limits.Rate` says so; ``with_rates().rate("n")`` gives the
        Corollary's order. ``print(rate)`` shows the line ``stl derive --rate`` prints.

        >>> from stl.theory.results.corollary import corollary_bound
        >>> print(corollary_bound().rate("n"))                 # THEORY.md Corollary
        O(1/sqrt(n)) as n -> oo
        """
        sym = symbol if isinstance(symbol, sp.Symbol) else S.lookup(symbol, public_only=False)
        bound = self.expanded()
        held = dependents(bound.free_symbols, sym)
        order = leading_order(bound.expr, sym, bound.assumptions)
        return Rate(sym, order, tuple(sorted(held, key=S.rank)), self.premises)

    # --- numbers ----------------------------------------------------------------------
    def lambdify(self, term: str | None = None) -> Callable[..., Any]:
        """A vectorized numpy function of keyword arrays (names of the free symbols).

        Points where the closed form is singular but the bound is not (a removable
        singularity, or a special case such as T1 at ``i = 0``) are recomputed exactly
        through :meth:`evaluate`, so the fast path and the exact path agree.
        """
        import numpy as np

        whole = self.expanded()
        target = whole if term is None else whole.only(term)
        symbols = sorted(target.known_symbols(), key=lambda s: s.name)
        names = [s.name for s in symbols]
        fast = sp.lambdify(symbols, target.expr, modules="numpy")
        special = {case.symbol.name: float(case.value) for case in target.special_cases}

        accepted = {s.name for s in whole.known_symbols()}  # a term takes the bound's columns

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
                    bad_values = [v for v in column.ravel() if not dom.contains(float(v))]
                    if bad_values:
                        raise AssumptionError(symbol.name, bad_values[0], dom.describe())
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
        from stl.theory.latex import generation_names

        names: dict = {}
        if self.generation() is not None:
            names.update(generation_names(self.generation())[0])
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
        from stl.theory.latex import to_latex

        names = self.notation(notation)
        return [to_latex(expr, names) for _, expr in self.terms if expr != 0] or (
            [to_latex(self.terms[0][1], names)] if self.terms else [])

    def lhs_latex(self, notation: Mapping[Any, str] | None = None) -> str | None:
        from stl.theory.latex import to_latex

        return None if self.lhs is None else to_latex(self.lhs, self.notation(notation))

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
        from stl.theory.latex import to_latex

        names = self.notation(notation)
        return [to_latex(sp.Eq(symbol, value, evaluate=False), names)
                for symbol, value in self.given]

    def confidence_prose(self) -> Prose | None:
        """For a high-probability bound: which terms hold with which probability."""
        if self.confidence is None:
            return None
        covered = [t for t in self.term_names if t in (self.confidence_terms or self.term_names)
                   and self.term(t) != 0]
        others = [t for t in self.term_names if t not in covered and self.term(t) != 0]
        if not others:
            return Prose.of("with probability at least ", self.confidence)
        return Prose.of("with probability at least ", self.confidence, " for the "
                        + _words(covered) + (" terms" if len(covered) > 1 else " term")
                        + " and in expectation for the " + _words(others)
                        + (" terms" if len(others) > 1 else " term"))

    def pretty(self, unicode: bool = True, width: int = 88) -> str:
        """2-D text of the statement (sympy's pretty printer, Unicode names)."""
        from stl.theory.latex import generation_names, to_pretty

        names = generation_names(self.generation())[1] if self.generation() is not None else None
        return to_pretty(self.statement(), unicode=unicode, width=width, names=names)

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
            lines += ["", f"using ${premise.latex(self.notation())}$"]
        if self.conditions:
            lines += ["", "valid when " + ", ".join(f"${c.latex()}$" for c in self.conditions)]
        lines += ["", f"Provenance: {self.provenance} ({self.provenance_text})."]
        return "\n".join(lines)

    def assumption_dicts(self) -> list[dict]:
        return [d.to_dict() for d in self.assumptions] + [c.to_dict() for c in self.conditions]

    def __str__(self) -> str:
        return str(self.statement())


def _words(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _domains_for(terms, defined, domains: Iterable[Domain], conditions=()) -> tuple[Domain, ...]:
    """The domains of ``domains`` whose symbols are still free in ``terms``, ``defined`` or
    ``conditions``."""
    remaining: set = set()
    for condition in conditions:
        remaining |= condition.relation.free_symbols
    for _, expr in terms:
        remaining |= expr.free_symbols
    for symbol, value in defined:
        remaining |= value.free_symbols | {symbol}
    return tuple(d for d in domains if d.symbol in remaining)


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
        if bad(nxt) and not bad(current):
            nxt, _ = limit_of(current, symbol, value,
                              default_direction(bound.domain(symbol), value), bound.assumptions)
        current = nxt
    return current


