"""Comparisons shared by the checks: simulation against an exact value or a bound, with power.

Two kinds of claims, two kinds of rows (THEORY.md §5):

* an **equality** (a closed form, an exact recursion, a bound that is attained): per column
  :func:`~stl.verify.checks.verdicts.agrees` — the exact value inside the confidence
  interval (a significant deviation fails however small) and the interval inside the
  margin (otherwise inconclusive);
* a **bound**: per column :func:`~stl.verify.checks.verdicts.at_most` on the interval of
  the measured value; where an exact reference is known the row also reports how far
  the bound is above it ("within factor F of exact").

Every comparison carries its **power** (:func:`power`): with the per-replicate standard
deviation ``s`` measured in the run and ``R`` replicates, a deviation of
``(z + z_{0.8}) s/√R`` fails with probability 0.8 (the minimum detectable deviation), and
a true equality passes all ``k`` comparisons of the check with probability 0.8 only if the
margin is at least ``(z + z_{1−0.1/k}) s/√R`` (the interval must fit inside the margin
band). ``replicates_needed`` is the ``R`` that gives both; a check sizes its replicates by
it, the details say so, and :func:`equality_rows` marks a column whose power falls short.

The row that decides a check — the failing one, else an inconclusive one, else the one
closest to its line — is returned as ``decided_by`` so that reports show it *named as
such*, not some unlabeled closest comparison.

>>> import numpy as np
>>> rows, verdict = equality_rows(np.random.default_rng(0).normal(1.0, 0.1, (400, 2)),
...                               np.array([1.0, 1.0]), margin=0.05, z=2.24)
>>> verdict, rows[0]["power"]["underpowered"]
('pass', False)
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any, Sequence

import numpy as np

from stl.verify.checks.measurement import Measurement
from stl.verify.checks.stats import column_measurements
from stl.verify.checks.verdicts import SEVERITY, agrees, at_most, combine

#: Power every comparison is sized for.
POWER = 0.8


def power(sd: float, replicates: int, margin: float, z: float, comparisons: int = 1) -> dict[str, Any]:
    """Minimum detectable deviation at :data:`POWER` and the replicates the margin needs.

    >>> power(sd=1.0, replicates=100, margin=0.5, z=1.96)["replicates_needed"]
    43
    """
    zb = NormalDist().inv_cdf(POWER)
    z_pass = NormalDist().inv_cdf(1.0 - (1.0 - POWER) / (2.0 * max(comparisons, 1)))
    mde = (z + zb) * sd / math.sqrt(max(replicates, 1))
    needed = (math.ceil(((z + max(zb, z_pass)) * sd / margin) ** 2) if margin > 0 and math.isfinite(sd)
              else math.inf)
    return {"sd_per_replicate": float(sd), "replicates": int(replicates), "margin": float(margin),
            "min_detectable_deviation": float(mde), "replicates_needed": needed,
            "underpowered": bool(needed > replicates), "power": POWER}


def equality_rows(values: np.ndarray, exact: np.ndarray, margin: float | np.ndarray, z: float,
                  labels: Sequence[Any] | None = None, relative: bool = False) -> tuple[list[dict], str]:
    """Per column of ``values`` ``(R, k)``: the measurement against ``exact[k]``.

    ``margin`` is absolute, or relative to ``|exact|`` with ``relative=True``.
    """
    values = np.asarray(values, dtype=float)
    exact = np.asarray(exact, dtype=float)
    ms = column_measurements(values, z)
    sds = values.std(axis=0, ddof=1)
    margins = np.broadcast_to(np.abs(exact) * margin if relative else np.asarray(margin, dtype=float), exact.shape)
    rows, verdicts = [], []
    for k, (m, e, mg, sd) in enumerate(zip(ms, exact, margins, sds)):
        v = agrees(m, float(e), float(mg))
        verdicts.append(v)
        rows.append({"column": labels[k] if labels is not None else k, "measured": m.value, "ci_low": m.ci_low,
                     "ci_high": m.ci_high, "stderr": m.stderr, "exact": float(e), "margin": float(mg),
                     "deviation": m.value - float(e), "verdict": v,
                     "power": power(float(sd), values.shape[0], float(mg), m.z, exact.size)})
    return rows, combine(verdicts)


def bound_rows(values: np.ndarray, bound: np.ndarray, z: float, exact: np.ndarray | None = None,
               labels: Sequence[Any] | None = None, absolute: bool = True) -> tuple[list[dict], str]:
    """Per column: ``|E X|`` (``absolute``) or ``E X`` at most ``bound[k]``; with ``exact``
    the factor ``bound / |exact|`` is reported beside the verdict."""
    values = np.asarray(values, dtype=float)
    bound = np.asarray(bound, dtype=float)
    ms = column_measurements(values, z)
    rows, verdicts = [], []
    for k, (m, b) in enumerate(zip(ms, bound)):
        mm = m.absolute() if absolute else m
        v = at_most(mm, float(b))
        verdicts.append(v)
        row = {"column": labels[k] if labels is not None else k, "measured": mm.value, "ci_low": mm.ci_low,
               "ci_high": mm.ci_high, "stderr": mm.stderr, "bound": float(b), "verdict": v,
               "factor_over_measured": float(b) / mm.value if mm.value > 0 else math.inf}
        if exact is not None:
            e = abs(float(exact[k]))
            row["exact"] = float(exact[k])
            row["factor_over_exact"] = float(b) / e if e > 0 else math.inf
        rows.append(row)
    return rows, combine(verdicts)


def deciding(rows: Sequence[dict], line: str) -> dict:
    """The row that decides: the worst verdict, ties broken by closeness to ``line``
    (``"exact"`` or ``"bound"``) relative to the interval's half-width."""
    def closeness(r):
        target = r[line]
        half = max((r["ci_high"] - r["ci_low"]) / 2.0, 1e-300)
        return -abs(r["measured"] - target) / half
    return max(rows, key=lambda r: (SEVERITY[r["verdict"]], closeness(r)))


def headline(row: dict, line: str, replicates: int, z: float) -> Measurement:
    """The deciding row as the check's :class:`Measurement`."""
    return Measurement(row["measured"], row["stderr"], row["ci_low"], row["ci_high"], replicates, z)


def describe(row: dict, line: str, what: str) -> str:
    """``"decided by <what> <column>: measured … [CI] vs exact/bound …"``."""
    return (f"decided by {(what + ' ') if what else ''}{row['column']}: measured {row['measured']:.5g} "
            f"[{row['ci_low']:.5g}, {row['ci_high']:.5g}] vs {line} {row[line]:.5g} → {row['verdict']}")
