"""The value object every estimator returns: a value with its standard error and CI.

Confidence intervals are two-sided Student-t intervals ``mean ± q·stderr`` over ``R``
independent replicates (``q`` the ``(1 + confidence)/2`` quantile of ``t_{R−1}``: 12.7 for
two replicates, 2.09 for 20, 1.96 in the limit), clipped to the range the quantity can
take when the estimator gives one (``[0, 1]`` for a TV, ``[0, M]`` for a loss change):
the mean lies in that range, so clipping never loses coverage. Per-generation
estimators (``gamma``, ``d_tv``) hold arrays over generations ``0..G``. The raw
per-replicate values are kept so estimates over replicate blocks pool exactly
(:meth:`Estimate.concat`).

>>> import numpy as np
>>> e = Estimate.from_replicates("tau_n", np.array([0.1, 0.3]), np.arange(2), "demo")
>>> round(e.value, 3), round(e.stderr, 3), e.n_replicates
(0.2, 0.1, 2)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stl.kernel import student_t


@dataclass(frozen=True)
class Estimate:
    """``value``, ``stderr``, ``ci_low``, ``ci_high`` (floats, or arrays over generations).

    ``method`` says how it was computed (and whether it is a proxy); ``per_replicate``
    holds the raw values ``(R,)`` or ``(R, G + 1)``; ``details`` extra arrays (e.g. the
    fraction of differing synthetic draws per generation).
    """

    name: str
    value: Any
    stderr: Any
    ci_low: Any
    ci_high: Any
    n_replicates: int
    method: str
    confidence: float = 0.95
    per_replicate: np.ndarray | None = field(default=None, repr=False)
    replicate_ids: np.ndarray | None = field(default=None, repr=False)
    proxy: bool = False
    details: dict = field(default_factory=dict, repr=False)
    bounds: tuple[float, float] | None = None

    @property
    def per_generation(self) -> bool:
        return np.ndim(self.value) == 1

    @staticmethod
    def from_replicates(name: str, values: np.ndarray, replicate_ids: np.ndarray, method: str, *,
                        confidence: float = 0.95, proxy: bool = False, details: dict | None = None,
                        bounds: tuple[float, float] | None = None) -> Estimate:
        """Mean over axis 0 of ``values`` with its Student-t CI (clipped to ``bounds``)."""
        values = np.asarray(values, dtype=np.float64)
        r = values.shape[0]
        mean = values.mean(axis=0)
        se = values.std(axis=0, ddof=1) / math.sqrt(r) if r > 1 else np.full(np.shape(mean), np.nan)
        q = student_t.t_quantile_for(confidence, r - 1) if r > 1 else math.nan
        lo, hi = mean - q * se, mean + q * se
        if bounds is not None:
            lo, hi = np.clip(lo, *bounds), np.clip(hi, *bounds)
        conv = (lambda a: float(a)) if values.ndim == 1 else (lambda a: np.asarray(a))
        return Estimate(name, conv(mean), conv(se), conv(lo), conv(hi), r, method, confidence,
                        values, np.asarray(replicate_ids), proxy, dict(details or {}), bounds)

    def at(self, generation: int) -> tuple[float, float, float, float]:
        """``(value, stderr, ci_low, ci_high)`` at one generation (or the scalar)."""
        if not self.per_generation:
            return self.value, self.stderr, self.ci_low, self.ci_high
        g = generation
        return float(self.value[g]), float(self.stderr[g]), float(self.ci_low[g]), float(self.ci_high[g])

    def to_records(self, metric: str | None = None, generation: int = 0) -> list[dict[str, Any]]:
        """Tidy records with ``ci_low``/``ci_high`` (DESIGN.md ``stl stability``)."""
        metric = metric or self.name
        gens = range(len(self.value)) if self.per_generation else [generation]
        out = []
        for g in gens:
            v, s, lo, hi = self.at(g)
            out.append({"generation": g, "metric": metric, "mean": float(v), "stderr": float(s),
                        "n_replicates": self.n_replicates, "ci_low": float(lo), "ci_high": float(hi)})
        return out

    @staticmethod
    def concat(parts: Sequence[Estimate]) -> Estimate:
        """Pool replicate blocks of the same estimator exactly (ordered by replicate id)."""
        first = parts[0]
        ids = np.concatenate([p.replicate_ids for p in parts])
        order = np.argsort(ids, kind="stable")
        values = np.concatenate([p.per_replicate for p in parts], axis=0)[order]
        details = {k: np.concatenate([p.details[k] for p in parts], axis=0)[order]
                   for k, v in first.details.items() if isinstance(v, np.ndarray) and v.ndim >= 1
                   and v.shape[0] == first.n_replicates}
        return Estimate.from_replicates(first.name, values, ids[order], first.method,
                                        confidence=first.confidence, proxy=first.proxy, details=details,
                                        bounds=first.bounds)
