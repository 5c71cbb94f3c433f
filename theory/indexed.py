"""Symbols indexed by ``n`` or the generation ``i``, and the theory's forms for them.

``β_n``, ``τ_n`` and ``d_TV(n)`` depend on the training-set size ``n``, and ``γ_n^{i-1}``
on ``n`` and on the generation ``i`` (``indexed_by`` in :mod:`stl.theory.symbols`). A
limit ``i → ∞`` that keeps the symbol ``γ_n^{i-1}`` would still speak of generation
``i - 1``; an order ``O(n)`` that keeps ``β_n`` silently assumes that the stability does
not improve with ``n``. So a limit in ``i`` or ``n`` first replaces every symbol indexed
by it with the form the theory gives it, and says so (a :class:`Premise`); a rate lists
the indexed symbols it held fixed.

The forms (THEORY.md) are bounds of their own, so that they follow every operation done
to the bound before they are put in (:meth:`stl.theory.bound.Bound.resolve`):

* ``i``: L2 at generation ``i - 1``, ``γ_n^{i-1} <= τ_n (1 - ρ^i)/(1 - ρ)`` with
  ``ρ = (1 - λ) n τ_n`` (and its ``λ = 0`` case ``τ_n ρ^{i-1}``).
* ``n``: the Corollary's rates ``β_n = b/n``, ``τ_n = c/n``, ``d_TV(n) = a n^{-1/2}``,
  with ``γ_n^{i-1}`` from L2 first (in ``τ_n``, then ``c/n``).

>>> from stl.theory.results.theorem1 import theorem1_bound
>>> sorted(s.name for s in dependents(theorem1_bound().free_symbols, S.n))
['beta_n', 'd_tv', 'gamma']
>>> print(forms(S.i)[0][2].text)
gamma <= tau_n (1 - rho^i)/(1 - rho), rho = (1 - lam) n tau_n (L2 at generation i - 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

from stl.theory import symbols as S


@dataclass(frozen=True)
class Premise:
    """A form the theory put in for indexed symbols: its relations and where they come from.

    The relations are sympy relations (``γ ≤ τ_n (1 - ρ^i)/(1 - ρ)``, ``ρ = (1 - λ) n τ_n``),
    so a premise follows the substitutions made to its bound; its text and LaTeX are
    printed from them.
    """

    relations: tuple[sp.Basic, ...]
    name: str
    latex_name: str = ""

    @property
    def symbols(self) -> tuple[sp.Symbol, ...]:
        """The symbols the premise speaks of (so that a pasted statement defines them)."""
        found: set = set()
        for relation in self.relations:
            found |= relation.free_symbols
        return tuple(sorted(found, key=lambda s: (S.rank(s), s.name)))

    @property
    def free_symbols(self) -> set:
        return set(self.symbols)

    @property
    def text(self) -> str:
        from stl.theory.latex import to_text

        return ", ".join(to_text(r) for r in self.relations) + f" ({self.name})"

    def latex(self, notation: Mapping[Any, str] | None = None) -> str:
        from stl.theory.latex import to_latex

        shown = [to_latex(r, notation) for r in self.relations]
        return (r" \text{ with } ".join(shown)
                + r" \text{ (" + (self.latex_name or self.name) + ")}")

    def subs(self, values: Mapping[sp.Symbol, sp.Expr]) -> Premise:
        """The premise with ``values`` put in (relations stay unevaluated)."""
        from stl.theory.substitution import substitute

        relevant = {s: v for s, v in values.items() if s in self.free_symbols}
        if not relevant:
            return self
        return Premise(tuple(substitute(r, relevant) for r in self.relations), self.name,
                       self.latex_name)

    def limit(self, symbol: sp.Symbol, value: sp.Expr, direction: str, domains) -> Premise:
        """The premise with the right-hand side of each relation taken to the limit."""
        from stl.theory.errors import InputError
        from stl.theory.limits import limit_of

        relations = []
        for relation in self.relations:
            if symbol in relation.rhs.free_symbols and symbol not in relation.lhs.free_symbols:
                try:
                    rhs, _ = limit_of(relation.rhs, symbol, value, direction, domains)
                    relation = relation.func(relation.lhs, rhs, evaluate=False)
                except InputError:
                    pass
            relations.append(relation)
        return Premise(tuple(relations), self.name, self.latex_name)

    def to_dict(self) -> dict:
        return {"statement": self.text, "latex": self.latex(),
                "symbols": [s.name for s in self.symbols]}


def dependents(symbols: Iterable[sp.Symbol], variable: sp.Symbol) -> set[sp.Symbol]:
    """The symbols among ``symbols`` whose meaning is indexed by ``variable``."""
    return {s for s in symbols if variable in S.INDEXED_BY.get(s, ())}


def _gamma_l2():
    """L2's bound on ``γ_n^{i-1}`` (generation ``i - 1``), with its ``λ = 0`` case."""
    from stl.theory.results.recursive_stability import recursive_stability_bound

    return recursive_stability_bound(generation=S.i - 1)


def l2_premise() -> Premise:
    previous = (1 - S.rho ** S.i) / (1 - S.rho)
    return Premise((sp.LessThan(S.gamma, S.tau_n * previous, evaluate=False),
                    sp.Eq(S.rho, (1 - S.lam) * S.n * S.tau_n, evaluate=False)),
                   "L2 at generation i - 1", "Lemma L2")


#: The Corollary's rate forms of the symbols indexed by ``n``.
RATE_FORMS = ((S.beta_n, S.b / S.n), (S.tau_n, S.c / S.n), (S.d_tv, S.a / sp.sqrt(S.n)))


def rates_premise() -> Premise:
    return Premise(tuple(sp.Eq(symbol, form, evaluate=False) for symbol, form in RATE_FORMS),
                   "the Corollary's rates", "the rates of the Corollary")


def _plain(expr: sp.Expr, source: str):
    from stl.theory.bound import Bound

    return Bound((("form", expr),), source)


def forms(variable: sp.Symbol) -> list[tuple[sp.Symbol, Any, Premise]]:
    """``(symbol, form, premise)`` for each symbol indexed by ``variable``, in the order
    in which they are substituted (``γ`` first: its L2 form is in ``τ_n``). Each form is a
    :class:`~stl.theory.bound.Bound` on the symbol."""
    if variable == S.i:
        return [(S.gamma, _gamma_l2(), l2_premise())]
    if variable == S.n:
        premise = rates_premise()
        return [(S.gamma, _gamma_l2(), l2_premise())] + [
            (symbol, _plain(form, "Corollary"), premise) for symbol, form in RATE_FORMS]
    return []


def held_fixed_text(symbols: Iterable[sp.Symbol]) -> str:
    """``"beta_n, gamma, d_tv"`` in the paper's order."""
    return ", ".join(s.name for s in sorted(symbols, key=S.rank))
