"""Model cards: each model's facts, from its two declarations, joined by its registry name.

A model is declared twice, once per layer, because the layer rule forbids one object
holding both: the numeric model class (:class:`stl.numerics.models.base.Model`: parameters
with their ranges, metrics, exact risk, coupling, verification sizes, cost) and the theory
card in its module of :mod:`stl.theory.models` (:class:`~stl.theory.models.card.TheoryCard`:
analytic constants or the reason there are none, closed forms keyed by metric and scheme).
This module is the one place that joins them, by the contract name (``categorical``,
``gaussian``, ...), and checks the halves against each other (:meth:`ModelCard.validate`).
Everything that needs a model's facts — ``stl bound``'s analytic bound, ``stl optimize``'s
defaults, the model-facts checks, the closed-form checks, the suites and the atlas — reads
them here; no other module compares a model's name or reads its parameters to find out.

Third-party models (the ``stl.models`` entry points) get a card too; their theory half, if
any, comes from the entry-point group ``stl.theory_cards`` (``NAME = "pkg.module:CARD"``),
and without one the card says theory has none.

>>> c = card("categorical")
>>> c.exact_risk, c.coupling, [f.name for f in c.closed_forms]
(True, 'maximal', ['wright_fisher_heterozygosity'])
>>> analytic_constants("categorical", {"k": "10"}, n=100).tau_n
0.01
>>> card("gaussian").no_constants_reason.split(":")[0]
'none for the fitted mean and covariance on unbounded data'
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from stl.verify.errors import InputError

#: Entry-point group of third-party theory cards (``NAME = "package.module:CARD"``).
THEORY_ENTRY_POINTS = "stl.theory_cards"
#: The four analytic constants of T1.
CONSTANTS = ("beta_n", "tau_n", "M", "d_tv")


def _theory_cards() -> dict:
    """Theory cards by model name: the built-in modules', then the entry points' (read each
    time, so a card a test or a self-test fault replaces is the one used)."""
    from importlib.metadata import entry_points

    from stl.theory import models

    found = dict(models.cards())
    for ep in entry_points(group=THEORY_ENTRY_POINTS):
        if ep.name not in found:
            found[ep.name] = ep.load()
    return found


@dataclass(frozen=True)
class ModelCard:
    """One model's facts: the numeric declaration ``model`` (a class) and the theory card
    ``theory`` (``None`` when theory has none for it), joined by ``name``."""

    name: str
    model: type
    theory: Any = None

    # -- numeric facts (the model class) -----------------------------------------------
    @property
    def param_specs(self):
        return self.model.param_specs

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(self.model.metric_names)

    @property
    def risk_metric(self) -> str:
        return self.model.risk_metric

    @property
    def exact_risk(self) -> bool:
        return bool(self.model.exact_risk)

    @property
    def coupling(self) -> str:
        return self.model.coupling

    @property
    def verification(self):
        return self.model.verification

    @property
    def needs_torch(self) -> bool:
        return "torch" in tuple(self.model.requires)

    def build(self, params: Mapping[str, Any] | None = None, *, device: str = "cpu"):
        """The numeric model with these ``--param`` values."""
        from stl.numerics.models.registry import get_model

        return get_model(self.name, {k: str(v) for k, v in dict(params or {}).items()}, device=device)

    def typed_params(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The ``--param`` values parsed by the model's declaration (defaults filled in),
        without building the model (no torch for the torch models)."""
        from stl.numerics.models.base import parse_params

        return parse_params(self.name, self.param_specs, {k: str(v) for k, v in dict(params or {}).items()})

    # -- theory facts (the theory card) ------------------------------------------------
    @property
    def closed_forms(self) -> tuple:
        return tuple(self.theory.closed_forms) if self.theory is not None else ()

    @property
    def has_constants(self) -> bool:
        return self.theory is not None and self.theory.constants is not None

    @property
    def no_constants_reason(self) -> str | None:
        """Why theory gives no analytic constants for this model (``None`` when it gives them)."""
        if self.theory is None:
            return f"stl.theory has no card for {self.name} (no analytic constants; estimate them)"
        return None if self.theory.constants is not None else self.theory.no_constants

    def constants(self, params: Mapping[str, Any] | None = None):
        """Theory's ``ModelConstants`` with the given model parameters fixed, or ``None``.

        The parameters the constants function takes (by the ``--param`` name) are passed, as
        numbers where they read as numbers; the others are not part of the constants.
        """
        if not self.has_constants:
            return None
        fn = self.theory.constants
        accepted = set(inspect.signature(fn).parameters)
        return fn(**{k: _typed(v) for k, v in dict(params or {}).items() if k in accepted})

    def parameter_of(self, symbol) -> str | None:
        """The ``--param`` name that sets the theory's ``symbol`` (``gain`` for the gain
        learner's ``c``), or ``None``."""
        consts = self.constants()
        for name, sym in (consts.keywords if consts is not None else ()):
            if sym == symbol:
                return name
        return None

    def closed_form(self, metric: str, scheme: str, params: Mapping[str, Any] | None = None):
        """The closed form of ``E metric`` under ``scheme`` at these parameters (``InputError``
        naming the ones that exist when there is none)."""
        if self.theory is None:
            raise InputError("model", self.name, "a model whose theory card gives closed forms")
        return self.theory.closed_form(metric, scheme, self.typed_params(params))

    def closed_form_values(self, form, facts: Mapping[str, float], n: int, generations: int) -> np.ndarray:
        """``E metric_i`` of ``form`` for ``i = 0..generations``, the model's symbols bound
        by ``facts`` (its ``law_facts()``), through :func:`stl.verify.bridge.lambdified`."""
        from stl.kernel.errors import check_int
        from stl.theory.symbols import PUBLIC
        from stl.verify import bridge

        check_int("generations", generations, 0)
        n_sym, i_sym = PUBLIC["n"], PUBLIC["i"]
        bound = {sym: facts[name] for name, sym in self.theory.symbols.items() if sym in form.expr.free_symbols}
        missing = sorted(s.name for s in form.expr.free_symbols - {n_sym, i_sym} - set(bound))
        if missing:
            raise InputError("closed form", form.name, f"numbers for its symbols ({', '.join(missing)}) from "
                             f"{self.name}'s law_facts")
        requires = form.requires.subs({n_sym: n, **bound}) if form.requires is not True else True
        if requires is not True and not bool(requires):
            raise InputError("n", n, f"a size where {form.name} is defined ({form.requires})")
        symbols = (n_sym, i_sym, *bound)
        fn = bridge.lambdified(form.expr, symbols, "math")
        values = [float(fn(n, g, *bound.values())) for g in range(int(generations) + 1)]
        return np.asarray(values, dtype=float)

    # -- the two halves against each other ------------------------------------------------
    def validate(self) -> list[str]:
        """What does not match between the halves (empty when the card is consistent):
        every closed form's metric is one of the model's and its scheme exists, every
        symbol of a closed form is bound by a name the model gives, and the constants
        evaluate to numbers at the default parameters (at some ``n``) or a reason is given."""
        from stl.numerics.schemes import SCHEMES
        from stl.theory.symbols import PUBLIC

        problems = []
        if self.theory is not None and self.theory.model != self.name:
            problems.append(f"theory card names {self.theory.model!r}")
        facts = self._default_facts()
        for form in self.closed_forms:
            if form.metric not in self.metrics:
                problems.append(f"closed form {form.name}: {form.metric} is not a metric of {self.name}")
            if form.scheme not in SCHEMES:
                problems.append(f"closed form {form.name}: no scheme {form.scheme}")
            unknown = [k for k in form.when if k not in {s.name for s in self.param_specs}]
            if unknown:
                problems.append(f"closed form {form.name}: when names no --param {unknown}")
            names = {sym: name for name, sym in self.theory.symbols.items()}
            for sym in form.expr.free_symbols - {PUBLIC["n"], PUBLIC["i"]}:
                if sym not in names:
                    problems.append(f"closed form {form.name}: symbol {sym} is bound by no name of the model")
                elif facts is not None and names[sym] not in facts:
                    problems.append(f"closed form {form.name}: {names[sym]} is not in {self.name}'s law_facts()")
        if self.has_constants:
            consts = self.constants(self._default_params())
            values = evaluate_constants(consts, 100)
            for key in CONSTANTS:
                expr = getattr(consts, key)
                if expr is not None and values[key] is None and not consts.note(key):
                    problems.append(f"constant {key} does not evaluate at the default parameters and no note says why")
        elif not self.no_constants_reason:
            problems.append("no constants and no reason")
        for run in self.verification.closed_forms:
            try:
                self.closed_form(run.metric, run.scheme, run.params)
            except InputError as exc:
                problems.append(f"verification {run.name}: {exc}")
        return problems

    def _default_params(self) -> dict[str, str]:
        return {s.name: s.default for s in self.param_specs if s.default is not None}

    def _default_facts(self) -> dict | None:
        if self.needs_torch:
            return None  # a torch model is not built here; its names are checked by its tests
        return self.build().law_facts()


