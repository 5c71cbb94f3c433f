"""``stl plot``: figures of saved trajectories and sweeps, PNG/PDF/SVG, one-line errors."""

import pytest
from stl.verify.cli.main import main
from stl.verify.plots import plot_table, varying_columns

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
