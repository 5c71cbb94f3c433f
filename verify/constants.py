"""Adapter: the analytic constants of :mod:`stl.theory.models` as numbers for a numeric model.

A model's declaration names where theory keeps its constants
(``Model.theory_constants``: a module of :mod:`stl.theory.models`, or
``"package.module:function"`` for a third-party model). That function returns sympy
expressions in ``n`` and the model's parameters; it takes the model's ``--param`` names
as keywords (the same names on both sides), and this module passes those it accepts and
evaluates the constants at a given ``n``.

>>> c = analytic_constants("categorical", {"k": "10"}, n=100)
>>> c.tau_n, c.M
(0.01, 2.0)
"""

from __future__ import annotations

import importlib
import inspect
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

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

    @property
    def complete(self) -> bool:
        """All four constants known: T1 can be evaluated with analytic constants alone."""
        return None not in (self.beta_n, self.tau_n, self.M, self.d_tv)

    def missing(self) -> list[str]:
        return [k for k in ("beta_n", "tau_n", "M", "d_tv") if getattr(self, k) is None]


def constants_function(model: str):
    """The theory function that builds ``model``'s constants, or ``None`` if theory has none."""
    from stl.numerics.models.registry import model_class

    where = model_class(model).theory_constants
    if where is None:
        return None
    module_name, _, attr = where.partition(":")
    if "." not in module_name:
        module_name = f"stl.theory.models.{module_name}"
    module = importlib.import_module(module_name)
    return getattr(module, attr or "constants")


def model_constants(model: str, params: Mapping[str, str] | None = None):
    """The theory's ``ModelConstants`` with the given model parameters fixed, or ``None``.

    ``None`` means theory has no constants for this model (not an error: the check then
    relies on estimated constants and says so). Parameters the theory function does not
    take are not part of its constants and are left out.
    """
    fn = constants_function(model)
    if fn is None:
        return None
    accepted = set(inspect.signature(fn).parameters)
    kwargs = {key: _typed(value) for key, value in dict(params or {}).items() if key in accepted}
    return fn(**kwargs)


def _typed(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        f = float(value)
    except ValueError:
        return value
    return int(f) if f.is_integer() and "." not in value and "e" not in value.lower() else f


def analytic_constants(model: str, params: Mapping[str, str] | None, n: int) -> NumericConstants:
    """The theory's constants of ``model`` evaluated at ``n`` (``None`` entries if unknown)."""
    consts = model_constants(model, params)
    if consts is None:
        return NumericConstants(model, n, None, None, None, None,
                                {"all": f"stl.theory.models has no constants for {model!r}"})
    from stl.theory.symbols import PUBLIC

    def value(expr):
        if expr is None:
            return None
        e = expr.subs(PUBLIC["n"], n)
        if e.free_symbols:
            return None
        v = float(e)
        return v if math.isfinite(v) else None

    notes = dict(consts.notes)
    out = {k: value(getattr(consts, k)) for k in ("beta_n", "tau_n", "M", "d_tv")}
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
        m = float(consts.M)
        out["M"] = m
    except (TypeError, ValueError):
        pass
    for name, expr in consts.rate_coefficients().items():
        if not expr.free_symbols:
            out[name] = float(expr)
    return out


def t1_analytic(model: str, params: Mapping[str, str] | None):
    """T1 with the model's analytic constants and L2's γ, as a numpy function of ``n, lam, i``.

    Returns ``(total, stability, shift)`` functions, or ``None`` when a constant is missing.
    """
    consts = model_constants(model, params)
    if consts is None or None in (consts.beta_n, consts.tau_n, consts.d_tv):
        return None
    bound = consts.theorem1(recursive=True)
    leftover = {s.name for s in bound.free_symbols} - {"n", "lam", "i"}
    if leftover:
        return None
    return bound.lambdify(), bound.lambdify("stability"), bound.lambdify("shift")


def t1_general():
    """T1 (THEORY.md) in ``beta_n, gamma, lam, n, M, d_tv, i``: ``(total, stability, shift)``."""
    from stl.theory.results.theorem1 import theorem1_bound

    b = theorem1_bound()
    return b.lambdify(), b.lambdify("stability"), b.lambdify("shift")


def l2_function():
    """L2 (THEORY.md), ``γ_n^i`` bound, as a numpy function of ``tau_n, n, lam, i``
    (``lam = 0`` is the case without kept real data)."""
    from stl.theory.results.recursive_stability import recursive_stability_bound

    return recursive_stability_bound().lambdify()


def critical_proportion(c: float) -> float:
    """``λ_c`` of L2 for ``τ_n = c/n`` (theory's ``critical_proportion``), clipped to ``[0, 1]``."""
    from stl.theory.results.recursive_stability import critical_proportion as lam_c
    from stl.theory.symbols import PUBLIC

    return min(max(float(lam_c().subs(PUBLIC["c"], c)), 0.0), 1.0)


def rho_value(tau: float, n: int, lam: float) -> float:
    """``ρ = (1 − λ) n τ_n`` from theory's ``RHO``."""
    from stl.theory.results.recursive_stability import RHO
    from stl.theory.symbols import PUBLIC

    return float(RHO.subs({PUBLIC["tau_n"]: tau, PUBLIC["n"]: n, PUBLIC["lam"]: lam}))


def piece_bound_functions():
    """The bounds on T1's three proof pieces (``stl.theory.results.theorem1.proof_piece_bounds``)
    as numpy functions: ``a(beta_n, gamma, lam, n)``, ``b(M, lam, shift)`` (``shift`` the
    parent's ``E d_TV`` to ``D_0``), ``c(beta_n, lam)``."""
    import sympy as sp

    from stl.theory.results.theorem1 import proof_piece_bounds
    from stl.theory.symbols import a_seq, i

    shift = sp.Symbol("shift", nonnegative=True)
    pieces = proof_piece_bounds()
    pieces["b"] = pieces["b"].subs(a_seq(i - 1), shift)
    out = {}
    for key, expr in pieces.items():
        symbols = sorted(expr.free_symbols, key=lambda s: s.name)
        fn = sp.lambdify(symbols, expr, modules="numpy")
        names = [s.name for s in symbols]

        def call(fn=fn, names=names, **values):
            return fn(*(values[name] for name in names))
        call.symbols = tuple(names)
        out[key] = call
    return out
