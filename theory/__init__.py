"""Symbolic layer (sympy only): definitions, bounds, derivations and LaTeX for STL theory.

The main names are loaded on first use, so ``import theory`` (and ``stl --help``) costs
nothing; torch and numpy-heavy modules are never imported by this package.

>>> import theory
>>> theory.get("shift").result.source                  # THEORY.md L1
'L1'
"""

from __future__ import annotations

import importlib

#: Re-exported name -> module that defines it.
_EXPORTS = {
    "Bound": "theory.bound",
    "Derivation": "theory.derivation",
    "Step": "theory.derivation",
    "AssumptionError": "theory.errors",
    "ExpressionError": "theory.errors",
    "InputError": "theory.errors",
    "TheoryError": "theory.errors",
    "parse_expression": "theory.parsing",
    "NAMES": "theory.catalog",
    "get": "theory.results",
    "PUBLIC": "theory.symbols",
    "theorem1_bound": "theory.results.theorem1",
}

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
]


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'theory' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
