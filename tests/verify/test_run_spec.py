"""The run layer: every path that runs the loop goes through one RunSpec (issue 20)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pytest

from stl.verify.errors import InputError
from stl.verify.run import DEFAULT_LAM, RunSpec

ROOT = Path(__file__).resolve().parents[2]
CELL = dict(model="categorical", params={"k": "4"}, scheme="mix", n=30, lam=0.4, generations=3, seed=11)


def test_defaults_are_resolved_from_the_model_once():
    spec = RunSpec("categorical")
    model = spec.model_built
    assert spec.n_resolved == model.default_n
    assert spec.replicates_resolved == model.default_replicates
    assert spec.lam_given == DEFAULT_LAM
    assert spec.model_built is model                       # built once
    assert spec.metric_names == tuple(model.check_metrics(None))


def test_metrics_are_checked_against_the_model_and_kept_once():
    assert RunSpec("categorical", metrics=("gen_gap", "gen_gap")).metric_names == ("gen_gap",)
    with pytest.raises(InputError, match="--metric"):
        RunSpec("categorical", metrics=("kl_to_real",)).metric_names


def test_params_become_the_texts_the_model_parses():
    assert RunSpec("categorical", params={"k": 4}).params == {"k": "4"}


def test_accumulate_records_that_lam_is_not_used():
    config = RunSpec("categorical", scheme="accumulate", n=20, generations=1, replicates=2).config()
    assert config["lam_effective"] is None and "real_proportion" in config


def _five_paths(tmp_path):
    """gen_gap per replicate and generation (or its mean), by every path that runs the loop."""
    from stl.verify import api
    from stl.verify.checks.loops import loop_block
    from stl.verify.cli.main import main
    from stl.verify.research.sweep import run_cell

    reps = 6
    out = {"spec": RunSpec(**CELL, replicates=reps).run().values["gen_gap"]}
    out["loop_block"] = loop_block(CELL["model"], CELL["params"], CELL["scheme"], CELL["n"], CELL["lam"],
                                   CELL["generations"], CELL["seed"], 0, reps, metrics=("gen_gap",))["gen_gap"]
    out["api"] = api.simulate(CELL["model"], scheme=CELL["scheme"], n=CELL["n"], lam=CELL["lam"],
                              generations=CELL["generations"], replicates=reps, seed=CELL["seed"],
                              params=CELL["params"]).values["gen_gap"]
    cell = run_cell(CELL["model"], CELL["params"], CELL["scheme"], CELL["n"], CELL["lam"], CELL["generations"],
                    reps, CELL["seed"], metrics=("gen_gap",))
    means = {"sweep": [r["mean"] for r in cell["records"] if r["metric"] == "gen_gap"]}
    args = ["--n", str(CELL["n"]), "--lam", str(CELL["lam"]), "--generations", str(CELL["generations"]),
            "--replicates", str(reps), "--seed", str(CELL["seed"]), "--param", "k=4", "--quiet"]
    for command in ("simulate", "bound"):
        path = tmp_path / f"{command}.json"
        assert main([command, CELL["model"], *args, "--out", str(path)]) == 0
        records = json.loads(path.read_text())["records"]
        means[command] = [r["mean"] for r in records if r["metric"] == "gen_gap"]
    return out, means


def _reference() -> np.ndarray:
    """The cell run by the numeric layer directly, without the run layer (so a mistake in
    RunSpec's resolution, shared by all five paths, still shows)."""
    from stl.numerics.loop import run_loop
    from stl.numerics.models.registry import get_model
    from stl.numerics.schemes import get_scheme

    scheme = get_scheme(CELL["scheme"], CELL["n"], CELL["lam"])
    return run_loop(get_model(CELL["model"], CELL["params"], device="cpu"), scheme, CELL["n"], CELL["lam"],
                    CELL["generations"], 6, CELL["seed"], metrics=("gen_gap",)).values["gen_gap"]


def test_the_five_run_paths_give_the_numbers_of_the_loop_itself(tmp_path):
    per_replicate, means = _five_paths(tmp_path)
    reference = _reference()
    for name, values in per_replicate.items():
        np.testing.assert_array_equal(values, reference, err_msg=name)
    for name, values in means.items():
        np.testing.assert_allclose(values, reference.mean(axis=0), rtol=1e-12, atol=1e-15, err_msg=name)


def test_no_module_but_the_run_layer_calls_run_loop():
    """``run_loop`` is called from one place in verify (the RunSpec), so sizes, defaults and
    metrics cannot be resolved differently by one command."""
    allowed = {ROOT / "verify" / "run.py"}
    offenders = []
    for path in sorted((ROOT / "verify").rglob("*.py")):
        if path in allowed:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
                if name == "run_loop":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
