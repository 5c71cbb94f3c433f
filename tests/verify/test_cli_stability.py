"""``stl stability``: records of beta_n, tau_n, gamma, d_tv with CIs (DESIGN.md)."""

from __future__ import annotations

import json

import pytest

from stl.verify.cli.main import main


def stability(capsys, *extra):
    argv = ["stability", "categorical", "--n", "40", "--generations", "4", "--replicates", "300",
            "--param", "k=5", "--format", "json", "--quiet", *extra]
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_stability_records_and_tau_one_over_n(capsys):
    out = stability(capsys)
    recs = out["records"]
    by = {}
    for r in recs:
        assert {"generation", "metric", "mean", "stderr", "n_replicates", "ci_low", "ci_high"} <= set(r)
        by.setdefault(r["metric"], []).append(r)
    assert set(by) == {"beta_n", "tau_n", "gamma", "d_tv"}
    assert [r["generation"] for r in by["tau_n"]] == [0] and [r["generation"] for r in by["beta_n"]] == [0]
    assert [r["generation"] for r in by["gamma"]] == list(range(5))
    assert [r["generation"] for r in by["d_tv"]] == list(range(5))
    tau = by["tau_n"][0]
    # Categorical TV-stability is exactly 1/n (THEORY.md §4).
    assert tau["ci_low"] - 1e-12 <= 1 / 40 <= tau["ci_high"] + 1e-12
    beta = by["beta_n"][0]
    assert beta["ci_high"] <= 4 / 40 + 2 / 40 ** 2 + 1e-12 or beta["mean"] <= 4 / 40 + 2 / 40 ** 2
    assert out["config"]["gamma_proxy"] is False
    assert "maximal coupling" in out["config"]["methods"]["gamma"]
    for r in recs:
        assert r["ci_low"] <= r["mean"] <= r["ci_high"]


def test_stability_pretty_and_csv(tmp_path, capsys):
    path = tmp_path / "s.csv"
    assert main(["stability", "gaussian", "--n", "20", "--generations", "2", "--replicates", "20",
                 "--out", str(path), "--quiet"]) == 0
    assert "gamma" in capsys.readouterr().out
    lines = path.read_text().splitlines()
    assert lines[1].startswith("# config: ")  # the config travels with the CSV
    assert lines[2] == "generation,metric,mean,stderr,n_replicates,ci_low,ci_high"


def test_stability_kde_marks_proxy(capsys):
    assert main(["stability", "kde", "--n", "10", "--generations", "1", "--replicates", "5",
                 "--format", "json", "--quiet", "--neighbours", "2", "--probes", "10"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["config"]["gamma_proxy"] is True and "PROXY" in out["config"]["methods"]["gamma"]


@pytest.mark.parametrize("argv,arg", [
    (["--replicates", "1"], "--replicates"),
    (["--confidence", "1.5"], "--confidence"),
    (["--neighbours", "0"], "--neighbours"),
    (["--probes", "0"], "--probes"),
    (["--lam", "-1"], "--lam"),
    (["--lam", "nan"], "--lam"),
    (["--confidence", "nan"], "--confidence"),
    (["--generations", "-1"], "--generations"),
    (["--param", "k=abc"], "--param k"),
    (["--out", "s.txt"], "--out"),
])
def test_stability_user_errors(capsys, argv, arg):
    assert main(["stability", "categorical", "--quiet", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"stl stability: error: {arg}")
