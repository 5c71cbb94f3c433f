"""``stl sweep``: product grids of simulate cells, one tidy table, resume, backends."""

import json

import numpy as np
import pytest
from stl.verify.plumbing.backends import DaskBackend, LocalBackend
from stl.verify.cli.main import main
from stl.verify.research.sweep import CellStore, Grid, read_table, run_cell, run_sweep, table_rows

SMALL = ["categorical", "--n", "20,40", "--lam", "0,0.5", "--param", "k=3,5", "--generations", "2",
         "--replicates", "30", "--quiet"]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def grid():
    return Grid.build("categorical", {"n": (20, 40), "lam": (0.0, 0.5), "k": ("3", "5")}, generations=2,
                      replicates=30)


def test_cells_are_the_product_grid_in_a_fixed_order():
    cells = grid().cells()
    assert len(cells) == 8
    assert [(c.n, c.lam, c.params["k"]) for c in cells[:3]] == [(20, 0.0, "3"), (20, 0.0, "5"), (20, 0.5, "3")]
    assert len({c.fingerprint() for c in cells}) == 8


def test_a_cell_is_exactly_what_simulate_prints(capsys):
    """Same model construction, scheme sizing and loop call: identical records, bit for bit."""
    code, out, _ = run(capsys, "simulate", "categorical", "--n", "40", "--lam", "0.5", "--param", "k=5",
                       "--generations", "2", "--replicates", "30", "--seed", "3", "--format", "json", "--quiet")
    assert code == 0
    simulated = json.loads(out)
    cell = run_cell("categorical", {"k": "5"}, "mix", 40, 0.5, 2, 30, 3)
    assert json.loads(json.dumps(cell["records"], allow_nan=False)) == simulated["records"]
    assert cell["run"]["lam_effective"] == simulated["config"]["lam_effective"]


def _table(backend, store=None):
    g = grid()
    return table_rows(g, run_sweep(g, backend, store).outputs)


def test_one_worker_process_pool_and_local_dask_are_bit_identical():
    one = _table(LocalBackend(1))
    with LocalBackend(2) as pool:
        assert _table(pool) == one
    pytest.importorskip("distributed")
    with DaskBackend(workers=2, processes=False) as dask:
        assert _table(dask) == one


def test_table_is_tidy_with_cell_parameters_as_columns(tmp_path, capsys):
    out = tmp_path / "grid.csv"
    code, _, _ = run(capsys, "sweep", *SMALL, "--out", str(out))
    assert code == 0
    _, rows = read_table(out)
    assert list(rows[0])[-5:] == ["generation", "metric", "mean", "stderr", "n_replicates"]
    assert {"n", "lam", "k", "model", "scheme", "seed", "lam_effective"} <= set(rows[0])
    cells = {(r["n"], r["lam"], r["k"]) for r in rows}
    assert len(cells) == 8
    assert len(rows) == 8 * 3 * 4  # cells × generations 0..2 × categorical's four metrics


@pytest.mark.parametrize("suffix", [".json", ".parquet", ".csv"])
def test_json_and_parquet_tables_carry_config_and_provenance(tmp_path, capsys, suffix):
    if suffix == ".parquet":
        pytest.importorskip("pyarrow")
    out = tmp_path / f"grid{suffix}"
    assert run(capsys, "sweep", *SMALL, "--out", str(out))[0] == 0
    config, rows = read_table(out)
    assert config["command"] == "sweep" and config["cells"] == 8
    assert config["provenance"]["command"][:2] == ["stl", "sweep"]
    assert "numpy" in config["provenance"] and "k" in config["cell_columns"]
    assert len(rows) == 96


