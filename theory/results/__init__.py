"""The named results of THEORY.md, one module each, as :class:`~theory.derivation.Derivation`.

>>> from theory.results import get, NAMES
>>> get("theorem1").source
'T1'
>>> NAMES
('shift', 'recursive-stability', 'theorem1', 'theorem1-rate', 'corollary', 'theorem2', 'optimal-size')
"""

from __future__ import annotations

import importlib
from functools import cache
from types import MappingProxyType

from theory.derivation import Derivation
from theory.errors import InputError

#: ``stl derive`` name -> module whose ``derivation()`` builds it (imported on demand).
FACTORIES = MappingProxyType({
    "shift": "theory.results.shift",
    "recursive-stability": "theory.results.recursive_stability",
    "theorem1": "theory.results.theorem1",
    "theorem1-rate": "theory.results.theorem1_rate",
    "corollary": "theory.results.corollary",
    "theorem2": "theory.results.theorem2",
    "optimal-size": "theory.results.optimal_size",
})
NAMES = tuple(FACTORIES)


@cache
def get(name: str) -> Derivation:
    """The derivation called ``name`` (immutable, so it is built once and shared)."""
    if name not in FACTORIES:
        raise InputError("NAME", repr(name), "one of " + ", ".join(NAMES))
    return importlib.import_module(FACTORIES[name]).derivation()
