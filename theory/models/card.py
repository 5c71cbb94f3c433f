"""The theory half of a model's card: its analytic constants (or why there are none) and
its closed forms, declared once in the model's module of :mod:`stl.theory.models`.

A model's facts are split by the layer rule: the numeric model class declares what runs
(parameters, metrics, coupling, sizes), the model's theory module declares what is known
in closed form. Each theory module exports ``CARDS``, one :class:`TheoryCard` per numeric
model it describes, named by that model's registry name; :mod:`stl.verify.cards` joins the
two halves by that name and checks them against each other (every closed form's metric
and scheme exist on the model, every symbol is bound by a number the model gives, the
constants evaluate at the model's default parameters or a reason is given).

A :class:`ClosedForm` is an exact expectation ``E metric_i`` of the loop under one scheme,
as a sympy expression in ``n``, ``i`` and the model's own symbols (``symbols`` maps the
numeric model's names — its ``--param`` keys and ``law_facts`` — to those symbols); ``when``
restricts it to parameter values (the unbiased estimator, OLS without a ridge), and
``requires`` states where it is defined.

>>> from stl.theory.symbols import i, n
>>> q = sp.Symbol("E_x_i")
>>> form = ClosedForm("demo", "x", "replace", (1 - 1 / n) ** (i + 1), q, {q: r"\\mathbb{E}\\,x_{i}"})
>>> form.statement_latex()
'\\\\mathbb{E}\\\\,x_{i} = \\\\left(1 - \\\\frac{1}{n}\\\\right)^{i + 1}'
>>> TheoryCard("demo")
Traceback (most recent call last):
...
ValueError: TheoryCard demo: give its constants or the reason there are none (no_constants)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import sympy as sp

from stl.theory.errors import InputError
from stl.theory.latex import to_latex
from stl.theory.models.constants import ModelConstants


@dataclass(frozen=True)
class ClosedForm:
    """``E metric_i = expr`` for the loop of one model under ``scheme`` (see the module docstring)."""

    name: str
    metric: str
    scheme: str
    expr: sp.Expr
    quantity: sp.Symbol
    notation: Mapping[sp.Symbol, str] = field(default_factory=dict)
    #: ``--param`` values this form is for (typed, e.g. ``{"estimator": "unbiased"}``)
    when: Mapping[str, Any] = field(default_factory=dict)
    #: where the form is defined (a sympy relation in its symbols), ``True`` everywhere
    requires: sp.Basic = sp.true
    #: the literature the form comes from
    source: str = ""

    def __post_init__(self):
        object.__setattr__(self, "notation", MappingProxyType(dict(self.notation)))
        object.__setattr__(self, "when", MappingProxyType(dict(self.when)))

    @property
    def key(self) -> tuple[str, str]:
        return (self.metric, self.scheme)

    def applies(self, params: Mapping[str, Any]) -> bool:
        """Whether the model's typed parameters ``params`` are the ones this form is for."""
        return all(params.get(k) == v for k, v in self.when.items())

    def statement(self) -> sp.Eq:
        """``E metric_i = closed form`` as an unevaluated equation."""
        return sp.Eq(self.quantity, self.expr, evaluate=False)

    def statement_latex(self) -> str:
        """LaTeX of :meth:`statement`, printed by sympy with the theory's symbol names."""
        return to_latex(self.statement(), notation=dict(self.notation), order="none")


@dataclass(frozen=True)
class TheoryCard:
    """The theory half of the card of the numeric model ``model`` (its registry name)."""

    model: str
    #: builds the model's :class:`ModelConstants`, taking its ``--param`` names as keywords
    constants: Callable[..., ModelConstants] | None = None
    #: why theory gives no analytic constants for this model (when ``constants`` is None)
    no_constants: str = ""
    closed_forms: tuple[ClosedForm, ...] = ()
    #: the numeric model's names (``--param`` keys, ``law_facts``) of the closed forms' symbols
    symbols: Mapping[str, sp.Symbol] = field(default_factory=dict)

    def __post_init__(self):
        if (self.constants is None) == (not self.no_constants):
            raise ValueError(f"TheoryCard {self.model}: give its constants or the reason there are none "
                             "(no_constants)" if self.constants is None else
                             f"TheoryCard {self.model}: constants and a reason there are none exclude each other")
        object.__setattr__(self, "closed_forms", tuple(self.closed_forms))
        object.__setattr__(self, "symbols", MappingProxyType(dict(self.symbols)))
        seen = set()
        for form in self.closed_forms:
            key = (form.metric, form.scheme, tuple(sorted(form.when.items())))
            if key in seen:
                raise ValueError(f"TheoryCard {self.model}: two closed forms for {key}")
            seen.add(key)

    def closed_form(self, metric: str, scheme: str, params: Mapping[str, Any] | None = None) -> ClosedForm:
        """The closed form of ``E metric`` under ``scheme`` for these typed parameters;
        ``InputError`` naming those that exist when there is none."""
        for form in self.closed_forms:
            if form.key == (metric, scheme) and form.applies(dict(params or {})):
                return form
        have = ", ".join(f"{f.metric} under {f.scheme}" + (f" ({dict(f.when)})" if f.when else "")
                         for f in self.closed_forms) or "none"
        raise InputError("metric and scheme", f"{metric} under {scheme}",
                         f"a closed form theory gives for {self.model}: {have}")
