"""The benchmark scripts run (a smoke run, not a timing assertion: timings are machine noise)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_smoke_run_writes_its_ratios(tmp_path):
    out = tmp_path / "bench.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--repeat", "1",
                    "--workloads", "W1,W2", "--out", str(out)], check=True, capture_output=True, text=True,
                   timeout=300)
    result = json.loads(out.read_text())
    assert [(row["workload"], row["scheme"]) for row in result["results"]] == [
        ("W1", "replace"), ("W1", "accumulate"), ("W2", "replace"), ("W2", "accumulate")]
    for row in result["results"]:
        for key in ("cli_s", "cli_blas_all_s", "engine_s", "engine_cheap_s", "naive_s", "raw_s", "cli_peak_mib"):
            assert row[key] > 0
        assert row["cli_over_raw"] == row["cli_s"] / row["raw_s"]
        assert row["naive_over_engine_cheap"] == row["naive_s"] / row["engine_cheap_s"]
