"""CUDA: the captured step equals the eager one, precisions train, the CUDA default learns.

Run with ``pytest -m gpu`` on a machine with CUDA (about a minute on one H200; the CPU
suite skips these). ``benchmarks/gpu_session.py`` runs them as one stage of its GPU session.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from stl.numerics.icl.prompts import sample_prompts
from stl.numerics.icl.training import TrainingPlan, TrainingRun
from stl.numerics.icl.transformer import TransformerConfig, init_params, predictor
from stl.numerics.models.registry import get_model
from stl.numerics.rng import ReplicateStreams

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA"),
              pytest.mark.timeout(300)]

CUDA = torch.device("cuda")


def _run(capture, precision="fp32", steps=60, R=6, softmax=False):
    cfg = TransformerConfig(dim=4, length=9, layers=2, width=32, heads=4, attention="softmax" if softmax else "linear")
    s = ReplicateStreams(2, R)
    data = sample_prompts(s, "train", 256, dim=4, context=8, noise=0.5, device=CUDA)
    order = torch.as_tensor(s.integers("batches", 256, (steps, 32)), device=CUDA)
    plan = TrainingPlan(steps, schedule="cosine", clip=1.0, curriculum=0.25, weight_decay=0.01,
                        precision=precision, capture=capture)
    run = TrainingRun(init_params(cfg, s, device=CUDA), predictor(cfg), data, lr=3e-3, order=order, plan=plan)
    report = run.run()
    torch.cuda.synchronize()
    return run, report


@pytest.mark.parametrize("softmax", [False, True])
def test_captured_step_equals_the_eager_step_on_cuda(softmax):
    eager, r_eager = _run("eager", softmax=softmax)
    graph, r_graph = _run("graph", softmax=softmax)
    assert r_eager.mode == "eager" and r_graph.mode == "graph" and r_graph.eager_steps == 3
    assert int(graph.t) == int(eager.t) == 60
    for k, v in eager.params().items():
        torch.testing.assert_close(graph.params()[k], v, rtol=1e-4, atol=1e-5)


def test_auto_capture_is_used_on_cuda_and_same_seed_gives_same_numbers():
    a, report = _run("auto")
    b, _ = _run("auto")
    assert report.mode == "graph", report.reason
    for k, v in a.params().items():
        torch.testing.assert_close(b.params()[k], v, rtol=0, atol=0)


@pytest.mark.parametrize("precision", ["tf32", "bf16"])
def test_tensor_core_precisions_train_close_to_fp32(precision):
    ref, _ = _run("graph")
    low, report = _run("graph", precision=precision)
    assert report.mode == "graph"
    num = sum(float((low.params()[k] - v).norm() ** 2) for k, v in ref.params().items())
    den = sum(float(v.norm() ** 2) for v in ref.params().values())
    # Same data, weights and minibatches: the runs differ by the products' rounding only
    # (bf16 always; tf32 where cuBLAS picks a tensor-core kernel for these small shapes).
    assert math.isfinite(num) and math.sqrt(num / den) < 0.25
    if precision == "bf16":
        assert num > 0
    assert torch.get_float32_matmul_precision() == "highest"         # restored after training


def _risk_vs_ridge(model, R, n, probes_seed=0):
    s = ReplicateStreams(probes_seed, R)
    theta = model.fit(model.draw_real(s, n), streams=s)
    got = model.measure(theta, s, ["icl_risk", "icl_risk_ridge"])
    return np.asarray(got["icl_risk"]), np.asarray(got["icl_risk_ridge"])


def test_the_cuda_default_recipe_learns_within_1p5_of_ridge():
    m = get_model("transformer", {"probes": "2000"}, device="auto")
    assert m.device == "cuda" and m.params["recipe"] == "learn-cuda"
    risk, ridge = _risk_vs_ridge(m, R=8, n=m.default_n)
    d = risk - 1.5 * ridge                  # paired: the same probe prompts per replicate
    assert d.mean() + 3 * d.std(ddof=1) / math.sqrt(len(d)) < 0, (risk.mean(), ridge.mean())


def test_stability_pairs_train_together_on_cuda():
    from stl.numerics.estimators import estimate_tau

    m = get_model("transformer", {"recipe": "learn-cuda", "steps": "200", "probes": "200", "label_noise": "1"},
                  device="cuda")
    est = estimate_tau(m, n=512, replicates=8, seed=0, neighbours=2)
    assert m.trainings == 1 and 0 < est.value <= 1


def test_replicates_fill_the_device_in_few_trainings():
    m = get_model("transformer", {}, device="cuda")
    from stl.numerics.icl import sizing

    per = m.training_bytes_per_replicate(m.default_n)
    fit = sizing.replicates_per_batch(sizing.TRAIN_FRACTION * sizing.free_bytes(torch.device("cuda")), per, 512)
    assert 0 < per < 1e9 and fit >= 64          # an H200 takes hundreds of learn-cuda replicates at once


def test_replace_degrades_where_mix_does_not_on_cuda():
    # THEORY.md T2 (ii) against (i) at the CUDA recipe's sizes, both loops from the same S_0
    # and generation-0 fit (same seed): paired per replicate.
    from stl.numerics.loop import run_loop

    m = get_model("transformer", {"recipe": "learn-cuda", "steps": "2000", "probes": "1000"}, device="cuda")
    mix = run_loop(m, "mix", 4096, 0.5, 2, 8, 0, metrics=["icl_risk"]).values["icl_risk"]
    rep = run_loop(m, "replace", 4096, 0.0, 2, 8, 0, metrics=["icl_risk"]).values["icl_risk"]
    d = rep[:, -1] - mix[:, -1]
    assert d.mean() > 3 * d.std(ddof=1) / math.sqrt(len(d))
