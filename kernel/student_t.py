"""The Student-t quantile behind every confidence interval of the toolkit.

An interval over ``r`` replicates whose standard error is estimated from the same values
uses the t quantile with ``r − 1`` degrees of freedom. Two ways to ask for it, one
computation: by the normal quantile ``z`` whose coverage is wanted (the verification
layer carries ``z``, Bonferroni-widened for families of comparisons) or by the coverage
itself (the estimators' ``confidence``). Callers look these functions up on this module
when they run (``student_t.t_quantile(...)``), so the self-test's fault that swaps the t
quantile for the normal one reaches every interval.

>>> round(t_quantile(1.959963984540054, 7), 3), round(t_quantile(1.959963984540054, 10**6), 3)
(2.365, 1.96)
>>> round(t_quantile_for(0.95, 7), 3)
2.365
>>> t_quantile(1.96, 0)
inf
"""

from __future__ import annotations

import math


def t_quantile_for(confidence: float, dof: int) -> float:
    """The two-sided t quantile of a ``confidence`` interval (``ppf(½ + confidence/2)``),
    with ``dof`` degrees of freedom; ``inf`` when ``dof < 1`` (no standard error)."""
    if not dof >= 1:
        return math.inf
    from scipy.stats import t as student

    return float(student.ppf(0.5 + confidence / 2, int(dof)))


def t_quantile(z: float, dof: int) -> float:
    """The t quantile with ``dof`` degrees of freedom at the coverage of the normal ``z``;
    ``inf`` when ``dof < 1``."""
    if not dof >= 1:
        return math.inf
    from statistics import NormalDist

    from scipy.stats import t as student

    return float(student.ppf(NormalDist().cdf(float(z)), int(dof)))
