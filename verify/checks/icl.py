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
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from stl.verify.checks.blocks import pool_rows, replicate_blocks
from stl.verify.checks.check import Check, Outcome
from stl.verify.checks.measurement import Measurement
from stl.verify.checks.task import Task
from stl.verify.checks.loops import build_model, loop_block
from stl.verify.checks.verdicts import at_least, at_most, combine, equivalent, family_z
from stl.verify.errors import InputError


def _pinned(model: str, params: Mapping[str, str]) -> dict:
    """``params`` with the values the model pins in checks (``Model.pinned_in_checks``, the
    transformer's ``recipe = small``) unless named: they appear in the check's parameters."""
    from stl.verify.cards import card

    out = dict(params)
    for key, value in card(model).model.pinned_in_checks.items():
        out.setdefault(key, value)   # after the named ones, as the check's parameters always listed them
    return out


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
    r0, rl1, rl2 = [pool_rows([o["icl_risk"] for o in outputs[k * blocks:(k + 1) * blocks]]) for k in range(3)]
    labels = [f"λ=0, n={p['ns'][0]}", f"λ={p['lam']:g}, n={p['ns'][0]}", f"λ={p['lam']:g}, n={p['ns'][1]}"]
    return _t2_outcome(p, T2Runs(r0, rl1, rl1, rl2, tuple(p["ns"]), labels), family_z(3))


@dataclass(frozen=True)
class T2Runs:
    """Per-replicate risks ``(R, G + 1)`` of the loops T2 (i)/(ii) are read from: ``replace``
    (λ = 0) and ``mix`` (λ > 0) from the same ``S_0``, and two ``mix`` loops at ``ns`` =
    (fewer, more) prompts for "decreases with n" (``small``, ``large``; one of them may be
    ``mix`` itself); ``labels`` name the distinct loops, in the order of :attr:`series`."""

    replace: np.ndarray
    mix: np.ndarray
    small: np.ndarray
    large: np.ndarray
    ns: tuple
    labels: Sequence[str]

    @property
    def series(self) -> list[np.ndarray]:
        out: list[np.ndarray] = []
        for r in (self.replace, self.mix, self.small, self.large):
            if not any(r is o for o in out):
                out.append(r)
        return out


def _t2_outcome(p: Mapping[str, Any], runs: T2Runs, z: float, extra_rows: Sequence[dict] = (),
                extra_power: Mapping[str, Any] | None = None, decisive: bool = False,
                details: Mapping[str, Any] | None = None) -> Outcome:
    """T2 (i) and (ii) from the loops' per-replicate risks (:class:`T2Runs`); ``extra_rows``
    (already decided) join the verdict; ``decisive`` turns an undecided row into a fail (the
    ``gpu`` suite: every verdict pass or fail)."""
    G = p["generations"]
    r0, rl1 = runs.replace, runs.mix
    half = G // 2
    degrade = Measurement.from_samples(r0[:, G] - r0[:, 0], z)
    growth = Measurement.from_samples(rl1[:, G] - rl1[:, half], z)
    level = float(np.mean(rl1[:, half]))
    by_n = Measurement.from_samples(runs.small[:, G] - runs.large[:, G], z)  # replicate r shares its seed stream
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
          "by_n": power(float(np.std(runs.small[:, G] - runs.large[:, G], ddof=1)), R, abs(by_n.value), z)}
    n_small, n_large = runs.ns
    rows = [
        {"claim": "(ii) λ=0 degrades: E risk_G − E risk_0 > 0", "measured": degrade.value,
         "ci": [degrade.ci_low, degrade.ci_high], "verdict": v_degrade},
        {"claim": f"(i) λ={p['lam']:g} bounded: |E risk_G − E risk_{half}| ≤ {p['margin']:g}·E risk_{half} = {p['margin'] * level:.4g}",
         "measured": growth.value, "ci": [growth.ci_low, growth.ci_high], "verdict": v_bounded},
        {"claim": f"(i) decreases with n: E risk_G(n={n_small}) − E risk_G(n={n_large}) > 0",
         "measured": by_n.value, "ci": [by_n.ci_low, by_n.ci_high], "verdict": v_n},
    ]
    series = []
    for lab, r in zip(runs.labels, runs.series):
        mean = r.mean(axis=0)
        se = r.std(axis=0, ddof=1) / math.sqrt(r.shape[0])
        series.append({"label": lab, "y": mean.tolist(), "lo": (mean - 1.96 * se).tolist(),
                       "hi": (mean + 1.96 * se).tolist()})
    fig = {"type": "series", "name": p["name"], "x": list(range(G + 1)), "x_label": "generation i",
           "y_label": "E icl_risk (real prompts)", "title": f"T2: {p['model']} ICL risk over generations",
           "series": series}
    rows += list(extra_rows)
    pw.update(extra_power or {})
    if decisive:
        rows = [_decided(r) for r in rows]
    summary = "; ".join(f"{r['claim']}: {r['measured']:.4g} [{r['ci'][0]:.4g}, {r['ci'][1]:.4g}] → {r['verdict']}"
                        for r in rows)
    return Outcome(measured=degrade, predicted=0.0, relation="info", verdict=combine([r["verdict"] for r in rows]),
                   details={"summary": summary, "claims": rows, "power": pw, "figures": [fig], **dict(details or {})})


