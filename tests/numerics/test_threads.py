"""The torch thread policy: one thread by default, restored afterwards, overridable."""

from __future__ import annotations

import numpy as np
import pytest

from stl.numerics.errors import InputError
from stl.numerics.threads import DEFAULT_THREADS, ENV, available_cpus, resolve_threads, torch_threads


def test_policy_defaults_to_one_thread_and_reads_the_environment():
    assert DEFAULT_THREADS == 1 and resolve_threads({}) == 1
    assert resolve_threads({ENV: "auto"}) == available_cpus() >= 1
    assert resolve_threads({ENV: " 1 "}) == 1


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5", str(10 ** 6)])
def test_bad_thread_counts_name_the_variable_and_the_range(bad):
    with pytest.raises(InputError) as info:
        resolve_threads({ENV: bad})
    assert str(info.value).startswith(f"{ENV}: got {bad.strip()}; allowed: an integer in [1, ")


def test_torch_threads_sets_and_restores():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    other = 2 if before == 1 else 1
    torch.set_num_threads(other)
    try:
        with torch_threads(1) as used:
            assert used == 1 and torch.get_num_threads() == 1
        assert torch.get_num_threads() == other
    finally:
        torch.set_num_threads(before)


def test_icl_fit_runs_on_one_thread_and_leaves_the_setting_alone(monkeypatch):
    torch = pytest.importorskip("torch")
    from stl.numerics.models.registry import get_model
    from stl.numerics.rng import ReplicateStreams

    seen = []
    model = get_model("lsa", {"dim": "2", "context": "4", "steps": "3"}, device="cpu")
    real_train = model.train_tensors
    monkeypatch.setattr(model, "train_tensors", lambda *a, **k: (seen.append(torch.get_num_threads()),
                                                                 real_train(*a, **k))[1])
    before = torch.get_num_threads()
    streams = ReplicateStreams(0, 2)
    theta = model.fit(model.draw_real(streams, 20), streams=streams)
    theta.tensors  # an ICL fit trains when its weights are first read (stl.numerics.icl.deferred)
    assert seen == [1] and torch.get_num_threads() == before
    assert np.isfinite(model.risk(theta, streams)).all()
