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


def test_targets_and_budget_calibration_are_computed_from_the_rows():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_run", ROOT / "benchmarks" / "run.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = [{"workload": "W1", "scheme": "replace", "cli_s": 6.0, "raw_s": 2.0, "naive_s": 30.0},
            {"workload": "W1", "scheme": "accumulate", "cli_s": 12.0, "raw_s": 2.0, "naive_s": 30.0}]
    targets = {(t["workload"], t["scheme"]): t for t in bench.check_targets(rows)}
    assert targets[("W1", "replace")]["met"] and targets[("W1", "replace")]["value"] == 3.0
    assert not targets[("W1", "accumulate")]["met"] and targets[("W1", "accumulate")]["missed_by_factor"] == 1.2
    summary = bench.budget_summary([{"measured_over_estimated": 0.5}, {"measured_over_estimated": 2.0},
                                    {"measured_over_estimated": 11.0}])
    assert summary["ratio_max"] == 11.0 and not summary["within_factor_10"]
