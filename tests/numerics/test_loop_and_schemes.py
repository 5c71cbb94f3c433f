"""Scheme semantics, reproducibility, replicate-split invariance, trajectories, bad inputs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from stl.numerics.errors import InputError
from stl.numerics.loop import iterate, run_loop
from stl.numerics.models.registry import get_model
from stl.numerics.rng import ReplicateStreams
from stl.numerics.schemes import SCHEMES, get_scheme
from stl.numerics.trajectory import split_csv_config, Trajectory

MODELS = [("categorical", {"k": "5"}), ("gaussian", {"dim": "2"}), ("linreg", {"dim": "2"}), ("kde", {})]


def chain(name, params, scheme, n=10, lam=0.4, g=3, r=3, seed=0):
    model = get_model(name, params)
    st = ReplicateStreams(seed, r)
    return model, list(iterate(model, get_scheme(scheme, n, lam), g, st))


def test_scheme_sizes_and_rounding():
    s = get_scheme("mix", 7, 0.5)           # 3.5 rounds half up to 4
    assert (s.n_r, s.n_s) == (4, 3) and s.lam == pytest.approx(4 / 7)
    assert get_scheme("replace", 10, 0.7).lam == 0.0
    a = get_scheme("accumulate", 10, 0.3)
    assert (a.n, a.n_s) == (10, 10)


def test_real_count_rounds_the_typed_decimal_half_up():
    """n_r = round(λn) half-up on the decimal λ the user typed, checked against exact
    decimal arithmetic on a grid: the float product 0.29 * 50 = 14.499999999999998
    must still give 15. Re-sizing with the effective λ := n_r/n gives n_r back."""
    from decimal import ROUND_HALF_UP, Decimal

    assert get_scheme("mix", 50, 0.29).n_r == 15
    assert get_scheme("fresh", 100, 0.145).n_r == 15
    for n in range(1, 121):
        for k in range(201):
            lam = k / 200
            want = int((Decimal(repr(lam)) * n).quantize(Decimal(1), rounding=ROUND_HALF_UP))
            s = get_scheme("mix", n, lam)
            assert (s.n_r, s.n_s) == (want, n - want), (lam, n)
            assert get_scheme("mix", n, s.lam).n_r == s.n_r


def test_mix_keeps_the_same_real_subset():
    _, steps = chain("gaussian", {"dim": "2"}, "mix")
    s0 = steps[0][2]
    n_r = get_scheme("mix", 10, 0.4).n_r
    for j, _, train, _ in steps[1:]:
        assert train.shape == s0.shape
        assert np.array_equal(train[:, :n_r], s0[:, :n_r])
        assert not np.any(np.isin(train[:, n_r:], s0))


def test_fresh_draws_new_real_points():
    _, steps = chain("gaussian", {"dim": "2"}, "fresh")
    seen = [steps[0][2]]
    for j, _, train, _ in steps[1:]:
        assert train.shape == seen[0].shape
        assert not np.any(np.isin(train, np.concatenate(seen, axis=1)))
        seen.append(train)


def test_replace_trains_on_synthetic_only():
    _, steps = chain("gaussian", {"dim": "1"}, "replace")
    s0 = steps[0][2]
    for _, _, train, _ in steps[1:]:
        assert train.shape == s0.shape and not np.any(np.isin(train, s0))


@pytest.mark.parametrize("name,params", MODELS[:3])
def test_accumulate_grows_and_running_stats_equal_refit(name, params):
    model, steps = chain(name, params, "accumulate")
    s0 = steps[0][2]
    for j, theta, train, _ in steps:
        assert train.shape[1] == (j + 1) * 10
        assert np.array_equal(train[:, :10], s0)
        refit = model.fit(train)
        for field in vars(theta):
            assert np.allclose(getattr(theta, field), getattr(refit, field), atol=1e-9)


def test_accumulate_subsample_draws_from_the_pool():
    model = get_model("gaussian", {"dim": "2"})
    steps = iterate(model, get_scheme("accumulate-subsample", 10, 0.4), 3, ReplicateStreams(0, 3))
    next(steps)
    for j, _, train, state in steps:  # lazily: the state's pool keeps growing
        pool = state.pool
        assert train.shape[1] == 10 and pool.shape[1] == (j + 1) * 10
        for r in range(train.shape[0]):
            rows = {tuple(p) for p in pool[r]}
            assert all(tuple(t) in rows for t in train[r])
            assert len({tuple(t) for t in train[r]}) == 10  # without replacement


@pytest.mark.parametrize("name,params", MODELS)
@pytest.mark.parametrize("scheme", SCHEMES)
def test_replicate_split_invariance(name, params, scheme):
    """Run [0, 5) equals the concatenation of [0, 2) and [2, 5) exactly."""
    model = get_model(name, params)
    whole = run_loop(model, scheme, 8, 0.5, 3, 5, seed=21)
    parts = [run_loop(model, scheme, 8, 0.5, 3, 2, seed=21),
             run_loop(model, scheme, 8, 0.5, 3, 3, seed=21, first=2)]
    joined = Trajectory.concat(parts[::-1])
    assert np.array_equal(joined.replicate_ids, whole.replicate_ids)
    for m in whole.metrics:
        assert np.array_equal(joined.values[m], whole.values[m], equal_nan=True), m


@pytest.mark.parametrize("name,params", MODELS)
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("lam", [0.0, 1.0, 0.04])
def test_every_scheme_runs_at_the_ends_of_lambda(name, params, scheme, lam):
    """λ = 0, λ = 1 and a λ that rounds n_r to 0 (0.04 · 10 = 0.4): no real or no
    synthetic part. ``fresh`` with n_r = 0 used to refuse its own (empty) real draw."""
    model = get_model(name, params)
    t = run_loop(model, scheme, 10, lam, 2, 2, seed=0)
    assert t.values[model.metric_names[0]].shape == (2, 3)
    if scheme in ("mix", "fresh") and lam != 1.0:
        # no real point at all: the fresh and mix loops are the replace loop
        r = run_loop(model, "replace", 10, 0.0, 2, 2, seed=0)
        m = model.metric_names[0]
        assert np.array_equal(t.values[m], r.values[m])


def test_seed_reproducibility():
    model = get_model("categorical", {})
    a = run_loop(model, "mix", 20, 0.5, 4, 10, seed=1)
    b = run_loop(model, "mix", 20, 0.5, 4, 10, seed=1)
    c = run_loop(model, "mix", 20, 0.5, 4, 10, seed=2)
    assert all(np.array_equal(a.values[m], b.values[m]) for m in a.metrics)
    assert not np.array_equal(a.values["heterozygosity"], c.values["heterozygosity"])


def test_noise_chunking_does_not_change_results(monkeypatch):
    from stl.numerics import loop

    model = get_model("gaussian", {"dim": "2"})
    a = run_loop(model, "replace", 10, 0.0, 6, 4, seed=3)
    monkeypatch.setattr(loop, "NOISE_BUDGET", 1)
    b = run_loop(model, "replace", 10, 0.0, 6, 4, seed=3)
    assert np.array_equal(a.values["variance"], b.values["variance"])


def test_progress_callback_counts_generations():
    calls = []
    run_loop(get_model("categorical", {}), "replace", 10, 0.0, 4, 3, seed=0, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(k, 5) for k in range(1, 6)]


def test_metric_names_per_model():
    assert get_model("gaussian", {"dim": "1"}).available_metrics() == (
        "variance", "mean_error", "kl_to_real", "tv_to_real", "gen_gap")
    assert "tv_to_real" not in get_model("gaussian", {"dim": "3"}).available_metrics()
    assert get_model("categorical", {}).metric_names == ("heterozygosity", "tv_to_real", "support_size", "gen_gap")
    assert get_model("linreg", {}).metric_names == ("test_error", "gen_gap")


def test_gen_gap_loss_is_bounded():
    for name, params in MODELS:
        model = get_model(name, params)
        st = ReplicateStreams(0, 4)
        theta = model.fit(model.draw_real(st, 10))
        loss = model.loss(theta, model.draw_real(st, 200, purpose="x"))
        assert np.all(loss >= 0) and np.all(loss <= model.loss_bound)


def test_trajectory_outputs(tmp_path):
    pytest.importorskip("pyarrow")
    t = run_loop(get_model("gaussian", {"dim": "2"}), "mix", 10, 0.5, 2, 4, seed=0)
    d = json.loads(t.to_json())
    assert set(d) == {"config", "records"}
    assert set(d["records"][0]) == {"generation", "metric", "mean", "stderr", "n_replicates"}
    assert len(d["records"]) == 3 * len(t.metrics)
    csv = t.to_csv().splitlines()
    assert csv[2] == "generation,metric,mean,stderr,n_replicates" and len(csv) == 3 + len(d["records"])
    assert split_csv_config(t.to_csv())[0] == d["config"]  # the config travels with the CSV
    import pyarrow.parquet as pq

    t.to_parquet(tmp_path / "t.parquet")
    table = pq.read_table(tmp_path / "t.parquet")
    assert table.num_rows == len(d["records"])
    assert json.loads(table.schema.metadata[b"config"])["model"] == "gaussian"
    rec = d["records"][0]
    vals = t.values[rec["metric"]][:, 0]
    assert rec["mean"] == pytest.approx(vals.mean())
    assert rec["stderr"] == pytest.approx(vals.std(ddof=1) / 2)


def test_trajectory_parquet_is_written_atomically(tmp_path, monkeypatch):
    """A failure half-way leaves the previous file intact and no temporary behind."""
    pytest.importorskip("pyarrow")
    import os

    t = run_loop(get_model("categorical", {}), "mix", 10, 0.5, 1, 2, seed=0)
    path = tmp_path / "t.parquet"
    path.write_bytes(b"old")

    def fail(src, dst):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        t.to_parquet(path)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_trajectory_concat_rejects_overlap():
    t = run_loop(get_model("categorical", {}), "mix", 10, 0.5, 1, 2, seed=0)
    with pytest.raises(ValueError):
        Trajectory.concat([t, t])


@pytest.mark.parametrize("call", [
    lambda: get_model("nope", {}),
    lambda: get_model("gaussian", {"dimm": "2"}),
    lambda: get_model("gaussian", {"dim": "0"}),
    lambda: get_model("gaussian", {"estimator": "map"}),
    lambda: get_model("gaussian", {"dim": "2", "mean": "1,2,3"}),
    lambda: get_model("categorical", {"probs": "0.5,0.6"}),
    lambda: get_model("categorical", {"k": "3", "probs": "0.5,0.5"}),
    lambda: get_model("linreg", {"noise": "0"}),
    lambda: get_model("kde", {"bandwidth": "nan"}),
    lambda: get_scheme("mixed", 10, 0.5),
    lambda: get_scheme("mix", 0, 0.5),
    lambda: get_scheme("mix", 10, -0.1),
    lambda: get_scheme("mix", 10, float("nan")),
    lambda: run_loop(get_model("categorical", {}), "mix", 10, 0.5, -1, 2, seed=0),
    lambda: run_loop(get_model("categorical", {}), "mix", 10, 0.5, 1, 0, seed=0),
    lambda: run_loop(get_model("categorical", {}), "mix", 10, 0.5, 1, 2, seed=-1),
    lambda: run_loop(get_model("categorical", {}), "mix", 10, 0.5, 1, 2, seed=0, metrics=("variance",)),
    lambda: run_loop(get_model("gaussian", {"estimator": "unbiased"}), "replace", 1, 0.0, 1, 2, seed=0),
])
def test_bad_inputs_raise_input_error(call):
    with pytest.raises(InputError) as info:
        call()
    assert "allowed" in str(info.value)


def test_unknown_param_lists_allowed_keys():
    with pytest.raises(InputError, match="dim, estimator, mean, scale"):
        get_model("gaussian", {"foo": "1"})
