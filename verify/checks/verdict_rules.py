"""The verdict machinery held against cases whose verdict is known (a negative control).

A suite can only fail if its verdict rules can: a rule that turns "cannot tell" into
"pass", an interval that forgets the Student-t quantile or the Bonferroni widening, or a
combination that lets one failure through would make every other check toothless without
any of them noticing. This check feeds the rules of :mod:`stl.verify.checks.verdicts` and
the intervals of :mod:`stl.verify.checks.measurement` measurements built by hand — far
below, far above, straddling, inside and outside a margin — and compares each answer with
the one the rule's definition gives.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Any, Mapping

from stl.verify.checks.check import Check, Outcome
from stl.verify.checks.measurement import Measurement
from stl.verify.checks.task import Task


def _m(lo: float, hi: float) -> Measurement:
    return Measurement((lo + hi) / 2, (hi - lo) / 3.92, lo, hi, 100)


def verdict_cases() -> list[dict[str, Any]]:
    """Every case: the rule applied, what it returned and what its definition requires."""
    from scipy.stats import t as student_t

    from stl.verify.checks import verdicts as V

    cases = []

    def case(label, got, want):
        ok = got == want if not isinstance(want, float) else math.isclose(got, want, rel_tol=1e-9)
        cases.append({"case": label, "got": got, "want": want, "verdict": "pass" if ok else "fail"})

    case("at_most: interval below the bound", V.at_most(_m(0.1, 0.2), 0.3), "pass")
    case("at_most: interval above the bound", V.at_most(_m(0.4, 0.5), 0.3), "fail")
    case("at_most: interval straddles the bound", V.at_most(_m(0.2, 0.4), 0.3), "inconclusive")
    case("at_least: interval above", V.at_least(_m(0.4, 0.5), 0.3), "pass")
    case("at_least: interval below", V.at_least(_m(0.1, 0.2), 0.3), "fail")
    case("at_least: straddles", V.at_least(_m(0.2, 0.4), 0.3), "inconclusive")
    case("equivalent: inside the band", V.equivalent(_m(0.99, 1.01), 1.0, 0.05), "pass")
    case("equivalent: outside the band", V.equivalent(_m(1.2, 1.3), 1.0, 0.05), "fail")
    case("equivalent: wider than the band", V.equivalent(_m(0.9, 1.1), 1.0, 0.05), "inconclusive")
    case("agrees: significant deviation inside the margin fails", V.agrees(_m(1.01, 1.02), 1.0, 0.05), "fail")
    case("agrees: exact inside a narrow interval", V.agrees(_m(0.99, 1.01), 1.0, 0.05), "pass")
    case("agrees: exact inside a wide interval", V.agrees(_m(0.9, 1.1), 1.0, 0.05), "inconclusive")
    case("agrees: a non-finite interval is not a pass", V.agrees(_m(-math.inf, math.inf), 1.0, 0.05),
         "inconclusive")
    case("combine: one fail fails", V.combine(["pass", "fail", "pass"]), "fail")
    case("combine: one inconclusive is not a pass", V.combine(["pass", "inconclusive"]), "inconclusive")
    case("combine: nothing shown is not a pass", V.combine([]), "inconclusive")
    case("combine: all pass", V.combine(["pass", "pass"]), "pass")
    case("family_z: Bonferroni over 10 comparisons", V.family_z(10),
         NormalDist().inv_cdf(1 - 0.05 / 20))
    samples = [1.0, 2.0, 3.0, 4.0]
    m = Measurement.from_samples(samples)
    se = math.sqrt(sum((x - 2.5) ** 2 for x in samples) / 3) / 2
    case("Measurement.from_samples: Student-t interval with n − 1 degrees of freedom", m.ci_high,
         2.5 + float(student_t.ppf(0.975, 3)) * se)
    return cases


def _plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    return [Task(verdict_cases, {}, ("cases",))]


def _conclude(p: Mapping[str, Any], seed: int, outputs) -> Outcome:
    cases = outputs.get(("cases",))
    bad = [c for c in cases if c["verdict"] == "fail"]
    text = (f"decided by {bad[0]['case']}: got {bad[0]['got']!r}, its definition gives {bad[0]['want']!r}"
            if bad else f"all {len(cases)} cases give the verdict their rule's definition requires")
    return Outcome(Measurement.exact(len(bad)), 0.0, "==", "fail" if bad else "pass",
                   {"summary": text, "cases": cases, "decided_by": text})


def verdict_rules_check(name: str = "verdict-rules") -> Check:
    """The verdict rules and intervals give the known answers on hand-built measurements."""
    return Check(
        name=name, kind="smoke",
        claim=("The verdict rules decide hand-built measurements as their definitions require: pass only when "
               "the whole interval is on the predicted side (or inside an equivalence margin with the exact value "
               "in it), fail when it is wholly on the other side (or significantly off an exact value), "
               "inconclusive otherwise; one failure fails a combination; intervals use the Student-t quantile "
               "and the Bonferroni widening."),
        claim_latex=r"\text{verdict}(\text{known case}) = \text{its definition}",
        parameters={"name": name}, plan=_plan, conclude=_conclude)
