"""Analytic constants of the concrete models (THEORY.md section 4), one module per model.

Each module's ``constants(...)`` returns a :class:`ModelConstants`; the values are sympy
expressions in ``n`` and the model's parameters, with a note per constant saying
whether it is exact or a bound, and why. Parameters take the numeric model's
``--param`` names (``categorical.constants(k=10)``). The modules are found on disk and
loaded on first use: ``dir(stl.theory.models)`` lists them.

>>> from stl.theory import models
>>> models.categorical.constants().tau_n                   # THEORY.md section 4
1/n
>>> "gaussian" in dir(models)
True
"""

from __future__ import annotations

import importlib
import pkgutil

from stl.theory.models.constants import ModelConstants

__all__ = ["ModelConstants"]


def _model_modules() -> tuple[str, ...]:
    return tuple(sorted(info.name for info in pkgutil.iter_modules(__path__)
                        if not info.name.startswith("_") and info.name != "constants"))


def __getattr__(name: str):
    if name in _model_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_model_modules()))
