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

Both train one network per replicate and generation. The one-layer ``lsa`` learner is
cheap enough for the ``quick`` suite (``t2-icl-lsa-quick``); the transformer depth check
belongs to the ``full`` suite. Sizes are parameters.
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
from stl.verify.checks.verdicts import at_least, combine, equivalent, family_z


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
                   details={"summary": summary, "claims": rows, "figures": [fig]})


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
                            "figures": [fig]})


def t2_depth_check(name: str = "t2-depth-transformer", params: Mapping[str, str] | None = None,
                   layers: Sequence[int] = (1, 3), n: int = 64, replicates: int = 8, neighbours: int = 4,
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
