"""``stl simulate``: DESIGN.md JSON contract, Wright–Fisher decay, files, user errors."""

from __future__ import annotations

import importlib.util
import json
import tempfile
import subprocess
import sys

import numpy as np
import pytest

from stl.verify.cli.main import main


def run_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_simulate_categorical_json_follows_wright_fisher(capsys):
    """λ = 0 is Wright–Fisher: E H_j = (1 − Σp²)(1 − 1/n)^(j+1) (see
    tests/verify/test_closed_form_derivations.py for the derivation); each generation's mean must
    be within 4 of its own standard errors."""
    n, g = 50, 20
    out = run_json(capsys, "simulate", "categorical", "--scheme", "replace", "--n", str(n), "--generations", str(g),
                   "--replicates", "3000", "--param", "k=4", "--format", "json", "--quiet")
    assert set(out) == {"config", "records"}
    assert out["config"]["scheme"] == "replace" and out["config"]["n"] == n
    recs = [r for r in out["records"] if r["metric"] == "heterozygosity"]
    assert [r["generation"] for r in recs] == list(range(g + 1))
    p = np.array(out["config"]["params"]["probs"])
    assert np.allclose(p, (1 / np.arange(1, 5)) / np.sum(1 / np.arange(1, 5)))  # default Zipf
    for r in recs:
        exact = (1 - np.sum(p ** 2)) * (1 - 1 / n) ** (r["generation"] + 1)
        assert abs(r["mean"] - exact) <= 4 * r["stderr"]
        assert r["n_replicates"] == 3000
    metrics = {r["metric"] for r in out["records"]}
    assert metrics == {"heterozygosity", "tv_to_real", "support_size", "gen_gap"}


@pytest.mark.parametrize("model,params,metrics", [
    ("gaussian", ["dim=1"], {"variance", "mean_error", "kl_to_real", "tv_to_real", "gen_gap"}),
    ("gaussian", ["dim=3", "estimator=unbiased"], {"variance", "mean_error", "kl_to_real", "gen_gap"}),
    ("linreg", ["dim=2", "noise=0.5", "ridge=0.1"], {"test_error", "gen_gap"}),
    ("kde", ["bandwidth=0.5"], {"tv_to_real", "variance", "gen_gap"}),
])
def test_simulate_metric_names(capsys, model, params, metrics):
    argv = ["simulate", model, "--n", "12", "--generations", "2", "--replicates", "4", "--format", "json"]
    for p in params:
        argv += ["--param", p]
    out = run_json(capsys, *argv)
    assert {r["metric"] for r in out["records"]} == metrics


NO_PYARROW = importlib.util.find_spec("pyarrow") is None


@pytest.mark.parametrize("suffix", [".json", ".csv", pytest.param(
    ".parquet", marks=pytest.mark.skipif(NO_PYARROW, reason="pyarrow (the parquet extra) is not installed"))])
def test_simulate_writes_files(tmp_path, capsys, suffix):
    path = tmp_path / f"run{suffix}"
    assert main(["simulate", "gaussian", "--n", "10", "--generations", "2", "--replicates", "3",
                 "--out", str(path), "--format", "json", "--quiet"]) == 0
    assert path.exists() and not list(tmp_path.glob(".*.tmp"))
    if suffix == ".json":
        assert len(json.loads(path.read_text())["records"]) == 3 * 5
    elif suffix == ".csv":
        lines = path.read_text().splitlines()
        assert lines[0].startswith("# ") and lines[1].startswith("# config: ")
        assert lines[2] == "generation,metric,mean,stderr,n_replicates"
        from stl.verify.research.sweep import read_table

        config, rows = read_table(path)  # the config comes back with the rows
        assert config["model"] == "gaussian" and config["seed"] == 0 and config["replicates"] == 3
        assert len(rows) == 3 * 5 and rows[0]["metric"] == "variance"
    else:
        import pyarrow.parquet as pq

        assert pq.read_table(path).num_rows == 15


