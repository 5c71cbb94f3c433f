"""Model names → factories; ``get_model`` builds a model from ``--param`` strings.

Factories are ``"module:function"`` strings imported only when that model is requested,
so asking for a classical model never imports torch (the ``lsa`` and ``transformer``
factories live in :mod:`stl.numerics.icl`). A factory is called as
``factory(params: dict[str, str])`` and validates its own keys, typically with
:func:`stl.numerics.models.base.parse_params`; when it accepts a ``device`` keyword it also
gets the ``--device`` choice.

>>> get_model("gaussian", {"dim": "2"}).params["dim"]
2
>>> get_model("nope", {})
Traceback (most recent call last):
...
stl.numerics.errors.InputError: MODEL: got 'nope'; allowed: categorical, gaussian, linreg, kde, lsa, transformer
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping

from stl.numerics.errors import InputError
from stl.numerics.models.base import Model, ParamSpec

#: name → "module:factory". Plain dict so other packages can read the list of names.
FACTORIES: dict[str, str] = {
    "categorical": "stl.numerics.models.categorical:CategoricalModel",
    "gaussian": "stl.numerics.models.gaussian:GaussianModel",
    "linreg": "stl.numerics.models.linreg:LinRegModel",
    "kde": "stl.numerics.models.kde:KDEModel",
    "lsa": "stl.numerics.icl:lsa_model",
    "transformer": "stl.numerics.icl:transformer_model",
}

#: Models implemented without torch (the CLI may describe them without importing torch).
CLASSICAL = ("categorical", "gaussian", "linreg", "kde")


def model_names() -> tuple[str, ...]:
    """Registered model names, in ``--help`` order."""
    return tuple(FACTORIES)


def _factory(name: str):
    if name not in FACTORIES:
        raise InputError("MODEL", repr(name), ", ".join(FACTORIES))
    module_name, _, attr = FACTORIES[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise InputError("MODEL", repr(name), f"an installed model ({module_name} is not available)") from None
        raise
    return getattr(module, attr)


def get_model(name: str, params: Mapping[str, str] | None = None, *, device: str = "auto") -> Model:
    """Build model ``name`` from CLI-style string parameters (each validated).

    Unknown model → ``InputError`` listing the names; unknown ``--param`` key →
    ``InputError`` listing the model's keys; bad value → ``InputError`` naming the key and
    its allowed range.
    """
    factory = _factory(name)
    params = dict(params or {})
    try:
        accepts_device = "device" in inspect.signature(factory).parameters
    except (TypeError, ValueError):
        accepts_device = False
    if accepts_device:
        return factory(params, device=device)
    return factory(params)


def param_specs(name: str) -> tuple[ParamSpec, ...]:
    """The ``--param`` specs of a classical model (for ``--help``); ``()`` if unknown.

    Only classical models are inspected so ``--help`` never imports torch.
    """
    if name not in CLASSICAL:
        return ()
    factory = _factory(name)
    return tuple(getattr(factory, "param_specs", ()))
