"""The sizes at which a model is verified, declared on the model itself.

A model's class says how large the runs that verify it are (``Model.verification``), so
the suites, the model-facts checks and the atlas find a model's cases on its card and no
other module lists them:

* ``facts`` — :class:`Case` s (parameters and ``n``) on which the model-facts checks hold
  its exact risk and, where it declares a maximal coupling with an exact TV, its coupling;
* ``closed_forms`` — :class:`ClosedFormRun` s: a suite check that holds the loop against
  the closed form theory gives for a metric under a scheme, with the check's name, its suite
  and its sizes;
* ``atlas`` — per atlas size (``quick``, ``full``) the keyword arguments of the model's
  atlas entry (``params``, ``n``, ``lams``, ``generations``, replicates, ...). A model that
  declares none still reaches ``stl atlas --models NAME`` with sizes from its defaults.

Plain data only (strings, numbers, tuples): the verify layer turns it into checks.

>>> v = Verification(facts=(Case({"k": "10"}, 30),))
>>> v.facts[0].params["k"], v.facts[0].n
('10', 30)
>>> Verification(atlas={"huge": {}})
Traceback (most recent call last):
...
stl.kernel.errors.InputError: atlas sizes: got huge; allowed: quick, full
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from stl.numerics.errors import InputError

#: The sizes of ``stl atlas --size``.
ATLAS_SIZES = ("quick", "full")
#: The suites a closed-form run may join (``full`` runs ``quick`` too).
SUITES = ("smoke", "quick", "full")


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class Case:
    """Model parameters (``--param`` strings) and a sample size ``n`` for the model-facts checks."""

    params: Mapping[str, str] = field(default_factory=dict)
    n: int = 30

    def __post_init__(self):
        object.__setattr__(self, "params", _frozen(self.params))
        if not (isinstance(self.n, int) and self.n >= 2):
            raise InputError("Case n", self.n, "an integer >= 2")


@dataclass(frozen=True)
class ClosedFormRun:
    """One suite check of a closed form: the check's ``name``, the ``suite`` it joins, the
    ``metric`` and ``scheme`` whose closed form theory gives, the model's ``params`` and the
    check's ``sizes`` (``n``, ``generations``, ``replicates``, ``block``, ``margin``)."""

    name: str
    suite: str
    metric: str
    params: Mapping[str, str] = field(default_factory=dict)
    scheme: str = "replace"
    sizes: Mapping[str, Any] = field(default_factory=dict)
    #: compute time measured on two CPU cores (``stl verify --list``)
    expected_s: float | None = None

    def __post_init__(self):
        if self.suite not in SUITES:
            raise InputError("ClosedFormRun suite", self.suite, ", ".join(SUITES))
        object.__setattr__(self, "params", _frozen(self.params))
        object.__setattr__(self, "sizes", _frozen(self.sizes))


@dataclass(frozen=True)
class Verification:
    """Where and how large a model is verified (see the module docstring)."""

    facts: tuple[Case, ...] = ()
    closed_forms: tuple[ClosedFormRun, ...] = ()
    atlas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self):
        unknown = [k for k in self.atlas if k not in ATLAS_SIZES]
        if unknown:
            raise InputError("atlas sizes", ", ".join(unknown), ", ".join(ATLAS_SIZES))
        object.__setattr__(self, "atlas", _frozen({k: _frozen(v) for k, v in self.atlas.items()}))
        object.__setattr__(self, "facts", tuple(self.facts))
        object.__setattr__(self, "closed_forms", tuple(self.closed_forms))
