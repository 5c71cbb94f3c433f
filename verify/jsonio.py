"""Strict JSON for every document the toolkit writes (reports, runs, CLI output).

NaN and infinities become ``null`` (strict JSON has no such numbers) and numpy scalars
become Python numbers.

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


def _clean(obj: Any) -> Any:
    """Make ``obj`` strict-JSON safe: NaN/inf become None, numpy scalars become floats."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def to_json(obj: Any) -> str:
    """Strict JSON text (no NaN), indented, with a trailing newline."""
    return json.dumps(_clean(obj), indent=2, allow_nan=False) + "\n"
