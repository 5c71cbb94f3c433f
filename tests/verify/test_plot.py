"""``stl plot``: figures of saved trajectories and sweeps, PNG/PDF/SVG, one-line errors."""

import pytest
from stl.verify.cli.main import main
from stl.verify.research.plots import plot_table, varying_columns

pytest.importorskip("matplotlib")

MAGIC = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml"}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "grid.csv"
    assert main(["sweep", "categorical", "--n", "20,40,80", "--lam", "0,0.5", "--generations", "3",
                 "--replicates", "30", "--quiet", "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_a_sweep_is_drawn_in_each_format(sweep_file, tmp_path, capsys, fmt):
    out = tmp_path / f"fig.{fmt}"
    code, _, err = run(capsys, "plot", str(sweep_file), "--metric", "tv_to_real", "--out", str(out))
    assert code == 0, err
    assert out.read_bytes().startswith(MAGIC[fmt])
    assert "6 lines" in err  # one line per (n, λ) cell


def test_metric_against_n_has_one_line_per_lambda(sweep_file, tmp_path, capsys):
    code, _, err = run(capsys, "plot", str(sweep_file), "--x", "n", "--generation", "2", "--format", "svg",
                       "--out", str(tmp_path / "n.svg"))
    assert code == 0 and "2 lines" in err


def test_default_output_sits_beside_the_table(sweep_file, capsys):
    code, _, _ = run(capsys, "plot", str(sweep_file), "--metric", "gen_gap", "--x", "lam", "--format", "pdf")
    assert code == 0
    assert (sweep_file.parent / "grid-gen_gap-vs-lam.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_a_saved_trajectory_is_drawn(tmp_path, capsys, suffix):
    run_file = tmp_path / f"run{suffix}"
    assert main(["simulate", "gaussian", "--n", "30", "--generations", "4", "--replicates", "20", "--quiet",
                 "--out", str(run_file)]) == 0
    capsys.readouterr()
    code, _, err = run(capsys, "plot", str(run_file), "--metric", "variance")
    assert code == 0 and "1 line" in err
    assert (tmp_path / "run-variance.png").read_bytes().startswith(MAGIC["png"])


def test_stability_records_use_their_own_intervals(tmp_path):
    rows = [{"generation": g, "metric": "gamma", "mean": 0.1, "stderr": None, "n_replicates": 10,
             "ci_low": 0.05, "ci_high": 0.2} for g in range(3)]
    assert plot_table({}, rows, metric="gamma", out=tmp_path / "g.png").lines == 1


def test_derived_columns_do_not_make_lines():
    rows = [{"n": n, "lam": lam, "n_r": round(n * lam), "lam_effective": lam, "generation": 0, "metric": "m",
             "mean": 1.0, "stderr": 0.1, "n_replicates": 5} for n in (10, 20) for lam in (0.0, 0.5)]
    assert varying_columns(rows) == ["n", "lam"]


@pytest.mark.parametrize("extra,arg", [
    (["--metric", "nope"], "--metric"),
    (["--x", "n", "--generation", "99"], "--generation"),
    (["--x", "seed"], "--x"),
    (["--out", "fig.txt"], "--out"),
    (["--out", "fig.png", "--format", "pdf"], "--format"),
    (["--out", ""], "--out"),
])
def test_bad_plots_exit_2_with_one_line(sweep_file, capsys, extra, arg):
    code, _, err = run(capsys, "plot", str(sweep_file), *extra)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and arg in lines[0], err


def test_a_single_run_has_no_n_axis(tmp_path, capsys):
    run_file = tmp_path / "run.json"
    assert main(["simulate", "categorical", "--n", "20", "--generations", "1", "--replicates", "5", "--quiet",
                 "--out", str(run_file)]) == 0
    code, _, err = run(capsys, "plot", str(run_file), "--x", "n")
    assert code == 2 and "does not vary" in err


@pytest.mark.parametrize("content", ["not json", "[" * 50_000, '{"records": 3}', "",
                                     '{"records": [{"generation": "x", "metric": "m", "mean": 1}]}'])
def test_unreadable_files_are_one_line(tmp_path, capsys, content):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, _, err = run(capsys, "plot", str(bad))
    assert code == 2 and "FILE" in err and "Traceback" not in err
    code, _, err = run(capsys, "plot", str(tmp_path))
    assert code == 2 and "FILE" in err


# --------------------------------------------------------------------------------------
# figures for papers: several metrics, T1's figure from stl bound, labels, styles, JSON
# --------------------------------------------------------------------------------------

import json  # noqa: E402
import math  # noqa: E402

from stl.verify.labels import metric_label  # noqa: E402


@pytest.fixture(scope="module")
def bound_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("bound") / "b.json"
    assert main(["bound", "categorical", "--param", "k=4", "--n", "40", "--lam", "0.5", "--generations", "4",
                 "--replicates", "60", "--est-replicates", "20", "--seed", "0", "--quiet", "--out", str(out)]) == 0
    return out


def plot_json(capsys, *argv):
    code, out, err = run(capsys, "plot", *argv, "--format", "json")
    assert code == 0, err
    return json.loads(out), err


def test_a_bound_file_draws_measured_against_both_bounds(bound_file, tmp_path, capsys):
    """`stl bound ... --out b.json; stl plot b.json`: E gen_i with its band against the T1 bounds."""
    doc, _ = plot_json(capsys, str(bound_file), "--out", str(tmp_path / "t1.png"))
    records = json.loads(bound_file.read_text())["records"]
    by = {s["metric"]: s for s in doc["series"]}
    assert set(by) == {"gen_gap", "bound_analytic", "bound_estimated"}
    gen = [r for r in records if r["metric"] == "gen_gap"]
    assert by["gen_gap"]["y"] == [r["mean"] for r in gen]
    # the band is mean ± t(0.975, R − 1) · stderr, and it contains the mean
    from stl.kernel.student_t import t_quantile

    q = t_quantile(1.959963984540054, 59)
    for r, lo, hi in zip(gen, by["gen_gap"]["lo"], by["gen_gap"]["hi"]):
        assert lo == pytest.approx(r["mean"] - q * r["stderr"]) and hi == pytest.approx(r["mean"] + q * r["stderr"])
    assert by["bound_analytic"]["lo"] is None and by["bound_analytic"]["kind"] == "bound"
    assert by["bound_analytic"]["y"] == [r["mean"] for r in records if r["metric"] == "bound_analytic"]
    assert (tmp_path / "t1.png").read_bytes().startswith(MAGIC["png"])
    # the title says what was run; the labels are the declared LaTeX
    for part in ("categorical", "mix", "n=40", "λ=0.5", "60 replicates"):
        assert part in doc["title"], part
    assert metric_label("gen_gap").mean in by["gen_gap"]["label"] and "$" in doc["y_label"]


def test_stacked_terms_sum_to_the_analytic_bound(bound_file, tmp_path, capsys):
    doc, _ = plot_json(capsys, str(bound_file), "--stack-terms", "--out", str(tmp_path / "s.svg"))
    by = {s["metric"]: s for s in doc["series"]}
    assert by["term_stability"]["kind"] == by["term_shift"]["kind"] == "term"
    total = [a + b for a, b in zip(by["term_stability"]["y"], by["term_shift"]["y"])]
    assert total == pytest.approx(by["bound_analytic"]["y"])
    code, _, err = run(capsys, "plot", str(bound_file), "--metric", "gen_gap", "--x", "generation",
                       "--stack-terms", "--out", str(tmp_path / "ok.png"))
    assert code == 0, err


def test_several_metrics_share_one_figure(tmp_path, capsys):
    run_file = tmp_path / "run.json"
    assert main(["simulate", "categorical", "--n", "30", "--generations", "3", "--replicates", "20", "--quiet",
                 "--out", str(run_file)]) == 0
    capsys.readouterr()
    doc, _ = plot_json(capsys, str(run_file), "--metric", "heterozygosity", "--metric", "tv_to_real",
                       "--out", str(tmp_path / "two.pdf"))
    assert doc["metrics"] == ["heterozygosity", "tv_to_real"] and len(doc["series"]) == 2
    assert doc["format"] == "pdf" and (tmp_path / "two.pdf").read_bytes().startswith(MAGIC["pdf"])
    labels = [s["label"] for s in doc["series"]]
    assert labels == [metric_label("heterozygosity", "categorical").text(), metric_label("tv_to_real").text()]


def test_log_axes_say_what_they_cannot_show(tmp_path, capsys):
    rows = {"config": {"model": "m"}, "records": [
        {"generation": g, "metric": "x", "mean": v, "stderr": 0.01, "n_replicates": 10}
        for g, v in enumerate([-0.5, 0.0, 0.2, 0.4])]}
    path = tmp_path / "neg.json"
    path.write_text(json.dumps(rows))
    doc, err = plot_json(capsys, str(path), "--logy", "--logx", "--out", str(tmp_path / "neg.png"))
    assert any("2 points" in n and "log y" in n for n in doc["notes"]), doc["notes"]
    assert any("generation 0" in n for n in doc["notes"])
    assert "note:" in err


def test_paper_style_is_vector_by_default(bound_file, capsys):
    code, _, err = run(capsys, "plot", str(bound_file), "--style", "paper")
    assert code == 0, err
    out = bound_file.parent / "b-bound.pdf"
    assert out.read_bytes().startswith(MAGIC["pdf"])


def test_json_follows_the_suffix_of_out(sweep_file, tmp_path, capsys):
    doc, _ = plot_json(capsys, str(sweep_file), "--metric", "tv_to_real", "--out", str(tmp_path / "f.svg"))
    assert doc["format"] == "svg" and doc["file"].endswith("f.svg") and len(doc["series"]) == 6
    cells = {(s["cell"]["n"], s["cell"]["lam"]) for s in doc["series"]}
    assert cells == {(n, lam) for n in (20, 40, 80) for lam in (0.0, 0.5)}
    assert all(math.isfinite(v) for s in doc["series"] for v in s["y"])


def test_a_per_replicate_table_is_summarised_to_the_same_numbers(tmp_path, capsys):
    summary, per = tmp_path / "s.json", tmp_path / "p.csv"
    argv = ["simulate", "categorical", "--n", "20", "--generations", "2", "--replicates", "15", "--quiet"]
    assert main([*argv, "--out", str(summary)]) == 0
    assert main([*argv, "--out", str(per), "--per-replicate"]) == 0
    capsys.readouterr()
    a, _ = plot_json(capsys, str(summary), "--metric", "gen_gap", "--out", str(tmp_path / "a.png"))
    b, _ = plot_json(capsys, str(per), "--metric", "gen_gap", "--out", str(tmp_path / "b.png"))
    assert a["series"][0]["y"] == pytest.approx(b["series"][0]["y"], rel=1e-12)
    assert a["series"][0]["hi"] == pytest.approx(b["series"][0]["hi"], rel=1e-9)


@pytest.mark.parametrize("extra,arg", [
    (["--stack-terms"], "--stack-terms"),
    (["--format", "json", "--out", "x.txt"], "--out"),
])
def test_more_bad_plots_are_one_line(sweep_file, capsys, extra, arg):
    code, _, err = run(capsys, "plot", str(sweep_file), *extra)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and arg in lines[0], err
