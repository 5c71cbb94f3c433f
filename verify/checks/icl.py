"""T2: self-consuming loops of in-context learners (linear self-attention, small transformer).

THEORY.md T2 lists three claims to check numerically; two checks hold them against the
``lsa`` / ``transformer`` models of :mod:`stl.numerics.icl` (torch, imported only inside the
tasks):

:func:`t2_check`
    (ii) with ``λ = 0`` the ICL risk on real prompts degrades: ``E icl_risk_G − E icl_risk_0 > 0``
    (paired within replicates); (i) with a constant ``λ > 0`` it stays bounded — it has
    levelled off: the paired change between generations ``G/2`` and ``G`` lies within
    ``±margin`` times its level (equivalence test) — and it decreases with ``n``:
    ``E icl_risk_G(n_1) − E icl_risk_G(n_2) > 0`` for ``n_1 < n_2``.
:func:`t2_depth_check`
    (iii) the measured architecture constant ``c = n τ̂_n`` grows with depth ``L``:
    ``c(L_max) − c(L_min) > 0``.
:func:`t2_phase_check`
    (iii), predicted then observed: ``λ_c = 1 − 1/ĉ`` from ``ĉ = n γ̂_0`` measured on
    replicates of its own, then two coupled loops, one at a λ below the prediction (γ̂
    must grow) and one above it (γ̂ must stay within L2's uniform limit ``τ/(1 − ρ)``).

All train one network per replicate and generation. The one-layer ``lsa`` learner is
cheap enough for the ``quick`` suite (``t2-icl-lsa-quick``, ``t2-phase-lsa-quick``); the
transformer checks belong to the ``full`` suite. Sizes are parameters; every check puts
the power of its comparisons (replicates each measured distance needs) in
``details["power"]``.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from stl.verify.checks.blocks import pool_rows, replicate_blocks
from stl.verify.checks.check import Check, Outcome
from stl.verify.checks.measurement import Measurement
from stl.verify.checks.task import Task
from stl.verify.checks.loops import build_model, loop_block
from stl.verify.checks.verdicts import at_least, at_most, combine, equivalent, family_z


def _runs(p: Mapping[str, Any]) -> list[tuple[str, float, int]]:
    n1, n2 = p["ns"]
    return [("replace", 0.0, n1), ("mix", p["lam"], n1), ("mix", p["lam"], n2)]


def _t2_plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    return [Task(loop_block, dict(model=p["model"], params=dict(p["params"]), scheme=scheme, n=n, lam=lam,
                                  generations=p["generations"], seed=seed, first=f, count=c,
                                  metrics=("icl_risk",)), f"{scheme} λ={lam} n={n} r{f}")
            for scheme, lam, n in _runs(p) for f, c in replicate_blocks(p["replicates"], p["block"])]


def _t2_conclude(p: Mapping[str, Any], seed: int, outputs: Sequence[Any]) -> Outcome:
    blocks = len(replicate_blocks(p["replicates"], p["block"]))
    G = p["generations"]
    z = family_z(3)
    risks = [pool_rows([o["icl_risk"] for o in outputs[k * blocks:(k + 1) * blocks]]) for k in range(3)]
    r0, rl1, rl2 = risks
    half = G // 2
    degrade = Measurement.from_samples(r0[:, G] - r0[:, 0], z)
    growth = Measurement.from_samples(rl1[:, G] - rl1[:, half], z)
    level = float(np.mean(rl1[:, half]))
    by_n = Measurement.from_samples(rl1[:, G] - rl2[:, G], z)  # replicate r shares its seed stream
    v_degrade = at_least(degrade, 0.0)
    if degrade.ci_low <= 0 < degrade.ci_high:
        v_degrade = "inconclusive"
    v_bounded = equivalent(growth, 0.0, p["margin"] * level)
    v_n = at_least(by_n, 0.0)
    if by_n.ci_low <= 0 < by_n.ci_high:
        v_n = "inconclusive"
    from stl.verify.checks.compare import power

    R = r0.shape[0]
    # The margin of each row is its measured distance from the line it must clear: the
    # power says how many replicates that distance needs to be decided (not inconclusive).
    pw = {"degrade": power(float(np.std(r0[:, G] - r0[:, 0], ddof=1)), R, abs(degrade.value), z),
          "bounded": power(float(np.std(rl1[:, G] - rl1[:, half], ddof=1)), R,
                           abs(p["margin"] * level - abs(growth.value)), z),
          "by_n": power(float(np.std(rl1[:, G] - rl2[:, G], ddof=1)), R, abs(by_n.value), z)}
    rows = [
        {"claim": "(ii) λ=0 degrades: E risk_G − E risk_0 > 0", "measured": degrade.value,
         "ci": [degrade.ci_low, degrade.ci_high], "verdict": v_degrade},
        {"claim": f"(i) λ={p['lam']:g} bounded: |E risk_G − E risk_{half}| ≤ {p['margin']:g}·E risk_{half} = {p['margin'] * level:.4g}",
         "measured": growth.value, "ci": [growth.ci_low, growth.ci_high], "verdict": v_bounded},
        {"claim": f"(i) decreases with n: E risk_G(n={p['ns'][0]}) − E risk_G(n={p['ns'][1]}) > 0",
         "measured": by_n.value, "ci": [by_n.ci_low, by_n.ci_high], "verdict": v_n},
    ]
    series = []
    labels = [f"λ=0, n={p['ns'][0]}", f"λ={p['lam']:g}, n={p['ns'][0]}", f"λ={p['lam']:g}, n={p['ns'][1]}"]
    for lab, r in zip(labels, risks):
        mean = r.mean(axis=0)
        se = r.std(axis=0, ddof=1) / math.sqrt(r.shape[0])
        series.append({"label": lab, "y": mean.tolist(), "lo": (mean - 1.96 * se).tolist(),
                       "hi": (mean + 1.96 * se).tolist()})
    fig = {"type": "series", "name": p["name"], "x": list(range(G + 1)), "x_label": "generation i",
           "y_label": "E icl_risk (real prompts)", "title": f"T2: {p['model']} ICL risk over generations",
           "series": series}
    summary = "; ".join(f"{r['claim']}: {r['measured']:.4g} [{r['ci'][0]:.4g}, {r['ci'][1]:.4g}] → {r['verdict']}"
                        for r in rows)
    return Outcome(measured=degrade, predicted=0.0, relation="info", verdict=combine([v_degrade, v_bounded, v_n]),
                   details={"summary": summary, "claims": rows, "power": pw, "figures": [fig]})


def t2_check(name: str = "t2-icl-lsa", model: str = "lsa", params: Mapping[str, str] | None = None,
             ns: Sequence[int] = (100, 400), lam: float = 0.5, generations: int = 5, replicates: int = 40,
             margin: float = 0.1, block: int = 20) -> Check:
    """T2 (i) and (ii) on an in-context learner."""
    params = dict(params or {"dim": "3", "context": "8"})
    return Check(
        name=name, kind="t2",
        claim=(f"T2 on the {model} model: with λ = 0 the ICL risk on real prompts degrades over "
               f"{generations} generations; with λ = {lam:g} it has levelled off by generation "
               f"{generations // 2} (later change within ±{margin:.0%} of its level) and is lower for "
               f"n = {ns[1]} than for n = {ns[0]}."),
        claim_latex=(r"\lambda=0:\ \mathbb{E}R_G > \mathbb{E}R_0;\quad \lambda>\lambda_c:\ "
                     r"|\mathbb{E}R_G - \mathbb{E}R_{G/2}| \le \epsilon\,\mathbb{E}R_{G/2},\ R_G(n_1) > R_G(n_2)"),
        parameters={"name": name, "model": model, "params": params, "ns": [int(ns[0]), int(ns[1])],
                    "lam": float(lam), "generations": int(generations), "replicates": int(replicates),
                    "margin": float(margin), "block": int(block)},
        plan=_t2_plan, conclude=_t2_conclude)


# --------------------------------------------------------------------------------------
# (iii) c = n τ̂_n grows with depth
# --------------------------------------------------------------------------------------

def tau_block(model: str, params: Mapping[str, str], n: int, seed: int, first: int, count: int,
              neighbours: int) -> np.ndarray:
    """Per-replicate ``n · max_k d_TV`` (stl.numerics.estimators.estimate_tau) on a replicate block."""
    from stl.numerics.estimators import estimate_tau

    est = estimate_tau(build_model(model, params), n, count, seed, first, neighbours=neighbours)
    return n * np.asarray(est.per_replicate, dtype=float)


def _depth_plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    return [Task(tau_block, dict(model="transformer", params={**dict(p["params"]), "layers": str(L)}, n=p["n"],
                                 seed=seed, first=f, count=c, neighbours=p["neighbours"]), f"L={L} r{f}")
            for L in p["layers"] for f, c in replicate_blocks(p["replicates"], p["block"])]


def _depth_conclude(p: Mapping[str, Any], seed: int, outputs: Sequence[Any]) -> Outcome:
    blocks = len(replicate_blocks(p["replicates"], p["block"]))
    z = family_z(1)
    cs = [pool_rows(outputs[k * blocks:(k + 1) * blocks]) for k in range(len(p["layers"]))]
    ms = [Measurement.from_samples(c, z) for c in cs]
    diff = Measurement.from_samples(cs[-1] - cs[0], z)  # same data per replicate: paired
    verdict = at_least(diff, 0.0)
    if diff.ci_low <= 0 < diff.ci_high:
        verdict = "inconclusive"
    lam_c = [max(0.0, 1.0 - 1.0 / m.value) if m.value > 0 else 0.0 for m in ms]
    from stl.verify.checks.compare import power

    # Replicates that would separate c(L_max) from c(L_min) at the measured difference.
    pw = power(float(np.std(cs[-1] - cs[0], ddof=1)), len(cs[0]), abs(diff.value), z)
    fig = {"type": "series", "name": p["name"], "x": list(p["layers"]), "x_label": "depth L",
           "y_label": "c = n τ̂_n", "title": f"T2 (iii): architecture constant vs depth, n={p['n']}",
           "series": [{"label": "n τ̂_n (CI)", "y": [m.value for m in ms], "lo": [m.ci_low for m in ms],
                       "hi": [m.ci_high for m in ms]}]}
    summary = ("c = n τ̂_n by depth: " + ", ".join(f"L={L}: {m.value:.3g} [{m.ci_low:.3g}, {m.ci_high:.3g}]"
                                                   for L, m in zip(p["layers"], ms))
               + "; implied λ_c = 1 − 1/c: " + ", ".join(f"{x:.3g}" for x in lam_c)
               + ". τ̂ is a lower estimate of the supremum in D2 (numerics).")
    return Outcome(measured=diff, predicted=0.0, relation=">=", verdict=verdict,
                   details={"summary": summary, "c": [m.to_dict() for m in ms], "lambda_c": lam_c,
                            "power": pw, "figures": [fig]})


def t2_depth_check(name: str = "t2-depth-transformer", params: Mapping[str, str] | None = None,
                   layers: Sequence[int] = (1, 2, 4), n: int = 64, replicates: int = 8, neighbours: int = 4,
                   block: int = 4) -> Check:
    """T2 (iii): the measured ``c = n τ̂_n`` of the transformer grows with depth."""
    params = dict(params or {"dim": "2", "context": "4", "width": "8", "heads": "2", "steps": "100"})
    return Check(
        name=name, kind="t2",
        claim=(f"T2 (iii): the measured architecture constant c = n τ̂_n of the transformer is larger at "
               f"depth {layers[-1]} than at depth {layers[0]} (n = {n} prompts)."),
        claim_latex=r"n\hat\tau_n(L_{\max}) > n\hat\tau_n(L_{\min})",
        parameters={"name": name, "params": params, "layers": [int(L) for L in layers], "n": int(n),
                    "replicates": int(replicates), "neighbours": int(neighbours), "block": int(block)},
        plan=_depth_plan, conclude=_depth_conclude)


# --------------------------------------------------------------------------------------
# λ_c predicted from ĉ, then the loop run on both sides of it
# --------------------------------------------------------------------------------------

def _phase_plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    from stl.verify.checks.loops import estimator_block

    est = dict(model=p["model"], params=dict(p["params"]), scheme="mix", n=p["n"], seed=seed)
    tasks = []
    # ĉ from replicates disjoint from the loops' (ids offset by `replicates`): the
    # prediction is made on data the loops never see. Generation 0 only: n · γ̂_0 is
    # n times the differing fraction of one swapped prompt under the same coupling the
    # loops use, i.e. the c that drives their recursion.
    for f, c in replicate_blocks(p["c_replicates"], p["block"]):
        tasks.append(Task(estimator_block, dict(est, estimator="gamma", lam=0.5, generations=0,
                                                first=p["replicates"] + f, count=c,
                                                options={"measure_draws": p["measure_draws"]}),
                          f"c r{p['replicates'] + f}"))
    for lam in p["lams"]:
        for f, c in replicate_blocks(p["replicates"], p["block"]):
            tasks.append(Task(estimator_block, dict(est, estimator="gamma", lam=lam, generations=p["generations"],
                                                    first=f, count=c,
                                                    options={"measure_draws": p["measure_draws"]}),
                              f"γ λ={lam:g} r{f}"))
    return tasks


def _lam_of(c: float) -> float:
    return max(0.0, 1.0 - 1.0 / c) if c > 0 else 0.0


def _phase_conclude(p: Mapping[str, Any], seed: int, outputs: Sequence[Any]) -> Outcome:
    from stl.verify.checks.compare import power

    G, n, (lo_lam, hi_lam) = p["generations"], p["n"], p["lams"]
    nc = len(replicate_blocks(p["c_replicates"], p["block"]))
    nb = len(replicate_blocks(p["replicates"], p["block"]))
    z = family_z(4)
    c_rows = n * pool_rows([o["values"] for o in outputs[:nc]])[:, 0]
    below = pool_rows([o["values"] for o in outputs[nc:nc + nb]])
    above = pool_rows([o["values"] for o in outputs[nc + nb:nc + 2 * nb]])
    coupling = outputs[0].get("coupling", "upper")
    c_hat = Measurement.from_samples(c_rows, z)
    lam_c = _lam_of(c_hat.value)
    lam_lo, lam_hi = _lam_of(c_hat.ci_low), _lam_of(c_hat.ci_high)

    # (a) the prediction puts the two loops on opposite sides of λ_c.
    if lo_lam < lam_lo and lam_hi < hi_lam:
        v_side = "pass"
    elif not lo_lam < lam_c < hi_lam:
        v_side = "fail"
    else:
        v_side = "inconclusive"
    # (b) below λ_c: γ̂ grows by at least `growth` times its generation-0 level.
    g0 = float(np.mean(below[:, 0]))
    grow = Measurement.from_samples(below[:, G] - below[:, 0], z)
    need = p["growth"] * g0
    v_grow = at_least(grow, need)
    # (c) above λ_c: γ̂_G within L2's uniform limit τ/(1 − ρ), ρ = (1 − λ) c, taken at
    # ĉ's upper confidence limit (a bound must not lean on a lucky low ĉ).
    rho_hi = (1.0 - hi_lam) * c_hat.ci_high
    limit = (c_hat.ci_high / n) / (1.0 - rho_hi) if rho_hi < 1 else math.inf
    top = Measurement.from_samples(above[:, G], z)
    v_bound = at_most(top, limit) if math.isfinite(limit) else "inconclusive"
    # (d) the two sides differ: the growth below exceeds the growth above (paired:
    # replicate r starts both loops from the same S_0 ≃ S_0').
    contrast = Measurement.from_samples((below[:, G] - below[:, 0]) - (above[:, G] - above[:, 0]), z)
    v_contrast = at_least(contrast, 0.0)

    R = below.shape[0]
    pw = {
        # In units of c: the distance from ĉ to the c at which the nearer λ is critical.
        "lambda_c": power(float(np.std(c_rows, ddof=1)), len(c_rows),
                          min(abs(c_hat.value - 1 / (1 - lo_lam)), abs(c_hat.value - 1 / (1 - hi_lam))), z),
        "growth_below": power(float(np.std(below[:, G] - below[:, 0], ddof=1)), R, abs(grow.value - need), z),
        "bounded_above": power(float(np.std(above[:, G], ddof=1)), R,
                               abs(limit - top.value) if math.isfinite(limit) else 0.0, z),
        "contrast": power(float(np.std((below[:, G] - below[:, 0]) - (above[:, G] - above[:, 0]), ddof=1)), R,
                          abs(contrast.value), z),
    }
    rows = [
        {"claim": f"λ_c = 1 − 1/ĉ lies between λ={lo_lam:g} and λ={hi_lam:g}", "measured": lam_c,
         "ci": [lam_lo, lam_hi], "verdict": v_side},
        {"claim": f"below (λ={lo_lam:g}): γ̂_{G} − γ̂_0 ≥ {p['growth']:g}·γ̂_0 = {need:.4g}", "measured": grow.value,
         "ci": [grow.ci_low, grow.ci_high], "verdict": v_grow},
        {"claim": f"above (λ={hi_lam:g}): γ̂_{G} ≤ τ/(1 − ρ) = {limit:.4g} (L2, ĉ upper limit)",
         "measured": top.value, "ci": [top.ci_low, top.ci_high], "verdict": v_bound},
        {"claim": f"growth below exceeds growth above", "measured": contrast.value,
         "ci": [contrast.ci_low, contrast.ci_high], "verdict": v_contrast},
    ]
    series = []
    for lab, g in ((f"λ={lo_lam:g} (below)", below), (f"λ={hi_lam:g} (above)", above)):
        mean = g.mean(axis=0)
        se = g.std(axis=0, ddof=1) / math.sqrt(g.shape[0])
        series.append({"label": lab, "y": mean.tolist(), "lo": (mean - z * se).tolist(),
                       "hi": (mean + z * se).tolist()})
    fig = {"type": "series", "name": p["name"], "x": list(range(G + 1)), "x_label": "generation i",
           "y_label": "γ̂_n^i (coupled differing fraction)",
           "title": f"T2: {p['model']} loop on both sides of λ_c = {lam_c:.3g}", "series": series}
    summary = (f"ĉ = n·γ̂_0 = {c_hat.value:.4g} [{c_hat.ci_low:.4g}, {c_hat.ci_high:.4g}] from "
               f"{len(c_rows)} neighbours, λ_c = {lam_c:.3g} [{lam_lo:.3g}, {lam_hi:.3g}]; "
               + "; ".join(f"{r['claim']}: {r['measured']:.4g} [{r['ci'][0]:.4g}, {r['ci'][1]:.4g}] → {r['verdict']}"
                           for r in rows)
               + (". γ̂ and ĉ use the model's maximal coupling (one parent-written label per prompt), "
                  "so both are unbiased for E d_TV." if coupling == "maximal" else
                  ". γ̂ and ĉ use the model's sequential label coupling (an upper estimate of E d_TV), "
                  "the same in both, so the prediction and the loops agree on what is counted."))
    return Outcome(measured=grow, predicted=need, relation=">=",
                   verdict=combine([v_side, v_grow, v_bound, v_contrast]),
                   details={"summary": summary, "claims": rows, "c": c_hat.to_dict(), "lambda_c": lam_c,
                            "coupling": coupling,
                            "lambda_c_ci": [lam_lo, lam_hi], "power": pw,
                            "gamma_below": below.mean(axis=0).tolist(), "gamma_above": above.mean(axis=0).tolist(),
                            "figures": [fig]})


def t2_phase_check(name: str = "t2-phase-lsa", model: str = "lsa", params: Mapping[str, str] | None = None,
                   n: int = 100, lams: Sequence[float] = (0.4, 0.9), generations: int = 4, replicates: int = 80,
                   c_replicates: int = 80, growth: float = 0.5, measure_draws: int = 256,
                   block: int = 40) -> Check:
    """T2 (iii), predicted then observed: ``λ_c = 1 − 1/ĉ`` from ``ĉ = n γ̂_0``; the loop
    at ``lams[0] < λ_c`` grows and at ``lams[1] > λ_c`` stays within L2's limit."""
    params = dict(params or {"dim": "2", "context": "6", "label_noise": "0.3", "steps": "100"})
    lo, hi = float(lams[0]), float(lams[1])
    if not 0 <= lo < hi < 1:
        raise ValueError(f"lams must satisfy 0 <= below < above < 1, got {lams}")
    return Check(
        name=name, kind="t2",
        claim=(f"T2 on the {model} model: λ_c = 1 − 1/ĉ (ĉ = n τ̂_n measured first, n = {n}) lies between "
               f"λ = {lo:g} and λ = {hi:g}; over {generations} generations γ̂ grows at λ = {lo:g} and stays "
               f"within L2's limit τ/(1 − ρ) at λ = {hi:g}."),
        claim_latex=(r"\lambda_1 < 1 - 1/\hat c < \lambda_2,\quad \hat\gamma^G(\lambda_1) - \hat\gamma^0 > "
                     r"g\,\hat\gamma^0,\quad \hat\gamma^G(\lambda_2) \le \frac{\tau}{1-(1-\lambda_2)\hat c}"),
        parameters={"name": name, "model": model, "params": params, "n": int(n), "lams": [lo, hi],
                    "generations": int(generations), "replicates": int(replicates),
                    "c_replicates": int(c_replicates), "growth": float(growth),
                    "measure_draws": int(measure_draws), "block": int(block)},
        plan=_phase_plan, conclude=_phase_conclude)
