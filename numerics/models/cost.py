"""What one replicate and generation of a model costs: the sizes a run's budget counts.

:meth:`stl.numerics.models.base.Model.cost` returns a :class:`Cost`; the verify layer's
budget (:mod:`stl.verify.budget`) turns it into memory and seconds before a run starts.
The default reads the sizes from the model itself on tiny data (:func:`measured_cost`),
so a model needs no table entry anywhere: ``p`` numbers per data point (one draw),
``q`` numbers per fitted replicate (fits on two sizes, to see whether ``q`` grows with
``n`` as a kernel density estimate's does) and whether its metrics draw a Monte Carlo
probe. A model that trains a network overrides :meth:`~stl.numerics.models.base.Model.cost`
with its training units (weights × tokens per step).

>>> from stl.numerics.models.registry import get_model
>>> c = get_model("gaussian", {"dim": "3"}).cost(100)
>>> c.point, c.params_grow, c.probe
(3, False, 0)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Cost:
    """Sizes of one model at one ``n``: numbers per data point ``point``, per fitted
    replicate ``params`` (and whether that grows with ``n``), the Monte Carlo probe its
    metrics draw, and for a trained network its training units per replicate and
    generation, the memory one replicate's training needs, the FLOPs of one optimiser step
    of one replicate and the number of steps."""

    point: int
    params: int
    params_grow: bool
    probe: int
    train_units: float = 0.0
    train_bytes: float = 0.0
    step_flops: float = 0.0
    steps: int = 0


def _array_sizes(obj: Any) -> int:
    """Numbers held by a fitted parameter object per replicate (arrays, dataclass fields, dicts)."""
    if isinstance(obj, np.ndarray):
        return int(obj.size) // max(int(obj.shape[0]) if obj.ndim else 1, 1)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return sum(_array_sizes(getattr(obj, f.name)) for f in dataclasses.fields(obj))
    if isinstance(obj, dict):
        return sum(_array_sizes(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_array_sizes(v) for v in obj)
    shape = getattr(obj, "shape", None)  # a tensor: size per replicate
    if shape is not None and len(shape) >= 1:
        return int(np.prod(shape[1:]))
    return 0


def point_size(model, streams=None) -> int:
    """Numbers in one data point of ``model`` (from a one-point draw)."""
    from stl.numerics.rng import ReplicateStreams

    one = np.asarray(model.draw_real(streams or ReplicateStreams(0, 1), 1))
    return int(np.prod(one.shape[2:])) if one.ndim > 2 else 1


def measured_cost(model, n: int) -> Cost:
    """``p`` and ``q`` of ``model`` measured on tiny data (milliseconds for the numpy models)."""
    from stl.numerics.rng import ReplicateStreams

    streams = ReplicateStreams(0, 1)
    point = point_size(model, streams)
    probe = int(getattr(model, "probe_size", 0) or 0)
    # fit at sizes above the point dimension: below it some fits keep the data itself
    # (a rank-deficient covariance is stored as its data root), which is not growth
    small = 4 * point + 4
    data = model.draw_real(streams, small)
    fitted = model.fit(data)
    q_a = _array_sizes(fitted)
    q_b = _array_sizes(model.fit(model.draw_real(streams, 2 * small)))
    grows = q_b > q_a
    q = q_a + (q_b - q_a) * (n - small) // small if grows else q_a  # linear in n when it grows
    # a model that keeps its data evaluates densities on a probe or a quadrature grid of
    # about that size; another counts the probe only if its metrics draw one
    counted = grows or draws_probe(model, fitted, data)
    return Cost(point, int(q), grows, probe if counted else 0)


def draws_probe(model, fitted, data) -> bool:
    """Whether the model's metrics draw random points beyond its data (a real probe, Monte
    Carlo TV or risk samples): read from one measurement of a tiny fit. Models with closed
    forms draw none, and counting a 2000-point probe for them overestimated their runs 10–30
    times (benchmarks/run.py). When the measurement fails the probe is counted."""
    from stl.numerics.rng import ReplicateStreams

    streams = ReplicateStreams(1, 1)
    try:
        model.metrics(fitted, data, streams)
    except Exception:  # noqa: BLE001 - cannot tell: keep the estimate on the costly side
        return True
    return any(p != "real" for p in streams.purposes())
