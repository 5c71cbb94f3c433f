"""Which models exist, and where each comes from.

Nothing here lists model names. A model is a :class:`~stl.numerics.models.base.Model`
subclass that sets ``name``; the registry finds

* **built-in models**: every such class defined in a module of the package
  :mod:`stl.numerics.models` (adding a model is adding one module there);
* **third-party models**: every entry point of the group ``stl.models`` (the entry point's
  name is the model name, its value ``"package.module:Class"``), so a model that lives in
  its own distribution runs through every ``stl`` command once that distribution is
  installed. A third-party model is imported only when it is asked for.

Model modules import torch only inside the methods that need it, so discovering the
models (for ``--help``, ``--list-models`` or the docs) never imports torch.

>>> get_model("gaussian", {"dim": "2"}).params["dim"]
2
>>> model_class("categorical").default_n
100
>>> get_model("nope", {})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
stl.kernel.errors.InputError: MODEL: got 'nope'; allowed: categorical, ..., gaussian, ..., transformer
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from stl.numerics.errors import InputError
from stl.numerics.models.base import Model, ParamSpec

#: Entry-point group of third-party models (DESIGN.md).
ENTRY_POINT_GROUP = "stl.models"

#: Modules of :mod:`stl.numerics.models` that hold machinery, not models.
_NOT_MODELS = frozenset({"base", "registry", "params", "cost", "verification"})


@dataclass(frozen=True)
class ModelSource:
    """Where model ``name`` comes from: ``origin`` (``built in`` or ``entry point``) and
    ``where`` (the module, or the entry point's value and distribution)."""

    name: str
    origin: str
    where: str
    _entry_point: Any = None

    def load(self) -> type[Model]:
        if self._entry_point is None:
            return _builtin_classes()[self.name]
        try:
            cls = self._entry_point.load()
        except Exception as exc:  # a broken third-party package: say which and why
            raise InputError("MODEL", repr(self.name),
                             f"an importable model ({self.where} failed to load: {exc})") from None
        if not (inspect.isclass(cls) and issubclass(cls, Model)) or cls.name != self.name:
            raise InputError("MODEL", repr(self.name),
                             f"an entry point naming a Model subclass with name {self.name!r} "
                             f"({self.where} gives {cls!r})")
        return cls


@cache
def _builtin_classes() -> dict[str, type[Model]]:
    import stl.numerics.models as package

    found: dict[str, type[Model]] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name in _NOT_MODELS:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for obj in vars(module).values():
            if (inspect.isclass(obj) and issubclass(obj, Model) and obj.__module__ == module.__name__
                    and obj.name and not inspect.isabstract(obj)):
                if obj.name in found:  # pragma: no cover - two built-ins with one name
                    raise RuntimeError(f"model name {obj.name!r} is declared twice")
                found[obj.name] = obj
    return dict(sorted(found.items()))


def _entry_points():
    from importlib.metadata import entry_points

    return entry_points(group=ENTRY_POINT_GROUP)


def sources() -> dict[str, ModelSource]:
    """Every model name → its :class:`ModelSource`; built-in names win over entry points."""
    out = {name: ModelSource(name, "built in", cls.__module__) for name, cls in _builtin_classes().items()}
    for ep in sorted(_entry_points(), key=lambda e: e.name):
        if ep.name in out:
            continue
        dist = getattr(ep, "dist", None)
        where = ep.value + (f" (distribution {dist.name} {dist.version})" if dist is not None else "")
        out[ep.name] = ModelSource(ep.name, "entry point", where, ep)
    return out


def shadowed() -> list[str]:
    """Entry points whose name a built-in model already takes (they are not used)."""
    builtin = _builtin_classes()
    return [f"{ep.name} = {ep.value}" for ep in _entry_points() if ep.name in builtin]


def model_names() -> tuple[str, ...]:
    """Every model name: the built-in ones, then the third-party ones, each sorted."""
    return tuple(sources())


def model_class(name: str) -> type[Model]:
    """The class of model ``name`` (its declaration), without building a model."""
    table = sources()
    if name not in table:
        raise InputError("MODEL", repr(name), ", ".join(table))
    return table[name].load()


def get_model(name: str, params: Mapping[str, Any] | None = None, *, device: str = "auto") -> Model:
    """Build model ``name`` from CLI-style string parameters (each validated).

    Unknown model → ``InputError`` listing the names; unknown ``--param`` key →
    ``InputError`` listing the model's keys; bad value → ``InputError`` naming the key and
    its allowed range; a device the model cannot use → ``InputError`` naming ``--device``.
    """
    return model_class(name)(dict(params or {}), device=device)


def param_specs(name: str) -> tuple[ParamSpec, ...]:
    """The ``--param`` specs of model ``name`` (read from its declaration)."""
    return tuple(model_class(name).param_specs)
