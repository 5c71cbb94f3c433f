"""Benchmarks of what users run: whole ``stl simulate`` processes beside the engine, a
per-replicate Python loop and the RNG floor, side by side in one run.

Workloads (Gaussian model, MLE covariance, seed 0, schemes ``replace`` and ``accumulate``):

* **W1**: ``dim`` 10, ``n`` 100, 100 generations, 1000 replicates (issue 10's target run);
* **W1-d100**: ``dim`` 100, ``n`` 100, 100 generations, 100 replicates (cost growth in d;
  ``n = d`` makes every accumulate-free fit rank-deficient by one, the singular case);
* **W2**: ``dim`` 1, ``n`` 20, 40 generations, 40 000 replicates (many replicates of a tiny
  loop: per-replicate overhead).

Columns, all measured in the same run, interleaved round by round, the median of
``--repeat`` rounds:

* ``cli``: the whole process ``stl simulate gaussian ... --quiet --out FILE`` with its
  **default metrics** (everything a user gets), start-up and writing the result included;
  its peak resident memory is recorded too (``os.wait4``);
* ``cli_blas_all``: the same process with the BLAS allowed every CPU
  (``OPENBLAS_NUM_THREADS`` = ``OMP_NUM_THREADS`` = the CPU count), against the ``stl``
  default of one BLAS thread (:func:`stl.numerics.threads.limit_blas_threads`): the
  thread setting measured both ways (issue 10). The in-process columns run under the
  same one-thread policy as ``stl``;
* ``engine``: :func:`stl.numerics.loop.run_loop` in-process with the default metrics;
* ``engine_cheap``: the same with the two metrics the peer loop tracks (``variance``,
  ``mean_error``);
* ``naive``: the way public model-collapse code is written — for each replicate and
  generation ``rng.multivariate_normal``, then ``np.mean``/``np.cov``; ``accumulate``
  stacks the growing pool and refits on all of it. It runs on the first
  :data:`NAIVE_REPLICATES` replicates and is scaled to ``R`` (replicates are independent
  iterations of the same loop, so its cost is linear in ``R``; marked ``naive_scaled``);
* ``raw``: one ``standard_normal`` call drawing the ``R (G + 1) n d`` normals the loop
  consumes: the floor for any implementation.

Run: ``python benchmarks/run.py [--out benchmarks/results.json] [--repeat 3]
[--workloads W1,W2,W1-d100] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stl.numerics.threads import available_cpus, limit_blas_threads

limit_blas_threads()  # the in-process columns under the `stl` command's policy, before numpy

import numpy as np  # noqa: E402

from stl.numerics.loop import run_loop
from stl.numerics.models.registry import get_model
from stl.verify.atomic import write_text_atomic

WORKLOADS = {
    "W1": {"dim": 10, "n": 100, "generations": 100, "replicates": 1000},
    "W1-d100": {"dim": 100, "n": 100, "generations": 100, "replicates": 100},
    "W2": {"dim": 1, "n": 20, "generations": 40, "replicates": 40_000},
}
#: The naive loop runs on at most this many replicates, then is scaled (linear in R).
NAIVE_REPLICATES = 400
SCHEMES = ("replace", "accumulate")


def _mvn(rng, mu, cov, n):
    return rng.multivariate_normal(mu, cov, size=n)


def naive(scheme: str, dim: int, n: int, generations: int, replicates: int, seed: int = 0,
          sampler=_mvn) -> np.ndarray:
    """Per-replicate, per-generation loop; returns the final variance (trace/d) per replicate."""
    out = np.empty(replicates)
    for r in range(replicates):
        rng = np.random.default_rng([seed, r])
        data = sampler(rng, np.zeros(dim), np.eye(dim), n)
        pool = data
        mu, cov = np.mean(data, axis=0), np.atleast_2d(np.cov(data, rowvar=False, bias=True))
        for _ in range(generations):
            synth = sampler(rng, mu, cov, n)
            if scheme == "accumulate":
                pool = np.vstack([pool, synth])
                mu, cov = np.mean(pool, axis=0), np.atleast_2d(np.cov(pool, rowvar=False, bias=True))
            else:
                mu, cov = np.mean(synth, axis=0), np.atleast_2d(np.cov(synth, rowvar=False, bias=True))
        out[r] = np.trace(cov) / dim
    return out


def engine(scheme: str, dim: int, n: int, generations: int, replicates: int, seed: int = 0,
           metrics=None):
    model = get_model("gaussian", {"dim": str(dim)})
    return run_loop(model, scheme, n, 0.0, generations, replicates, seed, metrics=metrics)


def engine_cheap(scheme, dim, n, generations, replicates, seed=0):
    return engine(scheme, dim, n, generations, replicates, seed, metrics=("variance", "mean_error"))


def cli_argv(scheme: str, dim: int, n: int, generations: int, replicates: int, out: str) -> list[str]:
    return [sys.executable, "-m", "stl.verify.cli.main", "simulate", "gaussian", "--scheme", scheme,
            "--n", str(n), "--generations", str(generations), "--replicates", str(replicates),
            "--param", f"dim={dim}", "--seed", "0", "--quiet", "--out", out]


#: A tiny launcher whose children's peak RSS is the command's own: a child forked straight
#: from this (large) benchmark process would count the parent's pages copied at fork.
_LAUNCHER = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL); "
             "sys.stderr.write('PEAK_KIB %d\\n' % resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
             "sys.exit(code)")


def cli(argv: list[str], env_extra: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one whole ``stl`` process (wall includes the
    launcher's own start, about 20 ms)."""
    env = {**os.environ, **(env_extra or {})}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _LAUNCHER, *argv], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-500:]}")
    peak = [line for line in proc.stderr.splitlines() if line.startswith("PEAK_KIB ")]
    return wall, int(peak[-1].split()[1]) / 1024.0


