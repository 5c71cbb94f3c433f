"""Result store: atomic per-check files, checksum and fingerprint, corruption detection."""

import json

import pytest

from stl.verify.checks.check import CheckResult
from stl.verify.checks.measurement import Measurement
from stl.verify.store import FORMAT, ResultStore, fingerprint


def result(name="c1", verdict="pass"):
    return CheckResult(name, "validity", "claim", "", {"n": 10}, Measurement.exact(0.1), 0.2, "<=",
                       verdict, 0.5, 7, {"summary": "s"})


def test_save_and_load(tmp_path):
    store = ResultStore(tmp_path)
    fp = fingerprint("c1", "validity", {"n": 10}, 7)
    store.save(result(), fp)
    doc = json.loads((tmp_path / "checks" / "c1.json").read_text())
    assert doc["format"] == FORMAT and len(doc["sha256"]) == 64
    assert store.load("c1", fp).to_dict() == result().to_dict()
    assert store.load("absent", fp) is None


@pytest.mark.parametrize("damage,problem", [
    (lambda t: t[: len(t) // 2], "corrupt"),                                   # truncated
    (lambda t: t.replace('"verdict": "pass"', '"verdict": "fail"'), "corrupt"),  # edited
    (lambda t: json.dumps({"hello": "world"}), "foreign"),                     # someone else's file
    (lambda t: "not json at all", "corrupt"),
])
def test_damaged_files_are_reported_not_trusted(tmp_path, damage, problem):
    store = ResultStore(tmp_path)
    fp = fingerprint("c1", "validity", {"n": 10}, 7)
    store.save(result(), fp)
    path = tmp_path / "checks" / "c1.json"
    path.write_text(damage(path.read_text()))
    got, issue = store.lookup("c1", fp)
    assert got is None
    assert issue is not None and issue.problem == problem
    assert "recomputing" in issue.line()


def test_other_seed_or_parameters_is_stale(tmp_path):
    store = ResultStore(tmp_path)
    store.save(result(), fingerprint("c1", "validity", {"n": 10}, 7))
    got, issue = store.lookup("c1", fingerprint("c1", "validity", {"n": 10}, 8))
    assert got is None and issue.problem == "stale"
    got, issue = store.lookup("c1", fingerprint("c1", "validity", {"n": 11}, 7))
    assert got is None and issue.problem == "stale"


def test_out_must_be_a_directory(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    from stl.verify.errors import InputError

    with pytest.raises(InputError):
        ResultStore(f)


def test_written_files_get_the_usual_permissions(tmp_path):
    """mkstemp files are 0600; an atomic write must not make reports private."""
    import os

    from stl.kernel.atomic import write_text_atomic

    old = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "r.json", "{}")
    finally:
        os.umask(old)
    assert (tmp_path / "r.json").stat().st_mode & 0o777 == 0o644


def test_leftover_temporary_of_a_killed_write_is_swept_and_reported(tmp_path):
    from stl.verify.plumbing.backends import LocalBackend
    from stl.verify.runner import run_checks
    from stl.verify.suites import resolve

    store = ResultStore(tmp_path)
    store.dir.mkdir(parents=True)
    tmp = store.dir / ".smoke-optimum.json.abc123.tmp"
    tmp.write_text('{"format": "stl-verify-ch')   # a write cut off by kill -9
    run = run_checks(resolve(["smoke-optimum"]), seed=0, backend=LocalBackend(1), store=store)
    assert not tmp.exists()
    assert [i.problem for i in run.issues] == ["interrupted"]
    assert [r.name for r in run.results] == ["smoke-optimum"]


def test_results_of_older_conclusion_rules_are_not_reused(monkeypatch):
    """A verdict rule fixed without a version bump must not be hidden by a stored result."""
    import stl.verify.store as vs

    before = fingerprint("c1", "validity", {"n": 10}, 7)
    monkeypatch.setattr(vs, "RULES_REVISION", vs.RULES_REVISION + 1)
    assert fingerprint("c1", "validity", {"n": 10}, 7) != before


@pytest.mark.parametrize("make,reason", [
    (lambda p: p.write_text("[" * 100_000 + "]" * 100_000), "nested too deeply"),   # RecursionError before
    (lambda p: p.mkdir(), "a directory"),                                           # IsADirectoryError before
    (lambda p: __import__("os").mkfifo(p), "not a regular file"),                   # would block for ever
    (lambda p: p.symlink_to(p.with_name("nowhere")), "a link to nothing"),
])
def test_unreadable_store_entries_are_issues_and_saving_repairs_them(tmp_path, make, reason):
    store = ResultStore(tmp_path)
    store.prepare()
    fp = fingerprint("c1", "validity", {"n": 10}, 7)
    make(store.path("c1"))
    got, issue = store.lookup("c1", fp)
    assert got is None and issue.problem == "corrupt" and reason in issue.reason
    store.save(result(), fp)  # a directory in the way is moved aside, not deleted
    assert store.load("c1", fp).verdict == "pass"
    if reason == "a directory":
        assert (store.dir / "c1.json.damaged").is_dir()


def test_an_oversized_file_is_not_read(tmp_path, monkeypatch):
    import stl.verify.store as vs

    store = ResultStore(tmp_path)
    fp = fingerprint("c1", "validity", {"n": 10}, 7)
    store.save(result(), fp)
    monkeypatch.setattr(vs, "MAX_READ_BYTES", 10)
    got, issue = store.lookup("c1", fp)
    assert got is None and "more than a stored file can be" in issue.reason


def test_a_live_writers_temporary_is_left_alone(tmp_path):
    import os

    store = ResultStore(tmp_path)
    store.prepare()
    live = store.dir / f".c1.json.{os.getpid()}.abcd.tmp"
    dead = store.dir / ".c1.json.999999999.abcd.tmp"
    live.write_text("")
    dead.write_text("")
    issues = store.sweep()
    assert live.exists() and not dead.exists() and [i.path for i in issues] == [str(dead)]