def test_simulate_pretty_output(capsys):
    assert main(["simulate", "categorical", "--n", "10", "--generations", "30", "--replicates", "3"]) == 0
    text = capsys.readouterr().out
    assert "heterozygosity" in text and "scheme=mix" in text
    lines = text.splitlines()
    assert len(lines) == 2 + 2 + 12 + 1  # header, params, table head, rule, 12 sampled rows, the note
    assert lines[-1] == "(12 of 31 generations shown; every generation: --format json or --out FILE)"


@pytest.mark.parametrize("argv,arg", [
    (["simulate", "nope"], "MODEL"),
    (["simulate", "gaussian", "--param", "dimm=2"], "--param dimm"),
    (["simulate", "gaussian", "--param", "dim=-1"], "--param dim"),
    (["simulate", "gaussian", "--param", "dim"], "--param"),
    (["simulate", "gaussian", "--lam", "2"], "--lam"),
    (["simulate", "gaussian", "--n", "0"], "--n"),
    (["simulate", "gaussian", "--scheme", "bogus"], "--scheme"),
    (["simulate", "gaussian", "--replicates", "0"], "--replicates"),
    (["simulate", "gaussian", "--generations", "-2"], "--generations"),
    (["simulate", "gaussian", "--out", "x.txt"], "--out"),
])
def test_simulate_user_errors_exit_2_with_one_line(capsys, argv, arg):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"stl simulate: error: {arg}")


def test_simulate_unwritable_out_is_a_user_error_before_any_work(tmp_path, capsys):
    """--out under a regular file (no folder can be made there, even as root), or an
    existing directory: one line, exit 2, and the loop never runs."""
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for out in (blocker / "run.json", blocker / "deeper" / "run.csv", tmp_path):
        argv = ["simulate", "categorical", "--n", "10", "--generations", "1", "--replicates", "2",
                "--quiet", "--out", str(out)]
        assert main(argv) == 2, out
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("stl simulate: error: --out"), err


