"""Bit-exact, pickle-free bytes for task outputs (so a resumed check continues where it stopped).

A check's task returns plain data: dicts, lists, tuples, strings, numbers, booleans,
``None`` and NumPy arrays (:mod:`stl.verify.checks.loops`). :func:`dumps` writes the
structure as JSON with every array replaced by a reference, and the arrays themselves in
an ``.npz`` archive; :func:`loads` reads them back with ``allow_pickle=False``, so a
stored file — whoever wrote it — is data and never code. Floats survive exactly (JSON
writes the shortest repr that round-trips; NaN and infinities included), arrays keep
their dtype and bytes. A value of any other type raises :class:`Unsupported`: such a
task is simply not stored, and a resumed run recomputes it.

>>> import numpy as np
>>> out = {"values": np.array([[0.1, np.nan]]), "method": "exact", "proxy": False, "k": (1, 2.5)}
>>> back = loads(dumps(out))
>>> back["k"], back["method"], np.array_equal(back["values"], out["values"], equal_nan=True)
((1, 2.5), 'exact', True)
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from typing import Any

import numpy as np

#: Deepest structure written or read (task outputs are a few levels deep).
MAX_DEPTH = 32


class Unsupported(TypeError):
    """A value this codec does not write (the task is recomputed instead of stored)."""


def _encode(obj: Any, arrays: list, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise Unsupported("nested too deeply")
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    if isinstance(obj, np.generic):
        obj = np.asarray(obj)
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise Unsupported("an array of Python objects")
        arrays.append(obj)
        return {"__array__": len(arrays) - 1, "scalar": obj.ndim == 0}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(v, arrays, depth + 1) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v, arrays, depth + 1) for v in obj]
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: _encode(v, arrays, depth + 1) for k, v in obj.items()}
        return {"__items__": [[_encode(k, arrays, depth + 1), _encode(v, arrays, depth + 1)]
                              for k, v in obj.items()]}
    raise Unsupported(type(obj).__name__)


def _decode(obj: Any, arrays, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ValueError("nested too deeply")
    if isinstance(obj, list):
        return [_decode(v, arrays, depth + 1) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__array__" in obj:
        a = arrays[f"a{int(obj['__array__'])}"]
        return a[()] if obj.get("scalar") else a
    if "__float__" in obj:
        return float(obj["__float__"])
    if "__tuple__" in obj:
        return tuple(_decode(v, arrays, depth + 1) for v in obj["__tuple__"])
    if "__items__" in obj:
        return {_hashable(_decode(k, arrays, depth + 1)): _decode(v, arrays, depth + 1)
                for k, v in obj["__items__"]}
    return {k: _decode(v, arrays, depth + 1) for k, v in obj.items()}


def _hashable(k: Any) -> Any:
    return tuple(_hashable(v) for v in k) if isinstance(k, list) else k


def dumps(obj: Any) -> bytes:
    """Bytes of ``obj`` (:class:`Unsupported` for a type outside the list above)."""
    arrays: list[np.ndarray] = []
    skeleton = json.dumps(_encode(obj, arrays, 0), separators=(",", ":"), allow_nan=False)
    buf = io.BytesIO()
    np.savez(buf, skeleton=np.frombuffer(skeleton.encode("utf-8"), dtype=np.uint8),
             **{f"a{i}": a for i, a in enumerate(arrays)})
    return buf.getvalue()


def loads(data: bytes) -> Any:
    """The object of :func:`dumps`; ``ValueError`` for anything that is not such bytes."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise ValueError(f"not a stored task output ({type(exc).__name__})") from None
    if "skeleton" not in arrays:
        raise ValueError("not a stored task output (no skeleton)")
    try:
        skeleton = json.loads(bytes(arrays.pop("skeleton")).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ValueError("not a stored task output (unreadable skeleton)") from None
    try:
        return _decode(skeleton, arrays, 0)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"not a stored task output ({type(exc).__name__})") from None
