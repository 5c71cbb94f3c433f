"""T3, the optimal synthetic data size, by four methods side by side (THEORY.md T3, §5).

The check's claim is the one that can be decided exactly: in the closed-form regime
(stability terms negligible, ``i → ∞``) the sympy closed form, the scipy minimizer of
the bound and the cvxpy geometric program give the same integer ``n_s*`` (within one
sample, the rounding of a continuous optimum). The simulated optimum of a real
learner is measured alongside, with its confidence interval, and reported — not
forced to agree: it minimizes the measured risk, not the bound (see
:func:`stl.verify.optimal_size.disagreements`).

>>> chk = optimum_check(n_r=50, simulate_model=None, name="demo-optimum")
>>> chk.run(seed=0).verdict
'pass'
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from stl.verify.checks.blocks import replicate_blocks
from stl.verify.checks.check import Check, Outcome
from stl.verify.checks.measurement import Measurement
from stl.verify.checks.task import Task
from stl.verify.checks.formulas import optimum_latex
from stl.verify.optimal_size import (
    Problem,
    by_cvxpy,
    by_scipy,
    by_sympy,
    disagreements,
    objective,
    simulate_summary,
    simulate_tasks,
)


def _bound_methods(problem: Mapping[str, Any]) -> dict:
    p = Problem(**problem)
    return {"sympy": by_sympy(p), "scipy": by_scipy(p), "cvxpy": by_cvxpy(p)}


def _plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    tasks = [Task(_bound_methods, {"problem": dict(p["problem"])}, "bound methods")]
    if p["simulate_model"]:
        tasks += simulate_tasks(p["simulate_model"], p["simulate_params"], p["problem"]["n_r"],
                                p["grid"], p["generations"], p["replicates"], seed, p["block"])
    return tasks


def _conclude(p: Mapping[str, Any], seed: int, outputs: Sequence[Any]) -> Outcome:
    methods = dict(outputs[0])
    problem = Problem(**p["problem"])
    got = {m: r["n_s"] for m, r in methods.items() if "n_s" in r}
    missing = [m for m in ("sympy", "scipy", "cvxpy") if m not in got]
    figures = []
    if p["simulate_model"]:
        sim = simulate_summary(p["simulate_model"], p["grid"], outputs[1:],
                               len(replicate_blocks(p["replicates"], p["block"])))
        methods["simulate"] = sim
    # The report row reads "measured (scipy's integer minimizer of the bound) == predicted (the
    # sympy closed form)"; cvxpy must agree too. Every number is exact (no sampling error),
    # so the verdict is decided by the tolerance alone: within it → pass, outside → fail.
    predicted = float(got["sympy"]) if "sympy" in got else None
    measured = Measurement.exact(got["scipy"]) if "scipy" in got else None
    deviations = {m: abs(got[m] - got["sympy"]) for m in ("scipy", "cvxpy") if m in got and "sympy" in got}
    spread = max(deviations.values()) if deviations else math.nan
    if any(d > p["tolerance"] for d in deviations.values()):
        verdict = "fail"   # a method that ran and disagrees is a failure even if another is missing
    elif missing:
        verdict = "inconclusive"
    else:
        verdict = "pass"
    f = objective(problem)
    xs = np.unique(np.round(np.geomspace(1, max(problem.search_max, 10), 80)))
    xs = np.concatenate([[0.0], xs])
    markers = [{"x": r["n_s"], "label": m} for m, r in methods.items() if "n_s" in r]
    figures.append({"type": "series", "name": "optimum-bound", "logx": True, "x": (xs + 1).tolist(),
                    "x_label": "n_s + 1", "y_label": "T3 objective B(n_s)",
                    "title": f"T3 objective, n_r={problem.n_r}, A/C={problem.A / problem.C:.3g}",
                    "series": [{"label": "B(n_s)", "y": np.asarray(f(xs), dtype=float).tolist()}],
                    "markers": [{"x": mk["x"] + 1, "label": mk["label"]} for mk in markers]})
    if "simulate" in methods:
        rows = methods["simulate"]["grid"]
        figures.append({"type": "series", "name": "optimum-simulated", "logx": True,
                        "x": [r["n_s"] + 1 for r in rows], "x_label": "n_s + 1",
                        "y_label": f"{methods['simulate']['metric']} at the last generation",
                        "title": f"simulated real-distribution risk vs n_s ({p['simulate_model']}, n_r={problem.n_r})",
                        "series": [{"label": "measured (CI)", "y": [r["risk"] for r in rows],
                                    "lo": [r["risk_ci"][0] for r in rows],
                                    "hi": [r["risk_ci"][1] for r in rows]},
                                   {"label": "|gen gap| (CI)", "y": [abs(r["gen_gap"]) for r in rows],
                                    "lo": [max(min(abs(r["gen_gap_ci"][0]), abs(r["gen_gap_ci"][1])), 0) if r["gen_gap_ci"][0] * r["gen_gap_ci"][1] > 0 else 0 for r in rows],
                                    "hi": [max(abs(r["gen_gap_ci"][0]), abs(r["gen_gap_ci"][1])) for r in rows]}]})
    notes = disagreements(problem, methods)
    summary = ("Measured: scipy's integer minimizer of the bound; predicted: the sympy closed form; "
               f"pass when scipy and cvxpy are within ±{p['tolerance']:g} of it (largest deviation "
               f"{spread:g}). n_s* by method: "
               + ", ".join(f"{m}={r.get('n_s', 'n/a')}" for m, r in methods.items())
               + ("; missing: " + "; ".join(f"{m} ({methods.get(m, {}).get('reason', 'no result')})"
                                             for m in missing) if missing else "")
               + ". " + ("; ".join(notes) + "." if notes else ""))
    return Outcome(measured=measured, predicted=predicted, relation="==", verdict=verdict,
                   details={"summary": summary, "methods": methods, "notes": notes,
                            "deviations_from_sympy": deviations, "tolerance": p["tolerance"],
                            "figures": figures})


def optimum_check(n_r: int = 100, c_0: float = 1.0, M: float = 1.0, delta: float = 0.05,
                  a: float = 0.25, simulate_model: str | None = "categorical",
                  simulate_params: Mapping[str, str] | None = None, grid: Sequence[int] | None = None,
                  generations: int = 10, replicates: int = 200, block: int = 200,
                  name: str = "optimal-synthetic-size") -> Check:
    """sympy, scipy and cvxpy agree on ``n_s*`` in the closed-form regime; simulation reported."""
    problem = {"n_r": int(n_r), "c_0": c_0, "M": M, "delta": delta, "a": a}
    grid = list(grid) if grid is not None else [0, n_r // 4, n_r // 2, n_r, 2 * n_r, 5 * n_r]
    return Check(
        name=name, kind="optimum",
        claim=(f"T3 (n_r={n_r}, c_0={c_0:g}, M={M:g}, δ={delta:g}, a={a:g}): the closed form n_r(A/C − 2), "
               "the scipy minimizer of the bound and the cvxpy geometric program give the same integer "
               "n_s* (±1); the simulated optimum of the real risk is reported beside them."),
        claim_latex=optimum_latex(),
        parameters={"problem": problem, "simulate_model": simulate_model,
                    "simulate_params": dict(simulate_params or {}), "grid": [int(g) for g in grid],
                    "generations": int(generations), "replicates": int(replicates), "block": int(block),
                    "tolerance": 1.0},
        plan=_plan, conclude=_conclude)
