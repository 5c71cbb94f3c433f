"""Immutable JSON-like values: the parameters and details that checks and results carry.

>>> d = freeze({"x": [1, 2], "y": {"z": 0.5}})
>>> d
FrozenDict({'x': (1, 2), 'y': FrozenDict({'z': 0.5})})
>>> thaw(d)
{'x': [1, 2], 'y': {'z': 0.5}}
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

import numpy as np


class FrozenDict(Mapping):
    """A read-only mapping (picklable, unlike ``types.MappingProxyType``).

    >>> d = FrozenDict({"a": 1})
    >>> d["a"], dict(d)
    (1, {'a': 1})
    """

    __slots__ = ("_data",)

    def __init__(self, data: Mapping | None = None):
        object.__setattr__(self, "_data", dict(data or {}))

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self) -> Iterator:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name, value):
        raise AttributeError("FrozenDict is immutable")

    def __reduce__(self):
        return (FrozenDict, (self._data,))

    def __repr__(self) -> str:
        return f"FrozenDict({self._data!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Mapping) and dict(self) == dict(other)

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, _hashable(v)) for k, v in self._data.items())))


def _hashable(value):
    if isinstance(value, Mapping):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return value


def freeze(obj: Any) -> Any:
    """Deep-copy ``obj`` into immutable JSON-like values.

    Mappings become :class:`FrozenDict`, sequences and numpy arrays tuples, numpy
    scalars Python numbers.

    >>> freeze({"x": [1, 2], "y": np.float64(0.5)})
    FrozenDict({'x': (1, 2), 'y': 0.5})
    """
    if isinstance(obj, Mapping):
        return FrozenDict({str(k): freeze(v) for k, v in obj.items()})
    if isinstance(obj, np.ndarray):
        return tuple(freeze(v) for v in obj.tolist())
    if isinstance(obj, (list, tuple)):
        return tuple(freeze(v) for v in obj)
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def thaw(obj: Any) -> Any:
    """The inverse of :func:`freeze`: plain dicts and lists (ready for ``json``)."""
    if isinstance(obj, Mapping):
        return {k: thaw(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [thaw(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
