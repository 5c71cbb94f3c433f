"""The self-test (mutation testing) of the verification suite: its catalogue, its kills,
and `stl verify --self-test` end to end.

The full run over the quick suite (about 3.5 minutes) is what CI runs; here each fault
category is shown killed by the one check meant to catch it, the same check passing on
the unfaulted toolkit, so a kill is the fault's doing and not a check that always fails.
"""

from __future__ import annotations

import json

import pytest

from stl.verify import selftest
from stl.verify.suites import QUICK, all_factories

CATEGORIES = {"formula", "constant", "estimator", "coupling", "scheme", "reference", "model", "verdict"}


def _fault(name: str) -> selftest.Fault:
    return next(f for f in selftest.CATALOGUE if f.name == name)


def test_catalogue_covers_every_layer_with_distinct_faults():
    names = [f.name for f in selftest.CATALOGUE]
    assert len(names) >= 25 and len(set(names)) == len(names)
    assert {f.category for f in selftest.CATALOGUE} == CATEGORIES
    assert all(f.description and callable(f.apply) for f in selftest.CATALOGUE)
    assert 0.5 < selftest.REQUIRED_KILL_RATE <= 1


# One fault per category, with the quick-suite check that must catch it (each pair a few seconds).
PAIRS = [
    ("rho-without-the-real-share", "theory-identities"),
    ("t3-closed-form", "theory-identities"),
    ("categorical-beta", "stability-constants-categorical"),
    # the gain learner's constants live on its theory card: the fault must reach it there
    ("gain-tau", "l2-attained-gain"),
    ("tau-random-neighbour", "stability-constants-categorical"),
    ("categorical-independent-coupling", "coupling-maximal"),
    ("linreg-risk-scaled", "risk-closed-forms"),
    ("verdict-no-bonferroni", "verdict-rules"),
    ("verdict-at-most-lenient", "verdict-rules"),
]


@pytest.mark.parametrize("fault, check", PAIRS)
def test_each_fault_is_failed_by_its_check_which_passes_without_it(fault, check):
    factory = all_factories()[check]
    assert factory.make().run(0).verdict == "pass"
    result = selftest.run_fault(_fault(fault), [factory], seed=0)
    assert (result.killed, result.how, result.killed_by) == (True, "fail", check), result.detail
    assert factory.make().run(0).verdict == "pass"  # the fault did not leak past its block


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["mix-drops-real-data", "replace-trains-on-the-parent-data",
                                   "fresh-keeps-its-real-points", "subsample-with-replacement",
                                   "accumulate-never-grows", "exact-fresh-as-kept", "exact-accumulating-lag"])
def test_scheme_faults_are_failed_by_the_exact_categorical_loop(fault):
    result = selftest.run_fault(_fault(fault), [all_factories()["categorical-exact"]], seed=0)
    assert (result.killed, result.how) == (True, "fail")


def test_a_fault_no_check_can_see_survives():
    harmless = selftest.Fault("no-op", "formula", "changes nothing", lambda stack: None)
    result = selftest.run_fault(harmless, [all_factories()["verdict-rules"]], seed=0)
    assert (result.killed, result.how, result.killed_by) == (False, "survived", None)
    text = selftest.render([result], True, "verdict-rules")
    assert "SURVIVED" in text and "kill rate 0% (0/1" in text and "survivors: no-op" in text


def test_quick_suite_lists_its_cheap_decisive_checks_first():
    # the self-test stops a fault at its first failing check: the order sets its runtime
    first = [f.name for f in QUICK[:5]]
    assert first[0] == "verdict-rules" and "theory-identities" in first
    timed = [f.expected_s for f in QUICK[:6]]
    assert all(t is not None and t < 5 for t in timed)


def test_cli_self_test_writes_its_table_and_fails_below_the_required_kill_rate(tmp_path, capsys):
    from stl.verify.cli.main import main

    out = tmp_path / "report"
    code = main(["verify", "--suite", "verdict-rules", "--out", str(out), "--self-test", "--quiet"])
    doc = json.loads((out / "selftest.json").read_text())
    # verdict-rules alone catches the verdict faults and nothing else: far below 90 %
    assert code == 1 and doc["baseline_passes"] is True
    assert doc["kill_rate"] < selftest.REQUIRED_KILL_RATE
    killed = {f["fault"] for f in doc["faults"] if f["killed"]}
    verdict_faults = {f.name for f in selftest.CATALOGUE if f.category == "verdict"}
    assert verdict_faults <= killed
    assert len(doc["faults"]) == len(selftest.CATALOGUE)
    assert "kill rate" in (out / "selftest.md").read_text()
    assert "kill rate" in capsys.readouterr().out


def test_reference_faults_change_only_the_references_they_name():
    """The two faults of the exact references break fresh / the accumulating schemes and
    leave mix untouched (so a kill by categorical-exact is theirs)."""
    from contextlib import ExitStack

    from stl.numerics.exact import CategoricalLoopExact

    def moments(scheme, n_r):
        return CategoricalLoopExact((0.5, 0.3, 0.2), n=10, n_r=n_r, generations=3, scheme=scheme).heterozygosity()

    cases = {"exact-fresh-as-kept": ("fresh", 5), "exact-accumulating-lag": ("accumulate-subsample", 10)}
    for fault, (scheme, n_r) in cases.items():
        clean, clean_mix = moments(scheme, n_r), moments("mix", 5)
        with ExitStack() as stack:
            _fault(fault).apply(stack)
            broken, broken_mix = moments(scheme, n_r), moments("mix", 5)
        assert not (broken == clean).all() and (broken_mix == clean_mix).all(), fault
        assert (moments(scheme, n_r) == clean).all()           # undone when the stack closes
