"""Benchmark W1: the batched loop against a per-replicate Python loop and raw normal draws.

Workload W1 (issue 3): Gaussian, ``dim`` 10, ``n`` 100, 100 generations, 100 replicates,
schemes ``replace`` and ``accumulate``. Three timings are taken in the same process, each
the best of ``--repeat`` interleaved rounds:

* ``batched``: :func:`stl.numerics.loop.run_loop` tracking the metrics the baseline tracks
  (``variance``, ``mean_error``);
* ``naive``: the way public model-collapse code is written — for each replicate, for
  each generation, ``rng.multivariate_normal`` to sample, ``np.mean``/``np.cov`` to fit;
  ``accumulate`` stacks the growing pool and refits on all of it;
* ``naive_chol``: the same per-replicate loop, but sampling as the batched engine does
  (``mu + z Lᵀ`` with a Cholesky factor) — so ``naive_chol / batched`` isolates the gain
  from batching alone, without the cost of ``multivariate_normal``'s SVD;
* ``raw_normals``: one ``standard_normal`` call for the same number of normals the loop
  consumes (``R (G + 1) n d``), the floor for any simulation of this workload.

Every path runs once untimed on a tiny workload first (imports, BLAS initialisation), so
even ``--repeat 1`` times the loops and not their start-up.

Run: ``python benchmarks/run.py [--out benchmarks/results.json] [--repeat 3] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stl.numerics.loop import run_loop
from stl.numerics.models.registry import get_model
from stl.verify.atomic import write_text_atomic

W1 = {"dim": 10, "n": 100, "generations": 100, "replicates": 100}


def _mvn(rng, mu, cov, n):
    return rng.multivariate_normal(mu, cov, size=n)


def _chol(rng, mu, cov, n):
    # Jitter only guards a rank-deficient fit; W1 (n = 100 > d = 10) never needs it.
    factor = np.linalg.cholesky(cov + 1e-12 * np.eye(len(mu)))
    return mu + rng.standard_normal((n, len(mu))) @ factor.T


def naive(scheme: str, dim: int, n: int, generations: int, replicates: int, seed: int = 0,
          sampler=_mvn) -> np.ndarray:
    """Per-replicate, per-generation loop; returns the final variance (trace/d) per replicate."""
    out = np.empty(replicates)
    for r in range(replicates):
        rng = np.random.default_rng([seed, r])
        data = sampler(rng, np.zeros(dim), np.eye(dim), n)
        pool = data
        mu, cov = np.mean(data, axis=0), np.cov(data, rowvar=False, bias=True)
        for _ in range(generations):
            synth = sampler(rng, mu, cov, n)
            if scheme == "accumulate":
                pool = np.vstack([pool, synth])
                mu, cov = np.mean(pool, axis=0), np.cov(pool, rowvar=False, bias=True)
            else:
                mu, cov = np.mean(synth, axis=0), np.cov(synth, rowvar=False, bias=True)
        out[r] = np.trace(cov) / dim
    return out


def batched(scheme: str, dim: int, n: int, generations: int, replicates: int, seed: int = 0):
    model = get_model("gaussian", {"dim": str(dim)})
    return run_loop(model, scheme, n, 0.0, generations, replicates, seed, metrics=("variance", "mean_error"))


def raw_normals(dim: int, n: int, generations: int, replicates: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(replicates * (generations + 1) * n * dim)


def warm_up(dim: int) -> None:
    """One untimed tiny run of each path: the first call pays one-off costs (importing the
    model module and scipy, BLAS/LAPACK initialisation) that are not the loop's speed."""
    raw_normals(dim, 10, 1, 2)
    for scheme in ("replace", "accumulate"):
        batched(scheme, dim, 20, 1, 2)
        naive(scheme, dim, 20, 1, 2)
        naive(scheme, dim, 20, 1, 2, 0, _chol)


def best_of(repeat: int, fn, *args) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results.json"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="a 10x smaller workload (smoke test)")
    args = parser.parse_args(argv)
    w = dict(W1)
    if args.quick:
        w.update(generations=10, replicates=20)
    d, n, g, r = w["dim"], w["n"], w["generations"], w["replicates"]
    # Interleave the three measurements in every round and keep each one's best time, so
    # load from other processes on a shared machine hits all of them alike.
    times: dict[str, list[float]] = {}
    warm_up(d)
    for _ in range(args.repeat):
        times.setdefault("raw", []).append(best_of(1, raw_normals, d, n, g, r))
        for scheme in ("replace", "accumulate"):
            times.setdefault(f"batched-{scheme}", []).append(best_of(1, batched, scheme, d, n, g, r))
            times.setdefault(f"naive-{scheme}", []).append(best_of(1, naive, scheme, d, n, g, r))
            times.setdefault(f"chol-{scheme}", []).append(best_of(1, naive, scheme, d, n, g, r, 0, _chol))
    raw = min(times["raw"])
    rows = []
    for scheme in ("replace", "accumulate"):
        t_batched, t_naive = min(times[f"batched-{scheme}"]), min(times[f"naive-{scheme}"])
        t_chol = min(times[f"chol-{scheme}"])
        rows.append({"scheme": scheme, "batched_s": t_batched, "naive_s": t_naive, "naive_chol_s": t_chol,
                     "raw_normals_s": raw, "speedup_vs_naive": t_naive / t_batched,
                     "speedup_vs_naive_chol": t_chol / t_batched, "batched_over_raw": t_batched / raw})
    print(f"W1: gaussian dim={d} n={n} generations={g} replicates={r} (best of {args.repeat})")
    print(f"{'scheme':<12}{'batched s':>11}{'naive s':>10}{'chol s':>9}{'raw s':>9}"
          f"{'vs naive':>10}{'vs chol':>9}{'/ raw':>8}")
    for row in rows:
        print(f"{row['scheme']:<12}{row['batched_s']:>11.3f}{row['naive_s']:>10.3f}{row['naive_chol_s']:>9.3f}"
              f"{row['raw_normals_s']:>9.3f}{row['speedup_vs_naive']:>9.1f}x{row['speedup_vs_naive_chol']:>8.1f}x"
              f"{row['batched_over_raw']:>7.2f}x")
    result = {"workload": w, "repeat": args.repeat, "python": sys.version.split()[0],
              "numpy": np.__version__, "machine": platform.machine(), "processor": platform.processor(),
              "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
              "results": rows}
    write_text_atomic(Path(args.out), json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
