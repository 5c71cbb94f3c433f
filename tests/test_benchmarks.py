"""The benchmark scripts run (a smoke run, not a timing assertion: timings are machine noise)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_w1_benchmark_smoke_run_writes_its_ratios(tmp_path):
    out = tmp_path / "w1.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--repeat", "1",
                    "--out", str(out)], check=True, capture_output=True, text=True, timeout=300)
    result = json.loads(out.read_text())
    assert [row["scheme"] for row in result["results"]] == ["replace", "accumulate"]
    for row in result["results"]:
        for key in ("batched_s", "naive_s", "naive_chol_s", "raw_normals_s"):
            assert row[key] > 0
        assert row["speedup_vs_naive"] == row["naive_s"] / row["batched_s"]
