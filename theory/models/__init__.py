"""The theory of the concrete models (THEORY.md section 4), one module per model.

Each module declares the theory half of its models' cards (``CARDS``, one
:class:`~stl.theory.models.card.TheoryCard` per numeric model, by its registry name): a
``constants(...)`` function returning :class:`ModelConstants` (sympy expressions in ``n``
and the model's parameters, with a note per constant saying whether it is exact or a
bound, and why) or the stated reason there are none, and the closed forms of its metrics.
Parameters take the numeric model's ``--param`` names (``categorical.constants(k=10)``).
The modules are found on disk and loaded on first use: ``dir(stl.theory.models)`` lists
them, :func:`cards` collects their cards (``published`` holds the literature's closed forms
that belong to no one model).

>>> from stl.theory import models
>>> models.categorical.constants().tau_n                   # THEORY.md section 4
1/n
>>> "gaussian" in dir(models), sorted(models.cards())[:2]
(True, ['categorical', 'gain-bernoulli'])
"""

from __future__ import annotations

import importlib
import pkgutil

from stl.theory.models.card import ClosedForm, TheoryCard
from stl.theory.models.constants import ModelConstants

__all__ = ["ClosedForm", "ModelConstants", "TheoryCard", "cards"]

#: Modules of this package that hold machinery, not models.
_MACHINERY = frozenset({"constants", "card"})


def _model_modules() -> tuple[str, ...]:
    return tuple(sorted(info.name for info in pkgutil.iter_modules(__path__)
                        if not info.name.startswith("_") and info.name not in _MACHINERY))


def cards() -> dict[str, TheoryCard]:
    """Every theory card declared by the modules of this package, by model name (the numeric
    model's registry name); a name declared twice is an error."""
    found: dict[str, TheoryCard] = {}
    for name in _model_modules():
        for card in getattr(importlib.import_module(f"{__name__}.{name}"), "CARDS", ()):
            if card.model in found:
                raise RuntimeError(f"two theory cards for model {card.model!r}")
            found[card.model] = card
    return found


def __getattr__(name: str):
    if name in _model_modules():
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_model_modules()))
