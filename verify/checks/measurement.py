"""A measured value with its standard error and confidence interval (THEORY.md §5).

Intervals over ``n`` replicates use the Student-t quantile with ``n − 1`` degrees of
freedom at the coverage a normal ``z`` stands for (the standard error is estimated from
the same values); :func:`stl.kernel.student_t.t_quantile` is the one place that conversion
happens.

>>> m = Measurement.from_samples([1.0, 2.0, 3.0, 4.0])
>>> round(m.ci_low, 3), round(m.ci_high, 3)
(0.446, 4.554)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from stl.kernel import student_t
from stl.verify.errors import InputError


@dataclass(frozen=True)
class Measurement:
    """A measured value with its standard error and confidence interval.

    ``z`` is the normal quantile the interval was built with (1.96 for 95 %), kept so a
    reader knows what the interval means. ``n`` is the number of independent replicates
    behind the value (0 for a number computed exactly).

    >>> m = Measurement.from_samples([1.0, 2.0, 3.0, 4.0])
    >>> round(m.value, 3), round(m.stderr, 3), round(m.z, 3), round(m.ci_low, 3)
    (2.5, 0.645, 3.182, 0.446)
    """

    value: float
    stderr: float
    ci_low: float
    ci_high: float
    n: int = 0
    z: float = 1.959963984540054

    @classmethod
    def from_mean(cls, mean: float, stderr: float, n: int, z: float) -> "Measurement":
        mean, stderr = float(mean), float(stderr)
        return cls(mean, stderr, mean - z * stderr, mean + z * stderr, int(n), float(z))

    @classmethod
    def from_samples(cls, samples, z: float = 1.959963984540054) -> "Measurement":
        """Mean of i.i.d. replicate values with its interval.

        The standard error is estimated from the same ``n`` values, so the interval uses
        the Student-t quantile with ``n − 1`` degrees of freedom at the coverage the
        normal quantile ``z`` stands for (:func:`~stl.kernel.student_t.t_quantile`): with 8 replicates a 95 %
        interval is ±2.36 standard errors, not ±1.96; with thousands the two agree.
        """
        x = np.asarray(samples, dtype=float).ravel()
        if x.size < 2:
            raise InputError("replicates", int(x.size), "at least 2 replicate values")
        mean = float(x.mean())
        se = float(x.std(ddof=1) / math.sqrt(x.size))
        return cls.from_mean(mean, se, x.size, student_t.t_quantile(z, x.size - 1))

    @classmethod
    def exact(cls, value: float) -> "Measurement":
        """A number known without sampling error (stderr 0)."""
        v = float(value)
        return cls(v, 0.0, v, v, 0, 0.0)

    def scaled(self, factor: float) -> "Measurement":
        """The measurement of ``factor * X`` (a positive factor keeps the interval order)."""
        lo, hi = sorted((self.ci_low * factor, self.ci_high * factor))
        return Measurement(self.value * factor, abs(self.stderr * factor), lo, hi, self.n, self.z)

    def absolute(self) -> "Measurement":
        """An interval for ``|E X|`` from one for ``E X``.

        >>> Measurement(-0.1, 0.1, -0.3, 0.1, 10).absolute().ci_low
        0.0
        """
        lo, hi = self.ci_low, self.ci_high
        if lo >= 0:
            a_lo, a_hi = lo, hi
        elif hi <= 0:
            a_lo, a_hi = -hi, -lo
        else:
            a_lo, a_hi = 0.0, max(-lo, hi)
        return Measurement(abs(self.value), self.stderr, a_lo, a_hi, self.n, self.z)

    def to_dict(self) -> dict:
        return {"value": self.value, "stderr": self.stderr, "ci_low": self.ci_low,
                "ci_high": self.ci_high, "n": self.n, "z": self.z}

    @classmethod
    def from_dict(cls, d: Mapping) -> "Measurement":
        def num(key):
            v = d[key]
            return math.nan if v is None else float(v)
        return cls(num("value"), num("stderr"), num("ci_low"), num("ci_high"),
                   int(d.get("n", 0)), float(d.get("z", 0.0) or 0.0))
