"""Validity and tightness of T1 (THEORY.md T1 and §5).

For one model configuration the check measures ``E gen_i`` (the loop's ``gen_gap``
metric, mean over replicates with its CI) at every generation and evaluates T1

    |E gen_i| ≤ β_n (1 + λ n_s γ_n^{i−1}) + M (1−λ) d_TV(n) (1 − (1−λ)^i)/λ

twice:

* with the model's **analytic** constants (:mod:`stl.theory.models`, γ from L2), when theory
  knows all of them;
* with **estimated** constants (:mod:`stl.numerics.estimators`), each at the upper limit of
  its own confidence interval: ``β̂_n``; ``γ̂_n^{i−1}`` (the exact coupled TV for models
  with a maximal coupling and exact TV, otherwise the fraction of differing synthetic
  draws at generation ``i`` under the coupling used, which T1 accepts — D3); and
  ``d̂_TV(n)`` as the largest per-generation upper limit (D4 is a bound for every ``j``).

Verdict per generation and per bound by :func:`~stl.verify.checks.verdicts.at_most` on the
interval of ``|E gen_i|`` (Bonferroni-widened over all comparisons); all must pass.
The β and τ estimators are lower estimates of a supremum (numerics says so): a bound
built from them is not guaranteed, and a failure there points at the estimate as much
as at T1 — the details keep the two bounds apart.

The tightness check runs the same measurement over a grid of ``(n, λ)`` and reports the
ratio bound / measured at every generation.

>>> chk = t1_validity_check("categorical", {"k": "4"}, n=50, lam=0.5, generations=2,
...                         replicates=100, est_replicates=20, name="demo")
>>> chk.run(seed=0).verdict
'pass'
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from stl.verify.checks.blocks import pool_rows, replicate_blocks
from stl.verify.checks.check import Check, Outcome
from stl.verify.checks.measurement import Measurement
from stl.verify.checks.task import Task
from stl.verify.checks.formulas import t1_latex, t1_tightness_latex
from stl.verify.checks.loops import estimator_block, loop_block
from stl.verify.checks.stats import column_measurements
from stl.verify.checks.verdicts import at_most, combine, family_z

ESTIMATED_PIECES = ("beta", "gamma", "dtv")


def _config_tasks(cfg: Mapping[str, Any], seed: int, tag: str) -> list[Task]:
    common = dict(model=cfg["model"], params=dict(cfg["params"]), scheme=cfg.get("scheme", "mix"),
                  n=cfg["n"], lam=cfg["lam"], generations=cfg["generations"], seed=seed)
    tasks = [Task(loop_block, dict(**common, first=f, count=c, metrics=("gen_gap",)), f"{tag} loop r{f}")
             for f, c in replicate_blocks(cfg["replicates"], cfg["block"])]
    if cfg.get("estimated", True):
        for piece in ESTIMATED_PIECES:
            tasks += [Task(estimator_block, dict(estimator=piece, **common, first=f, count=c),
                           f"{tag} {piece} r{f}")
                      for f, c in replicate_blocks(cfg["est_replicates"], cfg["block"])]
    return tasks


def _n_tasks(cfg: Mapping[str, Any]) -> tuple[int, int]:
    loops = len(replicate_blocks(cfg["replicates"], cfg["block"]))
    est = len(replicate_blocks(cfg["est_replicates"], cfg["block"])) if cfg.get("estimated", True) else 0
    return loops, est


def _upper(values: np.ndarray, z: float) -> np.ndarray:
    """Per-column upper confidence limit of the mean of ``values`` (R, ...).

    Student-t with ``count − 1`` degrees of freedom per column at the coverage of ``z``
    (the standard error comes from the same values; estimators run on tens of replicates).
    """
    import warnings
    from statistics import NormalDist

    from scipy.stats import t as student_t

    v = np.asarray(values, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns (no draws at j = 0)
        mean = np.nanmean(v, axis=0)
        cnt = np.sum(np.isfinite(v), axis=0)
        se = np.nanstd(v, axis=0, ddof=1) / np.sqrt(np.maximum(cnt, 1))
        q = np.where(cnt >= 2, student_t.ppf(NormalDist().cdf(z), np.maximum(cnt - 1, 1)), np.nan)
    return mean + q * se


def evaluate_config(cfg: Mapping[str, Any], outputs: Sequence[Any], z_const: float = 1.959963984540054
                    ) -> dict[str, Any]:
    """Measured ``E gen_i`` and both T1 bounds for one configuration (plain numbers)."""
    from stl.numerics.schemes import get_scheme
    from stl.verify.constants import t1_analytic, t1_general

    loops, est = _n_tasks(cfg)
    G, n = cfg["generations"], cfg["n"]
    scheme = get_scheme(cfg.get("scheme", "mix"), n, cfg["lam"])
    lam = scheme.n_r / n if hasattr(scheme, "n_r") else cfg["lam"]
    n_s = n - round(lam * n)
    gen_gap = pool_rows([o["gen_gap"] for o in outputs[:loops]])
    gens = np.arange(G + 1)
    out: dict[str, Any] = {"model": cfg["model"], "params": dict(cfg["params"]), "n": n, "lam": lam,
                           "n_s": n_s, "generations": G, "gen_gap": gen_gap}
    analytic = t1_analytic(cfg["model"], cfg["params"])
    if analytic is not None:
        total, stab, shift = analytic
        out["bound_analytic"] = np.asarray(total(n=n, lam=lam, i=gens), dtype=float)
        out["analytic_terms"] = {"stability": np.asarray(stab(n=n, lam=lam, i=gens), dtype=float),
                                 "shift": np.asarray(shift(n=n, lam=lam, i=gens), dtype=float)}
    if est:
        pieces = {}
        for k, piece in enumerate(ESTIMATED_PIECES):
            part = outputs[loops + k * est: loops + (k + 1) * est]
            pieces[piece] = part
        beta_vals = pool_rows([o["values"] for o in pieces["beta"]])
        dtv_vals = pool_rows([o["values"] for o in pieces["dtv"]])
        gam = pieces["gamma"][0]
        exact_gamma = bool(gam.get("maximal")) and bool(gam.get("tv_exact"))
        if exact_gamma:
            gvals = pool_rows([o["values"] for o in pieces["gamma"]])   # γ^j, j = 0..G
            g_prev = np.concatenate([[0.0], _upper(gvals, z_const)[:-1]])  # γ^{i-1}; unused at i=0
            gamma_how = "exact coupled TV γ̂^{i-1} (upper CI)"
        else:
            dvals = pool_rows([o["differ"] for o in pieces["gamma"]])
            g_prev = np.nan_to_num(_upper(dvals, z_const), nan=0.0)  # column i: draws of generation i
            gamma_how = "fraction of differing synthetic draws at generation i (upper CI)" + (
                " — synchronous-coupling proxy, valid for T1 (D3)" if gam["proxy"] else "")
        beta_hi = float(_upper(beta_vals, z_const))
        dtv_hi = float(np.max(_upper(dtv_vals, z_const)))
        M = float(cfg["M"])
        total, stab, shift = t1_general()
        kw = dict(beta_n=beta_hi, gamma=np.clip(g_prev, 0.0, 1.0), lam=lam, n=n, M=M,
                  d_tv=min(dtv_hi, 1.0), i=gens)
        out["bound_estimated"] = np.asarray(total(**kw), dtype=float)
        out["estimated_terms"] = {"stability": np.asarray(stab(**kw), dtype=float),
                                  "shift": np.asarray(shift(**kw), dtype=float)}
        out["estimated_constants"] = {"beta_n_upper": beta_hi, "d_tv_upper": dtv_hi, "M": M,
                                      "gamma_prev_upper": g_prev.tolist(), "gamma_how": gamma_how,
                                      "beta_method": pieces["beta"][0]["method"],
                                      "gamma_method": gam["method"],
                                      "dtv_method": pieces["dtv"][0]["method"]}
    return out


def _plan_configs(configs: Sequence[Mapping[str, Any]], seed: int) -> list[Task]:
    return [t for k, cfg in enumerate(configs) for t in _config_tasks(cfg, seed, f"cfg{k}")]


def _split_outputs(configs, outputs):
    pos, parts = 0, []
    for cfg in configs:
        loops, est = _n_tasks(cfg)
        size = loops + est * len(ESTIMATED_PIECES)
        parts.append(outputs[pos:pos + size])
        pos += size
    return parts


def _compare(ev: Mapping[str, Any], z: float) -> tuple[list[dict], list[str]]:
    """Per generation: |E gen_i| interval vs each available bound."""
    ms = [m.absolute() for m in column_measurements(ev["gen_gap"], z)]
    rows, verdicts = [], []
    for i, m in enumerate(ms):
        row = {"generation": i, "measured": m.value, "signed_mean": float(np.mean(ev["gen_gap"][:, i])),
               "ci_low": m.ci_low, "ci_high": m.ci_high, "stderr": m.stderr}
        for key in ("bound_analytic", "bound_estimated"):
            if key in ev:
                b = float(ev[key][i])
                v = at_most(m, b)
                verdicts.append(v)
                row[key] = b
                row[key.replace("bound", "verdict")] = v
                row[key.replace("bound", "ratio")] = b / m.value if m.value > 0 else math.inf
                row[key.replace("bound", "ratio_low")] = b / m.ci_high if m.ci_high > 0 else math.inf
                # the interval of b/|E gen_i| is [b/ci_high, b/ci_low] (unbounded when |E gen_i| may be 0)
                row[key.replace("bound", "ratio_high")] = b / m.ci_low if m.ci_low > 0 else math.inf
                row[key.replace("bound", "ratio_stderr")] = (b * m.stderr / m.value ** 2 if m.value > 0
                                                             else math.inf)
        rows.append(row)
    return rows, verdicts


def _series_figure(ev: Mapping[str, Any], rows: Sequence[Mapping], name: str) -> dict:
    x = [r["generation"] for r in rows]
    series = [{"label": "|E gen_i| measured (CI)", "y": [r["measured"] for r in rows],
               "lo": [max(r["ci_low"], 1e-12) for r in rows], "hi": [r["ci_high"] for r in rows]}]
    if "bound_analytic" in ev:
        series.append({"label": "T1, analytic constants", "y": list(map(float, ev["bound_analytic"])),
                       "style": "bound"})
    if "bound_estimated" in ev:
        series.append({"label": "T1, estimated constants (upper CI)",
                       "y": list(map(float, ev["bound_estimated"])), "style": "bound"})
    return {"type": "series", "name": name, "logy": True, "x": x, "x_label": "generation i",
            "y_label": "|E gen_i|",
            "title": f"T1 vs measurement: {ev['model']} n={ev['n']} λ={ev['lam']:g}",
            "series": series}


def _validity_conclude(p: Mapping[str, Any], seed: int, outputs: Sequence[Any]) -> Outcome:
    configs = p["configs"]
    parts = _split_outputs(configs, outputs)
    evs = [evaluate_config(cfg, part) for cfg, part in zip(configs, parts)]
    n_comp = sum((cfg["generations"] + 1) * (("bound_analytic" in ev) + ("bound_estimated" in ev))
                 for cfg, ev in zip(configs, evs))
    z = family_z(max(n_comp, 1))
    verdicts, per_config, figures = [], [], []
    head = None
    for k, ev in enumerate(evs):
        rows, vs = _compare(ev, z)
        verdicts += vs
        figures.append(_series_figure(ev, rows, f"{p['figure_prefix']}-{k}"))
        info = {"model": ev["model"], "params": ev["params"], "n": ev["n"], "lam": ev["lam"],
                "generations": rows, "verdict": combine(vs)}
        for key in ("analytic_terms", "estimated_terms"):
            if key in ev:
                info[key] = {t: list(map(float, v)) for t, v in ev[key].items()}
        if "estimated_constants" in ev:
            info["estimated_constants"] = ev["estimated_constants"]
        if "bound_analytic" not in ev:
            info["analytic"] = "not available: theory has no complete set of constants for this model"
        per_config.append(info)
        for r in rows:
            for key in ("bound_analytic", "bound_estimated"):
                if key in r:
                    closeness = r["ci_high"] / r[key] if r[key] > 0 else math.inf
                    if head is None or closeness > head[0]:
                        head = (closeness, r, key, k)
    if head is None:
        return Outcome(None, None, "<=", "inconclusive",
                       {"summary": "no bound could be evaluated", "configs": per_config})
    _, r, key, k_head = head
    measured = Measurement(r["measured"], r["stderr"], r["ci_low"], r["ci_high"],
                           int(configs[k_head]["replicates"]), z)
    ratios = [row[k.replace("bound", "ratio")] for c in per_config for row in c["generations"]
              for k in ("bound_analytic", "bound_estimated") if k in row]
    finite = [x for x in ratios if math.isfinite(x)]
    summary = (f"{len(verdicts)} comparisons (generations × bounds) over {len(configs)} configuration(s); "
               f"closest: generation {r['generation']} against the {key.replace('bound_', '')} bound "
               f"({r['ci_high']:.4g} upper CI vs {r[key]:.4g}). Ratios bound/measured: "
               f"min {min(finite):.3g}, median {float(np.median(finite)):.3g}, max {max(finite):.3g}."
               if finite else "ratios undefined (measured mean 0)")
    without = sorted({c["model"] for c in per_config if "analytic" in c})
    if without:
        summary += (f" Analytic constants not available for {', '.join(without)} (stl.theory.models has no "
                    "complete set): only the estimated-constant bound was checked there.")
    return Outcome(measured=measured, predicted=r[key], relation="<=", verdict=combine(verdicts),
                   details={"summary": summary, "configs": per_config, "z": z, "figures": figures,
                            "headline_bound": key})


def _config(model, params, n, lam, generations, replicates, est_replicates, block, estimated=True,
            scheme="mix") -> dict:
    from stl.verify.checks.loops import build_model

    M = build_model(model, params).loss_bound
    return {"model": model, "params": {k: str(v) for k, v in dict(params).items()}, "scheme": scheme,
            "n": int(n), "lam": float(lam), "generations": int(generations),
            "replicates": int(replicates), "est_replicates": int(est_replicates), "block": int(block),
            "estimated": bool(estimated), "M": float(M)}


def t1_validity_check(model: str, params: Mapping[str, str] | None = None, n: int = 100,
                      lam: float = 0.5, generations: int = 10, replicates: int = 400,
                      est_replicates: int = 100, block: int = 200, estimated: bool = True,
                      name: str | None = None) -> Check:
    """T1 holds for ``model`` at ``(n, λ)`` for every generation, with analytic and estimated constants."""
    cfg = _config(model, params or {}, n, lam, generations, replicates, est_replicates, block, estimated)
    name = name or f"t1-validity-{model}"
    return Check(
        name=name, kind="validity",
        claim=(f"T1 holds for the {model} model (n={n}, λ={lam:g}, generations 0..{generations}): the upper "
               "confidence limit of |E gen_i| stays below the T1 bound with analytic constants (where "
               "theory has them) and with estimated constants at their upper confidence limits."),
        claim_latex=t1_latex(),
        parameters={"configs": [cfg], "figure_prefix": name},
        plan=lambda p, seed: _plan_configs(p["configs"], seed),
        conclude=_validity_conclude)


def t1_tightness_check(model: str = "categorical", params: Mapping[str, str] | None = None,
                       ns: Sequence[int] = (50, 200), lams: Sequence[float] = (0.2, 0.8),
                       generations: int = 6, replicates: int = 400, block: int = 400,
                       name: str = "t1-tightness-categorical") -> Check:
    """Bound / measured over a grid of ``n``, ``λ`` and ``i`` (analytic constants)."""
    configs = [_config(model, params or {"k": "10"}, n, lam, generations, replicates, 0, block, False)
               for n in ns for lam in lams]
    return Check(
        name=name, kind="tightness",
        claim=(f"Tightness of T1 on the {model} model over n ∈ {list(ns)}, λ ∈ {list(lams)}, "
               f"i ∈ 0..{generations}: the ratio bound / |E gen_i| is at least 1 everywhere (its lower "
               "confidence limit), and the report gives how far above 1 it is."),
        claim_latex=t1_tightness_latex(),
        parameters={"configs": configs, "figure_prefix": name},
        plan=lambda p, seed: _plan_configs(p["configs"], seed),
        conclude=_tightness_conclude)


def _tightness_conclude(p: Mapping[str, Any], seed: int, outputs: Sequence[Any]) -> Outcome:
    base = _validity_conclude(p, seed, outputs)
    cells = []
    for cfg in base.details["configs"]:
        for row in cfg["generations"]:
            if "ratio_analytic" in row:
                cells.append({"n": cfg["n"], "lam": cfg["lam"], "generation": row["generation"],
                              "ratio": row["ratio_analytic"], "ratio_low": row["ratio_low_analytic"],
                              "ratio_high": row["ratio_high_analytic"],
                              "ratio_stderr": row["ratio_stderr_analytic"],
                              "measured": row["measured"], "bound": row["bound_analytic"]})
    if not cells:
        return Outcome(None, None, ">=", "inconclusive",
                       {"summary": "no analytic bound available for tightness"})
    ratios = np.array([c["ratio"] for c in cells])
    lows = np.array([c["ratio_low"] for c in cells])
    k = int(np.argmin(lows))
    z = base.details["z"]
    worst = Measurement(float(ratios[k]), float(cells[k]["ratio_stderr"]), float(lows[k]),
                        float(cells[k]["ratio_high"]), int(p["configs"][0]["replicates"]), z)
    finite = ratios[np.isfinite(ratios)]
    fig = {"type": "ratios", "name": f"{p['figure_prefix']}-ratios",
           "title": "T1 tightness: bound / |E gen_i| (analytic constants)",
           "labels": [f"n={c['n']},λ={c['lam']:g},i={c['generation']}" for c in cells],
           "values": [float(x) if math.isfinite(x) else None for x in ratios],
           "lo": [float(x) for x in lows],
           "hi": [float(c["ratio_high"]) if math.isfinite(c["ratio_high"]) else None for c in cells],
           "y_label": "bound / measured"}
    summary = (f"{len(cells)} cells; ratio bound/measured: min {finite.min():.3g}, median "
               f"{np.median(finite):.3g}, max {finite.max():.3g} (lower CI limit of the smallest: "
               f"{lows[k]:.3g}). " + base.details["summary"])
    return Outcome(measured=worst, predicted=1.0, relation=">=", verdict=base.verdict,
                   details={"summary": summary, "cells": cells, "z": z,
                            "figures": list(base.details["figures"]) + [fig]})
