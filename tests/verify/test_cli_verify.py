"""``stl verify``, ``stl bound``, ``stl optimize``: outputs, exit codes, one-line errors."""

import importlib.util
import json
from pathlib import Path

import pytest

from stl.verify.cli.main import main
from stl.verify.report import validate_report


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_smoke_suite_writes_a_valid_report(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "rep"
    code, _, _ = run(capsys, "verify", "--suite", "smoke", "--out", str(out), "--quiet")
    doc = json.loads((out / "report.json").read_text())
    assert validate_report(doc, strict=True) == []
    assert list(doc) == ["suite", "seed", "checks", "summary"]  # exactly the DESIGN.md fields
    assert code == (1 if doc["summary"]["fail"] else 0)
    assert doc["summary"]["fail"] == 0
    assert (out / "report.md").exists() and list((out / "figures").glob("*.png"))
    assert sorted(p.stem for p in (out / "checks").glob("*.json")) == sorted(c["name"] for c in doc["checks"])
    # resume: everything reused, same numbers
    _, stdout2, _ = run(capsys, "verify", "--suite", "smoke", "--out", str(out), "--quiet", "--format", "json")
    doc2 = json.loads(stdout2)
    assert validate_report(doc2, strict=True) == []
    assert set(json.loads((out / "run.json").read_text())["reused"]) == {c["name"] for c in doc["checks"]}
    assert [c["measured"] for c in doc2["checks"]] == [c["measured"] for c in doc["checks"]]


def test_a_failing_check_gives_exit_1(tmp_path, capsys, monkeypatch):
    import dataclasses

    from stl.theory.models import categorical

    # the Wright-Fisher form on the categorical card (its one home), 1.5 times too large
    (card,) = categorical.CARDS
    wrong = tuple(dataclasses.replace(f, expr=1.5 * f.expr) for f in card.closed_forms)
    monkeypatch.setattr(categorical, "CARDS", (dataclasses.replace(card, closed_forms=wrong),))
    code, stdout, _ = run(capsys, "verify", "--suite", "smoke-closed-form-wright-fisher", "--quiet")
    assert code == 1 and "fail" in stdout


@pytest.mark.parametrize("argv,arg", [
    (["verify", "--suite", "nope"], "--suite"),
    (["verify", "--workers", "0", "--suite", "smoke-optimum"], "--workers"),
    (["verify", "--backend", "spark", "--suite", "smoke-optimum"], "--backend"),
    (["verify", "--seed", "-1"], "--seed"),
    (["bound", "categorical", "--lam", "1.5"], "lam"),
    (["bound", "categorical", "--scheme", "accumulate"], "--scheme"),
    (["bound", "nomodel"], "MODEL"),
    (["optimize", "synthetic-size", "--n-real", "-3"], "--n-real"),
    (["optimize", "synthetic-size", "--n-real", "10", "--method", "magic"], "--method"),
    (["optimize", "synthetic-size", "--n-real", "10", "--subs", "delta=2"], "delta"),
    (["optimize", "synthetic-size", "--n-real", "10", "--model", "nomodel"], "MODEL"),
    # found in review: a huge --n-real crashed with a traceback; a malformed --subs value
    # named "expression" instead of the option and key
    (["optimize", "synthetic-size", "--n-real", "99999999999999999999"], "--n-real"),
    (["optimize", "synthetic-size", "--n-real", "10", "--subs", "M=x"], "--subs M"),
    (["optimize", "synthetic-size", "--n-real", "10", "--subs", "a=__import__('os')"], "--subs a"),
    (["verify", "--suite", "smoke-optimum", "--out", __file__], "--out"),
    (["verify", "--suite", "smoke-optimum", "--out", "/proc/no-such-dir/report"], "--out"),
    (["optimize", "synthetic-size", "--n-real", "10", "--model", "categorical", "--method", "simulate",
      "--grid", "0,1000000000000"], "--grid"),
    (["optimize", "synthetic-size", "--n-real", "10", "--model", "categorical", "--method", "simulate",
      "--replicates", "1000000000000"], "--replicates"),
    (["verify", "--suite", "smoke-optimum", "--workers", "100000"], "--workers"),
    pytest.param(["verify", "--suite", "smoke-optimum", "--backend", "dask", "--address", "not-an-address"],
                 "--address", marks=pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                                       reason="dask.distributed is not installed")),
])
def test_bad_inputs_exit_2_with_one_line(capsys, argv, arg):
    code, _, err = run(capsys, *argv)
    assert code == 2
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1 and arg in lines[0] and "Traceback" not in err


