"""The :class:`ModelConstants` value object shared by the model modules."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sympy as sp

from stl.theory import symbols as S
from stl.theory.bound import Bound
from stl.theory.errors import InputError
from stl.theory.latex import to_latex


@dataclass(frozen=True)
class ModelConstants:
    """``β_n``, ``τ_n``, ``M`` and ``d_TV(n)`` of one model, ready to instantiate T1.

    A constant is ``None`` when no honest closed form or bound is known (the numeric
    estimators of ``numerics`` then supply it). ``notes`` says, per constant, whether
    it is exact or a bound and under which hypotheses; ``extras`` holds other closed
    forms of the model (e.g. the variance under the ``replace`` scheme).
    """

    model: str
    beta_n: sp.Expr | None
    tau_n: sp.Expr | None
    M: sp.Expr
    d_tv: sp.Expr | None
    parameters: tuple[sp.Symbol, ...] = ()
    notes: tuple[tuple[str, str], ...] = ()
    extras: tuple[tuple[str, sp.Expr], ...] = ()
    #: The numeric model's ``--param`` name of each parameter symbol (``k`` for ``K``), so
    #: that the same name works on both sides: ``with_parameters(k=10)``.
    keywords: tuple[tuple[str, sp.Symbol], ...] = ()

    def note(self, name: str) -> str:
        return dict(self.notes).get(name, "")

    def extra(self, name: str) -> sp.Expr:
        table = dict(self.extras)
        if name not in table:
            raise InputError("extra", repr(name), "one of " + ", ".join(table))
        return table[name]

    def substitutions(self) -> dict[sp.Symbol, sp.Expr]:
        """Public symbol -> expression, for the constants that are known."""
        pairs = {S.beta_n: self.beta_n, S.tau_n: self.tau_n, S.M: self.M, S.d_tv: self.d_tv}
        return {symbol: value for symbol, value in pairs.items() if value is not None}

    def with_parameters(self, **values: Any) -> ModelConstants:
        """The same constants with model parameters fixed.

        A parameter is named by the numeric model's ``--param`` name (``k=5`` for the
        categorical model) or by its symbol's name (``K=5``).
        """
        table = {p.name: p for p in self.parameters}
        table.update({name: symbol for name, symbol in self.keywords if symbol in self.parameters})
        mapping = {}
        for name, value in values.items():
            if name not in table:
                raise InputError("parameter", repr(name),
                                 "one of " + ", ".join(table) if table else "none")
            mapping[table[name]] = sp.sympify(value) if not isinstance(value, str) else \
                _parse(value, name)

        def sub(expr: sp.Expr | None) -> sp.Expr | None:
            return None if expr is None else expr.subs(mapping)

        return replace(self, beta_n=sub(self.beta_n), tau_n=sub(self.tau_n), M=sub(self.M),
                       d_tv=sub(self.d_tv),
                       parameters=tuple(p for p in self.parameters if p not in mapping),
                       extras=tuple((k, v.subs(mapping)) for k, v in self.extras))

    def rate_coefficients(self) -> dict[str, sp.Expr]:
        """``b = n β_n``, ``c = n τ_n``, ``a = sqrt(n) d_TV(n)`` where these are free of ``n``."""
        found = {}
        for name, value, scale in (("b", self.beta_n, S.n), ("c", self.tau_n, S.n),
                                   ("a", self.d_tv, sp.sqrt(S.n))):
            if value is None:
                continue
            coefficient = sp.simplify(value * scale)
            if S.n not in coefficient.free_symbols:
                found[name] = coefficient
        return found

    def _rows(self) -> list[tuple[str, sp.Expr]]:
        return [(name, value) for name, value in (("beta_n", self.beta_n), ("tau_n", self.tau_n),
                                                  ("M", self.M), ("d_tv", self.d_tv))
                if value is not None]

    def latex(self) -> str:
        """``\\beta_{n} = ..., \\tau_{n} = ...`` for the constants that are known."""
        return r",\quad ".join(to_latex(sp.Eq(S.PUBLIC[name], value, evaluate=False))
                                for name, value in self._rows())

    # Jupyter and sympy printing hooks
    def _latex(self, printer=None) -> str:
        return self.latex()

    def _repr_latex_(self) -> str:
        return "$" + self.latex() + "$"

    def _repr_markdown_(self) -> str:
        lines = [f"**{self.model}** constants", "", "| constant | value | note |", "|---|---|---|"]
        for name, value in self._rows():
            lines.append(f"| ${to_latex(S.PUBLIC[name])}$ | ${to_latex(value)}$ "
                         f"| {self.note(name)} |")
        unknown = [n for n in ("beta_n", "tau_n", "d_tv") if getattr(self, n) is None]
        if unknown:
            lines += ["", "unknown in closed form (estimate them): " + ", ".join(unknown)]
        return "\n".join(lines)

    def theorem1(self, recursive: bool = True) -> Bound:
        """T1 with this model's constants (``γ`` from L2 when ``recursive`` and ``τ_n`` known)."""
        from stl.theory.results.theorem1 import theorem1_bound

        bound = theorem1_bound(recursive=recursive and self.tau_n is not None)
        known = {s: v for s, v in self.substitutions().items() if s in bound.known_symbols()}
        return bound.subs(known)


def _parse(text: str, name: str) -> sp.Expr:
    from stl.theory.parsing import parse_expression

    return parse_expression(text, argument=name, symbols={})
