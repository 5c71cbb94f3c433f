"""A :class:`Derivation`: the steps (relation + reason) that lead to a :class:`Bound`.

``stl derive NAME`` prints one. Each step is a sympy relation so that it can be typeset,
serialized (``srepr``) and, where it is an identity, checked numerically by the tests.

>>> from stl.theory.results import get
>>> derivation = get("shift")                     # THEORY.md L1
>>> derivation.result.source
'L1'
>>> len(derivation.steps) >= 3
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import sympy as sp

from stl.theory.bound import Bound
from stl.theory.latex import generation_names, to_latex, to_pretty
from stl.theory.prose import Prose
from stl.theory.substitution import substitute

#: What a step's relation is. ``identity`` steps hold for every value of their symbols
#: and ``limit`` steps equate a ``Limit`` with its value; the tests check both at random
#: points. ``claim`` covers definitions, substitutions and inequalities of the proof.
STEP_KINDS = ("claim", "identity", "limit")


@dataclass(frozen=True)
class Step:
    """One step: a sympy relation, why it holds, and its kind (see STEP_KINDS).

    The reason is :class:`~stl.theory.prose.Prose` (plain words may be given as a string),
    so its formulas print as math in LaTeX and the documentation and as one line of text
    in ``stl derive``.
    """

    relation: sp.Basic
    reason: Prose
    kind: str = "claim"

    def __post_init__(self) -> None:
        if self.kind not in STEP_KINDS:
            raise ValueError(f"step kind must be one of {STEP_KINDS}, got {self.kind!r}")
        if isinstance(self.reason, str):
            object.__setattr__(self, "reason", Prose.of(self.reason))

    def reason_text(self, unicode: bool = True) -> str:
        """The reason as one line of plain text."""
        return self.reason.text(unicode)

    def reason_latex(self, notation: Mapping[Any, str] | None = None) -> str:
        """The reason as LaTeX text with ``$...$`` math."""
        return self.reason.latex(notation)

    def latex(self, notation: Mapping[Any, str] | None = None) -> str:
        # order="none" keeps sums in the order the derivation wrote them
        return to_latex(self.relation, notation, order="none")

    def subs(self, values: Mapping[sp.Symbol, sp.Expr]) -> Step:
        """The step with ``values`` substituted, for display.

        A general step can become undefined at a special value (0/0 at λ = 0), or state a
        limit in the very symbol being substituted; it is then shown in its general form,
        since the result itself is specialized separately.
        """
        bound_variables = {lim.args[1] for lim in self.relation.atoms(sp.Limit)}
        if bound_variables & set(values):
            # A limit in λ cannot take λ = 1/2: substituting its bound variable would print
            # Limit(f, 1/2, 0). Such a step states a limiting case, so it stays general.
            return self
        try:
            # node by node, relations left unevaluated: a step never collapses to True,
            # and a number put into a power is never expanded symbolically
            relation = substitute(self.relation, values)
        except (TypeError, ValueError, ZeroDivisionError, NotImplementedError):
            return self
        if relation.has(sp.S.NaN) or relation.has(sp.zoo):
            return self
        return replace(self, relation=relation)

    def pretty(self, unicode: bool = True, width: int = 88, names=None) -> str:
        """2-D text of the relation (``a_i ≤ …``, never ``Eq(…)``)."""
        return to_pretty(self.relation, unicode=unicode, width=width, names=names)


@dataclass(frozen=True)
class Derivation:
    """A named chain of steps ending in ``result``.

    ``extras`` are named by-products worth printing beside the bound (``ρ`` and ``λ_c``
    for L2, the optimal ``n_s`` for T3, the transformer constant ``c`` for T2).
    """

    name: str
    title: str
    source: str
    statement: str
    steps: tuple[Step, ...]
    result: Bound
    extras: tuple[tuple[str, sp.Expr], ...] = ()

    @property
    def provenance(self) -> str:
        """``paper`` or ``derived``: the provenance of the result the steps lead to."""
        return self.result.provenance

    def subs(self, values: Mapping[Any, Any]) -> Derivation:
        """Substitute in the result (checked) and in steps and extras (for display)."""
        result = self.result.subs(values)
        symbolic = self.result._resolve(values, {}, "subs")  # parsed and typed once more
        return replace(self, result=result,
                       steps=tuple(step.subs(symbolic) for step in self.steps),
                       extras=tuple((n, _shown(e, symbolic)) for n, e in self.extras))

    def limit(self, symbol: Any, value: Any) -> Derivation:
        """The same derivation ending in the limit of its result (see :meth:`Bound.limit`)."""
        return replace(self, result=self.result.limit(symbol, value))

    def with_rates(self) -> Derivation:
        """The same derivation ending in its result under the Corollary's rate forms."""
        return replace(self, result=self.result.with_rates())

    # Jupyter and sympy printing hooks: a derivation shows as its steps and its result
    def _latex(self, printer=None) -> str:
        return self.result.statement_latex()

    def _repr_latex_(self) -> str:
        names = self.result.notation()
        rows = [step.latex(names) for step in self.steps] + [self.result.statement_latex()]
        return "$\\begin{aligned}" + r" \\ ".join("& " + row for row in rows) + "\\end{aligned}$"

    def _repr_markdown_(self) -> str:
        names = self.result.notation()
        lines = [f"**{self.title}** ({self.source}). {self.statement}", ""]
        for number, step in enumerate(self.steps, 1):
            lines += [f"{number}. {step.reason_latex(names)}:", "", f"   $${step.latex(names)}$$", ""]
        lines += ["**Result.**", "", self.result._repr_markdown_()]
        return "\n".join(lines)

    def pretty(self, unicode: bool = True, width: int = 88) -> str:
        """The steps and the result as 2-D text (what ``stl derive`` prints)."""
        generation = self.result.generation()
        names = generation_names(generation)[1] if generation is not None else None
        parts = []
        for number, step in enumerate(self.steps, 1):
            parts += [f"{number:2d}. {step.reason_text(unicode)}",
                      _indent(step.pretty(unicode, width, names)),
                      ""]
        parts += ["result:", _indent(self.result.pretty(unicode, width))]
        return "\n".join(parts)

    def with_result(self, result: Bound) -> Derivation:
        return replace(self, result=result)

    def extra(self, name: str) -> sp.Expr:
        return dict(self.extras)[name]



def _indent(text: str, by: str = "      ") -> str:
    return "\n".join(by + line for line in text.splitlines())


def _shown(expr: sp.Expr, values: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
    """``expr`` with ``values`` put in, for display; unchanged where that is undefined."""
    try:
        shown = substitute(expr, values)
    except (TypeError, ValueError, ZeroDivisionError, NotImplementedError):
        return expr
    return expr if shown.has(sp.S.NaN, sp.zoo) else shown
