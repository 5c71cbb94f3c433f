"""Strict JSON for every document the toolkit writes (runs, reports, CLI output).

NaN and infinities become ``null`` (strict JSON has no such numbers), numpy arrays become
lists and numpy scalars Python numbers. numpy is never imported: arrays and scalars are
recognised by their ``tolist``/``item`` methods, so the theory layer may use this too.

>>> print(to_json({"a": float("nan"), "b": 1.5}), end="")
{
  "a": null,
  "b": 1.5
}
"""

from __future__ import annotations

import json
import math
from typing import Any


def clean(obj: Any) -> Any:
    """``obj`` made strict-JSON safe: non-finite floats become ``None``, arrays lists and
    array scalars numbers; mapping keys become strings.

    >>> clean({"x": (1, float("inf")), 2: [float("-inf")]})
    {'x': [1, None], '2': [None]}
    """
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    shape = getattr(obj, "shape", None)
    if shape is not None and callable(getattr(obj, "tolist", None)) and shape != ():
        return clean(obj.tolist())  # an array
    if callable(getattr(obj, "item", None)) and shape == ():
        obj = obj.item()  # a numpy scalar or 0-d array
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def to_json(obj: Any) -> str:
    """Strict JSON text of ``obj`` (no NaN), indented by two, with a trailing newline."""
    return json.dumps(clean(obj), indent=2, allow_nan=False) + "\n"