def test_simulate_write_failure_is_a_user_error(tmp_path, capsys, monkeypatch):
    """An OSError while writing (full disk, read-only file system) is one line, exit 2."""
    pytest.importorskip("pyarrow")
    import stl.kernel.atomic
    import stl.verify.cli.common

    def refuse(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(stl.kernel.atomic, "write_bytes_atomic", refuse)  # .parquet
    monkeypatch.setattr(stl.verify.cli.common, "write_text_atomic", refuse)  # .json/.csv via emit
    for suffix in (".json", ".parquet"):
        argv = ["simulate", "categorical", "--n", "10", "--generations", "1", "--replicates", "2",
                "--quiet", "--out", str(tmp_path / f"run{suffix}")]
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "No space left" in err[0], err


def test_simulate_huge_n_is_refused(capsys):
    assert main(["simulate", "categorical", "--n", str(10 ** 20), "--quiet"]) == 2
    assert capsys.readouterr().err.startswith("stl simulate: error: --n")


@pytest.mark.parametrize("scheme", ["accumulate", "accumulate-subsample"])
def test_simulate_accumulate_reports_no_single_real_proportion(capsys, scheme):
    """accumulate ignores --lam (the real share of the pool is 1/(j+1)); the config must not
    claim the given λ as the effective proportion."""
    out = run_json(capsys, "simulate", "categorical", "--scheme", scheme, "--lam", "0.3", "--n", "10",
                   "--generations", "1", "--replicates", "2", "--format", "json", "--quiet")
    assert out["config"]["lam"] == 0.3 and out["config"]["lam_effective"] is None
    assert "1/(j+1)" in out["config"]["real_proportion"]
    mix = run_json(capsys, "simulate", "categorical", "--lam", "0.29", "--n", "50", "--generations", "0",
                   "--replicates", "2", "--format", "json", "--quiet")["config"]
    assert (mix["n_r"], mix["n_s"]) == (15, 35) and mix["lam_effective"] == 15 / 50


def test_simulate_help_lists_params_and_example(capsys):
    assert main(["simulate", "--help"]) == 0
    text = capsys.readouterr().out
    for needle in ("estimator", "bandwidth", "ridge", "probs", "default mle", "examples:", "stl simulate categorical"):
        assert needle in text


def test_simulate_classical_does_not_import_torch():
    code = ("import sys; from stl.verify.cli.main import main\n"
            "main(['simulate', 'gaussian', '--n', '5', '--generations', '1', '--replicates', '2', '--format', 'json'])\n"
            "print('TORCH' if 'torch' in sys.modules else 'CLEAN', file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr.strip().endswith("CLEAN")


def test_run_sizes_default_to_the_models_own(capsys):
    """--n / --replicates left out: each model's default_n / default_replicates, shown in
    the config; given values win."""
    pytest.importorskip("torch")
    out = run_json(capsys, "simulate", "gaussian", "--generations", "1", "--format", "json", "--quiet")
    assert (out["config"]["n"], out["config"]["replicates"]) == (100, 200)
    assert {r["n_replicates"] for r in out["records"]} == {200}
    out = run_json(capsys, "simulate", "lsa", "--generations", "0", "--format", "json", "--quiet",
                   "--device", "cpu", "--param", "dim=2", "--param", "context=3", "--param", "steps=2",
                   "--param", "probes=10")
    from stl.numerics.models.registry import get_model

    lsa = get_model("lsa", {}, device="cpu")
    assert (out["config"]["n"], out["config"]["replicates"]) == (lsa.default_n, lsa.default_replicates)
    out = run_json(capsys, "simulate", "gaussian", "--n", "7", "--replicates", "3", "--generations", "0",
                   "--format", "json", "--quiet")
    assert (out["config"]["n"], out["config"]["replicates"]) == (7, 3)


def test_help_lists_every_model_from_its_declaration(capsys):
    """--help lists each model with the run sizes and parameters its class declares, and
    building that text imports no torch (checked in a fresh interpreter)."""
    from stl.numerics.models.registry import model_class, model_names

    assert main(["simulate", "--help"]) == 0
    text = capsys.readouterr().out
    for name in model_names():
        cls = model_class(name)
        assert f"  {name}: {cls.summary} (n={cls.default_n}, replicates={cls.default_replicates}" in text
        for spec in cls.param_specs:
            assert f"    {spec.name:<12} {spec.help}" in text
    code = ("import sys\nfrom stl.verify.cli.cmd_simulate import models_help\nmodels_help()\n"
            "print('torch' in sys.modules)")
    probe = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           cwd=tempfile.gettempdir())
    assert probe.stdout.strip() == "False"


def test_list_models_names_each_source(capsys):
    from stl.numerics.models.registry import model_class, model_names

    assert main(["simulate", "--list-models"]) == 0
    rows = capsys.readouterr().out.splitlines()
    for name in model_names():
        module = model_class(name).__module__
        assert any(r.startswith(f"{name} ") and "built in" in r and module in r for r in rows), name


def test_metric_option_computes_only_what_is_asked(capsys):
    out = run_json(capsys, "simulate", "gaussian", "--n", "10", "--generations", "2", "--replicates", "3",
                   "--metric", "variance", "--metric", "gen_gap", "--format", "json", "--quiet")
    assert [r["metric"] for r in out["records"][:2]] == ["variance", "gen_gap"]
    assert {r["metric"] for r in out["records"]} == {"variance", "gen_gap"}
    assert main(["simulate", "gaussian", "--param", "dim=2", "--metric", "tv_to_real", "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("stl simulate: error: --metric: got tv_to_real")


def test_numpy_models_refuse_cuda_and_record_the_device(capsys):
    assert main(["simulate", "categorical", "--device", "cuda", "--quiet"]) == 2
    assert "--device" in capsys.readouterr().err
    out = run_json(capsys, "simulate", "categorical", "--device", "auto", "--generations", "0",
                   "--replicates", "2", "--format", "json", "--quiet")
    assert out["config"]["device"] == "cpu" and out["config"]["device_requested"] == "auto"


# --------------------------------------------------------------------------------------
# per-replicate exports, no silent surprises
# --------------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix", [".csv", ".json", pytest.param(
    ".parquet", marks=pytest.mark.skipif(NO_PYARROW, reason="pyarrow (the parquet extra) is not installed"))])
