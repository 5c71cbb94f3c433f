"""The compiled training loss (``--param compile=on``): the same step as the eager one."""

from __future__ import annotations

import shutil

import pytest
import torch

from stl.numerics.errors import InputError
from stl.numerics.icl import fusion
from stl.numerics.icl.prompts import sample_prompts
from stl.numerics.icl.training import TrainingPlan, TrainingRun
from stl.numerics.icl.transformer import TransformerConfig, init_params, predictor
from stl.numerics.models.registry import get_model
from stl.numerics.rng import ReplicateStreams


def _run(compile: bool, steps: int = 6, seed: int = 3) -> TrainingRun:
    cfg = TransformerConfig(dim=2, length=4, layers=1, width=8, heads=2)
    s = ReplicateStreams(seed, 2)
    params = {k: v.double() for k, v in init_params(cfg, s).items()}
    data = sample_prompts(s, "train", 16, dim=2, context=3, noise=0.3, dtype=torch.float64)
    order = torch.as_tensor(s.integers("batches", 16, (steps, 4)))
    plan = TrainingPlan(steps, schedule="cosine", clip=1.0, curriculum=0.5, compile=compile)
    return TrainingRun(params, predictor(cfg), data, lr=0.01, order=order, plan=plan)


@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                    reason="torch.compile's CPU backend needs a C compiler")
@pytest.mark.slow  # compiling takes about 30 s on 2 cores; .ci/run runs it
@pytest.mark.timeout(600)
def test_compiled_steps_equal_eager_steps_and_repeat_exactly():
    # Fused kernels reassociate sums, so the two runs agree to rounding (float64 here),
    # not bit for bit; a second compiled run from the same seed repeats the first exactly.
    eager, compiled, again = _run(False), _run(True), _run(True)
    for run in (eager, compiled, again):
        run.run()
    assert compiled.loss.note == "compiled" and eager.loss.note == "eager"
    for k, v in eager.params().items():
        torch.testing.assert_close(compiled.params()[k], v, rtol=1e-9, atol=1e-11)
        torch.testing.assert_close(again.params()[k], compiled.params()[k], rtol=0, atol=0)


def test_a_failed_compilation_falls_back_to_the_same_loss_and_says_why(monkeypatch):
    def broken(fn, **kw):
        def call(*args):
            raise RuntimeError("no compiler here\nsecond line")
        return call

    monkeypatch.setattr(torch, "compile", broken)
    fell_back, eager = _run(True, steps=3), _run(False, steps=3)
    with pytest.warns(RuntimeWarning, match="compile=on: training without compiling"):
        fell_back.run()
    eager.run()
    assert fell_back.loss.note == "eager (compile failed: RuntimeError: no compiler here)"
    for k, v in eager.params().items():
        torch.testing.assert_close(fell_back.params()[k], v, rtol=0, atol=0)


def test_the_plain_loss_is_the_weighted_squared_error():
    f = fusion.LossFunction(compile=False)
    flat = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    x, y, w = torch.ones(2, 2), torch.zeros(2, 2), torch.tensor([0.5, 0.25])
    got = f(lambda p, x: p["a"] * x, ["a"], [(2,)], flat, [x], y, w)
    assert float(got) == pytest.approx(0.5 * (1 + 9) + 0.25 * (4 + 16))


def test_the_parameter_reaches_the_training_plan_and_is_checked():
    assert not get_model("transformer", {"recipe": "small"}, device="cpu").compile_step
    assert get_model("transformer", {"recipe": "small", "compile": "on"}, device="cpu").compile_step
    with pytest.raises(InputError, match="compile"):
        get_model("transformer", {"compile": "yes"}, device="cpu")
    with pytest.raises(InputError, match="compile"):
        TrainingPlan(3, compile="on")
