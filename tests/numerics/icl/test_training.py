"""The static-shape training step: equal to the step it replaced, capturable, precise about precision."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from stl.numerics.errors import InputError
from stl.numerics.icl import capture, precision
from stl.numerics.icl.prompts import Prompts, sample_prompts
from stl.numerics.icl.training import (
    ADAM_BETAS,
    ADAM_EPS,
    TrainingPlan,
    TrainingRun,
    curriculum_length,
    lr_factor,
    train,
)
from stl.numerics.icl.transformer import TransformerConfig, init_params, predictor
from stl.numerics.rng import ReplicateStreams


def reference_train(params, predict, data, *, steps, lr, order, optimizer="adam", schedule="constant",
                    warmup=0.05, clip=None, weight_decay=0.0, curriculum=0.0):
    """The dynamic-shape loop the static step replaced: slices the curriculum, Python
    scalars for the schedule and Adam's corrections, per-weight tensors (float64 here)."""
    p = {k: v.detach().double().clone().requires_grad_(True) for k, v in params.items()}
    m1 = {k: torch.zeros_like(v) for k, v in p.items()}
    m2 = {k: torch.zeros_like(v) for k, v in p.items()}
    R = data.replicates
    rows = torch.arange(R).unsqueeze(1)
    for step in range(steps):
        x, y = (data.x, data.y) if order is None else (data.x[rows, order[:, step]], data.y[rows, order[:, step]])
        k = curriculum_length(step, steps, data.length, curriculum)
        x, y = x[:, :, :k].double(), y[:, :, :k].double()
        loss = ((predict(p, x, y) - y) ** 2).mean(dim=(1, 2)).sum()
        grads = torch.autograd.grad(loss, list(p.values()))
        with torch.no_grad():
            g = dict(zip(p, grads))
            if clip is not None:
                norm = torch.sqrt(sum((v.reshape(R, -1) ** 2).sum(1) for v in g.values()))
                scale = clip / norm.clamp(min=clip)
                g = {n: v * scale.view(R, *[1] * (v.ndim - 1)) for n, v in g.items()}
            rate = lr * lr_factor(step, steps, schedule, warmup)
            for n in p:
                p[n] -= rate * weight_decay * p[n]
                if optimizer == "sgd":
                    p[n] -= rate * g[n]
                    continue
                m1[n].mul_(ADAM_BETAS[0]).add_(g[n], alpha=1 - ADAM_BETAS[0])
                m2[n].mul_(ADAM_BETAS[1]).addcmul_(g[n], g[n], value=1 - ADAM_BETAS[1])
                c1, c2 = 1 - ADAM_BETAS[0] ** (step + 1), 1 - ADAM_BETAS[1] ** (step + 1)
                p[n] -= rate * (m1[n] / c1) / ((m2[n] / c2).sqrt() + ADAM_EPS)
    return {k: v.detach() for k, v in p.items()}


def _setup(R=3, steps=12, batch=6, n=24, seed=5):
    cfg = TransformerConfig(dim=3, length=6, layers=2, width=8, heads=2)
    s = ReplicateStreams(seed, R)
    params = {k: v.double() for k, v in init_params(cfg, s).items()}
    data = sample_prompts(s, "train", n, dim=3, context=5, noise=0.3, dtype=torch.float64)
    order = torch.as_tensor(s.integers("batches", n, (steps, batch)))
    return cfg, params, data, order


@pytest.mark.parametrize("kw", [
    dict(optimizer="adam", schedule="cosine", clip=0.05, curriculum=0.5),     # the clip binds
    dict(optimizer="adam", schedule="constant", weight_decay=0.5, curriculum=1.0),
    dict(optimizer="sgd", schedule="cosine", warmup=0.3, clip=None),
])
def test_static_step_equals_the_dynamic_reference(kw):
    # Masked curriculum = sliced prompts (causal network), tensor schedule and bias
    # corrections = Python scalars, one flat tensor = per-weight tensors: the same run.
    cfg, params, data, order = _setup()
    f = predictor(cfg)
    got = train(params, f, data, steps=12, lr=0.01, order=order, **kw)
    want = reference_train(params, f, data, steps=12, lr=0.01, order=order, **kw)
    for k in want:
        torch.testing.assert_close(got[k], want[k], rtol=1e-9, atol=1e-11)


def test_full_batch_and_per_replicate_rates():
    cfg, params, data, _ = _setup()
    f = predictor(cfg)
    lr = torch.tensor([0.01, 0.02, 0.005], dtype=torch.float64)
    got = train(params, f, data, steps=4, lr=lr, order=None, optimizer="sgd")
    for r in range(3):
        one = {k: v[r:r + 1] for k, v in params.items()}
        mine = Prompts(data.x[r:r + 1], data.y[r:r + 1])
        want = reference_train(one, f, mine, steps=4, lr=float(lr[r]), order=None, optimizer="sgd")
        for k in want:
            torch.testing.assert_close(got[k][r:r + 1], want[k], rtol=1e-9, atol=1e-11)


