"""The work and memory budget: estimates against measured runs, refusals before any work."""


import pytest
from stl.numerics.models.registry import get_model
from stl.verify.budget import Estimate, enforce, estimate_run, model_shape
from stl.verify.errors import InputError


def test_shapes_are_read_from_the_model():
    assert model_shape(get_model("categorical", {"k": "7"}), 100).params == 7
    gauss = model_shape(get_model("gaussian", {"dim": "3"}), 100)
    assert gauss.point == 3 and not gauss.params_grow
    kde = model_shape(get_model("kde", {}), 300)
    assert kde.params_grow and kde.params >= 300  # a kernel density estimate keeps its data


def test_memory_grows_with_every_size():
    m = get_model("categorical", {"k": "10"})
    base = estimate_run(m, 100, 200, 10)
    for bigger in (estimate_run(m, 1000, 200, 10), estimate_run(m, 100, 2000, 10), estimate_run(m, 100, 200, 1000)):
        assert bigger.peak_bytes > base.peak_bytes and bigger.seconds > base.seconds


@pytest.mark.parametrize("name,params,n,r,g", [
    ("categorical", {"k": "10"}, 200, 2000, 10),
    ("gaussian", {"dim": "4"}, 400, 400, 5),
])
def test_the_estimate_counts_work_per_replicate_and_generation(name, params, n, r, g):
    """The estimate's units are work counted, linear in replicates and generations; its
    seconds are units at the calibrated rate. Whether those seconds are right within a
    factor of ten is measured (on a quiet machine) by ``benchmarks/run.py``, not here."""
    from stl.verify.budget import SECONDS_PER_GENERATION, SECONDS_PER_UNIT

    model = get_model(name, params)
    est = estimate_run(model, n, r, g)
    assert estimate_run(model, n, 2 * r, g).units == 2 * est.units
    gens_ratio = (2 * g + 2) / (g + 1)
    assert estimate_run(model, n, r, 2 * g + 1).units == pytest.approx(gens_ratio * est.units)
    assert est.seconds == pytest.approx(est.units * SECONDS_PER_UNIT + (g + 1) * SECONDS_PER_GENERATION)
    assert estimate_run(model, 2 * n, r, g).units > est.units


def test_enforce_refuses_beyond_memory_and_time_and_notes_long_runs():
    with pytest.raises(InputError, match="memory available"):
        enforce(Estimate(2e9, 1.0, 0, "x"), memory_bytes=1e9)
    with pytest.raises(InputError, match="--max-time 10"):
        enforce(Estimate(1.0, 11.0, 0, "x"), max_time_s=10, memory_bytes=1e9)
    assert "estimated" in enforce(Estimate(1.0, 3600.0, 0, "x"), memory_bytes=1e9)
    assert enforce(Estimate(1.0, 1.0, 0, "x"), memory_bytes=1e9) is None


def test_a_long_run_prints_a_note_unless_quiet(capsys, monkeypatch):
    from stl.verify import budget
    from stl.verify.cli.main import main

    monkeypatch.setattr(budget, "NOTE_ABOVE_S", 0.0)
    argv = ["simulate", "categorical", "--n", "10", "--generations", "1", "--replicates", "3", "--format", "json"]
    assert main(argv) == 0
    assert "note: this run is estimated at" in capsys.readouterr().err
    assert main([*argv, "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_icl_estimate_uses_the_models_training_memory_and_refuses_what_cannot_fit():
    from stl.verify.budget import enforce_device

    m = get_model("transformer", {"recipe": "small", "steps": "10"}, device="cpu")
    est = estimate_run(m, 500, 2, 1)
    per = m.training_bytes_per_replicate(500)
    assert est.device_bytes == per > 0 and est.peak_bytes >= per
    assert "to train one replicate" in est.explanation
    enforce_device(per, free=2 * per)
    with pytest.raises(InputError, match="GPU memory per replicate"):
        enforce_device(per, free=per / 2)


def test_icl_time_on_cuda_counts_steps_not_replicates(monkeypatch):
    # On CUDA a step's fixed cost is paid once for every replicate that trains with it, so
    # 32 times the replicates costs far less than 32 times the time (unlike on the CPU).
    from stl.verify import budget

    m = get_model("transformer", {"recipe": "learn-cuda"}, device="cpu")
    cpu = [estimate_run(m, 4096, r, 2).seconds for r in (8, 256)]
    shape = model_shape(m, 4096)
    monkeypatch.setattr(budget, "model_shape", lambda model, n: shape)    # measured on the CPU
    m.device = "cuda"
    gpu = [estimate_run(m, 4096, r, 2).seconds for r in (8, 256)]
    assert cpu[1] / cpu[0] == pytest.approx(32, rel=0.05)
    assert gpu[1] / gpu[0] < 16 and gpu[0] < cpu[0] / 10


def test_a_probe_is_counted_only_where_the_metrics_use_one():
    """Closed-form models draw no Monte Carlo probe (counting one overestimated their runs
    10-30 times, benchmarks/run.py); a model that keeps its data, or draws a probe, has it."""
    assert model_shape(get_model("categorical", {}), 100).probe == 0
    assert model_shape(get_model("gaussian", {"dim": "2"}), 100).probe == 0
    assert model_shape(get_model("kde", {}), 100).probe > 0
    flow = get_model("flow", {})
    assert model_shape(flow, 100).probe == flow.probe_size