def test_an_interrupted_sweep_resumes_cell_by_cell(tmp_path, monkeypatch):
    import stl.verify.research.sweep as sw

    g = grid()
    store = CellStore(tmp_path / "grid.csv.cells")
    calls = []
    real = sw.run_cell

    def flaky(**kw):
        if len(calls) == 3:
            raise KeyboardInterrupt("killed")
        calls.append(kw)
        return real(**kw)

    monkeypatch.setattr(sw, "run_cell", flaky)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(g, LocalBackend(1), store)
    assert len(list(store.folder.glob("*.json"))) == 3
    monkeypatch.setattr(sw, "run_cell", real)
    resumed = run_sweep(g, LocalBackend(1), store)
    assert len(resumed.reused) == 3 and resumed.issues == ()
    assert table_rows(g, resumed.outputs) == _table(LocalBackend(1))


def test_extending_an_axis_computes_only_the_new_cells(tmp_path, capsys):
    out = tmp_path / "grid.json"
    assert run(capsys, "sweep", *SMALL, "--out", str(out))[0] == 0
    wider = [a if a != "20,40" else "20,40,80" for a in SMALL]
    assert run(capsys, "sweep", *wider, "--out", str(out))[0] == 0
    config, _ = read_table(out)
    assert config["cells"] == 12 and config["reused_cells"] == 8


@pytest.mark.parametrize("damage", ["deep", "directory", "edited"])
def test_a_damaged_cell_file_is_reported_and_recomputed(tmp_path, damage):
    g = grid()
    store = CellStore(tmp_path / "cells")
    clean = run_sweep(g, LocalBackend(1), store)
    cell = g.cells()[0]
    path = store.path(cell.fingerprint())
    if damage == "deep":
        path.write_text("[" * 100_000 + "]" * 100_000)
    elif damage == "directory":
        path.unlink()
        path.mkdir()
    else:
        path.write_text(path.read_text().replace('"mean": 0.', '"mean": 1.', 1))
    again = run_sweep(g, LocalBackend(1), store)
    assert len(again.issues) == 1 and "recomputing" in again.issues[0]
    assert table_rows(g, again.outputs) == table_rows(g, clean.outputs)
    assert run_sweep(g, LocalBackend(1), store).issues == ()  # repaired


def test_config_file_describes_a_sweep_and_the_command_line_wins(tmp_path, capsys):
    toml = tmp_path / "grid.toml"
    toml.write_text('model = "categorical"\nn = [20, 40]\nlam = [0, 0.5]\ngenerations = 2\nreplicates = 30\n'
                    'quiet = true\nformat = "json"\n[param]\nk = [3, 5]\n')
    code, out, _ = run(capsys, "sweep", "--config", str(toml))
    assert code == 0
    doc = json.loads(out)
    assert doc["config"]["cells"] == 8
    code, out, _ = run(capsys, "sweep", "--config", str(toml), "--n", "30", "--param", "k=4")
    assert code == 0 and json.loads(out)["config"]["cells"] == 2


def test_a_value_with_commas_uses_semicolons(capsys):
    code, out, _ = run(capsys, "sweep", "categorical", "--param", "k=2", "--param", "probs=0.5,0.5;0.2,0.8",
                       "--n", "20", "--generations", "1", "--replicates", "10", "--quiet", "--format", "json")
    assert code == 0
    assert {r["probs"] for r in json.loads(out)["records"]} == {"0.5,0.5", "0.2,0.8"}


@pytest.mark.parametrize("argv,arg", [
    (["sweep", "categorical", "--n", "20,20"], "--n"),
    (["sweep", "categorical", "--n", "20,"], "--n"),
    (["sweep", "categorical", "--lam", "0,2"], "--lam"),
    (["sweep", "categorical", "--param", "k=1,3"], "k"),
    (["sweep", "categorical", "--param", "k=3,3"], "--param k"),
    (["sweep", "categorical", "--param", "nope=1,2"], "nope"),
    (["sweep", "categorical", "--scheme", "mix,nope"], "--scheme"),
    (["sweep", "categorical", "--n", ",".join(str(i) for i in range(1, 202)),
      "--lam", ",".join(str(i / 100) for i in range(51))], "cells"),
    (["sweep", "nomodel"], "MODEL"),
    (["sweep"], "MODEL"),
    (["sweep", "categorical", "--out", ""], "--out"),
    (["sweep", "categorical", "--out", "grid.txt"], "--out"),
    (["sweep", "categorical", "--device", "cuda"], "--device"),
    (["sweep", "categorical", "--replicates", "1000000000", "--generations", "1000"], "--n/--lam"),
    (["sweep", "categorical", "--backend", "spark"], "--backend"),
])
def test_bad_sweeps_exit_2_with_one_line(capsys, argv, arg):
    code, _, err = run(capsys, *argv)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and arg in lines[0] and "Traceback" not in err, err


