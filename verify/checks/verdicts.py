"""Verdict rules: how a measurement with a confidence interval meets a prediction.

Every rule has three outcomes (THEORY.md §5): ``pass`` when the whole interval is on
the right side, ``fail`` when the whole interval is on the wrong side, and
``inconclusive`` when the interval straddles the line — more replicates would decide.
A rule never turns "cannot tell" into "pass".

The rules are plain functions collected in :data:`RULES`, keyed by the relation a
check declares (``"<="``, ``">="``, ``"=="``), so a check is described by data.

>>> from stl.verify.checks.measurement import Measurement
>>> m = Measurement(0.10, 0.01, 0.08, 0.12, 100)
>>> at_most(m, 0.2), at_most(m, 0.05), at_most(m, 0.11)
('pass', 'fail', 'inconclusive')
>>> equivalent(m, 0.1, margin=0.05), equivalent(m, 0.3, margin=0.05)
('pass', 'fail')
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Callable, Iterable, Mapping

from stl.verify.checks.measurement import Measurement

Rule = Callable[..., str]


def at_most(m: Measurement, bound: float) -> str:
    """Validity of an upper bound ``E X ≤ bound``.

    pass: upper CI limit ≤ bound; fail: lower CI limit > bound; else inconclusive.
    """
    if not math.isfinite(m.ci_high) or not math.isfinite(m.ci_low) or math.isnan(bound):
        return "inconclusive"
    if m.ci_high <= bound:
        return "pass"
    if m.ci_low > bound:
        return "fail"
    return "inconclusive"


def at_least(m: Measurement, bound: float) -> str:
    """A lower bound ``E X ≥ bound`` (mirror image of :func:`at_most`)."""
    if not math.isfinite(m.ci_high) or not math.isfinite(m.ci_low) or math.isnan(bound):
        return "inconclusive"
    if m.ci_low >= bound:
        return "pass"
    if m.ci_high < bound:
        return "fail"
    return "inconclusive"


def equivalent(m: Measurement, exact: float, margin: float) -> str:
    """An exact value, up to an equivalence margin (two one-sided tests).

    The band ``[exact − margin, exact + margin]`` holds the differences we call
    negligible. pass: the confidence interval lies inside the band (so
    ``|measured − exact| + z·stderr ≤ margin``); fail: it lies entirely outside
    (``|measured − exact| − z·stderr > margin``); inconclusive: the interval is too
    wide to decide — in particular whenever ``z·stderr`` exceeds the margin and the
    difference is not already significant.

    >>> equivalent(Measurement(1.0, 0.5, 0.0, 2.0, 10), 1.0, margin=0.1)
    'inconclusive'
    """
    if not (math.isfinite(m.ci_low) and math.isfinite(m.ci_high) and math.isfinite(exact)):
        return "inconclusive"
    lo, hi = exact - abs(margin), exact + abs(margin)
    if m.ci_low >= lo and m.ci_high <= hi:
        return "pass"
    if m.ci_high < lo or m.ci_low > hi:
        return "fail"
    return "inconclusive"


#: Relative floating-point slack of :func:`agrees` (a sum of 10⁶ floats rounds at ~1e-10).
ROUNDING = 1e-9


def agrees(m: Measurement, exact: float, margin: float) -> str:
    """An exact formula against a simulation: within Monte Carlo error *and* a margin.

    Stricter than :func:`equivalent`, for claims that a value is exact (a closed form, a
    bound that is attained): a confidence interval that excludes ``exact`` is a
    significant deviation, which contradicts the claim however small it is, so the
    verdict is ``fail`` even inside the margin. pass: ``exact`` is inside the interval
    and the interval inside ``[exact − margin, exact + margin]``; inconclusive: ``exact``
    is inside the interval but the interval is too wide to show agreement to ``margin``.
    "Inside" allows floating-point rounding (:data:`ROUNDING`, relative): a quantity with
    no sampling error at all (stderr 0) is a mean of equal floats, not exactly ``exact``.

    >>> agrees(Measurement(1.02, 0.001, 1.018, 1.022, 10**6), 1.0, margin=0.05)
    'fail'
    >>> agrees(Measurement(1.0, 0.01, 0.98, 1.02, 100), 1.0, margin=0.05)
    'pass'
    >>> agrees(Measurement(1.0, 0.1, 0.8, 1.2, 10), 1.0, margin=0.05)
    'inconclusive'
    """
    if not (math.isfinite(m.ci_low) and math.isfinite(m.ci_high) and math.isfinite(exact)):
        return "inconclusive"
    slack = ROUNDING * max(abs(exact), abs(m.ci_low), abs(m.ci_high))
    if exact < m.ci_low - slack or exact > m.ci_high + slack:
        return "fail"
    return equivalent(m, exact, margin)


#: Relation → rule. ``"=="`` rules take a ``margin`` keyword.
RULES: Mapping[str, Rule] = {"<=": at_most, ">=": at_least, "==": equivalent}


def decide(relation: str, m: Measurement, predicted: float, **kwargs) -> str:
    """Apply the rule registered for ``relation``.

    >>> decide("<=", Measurement.exact(1.0), 2.0)
    'pass'
    """
    try:
        rule = RULES[relation]
    except KeyError:
        raise ValueError(f"relation must be one of {sorted(RULES)}, got {relation!r}") from None
    return rule(m, predicted, **kwargs)


def combine(verdicts: Iterable[str]) -> str:
    """One verdict from several comparisons: any fail → fail; all pass → pass; else
    inconclusive (an empty list is inconclusive: nothing was shown).

    >>> combine(["pass", "inconclusive"]), combine(["pass", "fail"]), combine([])
    ('inconclusive', 'fail', 'inconclusive')
    """
    vs = list(verdicts)
    if any(v == "fail" for v in vs):
        return "fail"
    if vs and all(v == "pass" for v in vs):
        return "pass"
    return "inconclusive"


#: How bad a verdict is, for picking the row a report headlines (the worst one).
SEVERITY: Mapping[str, int] = {"pass": 0, "inconclusive": 1, "fail": 2}


def family_z(comparisons: int, alpha: float = 0.05) -> float:
    """Normal quantile for ``comparisons`` two-sided intervals at family-wise level ``alpha``.

    A check comparing many generations at once widens each interval (Bonferroni), so a
    true claim fails with probability at most ``alpha/2`` overall, not per comparison.

    >>> round(family_z(1), 3), round(family_z(10), 3)
    (1.96, 2.807)
    """
    k = max(int(comparisons), 1)
    return NormalDist().inv_cdf(1.0 - alpha / (2.0 * k))
