"""Suites as data: names, kinds, and the quick suite end to end (slow)."""

import pytest

from stl.verify.errors import InputError
from stl.verify.suites import QUICK, SUITES, check_names, resolve


def test_names_unique_and_resolvable():
    names = check_names()
    assert len(names) == len(set(names))
    for name in names[:3]:
        assert [c.name for c in resolve([name])] == [name]


def test_quick_represents_every_theory_kind():
    kinds = {c.kind for c in resolve(["quick"])}
    assert {"validity", "tightness", "rates", "phase-transition", "closed-form", "optimum", "t2"} <= kinds


def test_full_contains_quick_and_t2():
    full = [c.name for c in resolve(["full"])]
    assert full[: len(QUICK)] == [f.name for f in QUICK]
    assert any(c.kind == "t2" for c in resolve(["full"]))


def test_unknown_name_lists_allowed():
    with pytest.raises(InputError, match="smoke, quick, full"):
        resolve(["quack"])


def _every_suite():
    """Every registered suite of ``stl verify`` and every size of ``stl atlas``, by name: a
    suite added later (``gpu``, a new atlas size) is covered without editing this test."""
    from stl.verify.checks import atlas

    out = [(f"verify:{name}", lambda name=name: resolve([name])) for name in SUITES]
    out += [(f"atlas:{size}", lambda size=size: [e.check(size) for e in atlas.entries(size)])
            for size in atlas.SIZES]
    return out


@pytest.mark.timeout(300)
@pytest.mark.parametrize("build", [b for _, b in _every_suite()], ids=[i for i, _ in _every_suite()])
def test_every_suite_builds_and_every_check_validates_without_running(build, monkeypatch):
    """Building a check validates its sizes against the code it calls (budgets, domains,
    metrics, estimator options); nothing may run: a task executed here fails the test."""
    from stl.verify.checks import task as task_module

    def refuse(*args, **kwargs):
        raise AssertionError("a task ran while a suite was only built")

    monkeypatch.setattr(task_module.Task, "run", refuse)
    checks = build()
    assert checks, "an empty suite"
    for check in checks:
        check.validate_sizes()                   # again, explicitly: construction already did
        assert check.tasks(0), f"{check.name} plans no work"


def test_a_check_too_large_for_its_exact_reference_is_refused_when_built():
    from stl.verify.checks.optimum import simulated_optimum_check

    with pytest.raises(InputError, match=r"check too-big: n: got 2100; allowed: .*exact tv_to_real fits"):
        simulated_optimum_check(n_r=100, grid=(0, 2000), generations=2, replicates=10, block=10, name="too-big")


@pytest.mark.parametrize("build,match", [
    (lambda: __import__("stl.verify.checks.exact", fromlist=["x"]).categorical_exact_check(
        name="acc", configs=({"scheme": "accumulate", "n": 4000, "lam": 0.0},), replicates=4, block=4),
     None),
    (lambda: __import__("stl.verify.checks.closed_forms", fromlist=["x"]).closed_form_check(
        "ols", "linreg_replace", "linreg", {"dim": "5"}, "test_error", n=5, generations=2), "check ols: n"),
    (lambda: __import__("stl.verify.checks.rates", fromlist=["x"]).exponent_check(
        "slope", "categorical", {"k": "4"}, "gen_gap", ns=(50, 100), expected=-1.0, margin=0.1), "ns"),
    (lambda: __import__("stl.verify.checks.rates", fromlist=["x"]).exponent_check(
        "metric", "categorical", {"k": "4"}, "variance", ns=(50, 100, 200), expected=-1.0, margin=0.1),
     "--metric"),
    (lambda: __import__("stl.verify.checks.exact", fromlist=["x"]).t1_pieces_check(
        name="pieces", scheme="accumulate", lam=0.0, replicates=4, block=4), "scheme"),
    (lambda: __import__("stl.verify.checks.phase", fromlist=["x"]).l2_attained_check(
        "edge", model="gain-bernoulli", cells=({"lam": 0.5, "params": {"gain": "2"}},), n=1000), "ρ = 1"),
    (lambda: __import__("stl.verify.checks.validity", fromlist=["x"]).t1_validity_check(
        "gaussian", {"dim": "1"}, n=30, replicates=1, name="one"), "replicates"),
    (lambda: __import__("stl.verify.checks.exact", fromlist=["x"]).categorical_exact_check(
        name="k", params={"k": "1"}), "--param k"),
])
def test_construction_refuses_what_the_run_would_refuse(build, match):
    if match is None:        # accumulate: exact moments, no enumeration: any size is fine
        assert build().name == "acc"
        return
    with pytest.raises(InputError, match=match):
        build()


def test_building_a_suite_imports_no_torch():
    import subprocess
    import sys

    code = ("import sys; from stl.verify.suites import resolve; resolve(['full']); "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


@pytest.mark.slow
def test_quick_suite_decides_every_check(tmp_path):
    import json

    from stl.verify.cli.main import main

    code = main(["verify", "--suite", "quick", "--out", str(tmp_path / "q"), "--quiet"])
    doc = json.loads((tmp_path / "q" / "report.json").read_text())
    assert code == 0
    assert doc["summary"] == {"pass": len(SUITES["quick"]), "fail": 0, "inconclusive": 0, "error": 0}


def test_quick_holds_every_scheme_against_an_exact_reference():
    from stl.numerics.schemes import SCHEMES

    exact = [c for c in resolve(["quick"]) if c.name == "categorical-exact"][0]
    assert {cfg["scheme"] for cfg in exact.parameters["configs"]} == set(SCHEMES)
