"""Checks of the theory against simulation (THEORY.md §5).

* :mod:`verify.checks.core` — :class:`Check`, :class:`CheckResult`, :class:`Measurement`,
  :class:`Task`, :class:`Outcome` (immutable value objects);
* :mod:`verify.checks.verdicts` — pass / fail / inconclusive rules as data;
* :mod:`verify.checks.formulas` — LaTeX of T1, L2, T3 printed from :mod:`theory` (never
  hand-written); the literature's closed forms live in :mod:`numerics.closed_forms`;
* one module per kind: :mod:`~verify.checks.validity` (T1 validity and tightness),
  :mod:`~verify.checks.rates`, :mod:`~verify.checks.phase` (L2),
  :mod:`~verify.checks.closed_forms`, :mod:`~verify.checks.icl` (T2),
  :mod:`~verify.checks.optimum` (T3).

Suites are in :mod:`verify.suites`, the runner in :mod:`verify.runner`.

>>> from verify.checks import at_most, Measurement
>>> at_most(Measurement(0.1, 0.01, 0.08, 0.12, 100), 0.2)
'pass'
"""

from verify.checks.core import (
                                KINDS,
                                VERDICTS,
                                Check,
                                CheckResult,
                                Measurement,
                                Outcome,
                                Task,
                                execute,
                                freeze,
                                thaw,
)
from verify.checks.verdicts import RULES, agrees, at_least, at_most, combine, decide, equivalent, family_z

__all__ = [
    "KINDS", "VERDICTS", "Check", "CheckResult", "Measurement", "Outcome", "Task", "execute", "freeze",
    "thaw", "RULES", "agrees", "at_least", "at_most", "combine", "decide", "equivalent", "family_z",
]
