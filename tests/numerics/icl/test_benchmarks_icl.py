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


def test_gpu_benchmark_quick_cpu_run_writes_json_and_markdown(tmp_path):
    out = tmp_path / "gpu.json"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu.py"), "--device", "cpu", "--quick", "--out", str(out)],
                   check=True, capture_output=True, text=True, timeout=120, cwd=ROOT)
    doc = json.loads(out.read_text())
    rows = {(r["model"], r["replicates"]): r for r in doc["steps"]}
    assert set(rows) == {("learn", 1), ("learn", 2), ("learn", 4), ("garg-cpu", 1), ("garg-cpu", 2)}
    for r in rows.values():
        assert r["ms_per_step"] > 0 and r["mode"] == "eager" and r["finite"]
        assert 0 < r["fraction_of_matmul"] and r["achieved_tflops"] > 0
    # FLOPs per step are linear in the minibatch work: garg-cpu (width 64, 42 tokens, 16 prompts)
    # and learn (width 32, 22 tokens, 64 prompts) are counted, not guessed.
    assert doc["flops_per_step_per_replicate"]["learn"] > 1e7
    assert doc["precision"] == {"skipped": "tf32 and bf16 need CUDA"}
    assert doc["targets"]["learn_R2_ms"] == rows[("learn", 2)]["ms_per_step"]
    md = out.with_suffix(".md").read_text()
    assert "| learn | 2 | fp32 |" in md and "Targets" in md


def test_gpu_session_runs_its_stages_in_subprocesses_and_keeps_every_result(tmp_path):
    # The CPU version of the GPU session: the sanity and benchmark stages run, the verify
    # stage is refused in one line (no CUDA here), and every file stays flat and few.
    out = tmp_path / "session"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_session.py"), "--out", str(out), "--device", "cpu",
                    "--quick", "--stages", "sanity,bench,verify", "--total", "150"],
                   check=True, capture_output=True, text=True, timeout=200, cwd=ROOT)
    session = json.loads((out / "session.json").read_text())
    status = {k: v["status"] for k, v in session["stages"].items()}
    assert status == {"sanity": "ok", "bench": "ok", "verify": "refused"}
    sanity = json.loads((out / "sanity.json").read_text())
    assert sanity["capture"]["mode"] == "eager" and sanity["capture"]["max_abs_diff_vs_eager"] == 0.0
    assert "CUDA" in session["stages"]["verify"]["output"]
    files = sorted(p.name for p in out.iterdir())
    assert all(p.is_file() for p in out.iterdir()) and len(files) <= 8, files


def test_a_stage_past_its_limit_is_stopped_and_reported(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_session", ROOT / "benchmarks" / "gpu_session.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    st = mod.run_stage([sys.executable, "-c", "import time; print('started', flush=True); time.sleep(60)"], 2,
                       dict(__import__("os").environ))
    assert st["status"] == "timeout" and st["seconds"] < 30 and "started" in st["output"]
