"""Rates: fitted exponents in ``n`` and growth shapes in ``i`` (THEORY.md §5, T1', L1).

* :func:`exponent_check` fits ``log E X(n) = const + p log n`` by weighted least squares
  over a grid of ``n`` (weights from the delta-method standard errors, the slope's error
  inflated when the points scatter more than their errors allow) and compares ``p`` with
  the theory's exponent by an equivalence test with a stated margin.
  Examples: ``E gen_0 = O(β_n) = O(1/n)`` (T1 at ``i = 0``) and
  ``E d_TV(P_{θ_0}, D_0) ∝ n^{-1/2}`` (D4's rate).
* :func:`growth_shape_check` contrasts ``λ = 0`` and ``λ > 0`` (L1, Corollary): with no
  real data the distance to ``D_0`` keeps growing over generations; with a constant
  ``λ > 0`` it levels off. The statistic is the paired change of the metric between
  generation ``G/2`` and ``G`` within each replicate: positive for ``λ = 0``
  (:func:`~stl.verify.checks.verdicts.at_least` 0), and negligible — within a stated fraction
  of its level — for ``λ > 0`` (:func:`~stl.verify.checks.verdicts.equivalent`).

>>> chk = exponent_check("demo-rate", "categorical", {"k": "4"}, "gen_gap", ns=(50, 100, 200, 400, 800),
...                      expected=-1.0, margin=0.2, replicates=4000)
>>> chk.run(seed=0).verdict
'pass'
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from stl.verify.checks.blocks import pool_rows, replicate_blocks
from stl.verify.checks.check import Check, Outcome
from stl.verify.checks.formulas import rate_latex
from stl.verify.checks.measurement import Measurement
from stl.verify.checks.task import Task
from stl.verify.checks.loops import loop_block
from stl.verify.checks.stats import log_mean, slope_fit
from stl.verify.checks.verdicts import SEVERITY, at_least, combine, equivalent, family_z


def _exp_plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    return [Task(loop_block, dict(model=p["model"], params=dict(p["params"]), scheme=p["scheme"],
                                  n=n, lam=p["lam"], generations=p["generation"], seed=seed,
                                  first=f, count=c, metrics=(p["metric"],)), f"n={n} r{f}")
            for n in p["ns"] for f, c in replicate_blocks(p["replicates"], p["block"])]


def _exp_conclude(p: Mapping[str, Any], seed: int, outputs: Sequence[Any]) -> Outcome:
    blocks = len(replicate_blocks(p["replicates"], p["block"]))
    z = family_z(1)
    xs, ys, ses, rows = [], [], [], []
    for k, n in enumerate(p["ns"]):
        vals = pool_rows([o[p["metric"]] for o in outputs[k * blocks:(k + 1) * blocks]])[:, p["generation"]]
        m = Measurement.from_samples(vals, z)
        mean = abs(m.value) if p.get("absolute") else m.value  # the rate of |E X|
        ly, lse = log_mean(Measurement(mean, m.stderr, 0, 0, m.n, z))
        xs.append(math.log(n))
        ys.append(ly)
        ses.append(lse)
        rows.append({"n": n, "mean": m.value, "stderr": m.stderr, "log_mean": ly, "log_stderr": lse})
    if not all(math.isfinite(v) for v in ys):
        return Outcome(None, p["expected"], "==", "inconclusive",
                       {"summary": "a mean is not positive: no log-log fit", "points": rows})
    slope = slope_fit(xs, ys, ses, z)
    verdict = equivalent(slope, p["expected"], p["margin"])
    a = float(np.mean(ys) - slope.value * np.mean(xs))
    fig = {"type": "series", "name": p["name"], "logx": True, "logy": True,
           "title": f"{p['metric']} at generation {p['generation']} vs n ({p['model']}): "
                    f"slope {slope.value:.3f} ± {slope.z * slope.stderr:.3f}, theory {p['expected']:g}",
           "x": list(p["ns"]), "x_label": "n", "y_label": f"E {p['metric']}",
           "series": [{"label": "measured (CI)", "y": [r["mean"] for r in rows],
                       "lo": [max(r["mean"] - z * r["stderr"], 1e-12) for r in rows],
                       "hi": [r["mean"] + z * r["stderr"] for r in rows], "style": "points"},
                      {"label": f"fit n^{slope.value:.3f}", "y": [math.exp(a + slope.value * x) for x in xs]},
                      {"label": f"theory n^{p['expected']:g} (through the fit's centre)",
                       "y": [math.exp(float(np.mean(ys)) + p["expected"] * (x - float(np.mean(xs)))) for x in xs],
                       "style": "bound"}]}
    summary = (f"fitted exponent {slope.value:.4f}, CI [{slope.ci_low:.4f}, {slope.ci_high:.4f}] "
               f"(theory {p['expected']:g}, equivalence margin ±{p['margin']:g}) from n = {list(p['ns'])}.")
    return Outcome(measured=slope, predicted=p["expected"], relation="==", verdict=verdict,
                   details={"summary": summary, "points": rows, "figures": [fig]})


def _exp_validate(p: Mapping[str, Any]) -> None:
    from stl.verify.errors import InputError

    if len(set(p["ns"])) < 3:
        raise InputError("ns", list(p["ns"]), "at least 3 distinct sizes (a slope with a confidence interval)")
    if p["replicates"] < 2:
        raise InputError("replicates", p["replicates"], "an integer >= 2")


def exponent_check(name: str, model: str, params: Mapping[str, str], metric: str, ns: Sequence[int],
                   expected: float, margin: float, replicates: int = 1000, generation: int = 0,
                   scheme: str = "mix", lam: float = 0.5, block: int = 1000, absolute: bool = True,
                   claim: str | None = None) -> Check:
    """The exponent of ``E metric`` in ``n`` at ``generation`` equals ``expected`` (± ``margin``)."""
    return Check(
        name=name, kind="rates",
        claim=claim or (f"E {metric} of the {model} model at generation {generation} scales like "
                        f"n^{expected:g} (fitted log-log slope within ±{margin:g})."),
        claim_latex=rate_latex(metric, float(expected), int(generation)),
        parameters={"name": name, "model": model, "params": dict(params), "metric": metric,
                    "ns": [int(n) for n in ns], "expected": float(expected), "margin": float(margin),
                    "replicates": int(replicates), "generation": int(generation), "scheme": scheme,
                    "lam": float(lam), "block": int(block), "absolute": bool(absolute)},
        plan=_exp_plan, conclude=_exp_conclude, validate=_exp_validate)


# --------------------------------------------------------------------------------------
# growth shape in i
# --------------------------------------------------------------------------------------

def _shape_plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    return [Task(loop_block, dict(model=p["model"], params=dict(p["params"]),
                                  scheme="replace" if lam == 0 else "mix", n=p["n"], lam=lam,
                                  generations=p["generations"], seed=seed, first=f, count=c,
                                  metrics=(p["metric"],)), f"lam={lam} r{f}")
            for lam in p["lams"] for f, c in replicate_blocks(p["replicates"], p["block"])]


def _shape_conclude(p: Mapping[str, Any], seed: int, outputs: Sequence[Any]) -> Outcome:
    blocks = len(replicate_blocks(p["replicates"], p["block"]))
    G = p["generations"]
    half = G // 2
    z = family_z(len(p["lams"]))
    verdicts, rows, series = [], [], []
    head = None
    for k, lam in enumerate(p["lams"]):
        vals = pool_rows([o[p["metric"]] for o in outputs[k * blocks:(k + 1) * blocks]])
        change = Measurement.from_samples(vals[:, G] - vals[:, half], z)
        level = float(np.mean(vals[:, half]))
        if lam == 0:
            v = at_least(change, 0.0)
            relation = "> 0 (keeps growing)"
            if change.ci_low <= 0 < change.ci_high:
                v = "inconclusive"
        else:
            v = equivalent(change, 0.0, p["plateau_margin"] * level)
            relation = f"≈ 0 within ±{p['plateau_margin']:.0%} of the level (bounded)"
        verdicts.append(v)
        means = vals.mean(axis=0)
        ses = vals.std(axis=0, ddof=1) / math.sqrt(vals.shape[0])
        rows.append({"lam": lam, "change": change.value, "ci_low": change.ci_low, "ci_high": change.ci_high,
                     "level_at_half": level, "relation": relation, "verdict": v,
                     "means": means.tolist()})
        series.append({"label": f"λ={lam:g}", "y": means.tolist(), "lo": (means - 1.96 * ses).tolist(),
                       "hi": (means + 1.96 * ses).tolist()})
        # headline: the worst verdict (a failing λ first), ties to λ = 0's growth
        rank = (SEVERITY[v], lam == 0)
        if head is None or rank > head[0]:
            head = (rank, change, 0.0 if lam == 0 else p["plateau_margin"] * level,
                    ">=" if lam == 0 else "==")
    fig = {"type": "series", "name": p["name"], "x": list(range(G + 1)), "x_label": "generation i",
           "y_label": f"E {p['metric']}", "title": f"growth in i: {p['model']} n={p['n']}",
           "series": series}
    summary = "; ".join(f"λ={r['lam']:g}: change from generation {half} to {G} = {r['change']:.4g} "
                        f"[{r['ci_low']:.4g}, {r['ci_high']:.4g}], claim {r['relation']} → {r['verdict']}"
                        for r in rows)
    _, head_m, head_pred, head_rel = head
    if head_rel == "==":  # report |change| against the plateau margin it must stay within
        head_m, head_rel = head_m.absolute(), "<="
    return Outcome(measured=head_m, predicted=head_pred, relation=head_rel, verdict=combine(verdicts),
                   details={"summary": summary, "rows": rows, "figures": [fig]})


def _shape_validate(p: Mapping[str, Any]) -> None:
    from stl.verify.errors import InputError

    if p["generations"] < 2:
        raise InputError("generations", p["generations"], "an integer >= 2 (a change from G/2 to G)")
    if p["replicates"] < 2:
        raise InputError("replicates", p["replicates"], "an integer >= 2")


def growth_shape_check(name: str = "growth-shape-categorical", model: str = "categorical",
                       params: Mapping[str, str] | None = None, metric: str = "tv_to_real",
                       n: int = 100, lams: Sequence[float] = (0.0, 0.5), generations: int = 20,
                       replicates: int = 1000, plateau_margin: float = 0.05, block: int = 1000) -> Check:
    """``λ = 0`` keeps drifting away from ``D_0``; ``λ > 0`` levels off (L1, Corollary)."""
    return Check(
        name=name, kind="rates",
        claim=(f"Growth in i (L1/Corollary) on the {model} model, metric {metric}: with λ = 0 the "
               f"distance to D_0 still grows between generations {generations // 2} and {generations}; "
               f"with λ ∈ {[l for l in lams if l > 0]} it has levelled off (change within "
               f"±{plateau_margin:.0%} of its level)."),
        claim_latex=(r"\lambda=0:\ \mathbb{E}\,d_G - \mathbb{E}\,d_{G/2} > 0;\qquad "
                     r"\lambda>0:\ |\mathbb{E}\,d_G - \mathbb{E}\,d_{G/2}| \le \epsilon\,\mathbb{E}\,d_{G/2}"),
        parameters={"name": name, "model": model, "params": dict(params or {"k": "10"}), "metric": metric,
                    "n": int(n), "lams": [float(l) for l in lams], "generations": int(generations),
                    "replicates": int(replicates), "plateau_margin": float(plateau_margin),
                    "block": int(block)},
        plan=_shape_plan, conclude=_shape_conclude, validate=_shape_validate)
