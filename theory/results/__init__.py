"""The named results of THEORY.md, one module each, as :class:`~stl.theory.derivation.Derivation`.

>>> from stl.theory.results import get, NAMES
>>> get("theorem1").source
'T1'
>>> NAMES
('shift', 'recursive-stability', 'theorem1', 'theorem1-rate', 'corollary', 'theorem2', 'optimal-size')
"""

from __future__ import annotations

import importlib
from functools import cache

from stl.theory.catalog import FACTORIES, NAMES
from stl.theory.derivation import Derivation
from stl.theory.errors import InputError

__all__ = ["FACTORIES", "NAMES", "get"]



@cache
def get(name: str) -> Derivation:
    """The derivation called ``name`` (immutable, so it is built once and shared)."""
    if name not in FACTORIES:
        raise InputError("NAME", repr(name), "one of " + ", ".join(NAMES))
    return importlib.import_module(FACTORIES[name]).derivation()