def _recorder():
    """A stand-in for CUDA-graph capture on the CPU: capture records the step without
    running it (as a graph capture does) and replay runs the recorded function."""
    captured = []

    def factory(step):
        captured.append(step)
        return step

    return factory, captured


def test_captured_run_equals_eager_run_and_takes_exactly_the_planned_steps():
    cfg, params, data, order = _setup(steps=40)
    f = predictor(cfg)
    plan = TrainingPlan(40, schedule="cosine", clip=1.0, curriculum=0.25)
    eager = TrainingRun(params, f, data, lr=0.01, order=order, plan=plan)
    report = eager.run()
    assert report.mode == "eager" and report.steps == 40
    graphed = TrainingRun(params, f, data, lr=0.01, order=order, plan=plan)
    factory, captured = _recorder()
    report = graphed.run(capture_factory=factory)
    assert report.mode == "graph" and report.eager_steps == capture.WARMUP and len(captured) == 1
    assert int(graphed.t) == 40 == int(eager.t)
    for k, v in eager.params().items():
        torch.testing.assert_close(graphed.params()[k], v, rtol=0, atol=0)


def test_failed_capture_falls_back_to_eager_steps_and_says_why():
    cfg, params, data, order = _setup(steps=30)
    f = predictor(cfg)
    plan = TrainingPlan(30, clip=1.0)

    def broken(step):
        raise RuntimeError("capture not permitted")

    want = TrainingRun(params, f, data, lr=0.01, order=order, plan=plan)
    want.run()
    run = TrainingRun(params, f, data, lr=0.01, order=order, plan=plan)
    report = run.run(capture_factory=broken)
    assert report.mode == "eager" and "capture not permitted" in report.reason
    assert int(run.t) == 30
    for k, v in want.params().items():
        torch.testing.assert_close(run.params()[k], v, rtol=0, atol=0)
    strict = TrainingRun(params, f, data, lr=0.01, order=order, plan=TrainingPlan(30, capture="graph"))
    with pytest.raises(RuntimeError):
        strict.run(capture_factory=broken)


def test_a_step_never_reads_a_value_back_to_the_host(monkeypatch):
    # No .item(), no bool() of a tensor, no .cpu(): what would stall a CUDA graph.
    cfg, params, data, order = _setup(steps=6)
    run = TrainingRun(params, predictor(cfg), data, lr=0.01, order=order,
                      plan=TrainingPlan(6, schedule="cosine", clip=1.0, curriculum=0.5, weight_decay=0.1))

    def refuse(*a, **k):
        raise AssertionError("host synchronisation inside a training step")

    for name in ("item", "__bool__", "cpu", "tolist", "numpy"):
        monkeypatch.setattr(torch.Tensor, name, refuse)
    for _ in range(6):
        run.step()
    monkeypatch.undo()
    assert int(run.t) == 6


def test_capture_modes_and_bad_values():
    with pytest.raises(InputError):
        capture.run_steps(lambda: None, 3, "cpu", mode="graph")
    with pytest.raises(InputError):
        capture.run_steps(lambda: None, 3, "cpu", mode="sometimes")
    with pytest.raises(InputError):
        TrainingPlan(3, precision="fp16")
    with pytest.raises(InputError):
        TrainingPlan(3, warmup=2.0)
    assert capture.run_steps(lambda: None, 3, "cpu", mode="eager").reason is None


def test_precision_is_refused_on_the_cpu_and_restored_after_training():
    with pytest.raises(InputError):
        precision.check_precision("tf32", "cpu")
    before = torch.get_float32_matmul_precision()
    with precision.training_precision("fp32", "cpu"):
        assert torch.get_float32_matmul_precision() == "highest"
    assert torch.get_float32_matmul_precision() == before
    torch.set_float32_matmul_precision("high")
    try:
        with precision.exact_products():
            assert torch.get_float32_matmul_precision() == "highest"
        assert torch.get_float32_matmul_precision() == "high"
    finally:
        torch.set_float32_matmul_precision(before)


def test_schedule_tables_match_their_scalar_definitions():
    from stl.numerics.icl.training import curriculum_lengths, lr_factors

    f = lr_factors(50, "cosine", 0.1)
    assert f[0] == pytest.approx(0.2) and f[4] == 1.0 and f[5] == 1.0
    assert np.all(np.diff(f[5:]) <= 0) and f[-1] < 0.01
    assert f[5 + 22] == pytest.approx(0.5 * (1 + math.cos(math.pi * 22 / 45)))
    lengths = curriculum_lengths(10, 6, 0.5)
    assert lengths.tolist() == [2, 2, 3, 4, 5, 6, 6, 6, 6, 6]
    assert curriculum_lengths(10, 6, 0.0).tolist() == [6] * 10
