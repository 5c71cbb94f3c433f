"""The ICL benchmark scripts run (smoke runs at toy sizes; their numbers are in their docstrings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

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
    # the memory floor of the unfused kernel sequence: counted traffic at the measured copy rate
    assert doc["device"]["copy_gbs"] > 0
    for model, t in doc["traffic_per_step_per_replicate"].items():
        assert t["written_bytes"] > 0 and t["read_bytes"] > t["written_bytes"] / 2 and t["kernels"] > 20
    r2 = rows[("learn", 2)]
    moved = sum(doc["traffic_per_step_per_replicate"]["learn"][k] for k in ("read_bytes", "written_bytes"))
    assert r2["unfused_floor_ms"] == pytest.approx(1000 * 2 * moved / (doc["device"]["copy_gbs"] * 1e9))
    assert not r2["compile"] and r2["loss"] == "eager"
    md = out.with_suffix(".md").read_text()
    assert "| learn | 2 | fp32 | eager |" in md and "Targets" in md and "Memory traffic of one replicate" in md


def test_traffic_counter_counts_what_kernels_read_and_write_and_skips_views():
    gpu = _load("gpu")
    a, b = torch.ones(1000), torch.ones(1000)
    counter = gpu._Traffic()
    with counter.mode:
        c = a + b                      # reads 2 × 4000 bytes, writes 4000
        c.view(10, 100).transpose(0, 1)  # views: nothing
        c.mul_(2.0)                    # in place: reads and writes c
    assert counter.kernels == 2
    assert counter.read == 8000 + 4000 and counter.written == 4000 + 4000


def test_gpu_cost_model_ignores_compiled_rows():
    cost = _load("gpu_cost")
    eager = [{"model": "learn-cuda", "precision": "fp32", "replicates": R, "ms_per_step": ms}
             for R, ms in ((32, 2.0), (128, 4.0))]
    compiled = [dict(eager[1], ms_per_step=1.0, compile=True)]
    assert cost.step_ms(128, bench={"steps": eager + compiled}) == cost.step_ms(128, bench={"steps": eager})


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
    assert list(session["stages"]) == ["sanity", "verify", "bench"]       # the suite before the benchmark
    assert "CUDA" in session["stages"]["verify"]["output"]
    files = sorted(p.name for p in out.iterdir())
    assert all(p.is_file() for p in out.iterdir()) and len(files) <= 8, files
    md = (out / "session.md").read_text()
    assert "Cut: none." in md and "| learn | 2 | fp32 |" in md and "captured − eager max abs difference 0" in md


def _tables():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_tables", ROOT / "benchmarks" / "gpu_tables.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_gpu_tables_render_a_cut_session_and_splice_into_the_marked_block(tmp_path):
    tables = _tables()
    session = {"device": "auto", "total_s": 470, "elapsed_s": 466, "date": "2026-12-05",
               "stages": {"sanity": {"status": "ok", "seconds": 12.0, "limit_s": 45},
                          "verify": {"status": "timeout", "seconds": 330.5, "limit_s": 330},
                          "pytest": {"status": "skipped", "reason": "no time left before the hard stop"}}}
    (tmp_path / "session.json").write_text(json.dumps(session))
    (tmp_path / "sanity.json").write_text(json.dumps({"name": "GPU X", "torch": "9.9",
                                                      "capture": {"mode": "graph", "max_abs_diff_vs_eager": 0.0}}))
    check = {"name": "gpu-t2-transformer", "verdict": "pass", "runtime_s": 101.0,
             "details": {"summary": "(ii) degrades → pass"}}
    (tmp_path / "verify.json").write_text(json.dumps({"status": "timeout", "seconds": 330.5, "checks": [check],
                                                      "expected_s": {"gpu-t2-transformer": 95.0}}))
    (tmp_path / "pytest.txt").write_text("....\nFAILED tests/x.py::test_y - boom\n1 failed, 3 passed in 12.5s\n")
    md = tables.render(tmp_path)
    assert "one GPU X on 2026-12-05, torch 9.9" in md
    assert "| verify | timeout (cut) | 330.5 | 330 |" in md and "| pytest | skipped (cut) |" in md
    assert "| gpu-t2-transformer | pass | 101 | 95 |" in md and "(ii) degrades → pass" in md
    assert "1 failed, 3 passed in 12.5s; failed: `tests/x.py::test_y`" in md
    doc = tmp_path / "doc.md"
    doc.write_text(f"before\n{tables.BEGIN}\nold numbers\n{tables.END}\nafter\n")
    tables.update_docs(tmp_path, [doc])
    text = doc.read_text()
    assert text.startswith("before\n") and text.endswith(f"{tables.END}\nafter\n")
    assert "old numbers" not in text and "GPU X" in text
    tables.update_docs(tmp_path, [doc])
    assert doc.read_text() == text                        # idempotent


def test_the_docs_carry_the_gpu_session_block():
    tables = _tables()
    for path in tables.DOCS:
        text = path.read_text()
        assert text.count(tables.BEGIN) == 1 and text.count(tables.END) == 1, path


def test_a_stage_past_its_limit_is_stopped_and_reported(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_session", ROOT / "benchmarks" / "gpu_session.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    st = mod.run_stage([sys.executable, "-c", "import time; print('started', flush=True); time.sleep(60)"], 2,
                       dict(__import__("os").environ))
    assert st["status"] == "timeout" and st["seconds"] < 30 and "started" in st["output"]


def _load(name):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", ROOT / "benchmarks" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod          # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


def test_gpu_suite_expected_seconds_follow_the_cost_model_and_fit_the_session():
    # Every gpu check's expected_s is the cost model's prediction (within 10 %), and the
    # suite fits the GPU session's verify stage with a margin of a quarter.
    cost, session = _load("gpu_cost"), _load("gpu_session")
    from stl.verify.suites import GPU

    predicted = cost.suite_seconds()
    for f in GPU:
        assert abs(predicted[f.name] - f.expected_s) <= 0.1 * f.expected_s, (f.name, predicted[f.name])
    total = sum(predicted.values()) + cost.PROCESS_START_S
    assert 1.25 * total <= session.LIMITS["verify"] and total <= 8 * 60
    assert sum(session.LIMITS[s] for s in ("sanity", "verify")) < session.TOTAL_S


def test_gpu_cost_model_prices_from_measured_steps_and_prefers_a_sessions_rows():
    cost = _load("gpu_cost")
    assert abs(cost.step_ms(64) - cost.MEASURED_LEARN_CUDA_64) < 1e-9
    assert cost.step_ms(8) < cost.step_ms(64) < cost.step_ms(512) < cost.step_ms(2048)
    assert cost.depth_factor(1) < 1 < cost.depth_factor(4)
    bench = {"steps": [{"model": "learn-cuda", "precision": "fp32", "replicates": R, "ms_per_step": ms}
                       for R, ms in ((32, 2.0), (128, 4.0))]}
    assert abs(cost.step_ms(64, bench=bench) - 8 / 3) < 1e-9
    # A training of 3000 steps at 64 replicates: the first session's 17.3 s fit.
    assert abs(cost.Plan(((64, 2),)).seconds(steps=3000) - cost.CHECK_START_S - 17.28) < 0.1


@pytest.mark.parametrize("name", ["gpu_tables", "gpu_cost", "icl_curves"])
def test_benchmark_docstring_examples(name):
    import doctest

    mod = _load(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_curves_follow_every_replicate_of_a_fit():
    curves = _load("icl_curves")
    doc = curves.curves({"recipe": "learn-cuda", "dim": "2", "context": "3", "width": "8", "steps": "6"},
                        count=3, n=32, every=3, probes=40, emit=lambda t: None)
    assert [h["step"] for h in doc["history"]] == [3, 6]
    assert len(doc["final_ratio"]) == 3 and doc["max_ratio"] >= doc["mean_ratio"] > 0
    # The curve's run is the fit's: same data, initial weights and minibatches, so its last
    # point is the fitted model's ratio on the curve's probes.
    import numpy as np
    import torch

    from stl.numerics.icl.baselines import baseline_risks
    from stl.numerics.icl.prompts import Prompts, sample_prompts
    from stl.numerics.models.registry import get_model
    from stl.numerics.rng import ReplicateStreams

    m = get_model("transformer", {"recipe": "learn-cuda", "dim": "2", "context": "3", "width": "8", "steps": "6"},
                  device="cpu")
    s = ReplicateStreams(0, 3)
    theta = m.fit(m.draw_real(s, 32), streams=s)
    probe = sample_prompts(s, "curve-probe", 40, 2, 3, m.noise)
    with torch.no_grad():
        err = ((m.predict_fn(theta.tensors, probe.x, probe.y)[..., -1] - probe.y[..., -1]) ** 2).mean(-1)
    ridge = baseline_risks(Prompts(probe.x.double(), probe.y.double()), m.noise)["ridge"]
    np.testing.assert_allclose(doc["final_ratio"], (err.double() / ridge).numpy(), atol=2e-4)
    assert doc["params"]["init_scale"] == m.params["init_scale"] == 8.0
