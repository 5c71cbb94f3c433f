"""The hardening items of issue 14, each reproduced: once a traceback, a hang or a silent
wrong result, now one clear line with exit status 2 — or the correct behaviour.

(The symbolic-expression items — large numbers in the parser, time-boxed symbolic work,
empty or repeated ``--limit``/``--rate`` — are tested with the theory layer.)
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from stl.verify.cli.main import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(code, err, arg):
    lines = [line for line in err.splitlines() if line.strip()]
    return code == 2 and len(lines) == 1 and arg in lines[0] and "Traceback" not in err


# -- runs too large for memory: bound had no refusal (numpy MemoryError tracebacks) ------

@pytest.mark.parametrize("argv", [
    ["bound", "categorical", "--replicates", "1000000000"],
    ["bound", "categorical", "--est-replicates", "1000000000"],
    ["bound", "categorical", "--generations", "1000000000"],
    ["stability", "categorical", "--replicates", "1000000000"],
    ["simulate", "categorical", "--replicates", "1000000000"],
])
@pytest.mark.timeout(120)  # refused, not attempted (an attempt would run for hours)
def test_runs_beyond_memory_are_refused_before_starting(capsys, argv):
    code, _, err = run(capsys, *argv, "--quiet")
    assert one_line(code, err, "--"), err


# -- integers above 64 bits: "Maximum allowed dimension exceeded" tracebacks ------------

@pytest.mark.parametrize("argv,arg", [
    (["simulate", "categorical", "--replicates", "99999999999999999999"], "--replicates"),
    (["stability", "categorical", "--replicates", "99999999999999999999"], "--replicates"),
    (["bound", "categorical", "--n", "99999999999999999999"], "--n"),
    (["optimize", "synthetic-size", "--n-real", "99999999999999999999"], "--n-real"),
    (["sweep", "categorical", "--n", "99999999999999999999"], "--n"),
    (["verify", "--seed", "99999999999999999999"], "--seed"),
])
def test_integers_above_64_bits_are_refused(capsys, argv, arg):
    code, _, err = run(capsys, *argv)
    assert one_line(code, err, arg), err


# -- runs with no upper limit ran on silently ------------------------------------------

@pytest.mark.parametrize("argv", [
    ["simulate", "categorical", "--param", "k=10000", "--replicates", "1000000"],
    ["simulate", "categorical", "--generations", "10000000"],
    ["simulate", "categorical", "--replicates", "1000000", "--max-time", "10"],
])
@pytest.mark.timeout(120)  # refused, not attempted
def test_work_beyond_the_budget_is_refused_with_the_estimate(capsys, argv):
    code, _, err = run(capsys, *argv, "--quiet")
    assert one_line(code, err, "--n/--replicates/--generations"), err
    assert "about" in err


def test_a_run_within_budget_still_runs(capsys):
    code, out, _ = run(capsys, "simulate", "categorical", "--n", "20", "--generations", "2", "--replicates", "10",
                       "--max-time", "5", "--quiet", "--format", "json")
    assert code == 0 and json.loads(out)["records"]


# -- --device cuda without CUDA was accepted and recorded as "cuda" ------------------------

def test_cuda_refused_for_numpy_models_and_device_used_recorded(capsys):
    code, _, err = run(capsys, "simulate", "categorical", "--device", "cuda", "--quiet")
    assert one_line(code, err, "--device"), err
    code, out, _ = run(capsys, "simulate", "categorical", "--n", "10", "--generations", "1", "--replicates", "3",
                       "--format", "json", "--quiet")
    cfg = json.loads(out)["config"]
    assert cfg["device"] == "cpu" == cfg["provenance"]["device"]


# -- empty values were silently dropped -------------------------------------------------

@pytest.mark.parametrize("argv,arg", [
    (["simulate", "categorical", "--out", ""], "--out"),
    (["stability", "categorical", "--out", ""], "--out"),
    (["verify", "--suite", "smoke-optimum", "--out", ""], "--out"),
    (["sweep", "categorical", "--out", ""], "--out"),
    (["plot", "x.csv", "--out", ""], "--out"),
    (["simulate", "categorical", "--config", ""], "--config"),
])
def test_empty_values_are_refused(capsys, argv, arg):
    code, _, err = run(capsys, *argv)
    assert one_line(code, err, arg), err


# -- no lock on stl verify --out: two runs both exited 0 into one directory ----------------

def test_a_second_verify_into_a_locked_directory_is_refused(tmp_path, capsys):
    from stl.verify.plumbing.lock import DirectoryLock

    out = tmp_path / "report"
    with DirectoryLock(out):
        code, _, err = run(capsys, "verify", "--suite", "smoke-optimum", "--out", str(out), "--quiet")
    assert one_line(code, err, "--out") and "holds" in err, err
    assert not (out / "report.json").exists()
    code, _, _ = run(capsys, "verify", "--suite", "smoke-optimum", "--out", str(out), "--quiet")
    assert code == 0 and (out / "report.json").exists()


def test_two_concurrent_verify_processes_cannot_share_a_directory(tmp_path):
    """The original failure: two runs with different seeds into one directory both exited 0,
    leaving a report that disagreed with the stored checks."""
    out = tmp_path / "report"
    cmd = [sys.executable, "-m", "stl.verify.cli.main", "verify", "--out", str(out), "--quiet", "--no-figures"]
    long_suite = ["--suite", "smoke", "t1-validity-categorical", "t1-validity-kde", "t1-validity-gaussian",
                  "t3-simulated-optimum", "t1-validity-linreg"]
    first = subprocess.Popen([*cmd, *long_suite, "--seed", "1"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and not (out / "checks").exists():
            time.sleep(0.05)
        second = subprocess.run([*cmd, "--suite", "closed-form-wright-fisher", "--seed", "2"], capture_output=True, text=True,
                                timeout=120)
        running = first.poll() is None
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    assert running, "the first run ended before the second one tried"
    assert second.returncode == 2 and "--out" in second.stderr and "holds" in second.stderr, second.stderr
    assert not (out / "checks" / "closed-form-wright-fisher.json").exists()  # the refused run wrote nothing
    assert not (out / "report.json").exists()


# -- a hand-corrupted store crashed verify and kept it stuck -------------------------------

@pytest.mark.parametrize("damage", ["deep", "directory", "fifo", "dangling"])
def test_a_corrupted_store_is_detected_reported_and_recomputed(tmp_path, capsys, damage):
    out = tmp_path / "report"
    code, first, _ = run(capsys, "verify", "--suite", "smoke-optimum", "--out", str(out), "--quiet",
                         "--no-figures", "--format", "json")
    assert code == 0
    path = out / "checks" / "smoke-optimum.json"
    path.unlink()
    if damage == "deep":
        path.write_text("[" * 200_000 + "]" * 200_000)  # RecursionError in json
    elif damage == "directory":
        path.mkdir()  # IsADirectoryError
    elif damage == "fifo":
        os.mkfifo(path)  # reading it would block for ever
    else:
        path.symlink_to(tmp_path / "nowhere")
    code, again, err = run(capsys, "verify", "--suite", "smoke-optimum", "--out", str(out), "--quiet",
                           "--no-figures", "--format", "json")
    assert code == 0 and "Traceback" not in err
    assert "smoke-optimum.json: corrupt" in err and "recomputing" in err
    strip = lambda doc: [(c["name"], c["verdict"], c["measured"]) for c in json.loads(doc)["checks"]]
    assert strip(again) == strip(first)
    code, _, err = run(capsys, "verify", "--suite", "smoke-optimum", "--out", str(out), "--quiet", "--no-figures")
    assert code == 0 and "corrupt" not in err  # not stuck: the third run reuses the repaired file
    assert json.loads((out / "run.json").read_text())["reused"] == ["smoke-optimum"]


# -- temporary files were never cleaned up -------------------------------------------------

def test_simulate_removes_leftover_temporaries_on_start(tmp_path, capsys):
    target = tmp_path / "run.json"
    dead = tmp_path / ".run.json.999999999.k3j2h1.tmp"  # a process id no process has
    legacy = tmp_path / ".run.json.k3j2h1.tmp"           # an older writer's name
    live = tmp_path / f".run.json.{os.getpid()}.k3j2h1.tmp"  # a concurrent writer (this process)
    other = tmp_path / ".other.json.999999999.k3j2h1.tmp"
    for p in (dead, legacy, live, other):
        p.write_text("cut off by kill -9")
    code, _, err = run(capsys, "simulate", "categorical", "--n", "10", "--generations", "1", "--replicates", "3",
                       "--out", str(target))
    assert code == 0 and target.exists()
    assert not dead.exists() and not legacy.exists()
    assert live.exists() and other.exists()  # not ours to remove
    assert "removed" in err


def test_verify_removes_leftover_temporaries_in_its_directory(tmp_path, capsys):
    out = tmp_path / "report"
    (out / "checks").mkdir(parents=True)
    leftovers = [out / ".report.json.999999999.abc.tmp", out / ".run.json.999999999.abc.tmp",
                 out / ".report.md.abc123.tmp", out / "checks" / ".smoke-optimum.json.999999999.abc.tmp"]
    for p in leftovers:
        p.write_text("half")
    code, _, err = run(capsys, "verify", "--suite", "smoke-optimum", "--out", str(out), "--quiet", "--no-figures")
    assert code == 0
    assert not any(p.exists() for p in leftovers)
    assert err.count("interrupted") == len(leftovers)


def test_a_termination_signal_during_a_write_removes_the_temporary(tmp_path, capsys, monkeypatch):
    """SIGTERM while the file is being written: the temporary goes, exit status 130."""
    from stl.kernel import atomic

    real_fsync = os.fsync

    def fsync_then_terminated(fd):
        real_fsync(fd)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(atomic.os, "fsync", fsync_then_terminated)
    target = tmp_path / "run.csv"
    code, _, err = run(capsys, "simulate", "categorical", "--n", "10", "--generations", "1", "--replicates", "3",
                       "--out", str(target))
    assert code == 130 and "interrupted" in err
    assert list(tmp_path.iterdir()) == []  # neither the file nor a temporary


def test_a_terminated_simulate_process_leaves_nothing_behind(tmp_path):
    target = tmp_path / "run.parquet"
    proc = subprocess.Popen([sys.executable, "-m", "stl.verify.cli.main", "simulate", "categorical", "--n", "2000",
                             "--replicates", "2000", "--generations", "400", "--quiet", "--out", str(target)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "interrupted" in err
    assert [p.name for p in tmp_path.iterdir()] == []


# -- found by the fuzz: a rejected value with a line break made a two-line error ------------

@pytest.mark.parametrize("argv,arg", [
    (["simulate", "categorical", "--n", "1\n2"], "--n"),
    (["optimize", "synthetic-size", "--n-real", "100", "--subs", "M=n\nopen('PWNED','w')"], "--subs M"),
    (["sweep", "categorical", "--param", "k=3\n4"], "k"),
])
def test_an_echoed_line_break_stays_on_the_error_line(capsys, argv, arg):
    code, _, err = run(capsys, *argv)
    assert one_line(code, err, arg), err
    assert "\\n" in err


# -- the memory budget sees the limits a process runs under -----------------------------

def test_an_address_space_limit_lowers_the_memory_budget():
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30)); "
            "from stl.verify.budget import available_bytes; print(available_bytes() < 3 * 2**30)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


# -- found by the fuzz: a file name over 255 bytes made Path.exists() raise (traceback) ------

@pytest.mark.parametrize("argv,arg", [
    (["stability", "categorical", "--out", "a" * 300 + ".json"], "--out"),
    (["simulate", "categorical", "--out", "a" * 300 + ".json"], "--out"),
    (["verify", "--suite", "smoke-optimum", "--out", "a" * 300], "--out"),
    (["sweep", "categorical", "--out", "a" * 300 + ".csv"], "--out"),
    (["plot", "a" * 300 + ".csv"], "FILE"),
    (["simulate", "categorical", "--config", "a" * 300 + ".toml"], "--config"),
    (["simulate", "categorical", "--out", "a\x00.json"], "--out"),
])
def test_impossible_file_names_are_one_line(capsys, argv, arg):
    code, _, err = run(capsys, *argv)
    assert one_line(code, err, arg), err
