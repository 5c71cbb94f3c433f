"""``stl verify``, ``stl bound``, ``stl optimize``: outputs, exit codes, one-line errors."""

import importlib.util
import json

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
    import stl.verify.checks.closed_forms as cf

    monkeypatch.setitem(cf.FORMULAS, "wright_fisher_heterozygosity",
                        lambda n, generations, probs, **_: 1.5 * cf.wright_fisher_heterozygosity(n, generations, probs))
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


def test_optimize_extreme_delta_is_exact_not_a_crash(capsys):
    """δ = 1e-300 used to become 0 in sympy (nsimplify) and crash on log(1/0)."""
    code, out, err = run(capsys, "optimize", "synthetic-size", "--n-real", "10", "--subs", "delta=1e-300",
                         "--format", "json")
    assert code == 0, err
    m = json.loads(out)["methods"]
    assert m["sympy"]["n_s"] == m["scipy"]["n_s"] > 0
