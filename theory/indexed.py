"""Symbols indexed by ``n`` or the generation ``i``, and the theory's forms for them.

``β_n``, ``τ_n`` and ``d_TV(n)`` depend on the training-set size ``n``, and ``γ_n^{i-1}``
on ``n`` and on the generation ``i`` (:data:`stl.theory.symbols.INDEXED_BY`). A limit
``i → ∞`` that keeps the symbol ``γ_n^{i-1}`` would still speak of generation ``i - 1``;
an order ``O(n)`` that keeps ``β_n`` silently assumes that the stability does not improve
with ``n``. So a limit in ``i`` or ``n`` first replaces every symbol indexed by it with
the form the theory gives it, and says so (a :class:`Premise`); a rate lists the indexed
symbols it held fixed.

The forms (THEORY.md):

* ``i``: L2 at generation ``i - 1``, ``γ_n^{i-1} <= τ_n (1 - ρ^i)/(1 - ρ)`` with
  ``ρ = (1 - λ) n τ_n``; as ``i → ∞`` it tends to ``τ_n/(1 - ρ)`` when ``ρ < 1``.
* ``n``: the Corollary's rates ``β_n = b/n``, ``τ_n = c/n``, ``d_TV(n) = a n^{-1/2}``,
  with ``γ_n^{i-1}`` from L2 first (in ``τ_n``, then ``c/n``).

>>> from stl.theory.results.theorem1 import theorem1_bound
>>> sorted(s.name for s in dependents(theorem1_bound().free_symbols, S.n))
['beta_n', 'd_tv', 'gamma']
>>> [p.text for p in forms(S.i)[0][2:]]
['gamma_n^{i-1} <= tau_n (1 - rho^i)/(1 - rho), rho = (1 - lam) n tau_n (L2 at generation i - 1)']
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import sympy as sp

from stl.theory import symbols as S


@dataclass(frozen=True)
class Premise:
    """What a result was derived under, in words and in LaTeX (for ``where``/``with`` text)."""

    text: str
    latex: str
    #: The symbols the premise speaks of (so that a pasted statement defines them).
    symbols: tuple[sp.Symbol, ...] = ()

    def to_dict(self) -> dict:
        return {"statement": self.text, "latex": self.latex,
                "symbols": [s.name for s in self.symbols]}


def dependents(symbols: Iterable[sp.Symbol], variable: sp.Symbol) -> set[sp.Symbol]:
    """The symbols among ``symbols`` whose meaning is indexed by ``variable``."""
    return {s for s in symbols if variable in S.INDEXED_BY.get(s, ())}


def _gamma_l2() -> sp.Expr:
    """L2's bound on ``γ_n^{i-1}`` (generation ``i - 1``) in ``τ_n``, ``λ``, ``n``."""
    from stl.theory.results.recursive_stability import recursive_stability_bound

    return recursive_stability_bound().expr.subs(S.i, S.i - 1)


def _l2_premise() -> Premise:
    return Premise(
        "gamma_n^{i-1} <= tau_n (1 - rho^i)/(1 - rho), rho = (1 - lam) n tau_n "
        "(L2 at generation i - 1)",
        r"\gamma_{n}^{i-1} \leq \tau_{n} \frac{1 - \rho^{i}}{1 - \rho}"
        r" \text{ with } \rho = (1 - \lambda) n \tau_{n} \text{ (Lemma L2)}",
        (S.gamma, S.tau_n, S.lam, S.n))


#: The Corollary's rate forms of the symbols indexed by ``n``.
RATE_FORMS = ((S.beta_n, S.b / S.n), (S.tau_n, S.c / S.n), (S.d_tv, S.a / sp.sqrt(S.n)))


def _rates_premise() -> Premise:
    return Premise("beta_n = b/n, tau_n = c/n, d_TV(n) = a n^{-1/2} (the Corollary's rates)",
                   r"\beta_{n} = b/n,\ \tau_{n} = c/n,\ d_{\mathrm{TV}}(n) = a n^{-1/2}"
                   r" \text{ (the rates of the Corollary)}",
                   (S.beta_n, S.tau_n, S.d_tv, S.a, S.b, S.c, S.n))


def forms(variable: sp.Symbol) -> list[tuple[sp.Symbol, sp.Expr, Premise]]:
    """``(symbol, form, premise)`` for each symbol indexed by ``variable``, in the order
    in which they are substituted (``γ`` first: its L2 form is in ``τ_n``)."""
    if variable == S.i:
        return [(S.gamma, _gamma_l2(), _l2_premise())]
    if variable == S.n:
        premise = _rates_premise()
        return [(S.gamma, _gamma_l2(), _l2_premise())] + [
            (symbol, form, premise) for symbol, form in RATE_FORMS]
    return []


def held_fixed_text(symbols: Iterable[sp.Symbol]) -> str:
    """``"beta_n, gamma, d_tv"`` in the paper's order."""
    ordered = sorted(symbols, key=lambda s: S.PAPER_ORDER.index(s) if s in S.PAPER_ORDER
                     else len(S.PAPER_ORDER))
    return ", ".join(s.name for s in ordered)
