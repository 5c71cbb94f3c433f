"""Runner: results stored as they finish; an interrupted run resumes without losing any."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stl.verify.backends import LocalBackend
from stl.verify.checks.check import Check, Outcome
from stl.verify.checks.measurement import Measurement
from stl.verify.checks.task import Task
from stl.verify.checks.verdicts import at_most
from stl.verify.runner import run_checks
from stl.verify.store import ResultStore


def _task(value, log, fail_flag):
    with open(log, "a") as fh:
        fh.write(f"{value}\n")
    if fail_flag and os.path.exists(fail_flag):
        raise KeyboardInterrupt("simulated interruption")
    return value


def _plan(p, seed):
    return [Task(_task, {"value": p["value"], "log": p["log"], "fail_flag": p["fail_flag"]})]


def _conclude(p, seed, outs):
    mm = Measurement.exact(outs[0])
    return Outcome(mm, 10.0, "<=", at_most(mm, 10.0))


def make(name, value, log, fail_flag=""):
    return Check(name, "validity", "v ≤ 10", "", {"value": value, "log": str(log), "fail_flag": str(fail_flag)},
                 _plan, _conclude)


def test_interrupted_run_resumes_and_skips_finished(tmp_path):
    log = tmp_path / "log.txt"
    flag = tmp_path / "interrupt"
    checks = [make("a", 1, log), make("b", 2, log, flag), make("c", 3, log)]
    store = ResultStore(tmp_path / "out")
    flag.write_text("x")
    with pytest.raises(KeyboardInterrupt):
        run_checks(checks, 0, LocalBackend(1), store)
    assert (tmp_path / "out" / "checks" / "a.json").exists()      # finished before the interruption
    assert not (tmp_path / "out" / "checks" / "b.json").exists()
    flag.unlink()
    log.write_text("")
    run = run_checks(checks, 0, LocalBackend(1), store)
    assert run.reused == ("a",)
    assert log.read_text().split() == ["2", "3"]                   # a was not recomputed
    assert [r.verdict for r in run.results] == ["pass", "pass", "pass"]
    # a third run recomputes nothing
    log.write_text("")
    run = run_checks(checks, 0, LocalBackend(1), store)
    assert set(run.reused) == {"a", "b", "c"} and log.read_text() == ""


def test_corrupted_file_is_recomputed_and_reported(tmp_path):
    log = tmp_path / "log.txt"
    checks = [make("a", 1, log)]
    store = ResultStore(tmp_path / "out")
    first = run_checks(checks, 0, LocalBackend(1), store)
    path = tmp_path / "out" / "checks" / "a.json"
    path.write_text(path.read_text().replace('"measured": 1.0', '"measured": 0.5'))
    again = run_checks(checks, 0, LocalBackend(1), store)
    assert again.reused == ()
    assert len(again.issues) == 1 and again.issues[0].problem == "corrupt"
    strip = lambda d: {k: v for k, v in d.items() if k != "runtime_s"}
    assert strip(again.results[0].to_dict()) == strip(first.results[0].to_dict())
    assert run_checks(checks, 0, LocalBackend(1), store).reused == ("a",)  # repaired file trusted


def _stl(*args, cwd=None):
    return [sys.executable, "-m", "stl.verify.cli.main", *args]


def test_killed_cli_run_resumes_to_the_same_report(tmp_path):
    """Kill ``stl verify`` after its first stored check; the resumed report equals a clean run."""
    out = tmp_path / "killed"
    suite = ["smoke-closed-form-wright-fisher", "smoke-t1-validity-categorical"]  # fast, then slow
    proc = subprocess.Popen(_stl("verify", "--suite", *suite, "--out", str(out), "--quiet", "--no-figures"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    checks_dir = out / "checks"
    while time.time() < deadline and proc.poll() is None:
        if checks_dir.exists() and any(checks_dir.glob("*.json")):
            break
        time.sleep(0.05)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored_before = sorted(p.name for p in checks_dir.glob("*.json"))
    assert stored_before, "the first check should have been stored before the kill"
    done = subprocess.run(_stl("verify", "--suite", *suite, "--out", str(out), "--quiet", "--no-figures",
                               "--format", "json"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    resumed = json.loads(done.stdout)
    run_info = json.loads((out / "run.json").read_text())
    assert set(run_info["reused"]) == {Path(n).stem for n in stored_before}
    assert run_info["store_issues"] == []
    # no check lost or duplicated by the kill
    assert [c["name"] for c in resumed["checks"]] == suite
    clean = subprocess.run(_stl("verify", "--suite", *suite, "--out", str(tmp_path / "clean"), "--quiet",
                                "--no-figures", "--format", "json"), capture_output=True, text=True)
    fresh = json.loads(clean.stdout)

    def numbers(rep):
        return [(c["name"], c["verdict"], c["measured"], c["predicted"]) for c in rep["checks"]]

    assert numbers(resumed) == numbers(fresh)
