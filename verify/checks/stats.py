"""Small statistics used by the checks: replicate means and fitted slopes with CIs.

>>> import numpy as np
>>> x = np.log([100, 200, 400, 800]); y = -0.5 * x + 1.0
>>> fit = slope_fit(x, y, np.full(4, 0.01), z=1.96)
>>> round(fit.value, 6)
-0.5
"""

from __future__ import annotations

import math

import numpy as np

from stl.kernel import student_t
from stl.verify.checks.measurement import Measurement
from stl.verify.errors import InputError


def column_measurements(values, z: float) -> list[Measurement]:
    """One :class:`Measurement` per column of a ``(replicates, columns)`` array."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 2 or arr.shape[0] < 2:
        raise InputError("replicates", arr.shape, "a (replicates >= 2, columns) array")
    mean = arr.mean(axis=0)
    se = arr.std(axis=0, ddof=1) / math.sqrt(arr.shape[0])
    zt = student_t.t_quantile(z, arr.shape[0] - 1)  # the stderr is estimated from the same replicates
    return [Measurement.from_mean(m, s, arr.shape[0], zt) for m, s in zip(mean, se)]


def slope_fit(x, y, y_stderr, z: float) -> Measurement:
    """Weighted least-squares slope of ``y`` on ``x`` with its confidence interval.

    Weights are ``1/stderr²``. When the points scatter more than their standard errors
    allow (reduced χ² > 1, e.g. a rate that is only asymptotic), the slope's standard
    error is inflated by ``sqrt(χ²/dof)`` so the interval stays honest — and because that
    scale is then estimated from only ``dof = points − 2`` residuals, the interval uses the
    Student-t quantile with ``dof`` degrees of freedom at the coverage ``z`` stands for
    (e.g. 3.18 instead of 1.96 for five points), not the normal one.

    >>> x = np.log([50., 100, 200, 400, 800]); y = -x + np.array([0, .05, -.05, .05, -.05])
    >>> fit = slope_fit(x, y, np.full(5, 0.001), z=1.959963984540054)
    >>> round(fit.z, 2)
    3.18
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    s = np.asarray(y_stderr, dtype=float)
    if x.size < 3:
        raise InputError("grid", int(x.size), "at least 3 points for a slope with a CI")
    s = np.where(s > 0, s, np.min(s[s > 0]) if np.any(s > 0) else 1.0)
    w = 1.0 / s**2
    xm = np.sum(w * x) / np.sum(w)
    ym = np.sum(w * y) / np.sum(w)
    sxx = np.sum(w * (x - xm) ** 2)
    slope = float(np.sum(w * (x - xm) * (y - ym)) / sxx)
    intercept = ym - slope * xm
    resid = y - (intercept + slope * x)
    dof = x.size - 2
    chi2 = float(np.sum(w * resid**2) / dof)
    se = math.sqrt(1.0 / sxx) * math.sqrt(max(chi2, 1.0))
    if chi2 > 1.0:
        z = student_t.t_quantile(z, dof)
    return Measurement.from_mean(slope, se, x.size, z)


def log_mean(m: Measurement) -> tuple[float, float]:
    """``(log E X, stderr)`` by the delta method (needs ``E X > 0``)."""
    if m.value <= 0:
        return math.nan, math.inf
    return math.log(m.value), m.stderr / m.value


def ratio(a: Measurement, b: Measurement, z: float) -> Measurement:
    """``E A / E B`` for independent positive measurements, by the delta method."""
    if b.value == 0:
        return Measurement(math.nan, math.inf, -math.inf, math.inf, min(a.n, b.n), z)
    r = a.value / b.value
    rel = math.hypot(a.stderr / a.value if a.value else 0.0, b.stderr / b.value)
    return Measurement.from_mean(r, abs(r) * rel, min(a.n, b.n), z)
