"""A check that raises ends only itself: verdict ``error``, the rest runs, the report is written.

The failures are planted with a flag file (not a parameter: parameters define a check, so
a resumed run must see the same check with the fault gone).
"""

import json
import os
from pathlib import Path

import pytest

from stl.verify.plumbing.backends import LocalBackend
from stl.verify.checks.check import Check, Outcome
from stl.verify.checks.measurement import Measurement
from stl.verify.checks.task import Task
from stl.verify.checks.verdicts import at_most
from stl.verify.runner import run_checks
from stl.verify.store import ResultStore


def _value(value, log, flag, where):
    with open(log, "a") as fh:
        fh.write(f"{value}\n")
    if where == "task" and Path(flag).exists() and int(value) == 3:
        raise ValueError(f"n: got {value}; allowed: a size whose enumeration fits the budget")
    if where == "worker" and Path(flag).exists():
        os._exit(3)          # a worker process dies (as when the kernel kills it for memory)
    return float(value)


def _plan(p, seed):
    if p["where"] == "plan" and Path(p["flag"]).exists():
        raise RuntimeError("cannot plan")
    return [Task(_value, {"value": v, "log": p["log"], "flag": p["flag"], "where": p["where"]}, ("v", v))
            for v in p["values"]]


def _conclude(p, seed, outs):
    if p["where"] == "conclude" and Path(p["flag"]).exists():
        raise ZeroDivisionError("division by zero in the conclusion")
    m = Measurement.exact(max(outs))
    return Outcome(m, 10.0, "<=", at_most(m, 10.0))


def make(name, values, tmp_path, where="none"):
    return Check(name, "validity", "every value ≤ 10", "",
                 {"values": list(values), "log": str(tmp_path / "log.txt"), "flag": str(tmp_path / "flag"),
                  "where": where}, _plan, _conclude)


def _ran(tmp_path):
    log = tmp_path / "log.txt"
    return sorted(map(int, log.read_text().split())) if log.exists() else []


@pytest.mark.parametrize("where", ["task", "plan", "conclude"])
def test_a_raising_check_is_an_error_and_the_others_run(tmp_path, where):
    checks = [make("before", [1, 2], tmp_path), make("broken", [3, 4], tmp_path, where),
              make("after", [5, 6], tmp_path)]
    (tmp_path / "flag").write_text("x")     # after construction, which plans (and validates) once
    run = run_checks(checks, 0, LocalBackend(1))
    assert [r.verdict for r in run.results] == ["pass", "error", "pass"]
    assert run.errors == ("broken",)
    broken = run.results[1]
    expected = {"task": ("task v 3", "ValueError: n: got 3"), "plan": ("plan", "RuntimeError: cannot plan"),
                "conclude": ("conclude", "ZeroDivisionError: division by zero")}[where]
    assert broken.details["where"] == expected[0] and broken.details["error"].startswith(expected[1])
    assert "Traceback" in broken.details["traceback"] and broken.measured is None
    assert 5 in _ran(tmp_path) and 6 in _ran(tmp_path)          # the check after it ran


def test_an_error_in_a_process_pool_is_recorded_like_in_process(tmp_path):
    (tmp_path / "flag").write_text("x")
    checks = [make("before", [1, 2], tmp_path), make("broken", [3, 4], tmp_path, "task"),
              make("after", [5, 6], tmp_path)]
    with LocalBackend(2) as backend:
        run = run_checks(checks, 0, backend)
    assert [r.verdict for r in run.results] == ["pass", "error", "pass"]
    assert run.results[1].details["error"].startswith("ValueError: n: got 3")


def test_a_dead_worker_errs_the_unfinished_checks_and_the_run_still_returns(tmp_path):
    (tmp_path / "flag").write_text("x")
    checks = [make("ok", [1], tmp_path), make("killer", [2], tmp_path, "worker")]
    with LocalBackend(2) as backend:
        run = run_checks(checks, 0, backend)
    by_name = {r.name: r for r in run.results}
    assert by_name["killer"].verdict == "error"
    assert by_name["killer"].details["where"] in ("backend", "task v 2")
    assert by_name["ok"].verdict in ("pass", "error")      # it may have been in flight when the pool broke


