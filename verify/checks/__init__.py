"""Checks of the theory against simulation (THEORY.md §5).

* :mod:`stl.verify.checks.check` — :class:`Check`, :class:`CheckResult`, :class:`Measurement`,
  :class:`Task`, :class:`Outcome` (immutable value objects);
* :mod:`stl.verify.checks.verdicts` — pass / fail / inconclusive rules as data;
* :mod:`stl.verify.checks.formulas` — LaTeX of T1, L2, T3 printed from :mod:`stl.theory` (never
  hand-written); the literature's closed forms live on the model cards (:mod:`stl.verify.cards`);
* one module per kind: :mod:`~stl.verify.checks.validity` (T1 validity and tightness),
  :mod:`~stl.verify.checks.rates`, :mod:`~stl.verify.checks.phase` (L2),
  :mod:`~stl.verify.checks.closed_forms`, :mod:`~stl.verify.checks.icl` (T2),
  :mod:`~stl.verify.checks.optimum` (T3).

Suites are in :mod:`stl.verify.suites`, the runner in :mod:`stl.verify.runner`.

>>> from stl.verify.checks import at_most, Measurement
>>> at_most(Measurement(0.1, 0.01, 0.08, 0.12, 100), 0.2)
'pass'
"""

from stl.verify.checks.check import KINDS, VERDICTS, Check, CheckResult, Outcome
from stl.verify.checks.measurement import Measurement
from stl.verify.checks.task import Task, execute
from stl.verify.plumbing.frozen import freeze, thaw
from stl.verify.checks.verdicts import RULES, agrees, at_least, at_most, combine, decide, equivalent, family_z

__all__ = [
    "KINDS", "VERDICTS", "Check", "CheckResult", "Measurement", "Outcome", "Task", "execute", "freeze",
    "thaw", "RULES", "agrees", "at_least", "at_most", "combine", "decide", "equivalent", "family_z",
]