def test_list_names_every_suite(capsys):
    code, out, _ = run(capsys, "verify", "--list")
    assert code == 0 and "quick:" in out and "full:" in out and "t1-validity-categorical" in out


def test_bound_json_records(capsys):
    code, out, _ = run(capsys, "bound", "categorical", "--param", "k=4", "--n", "40", "--generations", "2",
                       "--replicates", "200", "--est-replicates", "30", "--format", "json", "--quiet")
    assert code == 0
    doc = json.loads(out)
    metrics = {r["metric"] for r in doc["records"]}
    assert {"gen_gap", "bound_analytic", "bound_estimated", "term_stability", "term_shift"} <= metrics
    for r in doc["records"]:
        assert set(r) == {"generation", "metric", "mean", "stderr", "n_replicates"}
    by = {(r["generation"], r["metric"]): r["mean"] for r in doc["records"]}
    for g in range(3):
        assert by[(g, "bound_analytic")] == pytest.approx(by[(g, "term_stability")] + by[(g, "term_shift")])
        assert abs(by[(g, "gen_gap")]) <= by[(g, "bound_analytic")]
    assert doc["config"]["terms_from"] == "analytic"


def test_optimize_json_contract(capsys):
    pytest.importorskip("cvxpy")
    code, out, _ = run(capsys, "optimize", "synthetic-size", "--n-real", "100", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc["methods"]) == {"sympy", "scipy", "cvxpy", "simulate"}
    assert doc["methods"]["sympy"]["n_s"] == doc["methods"]["scipy"]["n_s"] == doc["methods"]["cvxpy"]["n_s"]
    assert "reason" in doc["methods"]["simulate"]


def test_optimize_pretty_explains(capsys):
    code, out, _ = run(capsys, "optimize", "synthetic-size", "--n-real", "50", "--subs", "b=1", "--subs", "i=5",
                       "--method", "all")
    assert code == 0 and "does not apply" in out and "disagree" in out


def test_bound_json_has_every_contract_metric_without_analytic_constants(capsys):
    """gaussian has no complete analytic constants: bound_analytic is still a record
    (null mean) so every DESIGN.md metric is there for every generation."""
    code, out, _ = run(capsys, "bound", "gaussian", "--n", "30", "--generations", "1", "--replicates", "20",
                       "--est-replicates", "10", "--format", "json", "--quiet")
    assert code == 0
    doc = json.loads(out)
    need = {"gen_gap", "bound_analytic", "bound_estimated", "term_stability", "term_shift"}
    for g in (0, 1):
        assert need <= {r["metric"] for r in doc["records"] if r["generation"] == g}
    assert all(r["mean"] is None for r in doc["records"] if r["metric"] == "bound_analytic")
    assert doc["config"]["terms_from"] == "estimated" and doc["config"]["analytic_missing"]
    # the null is explained: the gaussian card's stated reason there are no analytic constants
    from stl.verify.cards import card

    assert doc["config"]["analytic_reason"] == card("gaussian").no_constants_reason


def test_bound_table_says_why_bound_analytic_is_nan(capsys):
    code, out, _ = run(capsys, "bound", "gaussian", "--n", "30", "--generations", "1", "--replicates", "20",
                       "--est-replicates", "10", "--quiet")
    assert code == 0
    assert "bound_analytic is nan: theory does not give every constant (none for the fitted mean" in out


def test_optimize_extreme_delta_is_exact_not_a_crash(capsys):
    """δ = 1e-300 used to become 0 in sympy (nsimplify) and crash on log(1/0)."""
    code, out, err = run(capsys, "optimize", "synthetic-size", "--n-real", "10", "--subs", "delta=1e-300",
                         "--format", "json")
    assert code == 0, err
    m = json.loads(out)["methods"]
    assert m["sympy"]["n_s"] == m["scipy"]["n_s"] > 0


# -- issue 14: --list, --max-time, reused marking, provenance, figure formats --------------