def raw_normals(dim: int, n: int, generations: int, replicates: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(replicates * (generations + 1) * n * dim)


def timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def warm_up() -> None:
    """One untimed tiny run of each in-process path (imports, BLAS/LAPACK set-up)."""
    raw_normals(2, 10, 1, 2)
    for scheme in SCHEMES:
        engine(scheme, 2, 20, 1, 2)
        naive(scheme, 2, 20, 1, 2)


def measure(name: str, w: dict, repeat: int, tmp: Path) -> list[dict]:
    d, n, g, r = w["dim"], w["n"], w["generations"], w["replicates"]
    r_naive = min(r, NAIVE_REPLICATES)
    times: dict[str, list[float]] = {}
    peak: dict[str, float] = {}
    for _ in range(repeat):
        times.setdefault("raw", []).append(timed(raw_normals, d, n, g, r))
        for scheme in SCHEMES:
            argv = cli_argv(scheme, d, n, g, r, str(tmp / f"{name}-{scheme}.json"))
            wall, rss = cli(argv)
            times.setdefault(f"cli-{scheme}", []).append(wall)
            peak[scheme] = max(peak.get(scheme, 0.0), rss)
            every = str(available_cpus())
            times.setdefault(f"cli_blas_all-{scheme}", []).append(
                cli(argv, {"OPENBLAS_NUM_THREADS": every, "OMP_NUM_THREADS": every, "MKL_NUM_THREADS": every})[0])
            times.setdefault(f"engine-{scheme}", []).append(timed(engine, scheme, d, n, g, r))
            times.setdefault(f"cheap-{scheme}", []).append(timed(engine_cheap, scheme, d, n, g, r))
            t = timed(naive, scheme, d, n, g, r_naive)
            times.setdefault(f"naive-{scheme}", []).append(t * r / r_naive)
    med = {k: statistics.median(v) for k, v in times.items()}
    rows = []
    for scheme in SCHEMES:
        c, e, ch, nv, raw = (med[f"cli-{scheme}"], med[f"engine-{scheme}"], med[f"cheap-{scheme}"],
                             med[f"naive-{scheme}"], med["raw"])
        rows.append({"workload": name, **w, "scheme": scheme, "cli_s": c, "cli_blas_all_s": med[f"cli_blas_all-{scheme}"],
                     "cli_peak_mib": peak[scheme], "engine_s": e, "engine_cheap_s": ch, "naive_s": nv,
                     "naive_scaled": r_naive < r, "raw_s": raw, "cli_over_raw": c / raw, "engine_over_raw": e / raw,
                     "engine_cheap_over_raw": ch / raw, "naive_over_engine_cheap": nv / ch, "cli_over_naive": c / nv,
                     "blas_all_over_one": med[f"cli_blas_all-{scheme}"] / c})
    return rows


def print_rows(rows: list[dict]) -> None:
    print(f"{'workload':<9}{'scheme':<11}{'cli s':>8}{'peak MiB':>9}{'blasN s':>8}{'engine':>8}{'cheap':>8}"
          f"{'naive':>8}{'raw':>7}{'cli/raw':>8}{'eng/raw':>8}{'chp/raw':>8}{'nv/chp':>7}{'cli/nv':>7}")
    for r in rows:
        print(f"{r['workload']:<9}{r['scheme']:<11}{r['cli_s']:>8.2f}{r['cli_peak_mib']:>9.0f}{r['cli_blas_all_s']:>8.2f}"
              f"{r['engine_s']:>8.2f}{r['engine_cheap_s']:>8.2f}{r['naive_s']:>8.2f}{'*' if r['naive_scaled'] else ' '}"
              f"{r['raw_s']:>6.2f}{r['cli_over_raw']:>7.1f}x{r['engine_over_raw']:>7.1f}x"
              f"{r['engine_cheap_over_raw']:>7.1f}x{r['naive_over_engine_cheap']:>6.1f}x{r['cli_over_naive']:>6.2f}x")
    if any(r["naive_scaled"] for r in rows):
        print(f"* naive timed on {NAIVE_REPLICATES} replicates and scaled linearly")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results.json"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated, from {', '.join(WORKLOADS)}")
    parser.add_argument("--quick", action="store_true", help="100x smaller workloads (smoke test)")
    args = parser.parse_args(argv)
    names = [w for w in args.workloads.split(",") if w]
    unknown = [w for w in names if w not in WORKLOADS]
    if unknown or args.repeat < 1:
        parser.error(f"--workloads: got {','.join(unknown)}; allowed: {', '.join(WORKLOADS)}" if unknown
                     else f"--repeat: got {args.repeat}; allowed: an integer >= 1")
    warm_up()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            w = dict(WORKLOADS[name])
            if args.quick:
                w.update(generations=max(2, w["generations"] // 10), replicates=max(2, w["replicates"] // 100))
            rows += measure(name, w, args.repeat, Path(tmp))
    print(f"median of {args.repeat} interleaved rounds; load average {os.getloadavg()[0]:.2f}")
    print_rows(rows)
    result = {"repeat": args.repeat, "python": sys.version.split()[0], "numpy": np.__version__,
              "machine": platform.machine(), "cpus": os.cpu_count(),
              "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None, "results": rows}
    write_text_atomic(Path(args.out), json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
