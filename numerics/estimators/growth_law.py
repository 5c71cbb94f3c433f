r"""The growth law of ``γ̂_n^i`` over generations: geometric (``r^i``) against a power of ``i``.

L2 (THEORY.md) makes recursive stability grow geometrically where it grows at all:
``γ_n^i ≤ τ_n ρ^i`` without kept real data. A loop whose coupled differences add up in
quadrature instead (estimators built from sums of the data) grows like a power of the
generation. This module fits both laws to the mean trajectory ``γ̄_i`` of ``R``
replicates and says which describes it better:

* geometric: ``log γ̄_i = a + i log r``;
* power: ``log γ̄_i = a + p log(i + 1)``;

each by weighted least squares in ``log γ̄_i`` with weights ``1/var(log γ̄_i)`` (the delta
method: ``var(log γ̄_i) = se_i²/γ̄_i²``). Both laws have two parameters, so their weighted
residual sums of squares compare directly; the difference ``D = SS_geometric − SS_power``
(positive: the power law fits better) gets a jackknife interval over replicates, which
keeps the correlation between generations of one replicate. ``r`` and ``p`` get
jackknife intervals too.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> i = np.arange(11)
>>> geo = 0.01 * 1.3 ** i * rng.lognormal(0, 0.2, (400, 11))
>>> law = fit_growth_law(geo)
>>> law.preferred, round(law.rate.value, 2)
('geometric', 1.3)
>>> law = fit_growth_law(0.01 * np.sqrt(i + 1) * rng.lognormal(0, 0.2, (400, 11)))
>>> law.preferred, round(law.exponent.value, 2)
('power', 0.5)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stl.kernel import student_t

from stl.numerics.errors import InputError

#: Laws a fit can prefer (``undecided``: the jackknife interval of ``D`` contains 0).
LAWS = ("geometric", "power", "undecided")


@dataclass(frozen=True)
class Interval:
    """A fitted value with its jackknife standard error and 95 % interval."""

    value: float
    stderr: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class GrowthLaw:
    """Both fits of one trajectory and the comparison.

    ``rate`` is ``r`` of the geometric law, ``exponent`` ``p`` of the power law,
    ``ss_geometric``/``ss_power`` their weighted residual sums of squares over ``G + 1``
    generations (``G − 1`` degrees of freedom each), ``difference`` the jackknife interval
    of ``SS_geometric − SS_power`` and ``preferred`` one of :data:`LAWS`.
    """

    rate: Interval
    exponent: Interval
    ss_geometric: float
    ss_power: float
    difference: Interval
    preferred: str
    generations: int
    n_replicates: int

    def to_dict(self) -> dict:
        def iv(x: Interval) -> dict:
            return {"value": x.value, "stderr": x.stderr, "ci_low": x.ci_low, "ci_high": x.ci_high}
        return {"rate": iv(self.rate), "exponent": iv(self.exponent), "ss_geometric": self.ss_geometric,
                "ss_power": self.ss_power, "difference": iv(self.difference), "preferred": self.preferred,
                "generations": self.generations, "n_replicates": self.n_replicates}


def _fits(means: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least squares of ``log means`` (rows: trajectories) on both laws' regressors.

    Returns ``(log r, p, SS_geometric, SS_power)``, one value per row.
    """
    y = np.log(means)
    g = means.shape[1]
    out = []
    for x in (np.arange(g, dtype=float), np.log(np.arange(1, g + 1, dtype=float))):
        w = weights
        sw = w.sum(axis=1, keepdims=True)
        xm = (w * x).sum(axis=1, keepdims=True) / sw
        ym = (w * y).sum(axis=1, keepdims=True) / sw
        slope = (w * (x - xm) * (y - ym)).sum(axis=1) / (w * (x - xm) ** 2).sum(axis=1)
        resid = y - ym - slope[:, None] * (x - xm)
        out.append((slope, (w * resid ** 2).sum(axis=1)))
    (log_r, ss_geo), (p, ss_pow) = out
    return log_r, p, ss_geo, ss_pow


def fit_growth_law(per_replicate: np.ndarray, *, confidence: float = 0.95) -> GrowthLaw:
    """Fit both laws to the mean of ``per_replicate`` ``(R, G + 1)`` (see the module docstring)."""
    x = np.asarray(per_replicate, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 3 or x.shape[1] < 3:
        raise InputError("per_replicate", x.shape, "an (R, G + 1) array with R >= 3 replicates and G >= 2")
    r, g1 = x.shape
    means = x.mean(axis=0)
    if not (means > 0).all():
        raise InputError("per_replicate", "a mean of 0", "a trajectory whose mean is positive at every generation")
    # Leave-one-out means, computed at once: (R, G + 1).
    loo = (means * r - x) / (r - 1)
    var = x.var(axis=0, ddof=1) / r
    weights = 1.0 / np.maximum(var / means ** 2, 1e-300)
    full = _fits(means[None, :], weights[None, :])
    # A leave-one-out trajectory can touch 0 when most replicates are 0; it then leaves the jackknife.
    ok = (loo > 0).all(axis=1)
    jack = _fits(loo[ok], np.broadcast_to(weights, loo[ok].shape))
    q = student_t.t_quantile_for(confidence, max(int(ok.sum()) - 1, 1))

    def interval(value: float, samples: np.ndarray, transform=lambda v: v) -> Interval:
        m = int(samples.size)
        se = math.sqrt((m - 1) / m * ((samples - samples.mean()) ** 2).sum()) if m > 1 else math.inf
        lo, hi = transform(value - q * se), transform(value + q * se)
        return Interval(float(transform(value)), float(se), float(lo), float(hi))

    log_r = interval(float(full[0][0]), jack[0])
    rate = Interval(math.exp(log_r.value), math.exp(log_r.value) * log_r.stderr,
                    math.exp(log_r.ci_low), math.exp(log_r.ci_high))
    exponent = interval(float(full[1][0]), jack[1])
    diff = interval(float(full[2][0] - full[3][0]), jack[2] - jack[3])
    preferred = "power" if diff.ci_low > 0 else ("geometric" if diff.ci_high < 0 else "undecided")
    return GrowthLaw(rate, exponent, float(full[2][0]), float(full[3][0]), diff, preferred, g1 - 1, r)
