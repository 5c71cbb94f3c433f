"""The ICL benchmark scripts run (smoke runs at toy sizes; their numbers are in their docstrings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _run(script, *args):
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args, "--json"], check=True,
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    return json.loads(out.stdout)


def test_icl_training_benchmark_reports_risks_and_baselines():
    rows = _run("icl_training.py", "--n", "20", "--replicates", "2", "--param", "steps=3", "--param", "width=8",
                "--param", "probes=20", "--param", "dim=2", "--param", "context=3")
    assert [r["config"] for r in rows] == ["before", "after"]
    assert rows[0]["params"]["attention"] == "softmax" and rows[1]["params"]["attention"] == "linear"
    for r in rows:
        assert len(r["icl_risk_per_replicate"]) == 2
        assert r["icl_risk_ridge"] > 0 and r["icl_risk_avg"] > 0


def test_icl_batched_benchmark_agrees_with_the_loop():
    rows = _run("icl_batched.py", "--replicates", "2", "--steps", "3", "--width", "8", "--layers", "1")
    for r in rows:
        assert r["max_abs_param_diff"] < 1e-4 and r["speedup"] > 0
