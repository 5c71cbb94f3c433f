"""Benchmarks of what users run: whole ``stl simulate`` processes beside the engine, a
per-replicate Python loop and the RNG floor, side by side in one run; the targets of
issue 21 checked on the numbers; and the run-time budget's promise calibrated.

Every ``*_s`` column is **CPU seconds** (user + system: the operating system's count for a
child process, ``time.process_time`` in-process), which a loaded machine disturbs far
less than wall time; ``cli_wall_s`` keeps the whole process's wall time.

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

Targets (:data:`TARGETS`, issue 21), each a ratio of two columns of the same run:
W1 replace ``cli / raw`` ≤ 3, W2 replace ``cli / raw`` ≤ 4, W1 accumulate
``naive / cli`` ≥ 3, W1-d100 accumulate ``naive / cli`` ≥ 2. The report says met or
missed, and by how much.

Budget (``--budget``, on by default): :func:`stl.verify.budget.estimate_run` promises the
compute time of a run "within a factor of ten". Over :data:`BUDGET_RUNS` (the numpy
models at three sizes) it measures the CPU seconds of ``run_loop`` (what the estimate
describes: the loop, not the interpreter's start-up) beside the estimate, reports each
ratio measured / estimated, the range, whether every ratio lies in [0.1, 10], and the
``SECONDS_PER_UNIT`` that would centre the ratios (their geometric mean times the
shipped constant): the calibration. The test suite checks the estimate's units (work
counted), never seconds.

Run: ``python benchmarks/run.py [--out benchmarks/results.json] [--repeat 3]
[--workloads W1,W2,W1-d100] [--quick] [--no-budget]``.
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
from stl.kernel.atomic import write_text_atomic

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
_LAUNCHER = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "code = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL); wall = time.perf_counter() - t; "
             "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
             "sys.stderr.write('PEAK_KIB %d\\nCPU_S %.6f\\nWALL_S %.6f\\n' % (u.ru_maxrss, u.ru_utime + u.ru_stime, wall)); "
             "sys.exit(code)")


def cli(argv: list[str], env_extra: dict | None = None) -> tuple[float, float, float]:
    """CPU seconds (user + system), wall seconds and peak RSS (MiB) of one whole ``stl``
    process, as the operating system counts its child (start-up and writing included)."""
    env = {**os.environ, **(env_extra or {})}
    proc = subprocess.run([sys.executable, "-c", _LAUNCHER, *argv], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-500:]}")
    found = dict(line.split(" ", 1) for line in proc.stderr.splitlines() if line.split(" ")[0] in
                 ("PEAK_KIB", "CPU_S", "WALL_S"))
    return float(found["CPU_S"]), float(found["WALL_S"]), int(found["PEAK_KIB"]) / 1024.0


def raw_normals(dim: int, n: int, generations: int, replicates: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(replicates * (generations + 1) * n * dim)


def timed(fn, *args) -> float:
    """CPU seconds of ``fn(*args)`` in this process."""
    t0 = time.process_time()
    fn(*args)
    return time.process_time() - t0


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
            cpu, wall, rss = cli(argv)
            times.setdefault(f"cli-{scheme}", []).append(cpu)
            times.setdefault(f"cli_wall-{scheme}", []).append(wall)
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
        rows.append({"workload": name, **w, "scheme": scheme, "cli_s": c, "cli_wall_s": med[f"cli_wall-{scheme}"],
                     "cli_blas_all_s": med[f"cli_blas_all-{scheme}"],
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


#: Issue 21's targets: (workload, scheme, numerator column, denominator column, bound, kind)
#: — ``at most``: numerator / denominator <= bound; ``at least``: >= bound.
TARGETS = (
    ("W1", "replace", "cli_s", "raw_s", 3.0, "at most"),
    ("W2", "replace", "cli_s", "raw_s", 4.0, "at most"),
    ("W1", "accumulate", "naive_s", "cli_s", 3.0, "at least"),
    ("W1-d100", "accumulate", "naive_s", "cli_s", 2.0, "at least"),
)


def check_targets(rows: list[dict]) -> list[dict]:
    """Each target of :data:`TARGETS` whose workload was measured: the ratio, met or not,
    and the factor by which it is missed (1 when met)."""
    out = []
    for workload, scheme, num, den, bound, kind in TARGETS:
        row = next((r for r in rows if r["workload"] == workload and r["scheme"] == scheme), None)
        if row is None:
            continue
        ratio = row[num] / row[den]
        met = ratio <= bound if kind == "at most" else ratio >= bound
        miss = 1.0 if met else (ratio / bound if kind == "at most" else bound / ratio)
        out.append({"workload": workload, "scheme": scheme, "ratio": f"{num} / {den}", "value": ratio,
                    "target": f"{kind} {bound:g}", "met": met, "missed_by_factor": miss})
    return out


def print_targets(targets: list[dict]) -> None:
    for t in targets:
        state = "met" if t["met"] else f"MISSED by {t['missed_by_factor']:.2f}x"
        print(f"target {t['workload']} {t['scheme']}: {t['ratio']} = {t['value']:.2f} ({t['target']}): {state}")


#: The runs over which the budget's promise is calibrated: the numpy models the estimate
#: was fitted on, each at three sizes (model, params, scheme, n, replicates, generations).
BUDGET_RUNS = tuple(
    (model, params, scheme, n, r, g)
    for model, params in (("categorical", {"k": "10"}), ("gaussian", {"dim": "1"}), ("gaussian", {"dim": "10"}),
                          ("linreg", {"dim": "5"}), ("kde", {"dim": "1"}), ("gain-bernoulli", {}))
    for scheme in ("mix",)
    for n, r, g in ((20, 50, 5), (100, 200, 10), (200, 1000, 20))
)


def budget_rows(quick: bool = False) -> list[dict]:
    """Estimated and measured CPU seconds of ``run_loop`` for each of :data:`BUDGET_RUNS`."""
    from stl.verify import budget

    rows = []
    for model, params, scheme, n, r, g in BUDGET_RUNS:
        if quick and r > 50:
            continue
        m = get_model(model, dict(params))
        run_loop(m, scheme, 5, 0.5, 1, 2, 0)  # untimed: imports and first-call set-up are not the loop's
        est = budget.estimate_run(m, n, r, g)
        spent = timed(run_loop, m, scheme, n, 0.5, g, r, 0)
        rows.append({"model": model, "params": params, "n": n, "replicates": r, "generations": g,
                     "estimated_s": est.seconds, "units": est.units, "measured_s": spent,
                     "measured_over_estimated": spent / est.seconds})
    return rows


def budget_summary(rows: list[dict]) -> dict:
    """Range of measured / estimated, whether all lie within a factor of ten, and the
    ``SECONDS_PER_UNIT`` that would centre them (geometric mean of the ratios)."""
    import math

    from stl.verify import budget

    ratios = [r["measured_over_estimated"] for r in rows]
    centre = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
    return {"runs": len(rows), "ratio_min": min(ratios), "ratio_max": max(ratios), "geometric_mean": centre,
            "within_factor_10": all(0.1 <= x <= 10 for x in ratios),
            "shipped_seconds_per_unit": budget.SECONDS_PER_UNIT,
            "calibrated_seconds_per_unit": budget.SECONDS_PER_UNIT * centre}


def print_budget(rows: list[dict], summary: dict) -> None:
    print(f"{'budget run':<34}{'estimated s':>12}{'measured s':>12}{'meas/est':>10}")
    for r in rows:
        what = f"{r['model']} {','.join(f'{k}={v}' for k, v in r['params'].items())} n={r['n']} R={r['replicates']} G={r['generations']}"
        print(f"{what:<34}{r['estimated_s']:>12.3f}{r['measured_s']:>12.3f}{r['measured_over_estimated']:>10.2f}")
    print(f"budget: measured/estimated in [{summary['ratio_min']:.2f}, {summary['ratio_max']:.2f}], geometric mean "
          f"{summary['geometric_mean']:.2f}; within a factor of ten: {summary['within_factor_10']}; "
          f"SECONDS_PER_UNIT shipped {summary['shipped_seconds_per_unit']:.2g}, centred "
          f"{summary['calibrated_seconds_per_unit']:.2g}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results.json"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated, from {', '.join(WORKLOADS)}")
    parser.add_argument("--quick", action="store_true", help="100x smaller workloads (smoke test)")
    parser.add_argument("--no-budget", action="store_true", help="skip the budget calibration")
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
    print(f"median of {args.repeat} interleaved rounds; CPU seconds; load average {os.getloadavg()[0]:.2f}")
    print_rows(rows)
    targets = check_targets(rows)
    print_targets(targets)
    result = {"repeat": args.repeat, "python": sys.version.split()[0], "numpy": np.__version__,
              "machine": platform.machine(), "cpus": os.cpu_count(), "time": "cpu seconds (user + system)",
              "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None, "results": rows,
              "targets": targets}
    if not args.no_budget:
        b_rows = budget_rows(quick=args.quick)
        summary = budget_summary(b_rows)
        print_budget(b_rows, summary)
        result["budget"] = {"rows": b_rows, "summary": summary}
    write_text_atomic(Path(args.out), json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