def test_per_replicate_rows_are_the_values_behind_the_summary(tmp_path, capsys, suffix):
    from stl.verify.research.sweep import read_table

    argv = ["simulate", "categorical", "--param", "k=3", "--n", "12", "--generations", "2", "--replicates", "7",
            "--seed", "5", "--quiet"]
    assert main([*argv, "--format", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)["records"]
    path = tmp_path / f"per{suffix}"
    assert main([*argv, "--out", str(path), "--per-replicate"]) == 0
    capsys.readouterr()
    config, rows = read_table(path)
    assert config["per_replicate"] is True and config["seed"] == 5
    assert len(rows) == 3 * 7 * 4 and set(rows[0]) == {"generation", "replicate", "metric", "value"}
    for rec in summary:
        vals = [r["value"] for r in rows if r["generation"] == rec["generation"] and r["metric"] == rec["metric"]]
        assert sorted({r["replicate"] for r in rows}) == list(range(7))
        assert np.mean(vals) == pytest.approx(rec["mean"], rel=1e-12, abs=1e-15)
        assert np.std(vals, ddof=1) / np.sqrt(7) == pytest.approx(rec["stderr"], rel=1e-9, abs=1e-15)


def test_per_replicate_goes_to_a_file_or_json(capsys):
    argv = ["simulate", "categorical", "--n", "10", "--generations", "1", "--replicates", "3", "--quiet"]
    assert main([*argv, "--per-replicate"]) == 2
    assert "--per-replicate" in capsys.readouterr().err
    assert main([*argv, "--per-replicate", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["records"]) == 2 * 3 * 4


def test_bound_per_replicate_keeps_bounds_as_one_row_per_generation(tmp_path, capsys):
    from stl.verify.research.sweep import read_table

    path = tmp_path / "b.csv"
    assert main(["bound", "categorical", "--n", "20", "--generations", "2", "--replicates", "6",
                 "--metric", "gen_gap", "--metric", "bound_analytic", "--quiet", "--out", str(path),
                 "--per-replicate"]) == 0
    config, rows = read_table(path)
    gaps = [r for r in rows if r["metric"] == "gen_gap"]
    bounds = [r for r in rows if r["metric"] == "bound_analytic"]
    assert len(gaps) == 3 * 6 and len(bounds) == 3 and all(r["replicate"] is None for r in bounds)
    assert config["command"] == "bound" and "replicate_rows" not in config


@pytest.mark.parametrize("scheme,lam,warned", [("replace", "0.5", True), ("replace", "0", False),
                                               ("accumulate", "0.3", True), ("mix", "0.5", False),
                                               ("replace", None, False)])
def test_a_lam_the_scheme_ignores_gets_one_warning(capsys, scheme, lam, warned):
    argv = ["simulate", "categorical", "--scheme", scheme, "--n", "10", "--generations", "1", "--replicates", "2",
            "--quiet", "--format", "json"] + (["--lam", lam] if lam is not None else [])
    assert main(argv) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if "warning" in line]
    assert len(warnings) == (1 if warned else 0), captured.err
    if warned:
        assert f"--lam {float(lam):g} is not used" in warnings[0]
    config = json.loads(captured.out)["config"]
    assert config["lam_effective"] == (None if scheme == "accumulate" else 0.0 if scheme == "replace" else 0.5)


def test_tables_print_numbers_not_noise(capsys):
    assert main(["bound", "categorical", "--n", "20", "--generations", "1", "--replicates", "5",
                 "--est-replicates", "3", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "± 0 " not in out and "± 0\n" not in out and "e-1" not in out and "None" not in out
    assert main(["simulate", "categorical", "--scheme", "accumulate", "--n", "10", "--generations", "1",
                 "--replicates", "3", "--quiet"]) == 0
    head = capsys.readouterr().out.splitlines()[0]
    assert "lam_effective=not used" in head and "None" not in head


def test_a_csv_with_its_config_reads_in_pandas(tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    path = tmp_path / "run.csv"
    assert main(["simulate", "categorical", "--n", "10", "--generations", "2", "--replicates", "4", "--quiet",
                 "--out", str(path)]) == 0
    frame = pd.read_csv(path, comment="#")
    assert list(frame.columns) == ["generation", "metric", "mean", "stderr", "n_replicates"] and len(frame) == 12
