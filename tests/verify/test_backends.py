"""Same numbers on 1 worker, a local process pool and a local Dask cluster.

Every task draws from ``(seed, replicate)`` streams (stl.numerics.rng), and the runner puts
outputs back in plan order, so the split of work cannot change a result.
"""

import pytest

from stl.verify.plumbing.backends import DaskBackend, LocalBackend, make_backend
from stl.verify.errors import InputError
from stl.verify.runner import run_checks
from stl.verify.suites import resolve

NAMES = ["smoke-phase-transition", "smoke-closed-form-wright-fisher", "smoke-t1-validity-categorical"]


def _numbers(run):
    out = []
    for r in run.results:
        d = r.to_dict()
        d.pop("runtime_s")
        out.append(d)
    return out


@pytest.fixture(scope="module")
def sequential():
    return _numbers(run_checks(resolve(NAMES), seed=11, backend=LocalBackend(1)))


def test_local_dask_cluster_gives_identical_results(sequential):
    pytest.importorskip("distributed")
    with DaskBackend(workers=2, processes=False) as backend:
        got = _numbers(run_checks(resolve(NAMES), seed=11, backend=backend))
    assert got == sequential


def test_dask_client_by_address_gives_identical_results(sequential, monkeypatch):
    """The path users take with a running cluster: connect a Client to a scheduler address."""
    pytest.importorskip("distributed")
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        monkeypatch.setenv("STL_DASK_ADDRESS", cluster.scheduler_address)
        with make_backend("dask") as backend:
            assert backend.workers == 2
            got = _numbers(run_checks(resolve(NAMES), seed=11, backend=backend))
    assert got == sequential


def test_process_pool_gives_identical_results(sequential):
    with LocalBackend(2) as backend:
        got = _numbers(run_checks(resolve(NAMES), seed=11, backend=backend))
    assert got == sequential


def test_tasks_really_are_split_into_blocks():
    checks = resolve(["smoke-phase-transition"])
    assert len(checks[0].tasks(0)) > 1


def test_backend_choice_is_validated():
    with pytest.raises(InputError):
        make_backend("spark")
    with pytest.raises(InputError):
        make_backend("local", workers=0)
    with pytest.raises(InputError):
        make_backend("local", address="tcp://x:1")


def test_ray_missing_is_a_clear_error():
    try:
        import ray  # noqa: F401
    except ImportError:
        with pytest.raises(InputError, match="ray is not installed"):
            make_backend("ray")
    else:  # pragma: no cover - ray installed
        pytest.skip("ray is installed")