def test_list_shows_each_checks_claim_and_expected_runtime(capsys):
    from stl.verify.suites import SUITES

    code, out, _ = run(capsys, "verify", "--list")
    assert code == 0
    assert "T1 holds for the gaussian model" in out and "~2 s" in out
    code, out, _ = run(capsys, "verify", "--list", "--format", "json")
    doc = json.loads(out)["suites"]
    assert [c["name"] for c in doc["quick"]] == [f.name for f in SUITES["quick"]]
    assert all(c["claim"] and c["expected_s"] > 0 for c in doc["full"])


def test_max_time_skips_what_does_not_fit_and_says_so(tmp_path, capsys):
    from stl.verify.suites import all_factories

    names = ["smoke-optimum", "smoke-t1-validity-categorical", "smoke-closed-form-wright-fisher"]
    f = all_factories()
    budget = f["smoke-optimum"].expected_s + f["smoke-closed-form-wright-fisher"].expected_s
    out = tmp_path / "rep"
    code, stdout, err = run(capsys, "verify", "--suite", *names, "--max-time", str(budget), "--out", str(out),
                            "--quiet", "--no-figures")
    assert code == 0
    assert "skipped smoke-t1-validity-categorical" in err and "1 skipped by --max-time" in stdout
    run_info = json.loads((out / "run.json").read_text())
    assert [s["name"] for s in run_info["skipped"]] == ["smoke-t1-validity-categorical"]
    assert [c["name"] for c in json.loads((out / "report.json").read_text())["checks"]] == \
        ["smoke-optimum", "smoke-closed-form-wright-fisher"]
    # stored results cost nothing: a budget for the skipped check alone now runs everything
    alone = f["smoke-t1-validity-categorical"].expected_s
    code, _, err = run(capsys, "verify", "--suite", *names, "--max-time", str(alone), "--out", str(out), "--quiet",
                       "--no-figures")
    assert "skipped" not in err and json.loads((out / "run.json").read_text())["skipped"] == []


def test_a_resumed_report_marks_reused_checks_and_carries_provenance(tmp_path, capsys):
    import subprocess

    out = tmp_path / "rep"
    assert run(capsys, "verify", "--suite", "smoke-optimum", "--out", str(out), "--quiet", "--no-figures")[0] == 0
    md = (out / "report.md").read_text()
    assert "reused" not in md
    code, stdout, _ = run(capsys, "verify", "--suite", "smoke-optimum", "--out", str(out), "--quiet", "--no-figures")
    assert code == 0 and "reused" in stdout.splitlines()[0] and "1 reused" in stdout
    md = (out / "report.md").read_text()
    assert "| reused (" in md and "reused from an earlier run" in md
    prov = json.loads((out / "run.json").read_text())["provenance"]
    for key in ("version", "git_commit", "python", "numpy", "sympy", "torch", "device", "command", "seed"):
        assert key in prov
    assert prov["command"][:2] == ["stl", "verify"] and prov["seed"] == 0 and prov["device"] == "cpu"
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=Path(__file__).parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        head = None
    if head:
        assert prov["git_commit"] == head


def test_report_figures_in_pdf_and_svg(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = tmp_path / "rep"
    code, _, _ = run(capsys, "verify", "--suite", "smoke-closed-form-wright-fisher", "--out", str(out), "--quiet",
                     "--figure-format", "svg,pdf")
    assert code == 0
    svg = list((out / "figures").glob("*.svg"))
    pdf = list((out / "figures").glob("*.pdf"))
    assert svg and len(svg) == len(pdf) and pdf[0].read_bytes().startswith(b"%PDF")
    assert ".svg)" in (out / "report.md").read_text()
    assert run(capsys, "verify", "--suite", "smoke-optimum", "--figure-format", "gif")[0] == 2


def test_progress_shows_tasks_with_an_eta_on_a_terminal_only(capsys, monkeypatch):
    import io
    import sys

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["verify", "--suite", "smoke-phase-transition", "--no-figures"]) == 0
    drawn = term.getvalue()
    assert "tasks 1/" in drawn and "ETA" in drawn and "done: smoke-phase-transition" in drawn
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["verify", "--suite", "smoke-phase-transition", "--no-figures", "--quiet"]) == 0
    assert term.getvalue() == ""