def test_resuming_reruns_only_the_checks_that_errored_and_only_their_missing_tasks(tmp_path):
    store = ResultStore(tmp_path / "out")
    (tmp_path / "flag").write_text("x")
    checks = [make("before", [1, 2], tmp_path), make("broken", [3, 4], tmp_path, "task")]
    first = run_checks(checks, 0, LocalBackend(1), store)
    assert [r.verdict for r in first.results] == ["pass", "error"]
    assert not (tmp_path / "out" / "checks" / "broken.json").exists()    # an error is never stored
    assert len(list((tmp_path / "out" / "tasks" / "broken").glob("*.task"))) == 1   # task 4 finished
    (tmp_path / "flag").unlink()
    (tmp_path / "log.txt").write_text("")
    again = run_checks(checks, 0, LocalBackend(1), store)
    assert again.reused == ("before",) and again.resumed == {"broken": (1, 2)}
    assert _ran(tmp_path) == [3]                                            # only the task that raised
    assert [r.verdict for r in again.results] == ["pass", "pass"]
    assert again.results[1].measured.value == 4.0


def test_an_error_in_the_conclusion_keeps_every_task_for_the_resume(tmp_path):
    store = ResultStore(tmp_path / "out")
    (tmp_path / "flag").write_text("x")
    checks = [make("broken", [3, 4], tmp_path, "conclude")]
    assert run_checks(checks, 0, LocalBackend(1), store).errors == ("broken",)
    (tmp_path / "flag").unlink()
    (tmp_path / "log.txt").write_text("")
    again = run_checks(checks, 0, LocalBackend(1), store)
    assert _ran(tmp_path) == [] and again.resumed == {"broken": (2, 2)}
    assert again.results[0].verdict == "pass"


# -- through the command line: exit status, report, resume -------------------------------------

def _broken_check(name, tmp_path):
    return make(name, [3, 4], Path(tmp_path), "task")


def _fine_check(name, tmp_path):
    return make(name, [1, 2], Path(tmp_path))


def test_stl_verify_with_a_broken_check_writes_the_report_and_exits_1(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    from stl.verify import suites
    from stl.verify.cli.main import main
    from stl.verify.plumbing.frozen import FrozenDict
    from stl.verify.report import validate_report

    planted = (suites.Factory("fine-first", _fine_check, {"tmp_path": str(tmp_path)}),
               suites.Factory("broken-check", _broken_check, {"tmp_path": str(tmp_path)}),
               suites.SMOKE[-1])
    monkeypatch.setattr(suites, "SUITES", FrozenDict({**suites.SUITES, "planted": planted}))
    (tmp_path / "flag").write_text("x")
    out = tmp_path / "report"
    code = main(["verify", "--suite", "planted", "--out", str(out), "--quiet"])
    stdout, stderr = capsys.readouterr()
    assert code == 1
    assert "check broken-check raised in task v 3: ValueError: n: got 3" in stderr
    assert stdout.splitlines()[0].split()[:2] == ["broken-check", "error"]     # errors first
    doc = json.loads((out / "report.json").read_text())
    assert validate_report(doc, strict=True) == []
    assert doc["summary"] == {"pass": 2, "fail": 0, "inconclusive": 0, "error": 1}
    assert [c["verdict"] for c in doc["checks"]] == ["pass", "error", "pass"]
    assert (out / "report.md").read_text().count("broken-check") >= 3 and list((out / "figures").glob("*.png"))
    # fixed: the resumed run re-runs only the broken check and exits 0
    (tmp_path / "flag").unlink()
    assert main(["verify", "--suite", "planted", "--out", str(out), "--quiet"]) == 0
    capsys.readouterr()
    run_info = json.loads((out / "run.json").read_text())
    assert sorted(run_info["reused"]) == sorted(["fine-first", suites.SMOKE[-1].name])
    assert run_info["resumed"] == {"broken-check": {"tasks_reused": 1, "tasks": 2}}
