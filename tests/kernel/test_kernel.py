"""The shared kernel: one InputError for every layer, one atomic writer, one JSON cleaner,
one Student-t quantile; and the kernel imports no layer and nothing heavy."""

from __future__ import annotations

import json
import math
import pickle
import subprocess
import sys
import tempfile

import numpy as np
import pytest

from stl.kernel import jsonclean, student_t
from stl.kernel.errors import InputError, check_int


def test_every_layer_raises_the_same_input_error():
    import stl.numerics.errors as N
    import stl.theory.errors as T
    import stl.verify.errors as V

    assert T.InputError is N.InputError is V.InputError is InputError
    assert V.USER_ERRORS == (InputError,)
    # the theory's own refinements are still input errors (and theory errors)
    assert issubclass(T.AssumptionError, InputError) and issubclass(T.AssumptionError, T.TheoryError)
    assert issubclass(T.ExpressionError, InputError)


def test_input_error_keeps_its_parts_across_processes():
    err = pickle.loads(pickle.dumps(InputError("--n", 0, "an integer >= 1")))
    assert (err.argument, err.got, err.allowed) == ("--n", 0, "an integer >= 1")
    assert str(err) == "--n: got 0; allowed: an integer >= 1"


@pytest.mark.parametrize("value", [True, 1.0, -1, "3", None])
def test_check_int_refuses_what_is_not_a_count(value):
    with pytest.raises(InputError):
        check_int("x", value, 0)


def test_check_int_takes_numpy_integers():
    assert check_int("x", np.int64(4), 1) == 4


def test_clean_handles_arrays_scalars_and_non_finite_numbers():
    doc = {"a": np.array([[1.0, np.nan], [np.inf, 2.0]]), "b": np.float32(0.5), "c": np.bool_(True),
           "d": (np.int64(3), -math.inf), 4: np.array(7.0)}
    out = jsonclean.clean(doc)
    assert out == {"a": [[1.0, None], [None, 2.0]], "b": 0.5, "c": True, "d": [3, None], "4": 7.0}
    assert json.loads(jsonclean.to_json(doc)) == out


def test_atomic_writer_leaves_the_old_file_when_the_write_fails(tmp_path, monkeypatch):
    from stl.kernel import atomic

    target = tmp_path / "r.json"
    atomic.write_text_atomic(target, "old")

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "replace", broken)
    with pytest.raises(OSError):
        atomic.write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # no temporary file left


def test_trajectory_parquet_uses_the_kernel_writer(tmp_path, monkeypatch):
    pytest.importorskip("pyarrow")
    from stl.kernel import atomic
    from stl.numerics.trajectory import Trajectory

    calls = []
    real = atomic.write_bytes_atomic
    monkeypatch.setattr(atomic, "write_bytes_atomic", lambda path, data: (calls.append(path), real(path, data)))
    Trajectory({"x": np.ones((2, 2))}, np.arange(2)).to_parquet(tmp_path / "t.parquet")
    assert calls and (tmp_path / "t.parquet").exists()


@pytest.mark.parametrize("dof", [1, 3, 7, 40, 10**6])
def test_both_ways_of_asking_for_the_t_quantile_agree(dof):
    from statistics import NormalDist

    from scipy.stats import t

    z = NormalDist().inv_cdf(0.975)
    assert student_t.t_quantile_for(0.95, dof) == pytest.approx(student_t.t_quantile(z, dof), rel=1e-12)
    assert student_t.t_quantile_for(0.95, dof) == float(t.ppf(0.975, dof))  # the estimators' numbers exactly
    assert student_t.t_quantile(z, dof) > z


def test_the_t_quantile_is_looked_up_at_run_time_by_every_interval(monkeypatch):
    """A fault planted in the kernel (the self-test's normal-not-student) reaches the
    measurements of the checks and the estimators' intervals."""
    from stl.numerics.estimators.estimate import Estimate
    from stl.verify.checks.measurement import Measurement

    values = np.array([1.0, 2.0, 3.0, 4.0])
    wide_m = Measurement.from_samples(values)
    wide_e = Estimate.from_replicates("x", values, np.arange(4), "test")
    monkeypatch.setattr(student_t, "t_quantile", lambda z, dof: float(z))
    monkeypatch.setattr(student_t, "t_quantile_for", lambda c, dof: 1.959963984540054)
    assert Measurement.from_samples(values).ci_high < wide_m.ci_high
    assert Estimate.from_replicates("x", values, np.arange(4), "test").ci_high < wide_e.ci_high


def test_the_kernel_imports_no_layer_and_nothing_heavy():
    code = ("import sys, stl.kernel, stl.kernel.errors, stl.kernel.atomic, stl.kernel.jsonclean, "
            "stl.kernel.student_t, stl.kernel.adam\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'sympy', 'torch', 'scipy')"
            " or m.startswith(('stl.theory', 'stl.numerics', 'stl.verify'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tempfile.gettempdir())
    assert out.stdout.strip() == "[]"


def test_the_flat_adam_is_torchs_adam_and_every_network_uses_it():
    torch = pytest.importorskip("torch")
    from stl.kernel import adam
    from stl.numerics.icl import training
    from stl.numerics.models import _neural

    assert training.adam_update is adam.adam_update and _neural.adam_update is adam.adam_update
    target = torch.tensor([[1.0, -2.0, 0.5]], dtype=torch.float64)
    ours = torch.zeros(1, 3, dtype=torch.float64)
    ref = torch.zeros(1, 3, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([ref], lr=0.05, betas=adam.BETAS, eps=adam.EPS)
    m1, m2 = torch.zeros_like(ours), torch.zeros_like(ours)
    for t in range(1, 21):
        grad = 2 * (ours - target)
        adam.adam_update(ours, grad, m1, m2, rate=0.05, c1=1 - adam.BETAS[0] ** t, c2=1 - adam.BETAS[1] ** t)
        opt.zero_grad()
        ((ref - target) ** 2).sum().backward()
        opt.step()
    # torch divides √m2 by √c2 before adding ε, the flat update takes √(m2/c2): equal up to rounding
    torch.testing.assert_close(ours, ref.detach(), rtol=1e-12, atol=1e-12)