def t2_check(name: str = "t2-icl-lsa", model: str = "lsa", params: Mapping[str, str] | None = None,
             ns: Sequence[int] = (100, 400), lam: float = 0.5, generations: int = 5, replicates: int = 40,
             margin: float = 0.1, block: int = 20) -> Check:
    """T2 (i) and (ii) on an in-context learner."""
    params = _pinned(model, params or {"dim": "3", "context": "8"})
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
    lam_c = [_lam_of(m.value) for m in ms]
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
    params = _pinned("transformer", params or {"dim": "2", "context": "4", "width": "8", "heads": "2", "steps": "100"})
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
    """L2's ``λ_c`` at ``ĉ``: theory's formula through the bridge (clipped to ``[0, 1]``)."""
    from stl.verify.bridge import critical_proportion

    return critical_proportion(c)


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
        {"claim": "growth below exceeds growth above", "measured": contrast.value,
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
    params = _pinned(model, params or {"dim": "2", "context": "6", "label_noise": "0.3", "steps": "100"})
    lo, hi = float(lams[0]), float(lams[1])
    if not 0 <= lo < hi < 1:
        raise InputError("lams", list(lams), "two shares 0 <= below < above < 1")
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


# --------------------------------------------------------------------------------------
# T2 at device sizes with transformers that learn (the `gpu` suite, issue 19)
# --------------------------------------------------------------------------------------
#
# The checks above run on the CPU with small learners. The three below run the same
# claims where the learner is a transformer that has learned in-context regression: its
# generation-0 risk within `learn_factor` (1.5) times ridge's — the Bayes risk — is a row
# of each verdict, measured on the very networks the claim is decided on. They take a
# `device` and are written for one GPU: each replicate block is one task that keeps every
# training batched (fits of loops with the same n are advanced in lockstep and trained
# together, stl.numerics.icl.deferred), and every row is decided (`decisive`: an
# undecided row counts as a fail, with the power that would have decided it).

def _decided(row: dict) -> dict:
    if row["verdict"] != "inconclusive":
        return row
    return {**row, "verdict": "fail", "note": "undecided at these replicates (see power): counted as a fail"}


def _icl_model(model: str, params: Mapping[str, str], device: str):
    from stl.numerics.models.registry import get_model

    return get_model(model, {k: str(v) for k, v in dict(params).items()}, device=device)


def learning_row(risk0: np.ndarray, ridge0: np.ndarray, factor: float, z: float, label: str) -> tuple[dict, dict]:
    """The learning criterion as a row: ``E risk_0 ≤ factor · E ridge_0`` on the same probe
    prompts (paired per replicate), and its power."""
    from stl.verify.checks.compare import power

    d = np.asarray(risk0, dtype=float) - factor * np.asarray(ridge0, dtype=float)
    m = Measurement.from_samples(d, z)
    ratio = float(np.mean(risk0) / np.mean(ridge0))
    row = {"claim": f"learns ({label}): E risk_0 ≤ {factor:g}·E ridge_0 (measured ratio {ratio:.3f})",
           "measured": m.value, "ci": [m.ci_low, m.ci_high], "verdict": at_most(m, 0.0), "ratio_to_ridge": ratio}
    return row, power(float(np.std(d, ddof=1)), len(d), abs(m.value), z)


def lockstep_block(model: str, params: Mapping[str, str], runs: Sequence[Sequence], generations: int, seed: int,
                   first: int, count: int, metrics: Sequence[str], device: str) -> dict:
    """Several loops ``runs = [(scheme, λ, n), ...]`` on replicates ``[first, first + count)``,
    advanced one generation at a time together, so that loops with the same ``n`` train as
    one batched run: ``{"runs": [{metric: (count, G + 1)}, ...], "seconds", "trainings"}``.
    Each loop's numbers are those of its own ``run_loop`` (same seed and streams)."""
    import time

    from stl.numerics.loop import iterate
    from stl.numerics.rng import ReplicateStreams
    from stl.numerics.schemes import get_scheme

    start = time.perf_counter()
    m = _icl_model(model, params, device)
    streams = [ReplicateStreams(seed, count, first) for _ in runs]
    loops = [iterate(m, get_scheme(scheme, int(n), float(lam)), generations, s, keep_train=False)
             for (scheme, lam, n), s in zip(runs, streams)]
    values = [{k: np.empty((count, generations + 1)) for k in metrics} for _ in runs]
    for stepped in zip(*loops):
        for out, s, (j, theta, _, _) in zip(values, streams, stepped):
            got = m.metrics(theta, None, s, list(metrics))
            for k in metrics:
                out[k][:, j] = got[k]
    return {"runs": values, "seconds": time.perf_counter() - start, "trainings": m.trainings}


def _learn_runs(p: Mapping[str, Any]) -> list[list]:
    # λ = 0 and λ > 0 at the recipe's n (from the same S_0: their generation-0 fits are one
    # training), and λ > 0 on fewer prompts for "decreases with n".
    return [["replace", 0.0, p["n"]], ["mix", p["lam"], p["n"]], ["mix", p["lam"], p["n_small"]]]


def _t2_learn_plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    return [Task(lockstep_block, dict(model=p["model"], params=dict(p["params"]), runs=_learn_runs(p),
                                      generations=p["generations"], seed=seed, first=f, count=c,
                                      metrics=("icl_risk", "icl_risk_ridge"), device=p["device"]),
                 ("loops", f)) for f, c in replicate_blocks(p["replicates"], p["block"])]


def _t2_learn_conclude(p: Mapping[str, Any], seed: int, outputs: Sequence[Any]) -> Outcome:
    z = family_z(4)
    risks = [pool_rows([o["runs"][k]["icl_risk"] for o in outputs]) for k in range(3)]
    ridge = [pool_rows([o["runs"][k]["icl_risk_ridge"] for o in outputs]) for k in range(3)]
    n, n_small, lam = p["n"], p["n_small"], p["lam"]
    # The claims are read from the loops at n, so that is where the network must learn;
    # the loop on fewer prompts is there to learn less well (its ratio is reported).
    row, learn_pw = learning_row(risks[0][:, 0], ridge[0][:, 0], p["learn_factor"], z, f"n={n}")
    ratios = risks[0][:, 0] / ridge[0][:, 0]
    learning = {"ratio_to_ridge": row["ratio_to_ridge"], "replicate_ratio_max": float(ratios.max()),
                "replicates_over_factor": int((ratios > p["learn_factor"]).sum()),
                f"ratio_to_ridge_n{n_small}": float(risks[2][:, 0].mean() / ridge[2][:, 0].mean())}
    timing = {"task_seconds": [float(o["seconds"]) for o in outputs],
              "trainings": [int(o["trainings"]) for o in outputs], "device": p["device"]}
    runs = T2Runs(risks[0], risks[1], risks[2], risks[1], (n_small, n),
                  [f"λ=0, n={n}", f"λ={lam:g}, n={n}", f"λ={lam:g}, n={n_small}"])
    return _t2_outcome(p, runs, z, extra_rows=[row], extra_power={"learns": learn_pw}, decisive=True,
                       details={"timing": timing, "learning": learning})


def t2_learning_check(name: str = "gpu-t2-transformer", model: str = "transformer",
                      params: Mapping[str, str] | None = None, n: int = 4096, n_small: int = 1024,
                      lam: float = 0.5, generations: int = 4, replicates: int = 24, margin: float = 0.25,
                      learn_factor: float = 1.5, device: str = "cuda", block: int | None = None) -> Check:
    """T2 (i) and (ii) with a transformer that learns (see the section comment): λ = 0 and
    λ = ``lam`` from the same ``S_0`` of ``n`` prompts, and λ = ``lam`` on ``n_small`` prompts."""
    params = dict(params or {"recipe": "learn-cuda"})
    if not 0 < n_small < n:
        raise InputError("n_small", n_small, f"an integer in (0, n = {n})")
    block = int(block or replicates)
    return Check(
        name=name, kind="t2",
        claim=(f"T2 on a {model} that learns (generation-0 risk within {learn_factor:g}× ridge's at n = {n}): "
               f"with λ = 0 the ICL risk on real prompts degrades over {generations} generations; "
               f"with λ = {lam:g} it has levelled off by generation {generations // 2} (later change within "
               f"±{margin:.0%} of its level) and is higher on n = {n_small} prompts than on n = {n}."),
        claim_latex=(rf"R_0 \le {learn_factor:g}\,R_0^{{\mathrm{{ridge}}}};\ \lambda=0:\ \mathbb{{E}}R_G > \mathbb{{E}}R_0;\ "
                     r"|\mathbb{E}R_G - \mathbb{E}R_{G/2}| \le \epsilon\,\mathbb{E}R_{G/2},\ R_G(n_1) > R_G(n_2)"),
        parameters={"name": name, "model": model, "params": params, "n": int(n), "n_small": int(n_small),
                    "lam": float(lam), "generations": int(generations), "replicates": int(replicates),
                    "margin": float(margin), "learn_factor": float(learn_factor), "device": device,
                    "block": block},
        plan=_t2_learn_plan, conclude=_t2_learn_conclude)


def phase_block(model: str, params: Mapping[str, str], n: int, rho_below: float, rho_above: float,
                generations: int, replicates: int, c_replicates: int, measure_draws: int, seed: int,
                device: str) -> dict:
    """ĉ = n·γ̂_0 on replicates of its own, then λ chosen on each side of λ_c = 1 − 1/ĉ
    (``ρ = (1 − λ)ĉ`` at ``rho_below`` and ``rho_above``) and the coupled loops run there.

    One task, because the loops' λ depend on ĉ. The generation-0 networks of the loops
    are scored against ridge (the learning criterion): their fit is submitted before the
    loops start, so it trains in the same batched run as the loops' first generation.
    """
    import time

    from stl.numerics.estimators import estimate_gamma
    from stl.numerics.rng import ReplicateStreams
    from stl.numerics.schemes import get_scheme

    start = time.perf_counter()
    m = _icl_model(model, params, device)
    opts = {"measure_draws": int(measure_draws)}
    c_est = estimate_gamma(m, "mix", n, 0.5, 0, c_replicates, seed, replicates, **opts)
    c_rows = n * np.asarray(c_est.per_replicate)[:, 0]
    c_hat = float(np.mean(c_rows))

    def lam_at(rho):
        from stl.verify.bridge import proportion_at_rho

        lam = proportion_at_rho(rho, c_hat)
        one_prompt = 1.0 / n
        return get_scheme("mix", n, min(lam, 1.0 - one_prompt)).lam   # at least one synthetic prompt

    lam_lo, lam_hi = lam_at(rho_below), lam_at(rho_above)
    s = ReplicateStreams(seed, replicates)
    learner = m.fit(m.draw_real(s, n, purpose="real"), streams=s)   # = the loops' generation-0 fit
    below = estimate_gamma(m, "mix", n, lam_lo, generations, replicates, seed, 0, **opts)
    got = m.measure(learner, s, ["icl_risk", "icl_risk_ridge"])
    above = estimate_gamma(m, "mix", n, lam_hi, generations, replicates, seed, 0, **opts)
    return {"c_rows": c_rows, "lams": [lam_lo, lam_hi], "below": np.asarray(below.per_replicate),
            "above": np.asarray(above.per_replicate), "risk0": np.asarray(got["icl_risk"]),
            "ridge0": np.asarray(got["icl_risk_ridge"]), "coupling": m.effective_coupling,
            "seconds": time.perf_counter() - start, "trainings": m.trainings}


def _adaptive_phase_plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    keys = ("model", "params", "n", "rho_below", "rho_above", "generations", "replicates", "c_replicates",
            "measure_draws", "device")
    return [Task(phase_block, {**{k: p[k] for k in keys}, "seed": seed}, ("phase",))]


def _adaptive_phase_conclude(p: Mapping[str, Any], seed: int, outputs: Sequence[Any]) -> Outcome:
    from stl.verify.checks.compare import power

    o = outputs[0]
    G, n = p["generations"], p["n"]
    z = family_z(5)
    c_rows, below, above = np.asarray(o["c_rows"]), np.asarray(o["below"]), np.asarray(o["above"])
    lam_lo, lam_hi = o["lams"]
    c_hat = Measurement.from_samples(c_rows, z)
    lam_c = _lam_of(c_hat.value)
    # (a) the two λ lie on opposite sides of λ_c with confidence: ρ = (1 − λ)c over ĉ's CI.
    rho_lo = ((1 - lam_lo) * c_hat.ci_low, (1 - lam_lo) * c_hat.ci_high)
    rho_hi = ((1 - lam_hi) * c_hat.ci_low, (1 - lam_hi) * c_hat.ci_high)
    v_side = "pass" if rho_lo[0] > 1 and rho_hi[1] < 1 else "fail"
    g0 = float(np.mean(below[:, 0]))
    grow = Measurement.from_samples(below[:, G] - below[:, 0], z)
    need = p["growth"] * g0
    limit = (c_hat.ci_high / n) / (1.0 - rho_hi[1]) if rho_hi[1] < 1 else math.inf
    top = Measurement.from_samples(above[:, G], z)
    contrast = Measurement.from_samples((below[:, G] - below[:, 0]) - (above[:, G] - above[:, 0]), z)
    learn, learn_pw = learning_row(o["risk0"], o["ridge0"], p["learn_factor"], z, f"n={n}")
    rows = [
        {"claim": f"λ={lam_lo:.4g} and λ={lam_hi:.4g} lie on opposite sides of λ_c = 1 − 1/ĉ "
                  f"(ρ below in [{rho_lo[0]:.3g}, {rho_lo[1]:.3g}] > 1, above in [{rho_hi[0]:.3g}, {rho_hi[1]:.3g}] < 1)",
         "measured": lam_c, "ci": [_lam_of(c_hat.ci_low), _lam_of(c_hat.ci_high)], "verdict": v_side},
        {"claim": f"below (λ={lam_lo:.4g}): γ̂_{G} − γ̂_0 ≥ {p['growth']:g}·γ̂_0 = {need:.4g}", "measured": grow.value,
         "ci": [grow.ci_low, grow.ci_high], "verdict": at_least(grow, need)},
        {"claim": f"above (λ={lam_hi:.4g}): γ̂_{G} ≤ τ/(1 − ρ) = {limit:.4g} (L2, ĉ upper limit)",
         "measured": top.value, "ci": [top.ci_low, top.ci_high],
         "verdict": at_most(top, limit) if math.isfinite(limit) else "fail"},
        {"claim": "growth below exceeds growth above", "measured": contrast.value,
         "ci": [contrast.ci_low, contrast.ci_high], "verdict": at_least(contrast, 0.0)},
        learn,
    ]
    rows = [_decided(r) for r in rows]
    R = below.shape[0]
    pw = {"growth_below": power(float(np.std(below[:, G] - below[:, 0], ddof=1)), R, abs(grow.value - need), z),
          "bounded_above": power(float(np.std(above[:, G], ddof=1)), R,
                                 abs(limit - top.value) if math.isfinite(limit) else 0.0, z),
          "contrast": power(float(np.std((below[:, G] - below[:, 0]) - (above[:, G] - above[:, 0]), ddof=1)), R,
                            abs(contrast.value), z),
          "learns": learn_pw}
    series = []
    for lab, g in ((f"λ={lam_lo:.4g} (below)", below), (f"λ={lam_hi:.4g} (above)", above)):
        mean = g.mean(axis=0)
        se = g.std(axis=0, ddof=1) / math.sqrt(g.shape[0])
        series.append({"label": lab, "y": mean.tolist(), "lo": (mean - z * se).tolist(), "hi": (mean + z * se).tolist()})
    fig = {"type": "series", "name": p["name"], "x": list(range(G + 1)), "x_label": "generation i",
           "y_label": "γ̂_n^i (coupled differing fraction)",
           "title": f"T2: {p['model']} loop on both sides of λ_c = {lam_c:.4g}", "series": series}
    summary = (f"ĉ = n·γ̂_0 = {c_hat.value:.4g} [{c_hat.ci_low:.4g}, {c_hat.ci_high:.4g}] from {len(c_rows)} "
               f"neighbours, λ_c = {lam_c:.4g}; " + "; ".join(
                   f"{r['claim']}: {r['measured']:.4g} [{r['ci'][0]:.4g}, {r['ci'][1]:.4g}] → {r['verdict']}"
                   for r in rows))
    return Outcome(measured=grow, predicted=need, relation=">=", verdict=combine([r["verdict"] for r in rows]),
                   details={"summary": summary, "claims": rows, "c": c_hat.to_dict(), "lambda_c": lam_c,
                            "lams": [lam_lo, lam_hi], "coupling": o["coupling"], "power": pw,
                            "gamma_below": below.mean(axis=0).tolist(), "gamma_above": above.mean(axis=0).tolist(),
                            "timing": {"seconds": float(o["seconds"]), "trainings": int(o["trainings"]),
                                       "device": p["device"]},
                            "figures": [fig]})


def t2_adaptive_phase_check(name: str = "gpu-phase-transformer", model: str = "transformer",
                            params: Mapping[str, str] | None = None, n: int = 4096, rho_below: float = 2.5,
                            rho_above: float = 0.4, generations: int = 3, replicates: int = 32,
                            c_replicates: int = 32, growth: float = 0.25, measure_draws: int = 1024,
                            learn_factor: float = 1.5, device: str = "cuda") -> Check:
    """T2 (iii) on a transformer that learns: λ_c = 1 − 1/ĉ predicted, then the loop run where
    L2 says it should grow (``ρ = rho_below``) and where it must stay bounded (``rho_above``)."""
    params = dict(params or {"recipe": "learn-cuda"})
    if not 0 < rho_above < 1 < rho_below:
        raise InputError("rho_above, rho_below", [rho_above, rho_below], "0 < rho_above < 1 < rho_below")
    return Check(
        name=name, kind="t2",
        claim=(f"T2 on a {model} that learns (generation-0 risk within {learn_factor:g}× ridge's, n = {n}): "
               f"with λ_c = 1 − 1/ĉ predicted from ĉ = n γ̂_0, the coupled loop at ρ = (1 − λ)ĉ = {rho_below:g} "
               f"(below λ_c) grows over {generations} generations and the loop at ρ = {rho_above:g} (above) "
               f"stays within L2's limit τ/(1 − ρ)."),
        claim_latex=(r"(1-\lambda_1)\hat c > 1 > (1-\lambda_2)\hat c,\quad \hat\gamma^G(\lambda_1) - \hat\gamma^0 "
                     r"> g\,\hat\gamma^0,\quad \hat\gamma^G(\lambda_2) \le \frac{\tau}{1-(1-\lambda_2)\hat c}"),
        parameters={"name": name, "model": model, "params": params, "n": int(n), "rho_below": float(rho_below),
                    "rho_above": float(rho_above), "generations": int(generations), "replicates": int(replicates),
                    "c_replicates": int(c_replicates), "growth": float(growth), "measure_draws": int(measure_draws),
                    "learn_factor": float(learn_factor), "device": device},
        plan=_adaptive_phase_plan, conclude=_adaptive_phase_conclude)


def depth_block(params: Mapping[str, str], layers: int, n: int, seed: int, first: int, count: int,
                device: str) -> dict:
    """``n τ̂_n`` per replicate of a transformer with ``layers`` blocks (one random swap per
    dataset; both fits train in one batched run), and its generation-0 risk and ridge's."""
    import time

    from stl.numerics.rng import ReplicateStreams
    from stl.numerics.icl.stability import estimate_icl_tau

    start = time.perf_counter()
    m = _icl_model("transformer", {**dict(params), "layers": str(layers)}, device)
    s = ReplicateStreams(seed, count, first)
    learner = m.fit(m.draw_real(s, n, purpose="real"), streams=s)    # = the fit on S of the τ̂ pair
    est = estimate_icl_tau(m, n, count, seed, first, neighbours=1)
    got = m.measure(learner, s, ["icl_risk", "icl_risk_ridge"])
    return {"c": n * np.asarray(est.tau.per_replicate, dtype=float), "risk0": np.asarray(got["icl_risk"]),
            "ridge0": np.asarray(got["icl_risk_ridge"]), "seconds": time.perf_counter() - start,
            "trainings": m.trainings}


def _depth_learn_plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    return [Task(depth_block, dict(params=dict(p["params"]), layers=int(L), n=p["n"], seed=seed, first=f, count=c,
                                   device=p["device"]), ("depth", int(L), f))
            for L in p["layers"] for f, c in replicate_blocks(p["replicates"], p["block"])]


def _depth_learn_conclude(p: Mapping[str, Any], seed: int, outputs: Sequence[Any]) -> Outcome:
    from stl.verify.checks.compare import power

    layers = list(p["layers"])
    blocks = len(replicate_blocks(p["replicates"], p["block"]))
    z = family_z(2)
    per = [outputs[k * blocks:(k + 1) * blocks] for k in range(len(layers))]
    cs = [pool_rows([o["c"] for o in outs]) for outs in per]
    ms = [Measurement.from_samples(c, z) for c in cs]
    main = Measurement.from_samples(cs[-1] - cs[0], z)          # same data per replicate: paired
    rows = [_decided({"claim": f"c(L={layers[-1]}) − c(L={layers[0]}) > 0", "measured": main.value,
                      "ci": [main.ci_low, main.ci_high],
                      "verdict": "inconclusive" if main.ci_low <= 0 < main.ci_high else at_least(main, 0.0)})]
    pw = {"main": power(float(np.std(cs[-1] - cs[0], ddof=1)), len(cs[0]), abs(main.value), z)}
    # Adjacent depths (2 vs 4 in the default grid): separated, or the power says how many
    # datasets would separate them at the measured difference; reported, not voted.
    pairs = []
    for a in range(1, len(layers) - 1):
        d = cs[-1] - cs[a]
        m = Measurement.from_samples(d, z)
        pw_ = power(float(np.std(d, ddof=1)), len(d), abs(m.value), z)
        separated = not (m.ci_low <= 0 < m.ci_high)
        pairs.append({"claim": f"c(L={layers[-1]}) − c(L={layers[a]})", "measured": m.value,
                      "ci": [m.ci_low, m.ci_high], "separated": separated,
                      "datasets_needed": pw_["replicates_needed"], "datasets": len(d)})
        pw[f"L{layers[-1]}_vs_L{layers[a]}"] = pw_
    learn = [learning_row(pool_rows([o["risk0"] for o in outs]), pool_rows([o["ridge0"] for o in outs]),
                          p["learn_factor"], z, f"L={L}")[0] for L, outs in zip(layers, per)]
    lam_c = [_lam_of(m.value) for m in ms]
    fig = {"type": "series", "name": p["name"], "x": layers, "x_label": "depth L", "y_label": "c = n τ̂_n",
           "title": f"T2 (iii): architecture constant vs depth, n={p['n']} (learning recipe)",
           "series": [{"label": "n τ̂_n (CI)", "y": [m.value for m in ms], "lo": [m.ci_low for m in ms],
                       "hi": [m.ci_high for m in ms]}]}
    text_pairs = "; ".join(
        f"{q['claim']} = {q['measured']:.4g} [{q['ci'][0]:.4g}, {q['ci'][1]:.4g}] "
        + ("separated" if q["separated"] else
           f"not separated with {q['datasets']} datasets ({q['datasets_needed']} needed at this difference)")
        for q in pairs)
    summary = ("c = n τ̂_n by depth: " + ", ".join(f"L={L}: {m.value:.4g} [{m.ci_low:.4g}, {m.ci_high:.4g}]"
                                                   for L, m in zip(layers, ms))
               + f"; {rows[0]['claim']}: {main.value:.4g} [{main.ci_low:.4g}, {main.ci_high:.4g}] → {rows[0]['verdict']}"
               + (f"; {text_pairs}" if text_pairs else "")
               + "; generation-0 risk / ridge by depth: " + ", ".join(f"{r['ratio_to_ridge']:.3f}" for r in learn)
               + "; implied λ_c: " + ", ".join(f"{x:.4g}" for x in lam_c))
    timing = {"task_seconds": [float(o["seconds"]) for o in outputs], "device": p["device"]}
    return Outcome(measured=main, predicted=0.0, relation=">=", verdict=rows[0]["verdict"],
                   details={"summary": summary, "claims": rows, "pairs": pairs, "learning": learn,
                            "c": [m.to_dict() for m in ms], "lambda_c": lam_c, "power": pw, "timing": timing,
                            "figures": [fig]})


def t2_depth_learning_check(name: str = "gpu-depth-transformer", params: Mapping[str, str] | None = None,
                            layers: Sequence[int] = (1, 2, 4), n: int = 4096, replicates: int = 48,
                            learn_factor: float = 1.5, device: str = "cuda", block: int | None = None) -> Check:
    """T2 (iii) with the learning recipe: ``c = n τ̂_n`` by depth; deeper than the shallowest
    is the verdict, adjacent depths are separated or given the datasets that would separate them."""
    params = dict(params or {"recipe": "learn-cuda", "label_noise": "1"})
    block = int(block or replicates)
    return Check(
        name=name, kind="t2",
        claim=(f"T2 (iii) with the transformer's learning recipe: the measured c = n τ̂_n (n = {n}) is larger at "
               f"depth {layers[-1]} than at depth {layers[0]}; each intermediate depth is separated from depth "
               f"{layers[-1]} or the datasets that would separate it are reported."),
        claim_latex=r"n\hat\tau_n(L_{\max}) > n\hat\tau_n(L_{\min})",
        parameters={"name": name, "params": params, "layers": [int(L) for L in layers], "n": int(n),
                    "replicates": int(replicates), "learn_factor": float(learn_factor), "device": device,
                    "block": block},
        plan=_depth_learn_plan, conclude=_depth_learn_conclude)