def card(name: str) -> ModelCard:
    """The card of model ``name`` (``InputError`` listing the models for an unknown name)."""
    from stl.numerics.models.registry import model_class

    cls = model_class(name)
    return ModelCard(name, cls, _theory_cards().get(name))


def all_cards() -> list[ModelCard]:
    """Every registered model's card (built-in and third-party), in registry order; a
    third-party model that cannot be loaded is left out."""
    from stl.numerics.models.registry import model_names

    theory = _theory_cards()
    out = []
    for name in model_names():
        try:
            from stl.numerics.models.registry import model_class

            out.append(ModelCard(name, model_class(name), theory.get(name)))
        except InputError:
            continue
    return out


# --------------------------------------------------------------------------------------
# analytic constants as numbers
# --------------------------------------------------------------------------------------

def _typed(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        f = float(value)
    except ValueError:
        return value
    return int(f) if f.is_integer() and "." not in value and "e" not in value.lower() else f


@dataclass(frozen=True)
class NumericConstants:
    """``β_n``, ``τ_n``, ``M``, ``d_TV(n)`` as floats (``None`` where theory has no value)."""

    model: str
    n: int
    beta_n: float | None
    tau_n: float | None
    M: float | None
    d_tv: float | None
    notes: Mapping[str, str] = field(default_factory=dict)
    source: object = None  # the ModelConstants, for building T1
    #: why theory has no constants for the model at all (``None`` when it has)
    reason: str | None = None

    @property
    def complete(self) -> bool:
        """All four constants known: T1 can be evaluated with analytic constants alone."""
        return None not in (self.beta_n, self.tau_n, self.M, self.d_tv)

    def missing(self) -> list[str]:
        return [k for k in CONSTANTS if getattr(self, k) is None]


def evaluate_constants(consts, n: int) -> dict[str, float | None]:
    """The four constants of ``consts`` at ``n`` as floats (``None``: unknown, or still
    depending on a symbol)."""
    from stl.theory.symbols import PUBLIC

    def value(expr):
        if expr is None:
            return None
        e = expr.subs(PUBLIC["n"], n)
        if e.free_symbols:
            return None
        v = float(e)
        return v if math.isfinite(v) else None
    return {k: value(getattr(consts, k)) for k in CONSTANTS}


def model_constants(model: str, params: Mapping[str, str] | None = None):
    """The theory's ``ModelConstants`` of ``model`` with these parameters, or ``None``."""
    return card(model).constants(params)


def analytic_constants(model: str, params: Mapping[str, str] | None, n: int) -> NumericConstants:
    """The theory's constants of ``model`` evaluated at ``n`` (``None`` entries if unknown)."""
    c = card(model)
    consts = c.constants(params)
    if consts is None:
        return NumericConstants(model, n, None, None, None, None, {"all": c.no_constants_reason},
                                reason=c.no_constants_reason)
    notes = dict(consts.notes)
    out = evaluate_constants(consts, n)
    for k, v in out.items():
        if v is None and getattr(consts, k) is not None:
            notes[k] = (notes.get(k, "") + "; still depends on "
                        + ", ".join(sorted(s.name for s in getattr(consts, k).free_symbols))).strip("; ")
    return NumericConstants(model, n, **out, notes=notes, source=consts)


def rate_coefficients(model: str, params: Mapping[str, str] | None = None) -> dict[str, float]:
    """``M`` and the rate coefficients ``a``, ``b``, ``c`` the theory knows, as floats."""
    consts = model_constants(model, params)
    if consts is None:
        return {}
    out: dict[str, float] = {}
    try:
        out["M"] = float(consts.M)
    except (TypeError, ValueError):
        pass
    for name, expr in consts.rate_coefficients().items():
        if not expr.free_symbols:
            out[name] = float(expr)
    return out


def t1_analytic(model: str, params: Mapping[str, str] | None):
    """T1 with the model's analytic constants and L2's γ, as numpy functions of ``n, lam, i``:
    ``(total, stability, shift)``, or ``None`` when a constant is missing."""
    consts = model_constants(model, params)
    if consts is None or None in (consts.beta_n, consts.tau_n, consts.d_tv):
        return None
    bound = consts.theorem1(recursive=True)
    leftover = {s.name for s in bound.free_symbols} - {"n", "lam", "i"}
    if leftover:
        return None
    return bound.lambdify(), bound.lambdify("stability"), bound.lambdify("shift")
