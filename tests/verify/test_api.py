"""The thin Python API: ``stl.derive``, ``stl.simulate``, ``stl.bound``, ``stl.verify`` give
what the commands give, and ``import stl`` stays light."""

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

import stl
from stl.verify.cli.main import main


def test_import_stl_imports_no_layer():
    code = ("import sys, stl; heavy = [m for m in ('stl.verify.api', 'stl.numerics', 'stl.theory', 'numpy', "
            "'sympy', 'torch', 'pandas') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_simulate_gives_the_numbers_of_stl_simulate(capsys):
    traj = stl.simulate("gaussian", n=15, generations=3, replicates=8, seed=4, params={"dim": 2})
    assert main(["simulate", "gaussian", "--n", "15", "--generations", "3", "--replicates", "8", "--seed", "4",
                 "--param", "dim=2", "--format", "json", "--quiet"]) == 0
    cli = json.loads(capsys.readouterr().out)["records"]
    api = traj.to_records()
    assert [(r["metric"], r["mean"]) for r in api] == [(r["metric"], r["mean"]) for r in cli]
    assert traj.config["provenance"]["seed"] == 4


def test_an_ignored_lam_is_a_warning():
    with pytest.warns(UserWarning, match="--lam 0.5 is not used"):
        stl.simulate("categorical", scheme="replace", lam=0.5, n=10, generations=1, replicates=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stl.simulate("categorical", scheme="replace", n=10, generations=1, replicates=2)


def test_bound_gives_the_records_of_stl_bound(capsys, tmp_path):
    table = stl.bound("categorical", n=20, generations=2, replicates=12, est_replicates=4, seed=1, params={"k": 3})
    assert main(["bound", "categorical", "--n", "20", "--generations", "2", "--replicates", "12",
                 "--est-replicates", "4", "--seed", "1", "--param", "k=3", "--format", "json", "--quiet"]) == 0
    cli = json.loads(capsys.readouterr().out)["records"]
    assert [(r["metric"], r["mean"]) for r in table.records] == [(r["metric"], r["mean"]) for r in cli]
    gaps = [r["value"] for r in table.replicate_rows if r["generation"] == 1]
    assert len(gaps) == 12 and np.mean(gaps) == pytest.approx(
        next(r["mean"] for r in cli if r["metric"] == "gen_gap" and r["generation"] == 1), rel=1e-12)
    drawn = table.plot(tmp_path / "t1.svg")
    assert drawn.metrics == ("gen_gap", "bound_analytic", "bound_estimated") and drawn.path.exists()


def test_derive_returns_the_derivation_or_its_transformed_bound():
    deriv = stl.derive("theorem1")
    assert deriv.result.source.startswith("T1")
    limit = stl.derive("shift", subs={"lam": "1/4"}, limit={"i": "oo"})
    assert str(limit.expr) == "4*d_tv"


def test_verify_is_the_package_and_runs_a_suite(tmp_path):
    import stl.verify as package

    assert stl.verify is package and callable(package)
    report = stl.verify("smoke-verdict-rules", out=tmp_path / "r")
    assert report["summary"]["pass"] == 1 and report["summary"]["fail"] == 0
    assert (tmp_path / "r" / "report.json").exists()


def test_to_frame_with_pandas():
    pd = pytest.importorskip("pandas")
    traj = stl.simulate("categorical", n=10, generations=2, replicates=5, params={"k": 3})
    frame = traj.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 3 * 4
    assert list(frame.columns) == ["generation", "metric", "mean", "stderr", "n_replicates"]
    assert frame.attrs["config"]["model"] == "categorical"
    per = traj.to_frame(per_replicate=True)
    assert len(per) == 3 * 5 * 4
    assert per.groupby(["generation", "metric"])["value"].mean().loc[(2, "heterozygosity")] == pytest.approx(
        frame.set_index(["generation", "metric"]).loc[(2, "heterozygosity"), "mean"])


def test_to_frame_without_pandas_names_the_package(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("no pandas here")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    traj = stl.simulate("categorical", n=10, generations=1, replicates=2, params={"k": 3})
    with pytest.raises(ImportError, match="pip install pandas"):
        traj.to_frame()
