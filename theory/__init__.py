"""Symbolic layer (sympy only): definitions, bounds, derivations and LaTeX for STL theory.

The main names are loaded on first use, so ``import stl.theory`` (and ``stl --help``) costs
nothing; torch and numpy-heavy modules are never imported by this package. From the
package: ``get(NAME)`` (a derivation), ``results`` (one module per result), ``models``
(the constants of each concrete model), ``symbols``. A number and its LaTeX in four lines:

>>> from stl import theory
>>> bound = theory.models.categorical.constants(k=10).theorem1()   # T1 with L2, THEORY.md
>>> bound = bound.subs(lam="1/2", n=100).limit("i", "oo")
>>> round(bound.evaluate(), 6)
0.483964
>>> theory.get("shift").result.source                  # THEORY.md L1
'L1'
"""

from __future__ import annotations

import importlib

#: Re-exported name -> module that defines it.
_EXPORTS = {
    "Bound": "stl.theory.bound",
    "Derivation": "stl.theory.derivation",
    "Step": "stl.theory.derivation",
    "AssumptionError": "stl.theory.errors",
    "ExpressionError": "stl.theory.errors",
    "InputError": "stl.theory.errors",
    "TheoryError": "stl.theory.errors",
    "parse_expression": "stl.theory.parsing",
    "NAMES": "stl.theory.catalog",
    "get": "stl.theory.results",
    "PUBLIC": "stl.theory.symbols",
    "theorem1_bound": "stl.theory.results.theorem1",
}

#: Subpackages and modules reachable as attributes (``theory.models.categorical``).
_SUBMODULES = ("models", "results", "symbols", "latex", "paper", "limits", "budget")

__all__ = [  # noqa: RUF022 - same order as _EXPORTS
    "Bound",
    "Derivation",
    "Step",
    "AssumptionError",
    "ExpressionError",
    "InputError",
    "TheoryError",
    "parse_expression",
    "NAMES",
    "get",
    "PUBLIC",
    "theorem1_bound",
    "models",
    "results",
    "symbols",
]


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f"stl.theory.{name}")
        globals()[name] = module
        return module
    if name not in _EXPORTS:
        raise AttributeError(f"module 'stl.theory' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS) | set(_SUBMODULES))
