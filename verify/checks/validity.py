"""Validity and tightness of T1 (THEORY.md T1 and §5) for any model.

For one configuration the check measures ``E gen_i`` (the loop's ``gen_gap``, mean over
replicates with its CI) at every generation and evaluates

    |E gen_i| ≤ β_n (1 + λ n_s γ_n^{i−1}) + M (1−λ) d_TV(n) (1 − (1−λ)^i)/λ

(:func:`stl.theory.results.theorem1.theorem1_bound`) twice:

* with the model's **analytic** constants (its card's theory half, :mod:`stl.verify.cards`, γ from
  L2), when theory knows all of them;
* with **estimated** constants (:mod:`stl.numerics.estimators`), each at the upper limit of
  its own confidence interval: ``β̂_n``; ``γ̂_n^{i−1}`` (the exact coupled TV where the model
  has an exact TV and a maximal coupling, otherwise the fraction of differing synthetic
  draws at generation ``i`` under the coupling used, which T1 accepts — D3); ``d̂_TV(n)`` as
  the largest per-generation upper limit (D4 holds for every ``j``).

The β and τ estimators are *lower* estimates of suprema (the worst of a few random
neighbours and probes): a bound built from them is not guaranteed, so where such a bound
decides a verdict the details say so (``estimated_caveat``), and a failure there points
at the estimate as much as at T1. The row shown is the generation that decided the
verdict, named as such (``decided_by``).

Where an equality is known (the categorical model), the decisive checks are in
:mod:`stl.verify.checks.exact`; this one-sided check is the validity of T1 on models with
no exact reference, and :func:`t1_tightness_check` reports how far above the exact values
the categorical bound is over a grid.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import numpy as np

from stl.verify.checks.blocks import pool_rows, replicate_blocks
from stl.verify.checks.check import Check, Outcome
from stl.verify.checks.compare import bound_rows, deciding, describe, headline
from stl.verify.checks.formulas import t1_latex, t1_tightness_latex
from stl.verify.checks.loops import build_model, estimator_block, loop_block
from stl.kernel import student_t
from stl.verify.checks.task import Task
from stl.verify.checks.verdicts import combine, family_z

ESTIMATED_PIECES = ("beta", "gamma", "dtv")

#: Said wherever a bound from estimated constants decides a verdict.
ESTIMATED_CAVEAT = ("the estimated-constant bound uses β̂_n and γ̂ (and τ̂ behind them), which are lower "
                    "estimates of suprema over neighbouring datasets: it is not a guaranteed bound, and a "
                    "failure against it points at the estimates as much as at T1")


def upper_limit(values: np.ndarray, z: float) -> np.ndarray:
    """Per column, the upper confidence limit of the mean of ``values`` ``(R, ...)``, Student-t
    with ``count − 1`` degrees of freedom (:func:`~stl.kernel.student_t.t_quantile`);
    ``nan`` columns (no draws at ``j = 0``) are ignored."""
    import warnings

    v = np.asarray(values, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(v, axis=0)
        count = np.sum(np.isfinite(v), axis=0)
        se = np.nanstd(v, axis=0, ddof=1) / np.sqrt(np.maximum(count, 1))
    q = np.vectorize(lambda c: student_t.t_quantile(z, int(c) - 1) if c >= 2 else math.nan)(np.atleast_1d(count))
    return mean + np.reshape(q, np.shape(mean)) * se


def evaluate_config(cfg: Mapping[str, Any], data: Mapping[str, Any], z_const: float = 1.959963984540054
                    ) -> dict[str, Any]:
    """Measured ``E gen_i`` and both T1 bounds for one configuration (plain numbers).

    ``data``: ``gen_gap`` ``(R, G + 1)`` and, when ``cfg["estimated"]``, the pooled outputs of
    the estimators ``beta``, ``gamma`` and ``dtv`` (:func:`~stl.verify.checks.loops.estimator_block`).
    """
    from stl.numerics.schemes import get_scheme
    from stl.verify.bridge import t1_general
    from stl.verify.cards import t1_analytic

    G, n = cfg["generations"], cfg["n"]
    scheme = get_scheme(cfg.get("scheme", "mix"), n, cfg["lam"])
    lam, n_s = scheme.lam, scheme.n_s
    gens = np.arange(G + 1)
    out: dict[str, Any] = {"model": cfg["model"], "params": dict(cfg["params"]), "n": n, "lam": lam,
                           "n_s": n_s, "generations": G, "gen_gap": data["gen_gap"]}
    analytic = t1_analytic(cfg["model"], cfg["params"])
    if analytic is not None:
        total, stab, shift = analytic
        out["bound_analytic"] = np.asarray(total(n=n, lam=lam, i=gens), dtype=float)
        out["analytic_terms"] = {"stability": np.asarray(stab(n=n, lam=lam, i=gens), dtype=float),
                                 "shift": np.asarray(shift(n=n, lam=lam, i=gens), dtype=float)}
    if cfg.get("estimated", True):
        beta, gam, dtv = data["beta"], data["gamma"], data["dtv"]
        if gam.get("tv_exact") and gam.get("coupling") == "maximal":
            g_prev = np.concatenate([[0.0], upper_limit(gam["values"], z_const)[:-1]])  # γ^{i-1}; unused at i = 0
            gamma_how = "exact coupled TV γ̂^{i-1} (upper CI)"
        else:
            g_prev = np.nan_to_num(upper_limit(gam["differ"], z_const), nan=0.0)  # column i: draws of generation i
            gamma_how = ("fraction of differing synthetic draws at generation i (upper CI) under the "
                         f"{gam.get('coupling', 'synchronous')} coupling, which T1 accepts (D3)")
        beta_hi = float(upper_limit(beta["values"], z_const))
        dtv_hi = float(np.max(upper_limit(dtv["values"], z_const)))
        M = float(cfg["M"])
        total, stab, shift = t1_general()
        kw = dict(beta_n=beta_hi, gamma=np.clip(g_prev, 0.0, 1.0), lam=lam, n=n, M=M, d_tv=min(dtv_hi, 1.0), i=gens)
        out["bound_estimated"] = np.asarray(total(**kw), dtype=float)
        out["estimated_terms"] = {"stability": np.asarray(stab(**kw), dtype=float),
                                  "shift": np.asarray(shift(**kw), dtype=float)}
        out["estimated_constants"] = {"beta_n_upper": beta_hi, "d_tv_upper": dtv_hi, "M": M,
                                      "gamma_prev_upper": g_prev.tolist(), "gamma_how": gamma_how,
                                      "beta_method": beta["method"], "gamma_method": gam["method"],
                                      "dtv_method": dtv["method"]}
    return out


def _pooled(outputs, k: int) -> dict[str, Any]:
    data: dict[str, Any] = {"gen_gap": pool_rows([o["gen_gap"] for o in outputs.group(("loop", k))])}
    for piece in ESTIMATED_PIECES:
        parts = outputs.group((piece, k))
        if parts:
            pooled = dict(parts[0])
            pooled["values"] = pool_rows([o["values"] for o in parts])
            if "differ" in parts[0]:
                pooled["differ"] = pool_rows([o["differ"] for o in parts])
            data[piece] = pooled
    return data


def _config_tasks(cfg: Mapping[str, Any], seed: int, k: int) -> list[Task]:
    common = dict(model=cfg["model"], params=dict(cfg["params"]), scheme=cfg.get("scheme", "mix"),
                  n=cfg["n"], lam=cfg["lam"], generations=cfg["generations"], seed=seed)
    tasks = [Task(loop_block, dict(**common, first=f, count=c, metrics=("gen_gap",)), ("loop", k, f))
             for f, c in replicate_blocks(cfg["replicates"], cfg["block"])]
    if cfg.get("estimated", True):
        for piece in ESTIMATED_PIECES:
            tasks += [Task(estimator_block, dict(estimator=piece, **common, first=f, count=c), (piece, k, f))
                      for f, c in replicate_blocks(cfg["est_replicates"], cfg["block"])]
    return tasks


def _plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    return [t for k, cfg in enumerate(p["configs"]) for t in _config_tasks(cfg, seed, k)]


def _series_figure(ev: Mapping[str, Any], rows: Sequence[Mapping], name: str) -> dict:
    series = [{"label": "|E gen_i| measured (CI)", "y": [r["measured"] for r in rows],
               "lo": [max(r["ci_low"], 1e-12) for r in rows], "hi": [r["ci_high"] for r in rows]}]
    for key, label in (("bound_analytic", "T1, analytic constants"),
                       ("bound_estimated", "T1, estimated constants (upper CI)")):
        if key in ev:
            series.append({"label": label, "y": list(map(float, ev[key])), "style": "bound", "role": key})
    return {"type": "series", "name": name, "logy": True, "x": list(range(ev["generations"] + 1)),
            "x_label": "generation i", "y_label": "|E gen_i|",
            "title": f"T1 vs measurement: {ev['model']} n={ev['n']} λ={ev['lam']:g}", "series": series}


def _conclude(p: Mapping[str, Any], seed: int, outputs) -> Outcome:
    configs = p["configs"]
    evs = [evaluate_config(cfg, _pooled(outputs, k)) for k, cfg in enumerate(configs)]
    n_comp = sum((cfg["generations"] + 1) * (("bound_analytic" in ev) + ("bound_estimated" in ev))
                 for cfg, ev in zip(configs, evs))
    z = family_z(max(n_comp, 1))
    all_rows, verdicts, per_config, figures = [], [], [], []
    for k, ev in enumerate(evs):
        G = ev["generations"]
        labels = [f"{ev['model']} n={ev['n']} λ={ev['lam']:g}, generation {i}" for i in range(G + 1)]
        info = {"model": ev["model"], "params": ev["params"], "n": ev["n"], "lam": ev["lam"]}
        rows_for_figure = None
        for key, what in (("bound_analytic", "analytic"), ("bound_estimated", "estimated")):
            if key not in ev:
                continue
            rows, v = bound_rows(ev["gen_gap"], ev[key], z, labels=[f"{l} vs the {what}-constant bound"
                                                                     for l in labels])
            for r in rows:
                r["bound_kind"] = what
            all_rows += rows
            verdicts.append(v)
            info[f"rows_{what}"] = rows
            rows_for_figure = rows
        for key in ("analytic_terms", "estimated_terms", "estimated_constants"):
            if key in ev:
                info[key] = ev[key] if key == "estimated_constants" else {t: list(map(float, v))
                                                                          for t, v in ev[key].items()}
        if "bound_analytic" not in ev:
            info["analytic"] = "not available: theory has no complete set of constants for this model"
        per_config.append(info)
        if rows_for_figure is not None:
            figures.append(_series_figure(ev, rows_for_figure, f"{p['figure_prefix']}-{k}"))
    if not all_rows:
        return Outcome(None, None, "<=", "inconclusive", {"summary": "no bound could be evaluated",
                                                            "configs": per_config})
    head = deciding(all_rows, "bound")
    text = describe(head, "bound", "")
    finite = [r["factor_over_measured"] for r in all_rows if math.isfinite(r["factor_over_measured"])]
    summary = (f"{len(all_rows)} comparisons (generations × bounds) over {len(configs)} configuration(s). "
               + text + (f". Ratios bound/measured: min {min(finite):.3g}, median {float(np.median(finite)):.3g}, "
                         f"max {max(finite):.3g}." if finite else "."))
    details = {"summary": summary, "configs": per_config, "z": z, "figures": figures, "decided_by": text,
               "headline_bound": head["bound_kind"]}
    if head["bound_kind"] == "estimated":
        details["estimated_caveat"] = ESTIMATED_CAVEAT
        details["summary"] += " Note: " + ESTIMATED_CAVEAT + "."
    without = sorted({c["model"] for c in per_config if "analytic" in c})
    if without:
        details["summary"] += (f" Analytic constants not available for {', '.join(without)}: only the "
                               "estimated-constant bound was checked there.")
    return Outcome(headline(head, "bound", configs[0]["replicates"], z), head["bound"], "<=", combine(verdicts),
                   details)


def _config(model, params, n, lam, generations, replicates, est_replicates, block, estimated=True,
            scheme=None) -> dict:
    M = build_model(model, params).loss_bound
    scheme = scheme or ("mix" if lam > 0 else "replace")
    return {"model": model, "params": {k: str(v) for k, v in dict(params).items()}, "scheme": scheme,
            "n": int(n), "lam": float(lam), "generations": int(generations),
            "replicates": int(replicates), "est_replicates": int(est_replicates), "block": int(block),
            "estimated": bool(estimated), "M": float(M)}


def _validate(p: Mapping[str, Any]) -> None:
    """Confidence intervals need two replicates of the loop and of each estimator."""
    from stl.verify.errors import InputError

    for cfg in p["configs"]:
        if cfg["replicates"] < 2:
            raise InputError("replicates", cfg["replicates"], "an integer >= 2 (a confidence interval)")
        if cfg.get("estimated", True) and cfg["est_replicates"] < 2:
            raise InputError("est_replicates", cfg["est_replicates"], "an integer >= 2 (a confidence interval)")


def t1_validity_check(model: str, params: Mapping[str, str] | None = None, n: int = 100,
                      lam: float = 0.5, generations: int = 10, replicates: int = 400,
                      est_replicates: int = 100, block: int = 200, estimated: bool = True,
                      name: str | None = None) -> Check:
    """T1 holds for ``model`` at ``(n, λ)`` for every generation, with analytic and estimated constants.

    >>> chk = t1_validity_check("gaussian", {"dim": "1"}, n=30, lam=0.5, generations=2,
    ...                         replicates=100, est_replicates=20, name="demo")
    >>> chk.run(seed=0).verdict
    'pass'
    """
    cfg = _config(model, params or {}, n, lam, generations, replicates, est_replicates, block, estimated)
    name = name or f"t1-validity-{model}"
    return Check(
        name=name, kind="validity",
        claim=(f"T1 holds for the {model} model (n={n}, λ={lam:g}, generations 0..{generations}): the upper "
               "confidence limit of |E gen_i| stays below the T1 bound with analytic constants (where "
               "theory has them) and with estimated constants at their upper confidence limits."),
        claim_latex=t1_latex(),
        parameters={"configs": [cfg], "figure_prefix": name},
        plan=_plan, conclude=_conclude, validate=_validate)


# --------------------------------------------------------------------------------------
# tightness against the exact references
# --------------------------------------------------------------------------------------

def _tightness_conclude(p: Mapping[str, Any], seed: int, outputs) -> Outcome:
    from stl.verify.checks.stats import column_measurements

    base = _conclude(p, seed, outputs)
    first = p["configs"][0]
    model = build_model(first["model"], first["params"])
    cells = []
    for k, cfg in enumerate(p["configs"]):
        ev = evaluate_config(cfg, _pooled(outputs, k))
        exact = model.exact_loop(cfg["scheme"], cfg["n"], cfg["lam"], cfg["generations"]).gen_gap()
        ms = column_measurements(ev["gen_gap"], base.details["z"])
        for i, (m, b, e) in enumerate(zip(ms, ev["bound_analytic"], exact)):
            mm = m.absolute()
            cells.append({"n": cfg["n"], "lam": ev["lam"], "generation": i, "bound": float(b),
                          "exact": float(e), "ratio_exact": float(b / abs(e)),
                          "ratio": float(b / mm.value) if mm.value > 0 else math.inf,
                          "ratio_low": float(b / mm.ci_high) if mm.ci_high > 0 else math.inf})
    ratios = np.array([c["ratio_exact"] for c in cells])
    k = int(np.argmin(ratios))
    exact_ok = bool(np.all(ratios >= 1.0 - 1e-12))
    verdict = combine([base.verdict, "pass" if exact_ok else "fail"])
    text = (f"decided by n={cells[k]['n']}, λ={cells[k]['lam']:g}, generation {cells[k]['generation']}: "
            f"bound/exact = {ratios[k]:.4g} (bound/measured lower CI limit {cells[k]['ratio_low']:.4g})")
    fig = {"type": "ratios", "name": f"{p['figure_prefix']}-ratios",
           "title": "T1 tightness: bound / exact E gen_i (analytic constants)",
           "labels": [f"n={c['n']},λ={c['lam']:g},i={c['generation']}" for c in cells],
           "values": [c["ratio_exact"] for c in cells], "lo": [c["ratio_low"] for c in cells],
           "hi": [c["ratio"] for c in cells], "y_label": "bound / exact",
           "group_by": ["n", "lam"]}
    summary = (f"{len(cells)} cells (n, λ, i); bound/exact E gen_i: min {ratios.min():.3g}, median "
               f"{np.median(ratios):.3g}, max {ratios.max():.3g} (every one ≥ 1: {exact_ok}); " + text
               + ". Validity against the measured values: " + base.details["summary"])
    from stl.verify.checks.measurement import Measurement

    return Outcome(Measurement.exact(float(ratios[k])), 1.0, ">=", verdict,
                   {"summary": summary, "cells": cells, "z": base.details["z"], "decided_by": text,
                    "figures": list(base.details.get("figures", [])) + [fig]})


def _tightness_validate(p: Mapping[str, Any]) -> None:
    from stl.verify.cards import t1_analytic
    from stl.verify.errors import InputError

    first = p["configs"][0]
    model = build_model(first["model"], first["params"])
    for cfg in p["configs"]:
        model.exact_loop(cfg["scheme"], cfg["n"], cfg["lam"], cfg["generations"]).require("gen_gap")
    for model, params in {(c["model"], tuple(sorted(dict(c["params"]).items()))) for c in p["configs"]}:
        if t1_analytic(model, dict(params)) is None:
            raise InputError("model", model, "a model whose theory constants give T1 analytically")


def t1_tightness_check(model: str = "categorical", params: Mapping[str, str] = MappingProxyType({"k": "10"}),
                       ns: Sequence[int] = (50, 200), lams: Sequence[float] = (0.2, 0.8),
                       generations: int = 6, replicates: int = 400, block: int = 400,
                       name: str = "t1-tightness-categorical") -> Check:
    """Bound / exact ``E gen_i`` over a grid of ``n``, ``λ`` and ``i`` (analytic constants)."""
    from stl.verify.cards import all_cards, card

    if not card(model).model.has_exact_loop:
        from stl.verify.errors import InputError

        raise InputError("model", model, "a model with an exact law of its loop (has_exact_loop): "
                         + ", ".join(c.name for c in all_cards() if c.model.has_exact_loop))
    configs = [_config(model, dict(params), n, lam, generations, replicates, 0, block, False)
               for n in ns for lam in lams]
    return Check(
        name=name, kind="tightness",
        claim=(f"Tightness of T1 on the {model} model over n ∈ {list(ns)}, λ ∈ {list(lams)}, "
               f"i ∈ 0..{generations}: the bound with analytic constants is at least the exact E gen_i "
               "everywhere and holds against the measured values; the report gives the factor bound / exact."),
        claim_latex=t1_tightness_latex(),
        parameters={"configs": configs, "figure_prefix": name},
        plan=_plan, conclude=_tightness_conclude, validate=_tightness_validate)
