"""Runner: results stored as they finish; an interrupted run resumes without losing any."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from stl.verify.plumbing.backends import LocalBackend
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


# -- resume inside a check: finished tasks are stored, a resumed check continues -----------

def _block(first, log, flag):
    import numpy as np

    with open(log, "a") as fh:
        fh.write(f"{first}\n")
    # the flag file (not a parameter: parameters define the check) holds after how many
    # tasks the "kill" comes
    if os.path.exists(flag) and len(Path(log).read_text().split()) > int(Path(flag).read_text()):
        raise KeyboardInterrupt("killed inside the check")
    rng = np.random.default_rng([7, first])
    return {"values": rng.normal(size=(5, 3)), "method": "demo", "proxy": False, "first": (first, float(first))}


def _blocks_plan(p, seed):
    return [Task(_block, {"first": f, "log": p["log"], "flag": p["flag"]}, ("block", f))
            for f in range(0, 40, 5)]


def _blocks_conclude(p, seed, outs):
    import numpy as np

    rows = np.concatenate([o["values"] for o in outs.group(("block",))])
    mm = Measurement.exact(float(rows.mean()))
    return Outcome(mm, 10.0, "<=", at_most(mm, 10.0), details={"firsts": [o["first"][0] for o in outs]})


def blocks_check(log, stop_after=0):
    flag = log.with_name("stop_after")
    if stop_after:
        flag.write_text(str(stop_after))
    elif flag.exists():
        flag.unlink()
    return Check("blocks", "validity", "mean ≤ 10", "", {"log": str(log), "flag": str(flag)},
                 _blocks_plan, _blocks_conclude)


def test_a_check_killed_midway_resumes_from_its_stored_tasks(tmp_path):
    log = tmp_path / "log.txt"
    store = ResultStore(tmp_path / "out")
    with pytest.raises(KeyboardInterrupt):
        run_checks([blocks_check(log, stop_after=5)], 0, LocalBackend(1), store)
    assert len(list((tmp_path / "out" / "tasks" / "blocks").glob("*.task"))) == 5
    log.write_text("")
    run = run_checks([blocks_check(log, stop_after=0)], 0, LocalBackend(1), store)
    assert log.read_text().split() == ["25", "30", "35"]            # only the missing blocks ran
    assert run.resumed == {"blocks": (5, 8)} and run.issues == ()
    assert not (tmp_path / "out" / "tasks").exists()                # folded into the stored result
    clean = blocks_check(log).run(seed=0)
    assert run.results[0].measured == clean.measured                 # bit-identical to a clean run
    assert run.results[0].details == clean.details


def test_a_damaged_stored_task_is_reported_and_recomputed(tmp_path):
    log = tmp_path / "log.txt"
    store = ResultStore(tmp_path / "out")
    with pytest.raises(KeyboardInterrupt):
        run_checks([blocks_check(log, stop_after=3)], 0, LocalBackend(1), store)
    tasks = sorted((tmp_path / "out" / "tasks" / "blocks").glob("*.task"))
    tasks[0].write_bytes(tasks[0].read_bytes()[:-10])      # truncated
    tasks[1].unlink()
    tasks[1].mkdir()                                        # a directory in its place
    log.write_text("")
    run = run_checks([blocks_check(log)], 0, LocalBackend(1), store)
    assert sorted(i.problem for i in run.issues) == ["corrupt", "corrupt"]
    assert log.read_text().split()[:2] == ["0", "5"]
    assert run.results[0].measured == blocks_check(log).run(seed=0).measured


def test_a_stored_task_of_another_seed_is_not_reused(tmp_path):
    log = tmp_path / "log.txt"
    store = ResultStore(tmp_path / "out")
    with pytest.raises(KeyboardInterrupt):
        run_checks([blocks_check(log, stop_after=3)], 0, LocalBackend(1), store)
    log.write_text("")
    run = run_checks([blocks_check(log)], 1, LocalBackend(1), store)
    assert run.resumed == {} and len(log.read_text().split()) == 8


def test_the_codec_round_trips_task_outputs_exactly():
    import numpy as np
    from stl.verify.plumbing import codec

    out = {"values": np.array([[0.1, np.nan, np.inf]]), "ints": np.arange(3, dtype=np.int32), "m": "exact",
           "p": True, "t": (1, 2.5, None), "f": float("-inf"), "nested": [{"a": np.float64(1e-300)}],
           "keys": {1: "one"}}
    back = codec.loads(codec.dumps(out))
    assert back["values"].tobytes() == out["values"].tobytes() and back["ints"].dtype == np.int32
    assert back["t"] == (1, 2.5, None) and back["f"] == float("-inf") and back["keys"] == {1: "one"}
    assert back["nested"][0]["a"] == 1e-300 and back["p"] is True
    with pytest.raises(codec.Unsupported):
        codec.dumps({"x": object()})
    with pytest.raises(codec.Unsupported):
        codec.dumps(np.array([object()]))
    with pytest.raises(ValueError):
        codec.loads(b"not an archive")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_cli_run_killed_inside_a_check_resumes_inside_it(tmp_path, sig):
    """kill -9 (no cleanup possible) or SIGTERM (cleanup, exit 130) in the middle of a
    multi-task check: the rerun continues from the stored tasks, leaves no temporary
    file, and reports the same numbers as a clean run."""
    out = tmp_path / "killed"
    suite = ["t3-simulated-optimum"]  # twelve tasks of a third of a second each
    proc = subprocess.Popen(_stl("verify", "--suite", *suite, "--out", str(out), "--quiet", "--no-figures"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    tasks = out / "tasks" / suite[0]
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if tasks.exists() and len(list(tasks.glob("*.task"))) >= 2:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the check finished before it could be interrupted"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    if sig == signal.SIGTERM:
        assert proc.returncode == 130 and "interrupted" in err
    stored = len(list(tasks.glob("*.task")))
    assert stored >= 2
    done = subprocess.run(_stl("verify", "--suite", *suite, "--out", str(out), "--quiet", "--no-figures",
                               "--format", "json"), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    info = json.loads((out / "run.json").read_text())
    assert info["resumed"][suite[0]]["tasks_reused"] >= stored - 1  # a task cut mid-write is redone
    assert not list(out.rglob("*.tmp")) and not (out / "tasks").exists()
    clean = subprocess.run(_stl("verify", "--suite", *suite, "--out", str(tmp_path / "clean"), "--quiet",
                                "--no-figures", "--format", "json"), capture_output=True, text=True)
    numbers = lambda doc: [(c["name"], c["verdict"], c["measured"], c["predicted"], c["details"])
                           for c in json.loads(doc)["checks"]]
    assert numbers(done.stdout) == numbers(clean.stdout)