def test_a_second_sweep_into_the_same_output_is_refused(tmp_path, capsys):
    from stl.verify.plumbing.lock import DirectoryLock

    out = tmp_path / "grid.csv"
    with DirectoryLock(CellStore.beside(out).folder):
        code, _, err = run(capsys, "sweep", *SMALL, "--out", str(out))
    assert code == 2 and "--out" in err and "holds" in err
    assert run(capsys, "sweep", *SMALL, "--out", str(out))[0] == 0  # released with its holder


@pytest.mark.slow
def test_the_cli_on_a_local_dask_cluster_matches_one_worker(capsys):
    pytest.importorskip("distributed")
    argv = ["sweep", *SMALL, "--format", "json"]
    code, one, _ = run(capsys, *argv)
    code_dask, dask, err = run(capsys, *argv, "--backend", "dask", "--workers", "2")
    assert code == code_dask == 0, err
    assert json.loads(dask)["records"] == json.loads(one)["records"]
    assert json.loads(dask)["config"]["provenance"]["backend"] == "dask (2 workers)"


class _Terminal:
    """A stderr that says it is a terminal, so progress is drawn."""

    def __init__(self):
        import io

        self.buf = io.StringIO()

    def isatty(self):
        return True

    def write(self, text):
        self.buf.write(text)

    def flush(self):
        pass


def test_progress_per_cell_on_a_terminal_and_none_when_piped(capsys, monkeypatch):
    import sys

    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["sweep", *[a for a in SMALL if a != "--quiet"], "--format", "json"]) == 0
    drawn = term.buf.getvalue()
    assert "sweep: cells: 8/8" in drawn and "ETA" in drawn and "done: n=40 lam=0.5 k=5" in drawn
    monkeypatch.undo()
    assert main(["sweep", *[a for a in SMALL if a != "--quiet"], "--format", "json"]) == 0
    assert capsys.readouterr().err == ""  # pytest's capture is not a terminal


def test_a_per_replicate_sweep_has_one_row_per_cell_generation_replicate_and_metric(tmp_path, capsys):
    out = tmp_path / "per.csv"
    assert run(capsys, "sweep", *SMALL, "--out", str(out), "--per-replicate")[0] == 0
    config, rows = read_table(out)
    assert config["per_replicate"] is True
    replicates = config["replicates"]
    assert len(rows) == 96 * replicates and {"replicate", "value", "n", "lam", "k"} <= set(rows[0])
    summary = tmp_path / "sum.json"
    assert run(capsys, "sweep", *SMALL, "--out", str(summary))[0] == 0  # cells of their own (no values kept)
    _, recs = read_table(summary)
    first = recs[0]
    vals = [r["value"] for r in rows if (r["n"], r["lam"], r["k"], r["generation"], r["metric"])
            == (first["n"], first["lam"], first["k"], first["generation"], first["metric"])]
    assert len(vals) == replicates and np.mean(vals) == pytest.approx(first["mean"], rel=1e-12)


def test_a_lam_a_scheme_ignores_is_said_once(capsys):
    code, _, err = run(capsys, "sweep", "categorical", "--scheme", "mix,replace", "--n", "10", "--lam", "0,0.5",
                       "--generations", "1", "--replicates", "2", "--quiet")
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert code == 0 and len(warnings) == 1 and "replace" in warnings[0] and "0.5" in warnings[0]
