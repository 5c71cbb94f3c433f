r"""The architecture atlas: how much real data each kind of generative model needs.

For one architecture (a registered model at a documented size) an atlas entry measures,
with the toolkit's own estimators,

* ``ĉ = n τ̂_n`` with its interval (THEORY.md D2; :func:`stl.numerics.estimators.estimate_tau`,
  or :func:`stl.numerics.icl.stability.estimate_icl_tau` for the in-context learners). Both
  fits of a neighbouring pair read equal replicate streams, so a learner's internal
  randomness (initial weights, seeded EM starts) is shared and only the data differ;
* the **predicted** critical real proportion ``λ_c = 1 − 1/ĉ`` (L2; 0 when ``ĉ ≤ 1``),
  its interval mapped from ``ĉ``'s;
* on a grid of ``λ``, the recursive stability ``γ̂_n^i`` of the loop
  (:func:`stl.numerics.estimators.estimate_gamma`, D3's recursive coupling) and the
  real-data risk (the model's ``risk_metric``, :func:`stl.numerics.loop.run_loop`) over
  generations ``0..G``;
* the **observed** boundary, where ``γ̂`` and the risk stop staying bounded;
* the collapse speed at ``λ = 0``: the slope of the risk over generations.

When is ``γ̂`` "bounded"? L2's recursion ``γ^j = τ(1 + n_s γ^{j−1})`` gives
``γ^G/γ^0 = Σ_{k≤G} ρ^k`` with ``ρ = (1 − λ) n τ``, which is below the linear line ``G + 1``
exactly when ``ρ < 1`` and above it exactly when ``ρ > 1`` — whatever the transient. So
the growth ``Γ(λ) = γ̂^G/γ̂^0`` is held against ``G + 1`` (against 1 at ``λ = 0``, where no
real point is kept and the recursion is ``γ^j = ρ γ^{j−1}``): the excess
``e(λ) = log Γ(λ) − log(G + 1)`` is positive on the unstable side and negative on the
stable side, and its interval (delta method over replicates, Bonferroni over the grid)
says which, or that the grid point is too close to tell. The observed boundary is where
``e`` crosses 0 (linear interpolation between grid points), and its interval runs from
where ``e``'s lower limit crosses 0 to where its upper limit does. Solving
``Σ ρ^k = Γ`` for ``ρ`` and dividing by ``1 − λ`` gives the *loop's* own constant
``c_loop`` (pooled over ``λ > 0``), the ``c`` that the observed boundary ``1 − 1/c_loop``
corresponds to.

When is the risk "bounded"? Per replicate, the early increment ``r_{G/2} − r_0`` and the
late one ``r_G − r_{G/2}``: growth that speeds up (late minus early significantly > 0)
or goes on at the same pace (late significantly > 0, difference not significant) is
unbounded; growth that slows down (difference significantly < 0) or has stopped (late not
significantly > 0) is bounded.

The claim (the verdict): L2 says every ``λ > λ_c`` is stable. At every grid ``λ`` above
the prediction's upper limit, ``e(λ)`` must be significantly negative and the risk must
not be significantly unbounded. **fail** if any such ``λ`` is significantly unstable, or
its risk significantly unbounded; **pass** if every such ``λ`` with enough power is
significantly stable (and at least one is tested); otherwise inconclusive. The power
computation is in the details: at a tested ``λ`` the least favourable value the theory
allows is L2's own ``e_L2(λ) = log(Σ ρ_hi^k/(G + 1))`` with ``ρ_hi = (1 − λ) ĉ_hi``, so the
replicates needed for 80 % power are ``((z + z_0.8) σ / |e_L2|)²`` with ``σ`` the
per-replicate standard deviation of ``e``'s influence function; grid points that would
need more replicates than were run are listed and do not decide the verdict.

>>> from stl.verify.atlas import atlas_check
>>> chk = atlas_check("atlas-demo", "categorical", {"k": "4"}, n=50, lams=(0.0, 0.5),
...                   generations=4, replicates=40, tau_replicates=10, block=40)
>>> r = chk.run(seed=0)
>>> r.details["predicted_lambda_c"]["value"], r.verdict
(0.0, 'pass')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any, Mapping, Sequence

import numpy as np

from stl.verify.checks.blocks import pool_rows, replicate_blocks
from stl.verify.checks.check import Check, Outcome
from stl.verify.checks.loops import build_model, loop_block
from stl.verify.checks.measurement import Measurement, t_quantile
from stl.verify.checks.task import Task
from stl.verify.checks.verdicts import family_z
from stl.verify.errors import InputError

#: Power the check is sized for at a tested grid point.
POWER = 0.8
#: Mean ``γ̂`` above which the coupled chains are near TV's cap of 1 and the growth is
#: no longer L2's linear recursion (the Corollary: ``γ ≤ 1`` makes the bound vacuous).
SATURATION = 0.5


# --------------------------------------------------------------------------------------
# tasks (module-level, plain arguments: they run on any worker)
# --------------------------------------------------------------------------------------

def tau_block(model: str, params: Mapping[str, str], n: int, neighbours: int, seed: int,
              first: int, count: int) -> dict:
    """Per-replicate ``τ̂_n`` of one replicate block (and the method text)."""
    m = build_model(model, params)
    if m.family == "icl":
        from stl.numerics.icl.stability import estimate_icl_tau

        est = estimate_icl_tau(m, n, count, seed, first, neighbours=neighbours).tau
    else:
        from stl.numerics.estimators import estimate_tau

        est = estimate_tau(m, n, count, seed, first, neighbours=neighbours)
    return {"values": np.asarray(est.per_replicate), "method": est.method}


def gamma_block(model: str, params: Mapping[str, str], n: int, lam: float, generations: int,
                seed: int, first: int, count: int) -> dict:
    """Per-replicate ``γ̂_n^i`` ``(count, G + 1)`` of one block, under D3's recursive coupling."""
    m = build_model(model, params)
    if m.family == "icl":
        from stl.numerics.icl.stability import estimate_icl_gamma

        est = estimate_icl_gamma(m, "mix", n, lam, generations, count, seed, first)
    else:
        from stl.numerics.estimators import estimate_gamma

        est = estimate_gamma(m, "mix", n, lam, generations, count, seed, first)
    return {"values": np.asarray(est.per_replicate), "method": est.method, "proxy": bool(est.proxy)}


# --------------------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------------------

def geometric_sum(rho: float, generations: int) -> float:
    """``Σ_{k=0}^{G} ρ^k``: L2's ``γ^G/γ^0`` when a real point is kept.

    >>> geometric_sum(1.0, 4), round(geometric_sum(0.5, 2), 3)
    (5.0, 1.75)
    """
    if abs(rho - 1.0) < 1e-12:
        return float(generations + 1)
    return float((1.0 - rho ** (generations + 1)) / (1.0 - rho))


def solve_rho(growth: float, generations: int, kept_real: bool) -> float:
    """The ``ρ ≥ 0`` with ``Σ_{k≤G} ρ^k = growth`` (``ρ^G = growth`` without kept real data).

    >>> round(solve_rho(geometric_sum(0.7, 6), 6, True), 9), round(solve_rho(8.0, 3, False), 9)
    (0.7, 2.0)
    """
    if not math.isfinite(growth) or growth <= 0:
        return math.nan if not math.isfinite(growth) else 0.0
    if not kept_real:
        return growth ** (1.0 / generations) if generations else math.nan
    if growth <= 1.0:
        return 0.0
    lo, hi = 0.0, 2.0
    while geometric_sum(hi, generations) < growth:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if geometric_sum(mid, generations) < growth else (lo, mid)
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class LogGrowth:
    """``log(mean γ_G / mean γ_0)`` with its delta-method standard error over ``n`` replicates
    and ``sigma``, the per-replicate standard deviation of its influence function."""

    value: float
    stderr: float
    sigma: float
    n: int

    @staticmethod
    def of(first: np.ndarray, last: np.ndarray) -> "LogGrowth":
        m0, mg = float(first.mean()), float(last.mean())
        r = first.size
        if m0 <= 0 or mg <= 0:
            return LogGrowth(math.nan, math.inf, math.inf, r)
        # influence of replicate r on log(mean_G) − log(mean_0): the covariance of the two
        # means (same replicates) is kept, unlike a ratio of independent measurements.
        psi = (last - mg) / mg - (first - m0) / m0
        sigma = float(psi.std(ddof=1)) if r > 1 else math.inf
        return LogGrowth(math.log(mg / m0), sigma / math.sqrt(r), sigma, r)


def _interval(value: float, stderr: float, z: float) -> tuple[float, float]:
    return value - z * stderr, value + z * stderr


def _crossing(lams: Sequence[float], values: Sequence[float], empty_low: float) -> float:
    """The ``λ`` where a (decreasing) curve crosses 0: linear interpolation after the last
    grid point with a positive value; ``empty_low`` when no value is positive, the last
    grid point's ``λ`` clipped up to 1 when every value is positive."""
    last = max((k for k, v in enumerate(values) if v > 0), default=None)
    if last is None:
        return empty_low
    if last == len(values) - 1:
        return 1.0
    a, b = values[last], values[last + 1]
    la, lb = lams[last], lams[last + 1]
    if not (math.isfinite(a) and math.isfinite(b)) or a == b:
        return lb
    return la + (lb - la) * a / (a - b)


def slope_per_replicate(values: np.ndarray) -> np.ndarray:
    """Least-squares slope of each replicate's trajectory ``(R, G + 1)`` over generations."""
    g = np.arange(values.shape[1], dtype=float)
    gc = g - g.mean()
    return (values - values.mean(axis=1, keepdims=True)) @ gc / (gc @ gc)


def risk_shape(values: np.ndarray, z: float) -> dict:
    """Early and late increments of the risk ``(R, G + 1)`` and their classification."""
    G = values.shape[1] - 1
    half = G // 2
    early = values[:, half] - values[:, 0]
    late = values[:, G] - values[:, half]
    d = Measurement.from_samples(late - early, z)
    late_m = Measurement.from_samples(late, z)
    if d.ci_low > 0:
        shape = "accelerating"
    elif d.ci_high < 0:
        shape = "decelerating"
    elif late_m.ci_low > 0:
        shape = "steady growth"
    else:
        shape = "flat"
    return {"early": float(early.mean()), "late": late_m.value, "late_ci": [late_m.ci_low, late_m.ci_high],
            "late_minus_early": d.value, "late_minus_early_ci": [d.ci_low, d.ci_high], "shape": shape,
            "bounded": shape in ("decelerating", "flat")}


# --------------------------------------------------------------------------------------
# the check
# --------------------------------------------------------------------------------------

def _plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    tasks = [Task(tau_block, dict(model=p["model"], params=dict(p["params"]), n=p["n"],
                                  neighbours=p["neighbours"], seed=seed, first=f, count=c), ("tau", f))
             for f, c in replicate_blocks(p["tau_replicates"], p["block"])]
    risk = p["risk_metric"]
    for lam in p["lams"]:
        for f, c in replicate_blocks(p["replicates"], p["block"]):
            tasks.append(Task(gamma_block, dict(model=p["model"], params=dict(p["params"]), n=p["n"], lam=lam,
                                                generations=p["generations"], seed=seed, first=f, count=c),
                              ("gamma", lam, f)))
            tasks.append(Task(loop_block, dict(model=p["model"], params=dict(p["params"]), scheme="mix",
                                               n=p["n"], lam=lam, generations=p["generations"], seed=seed,
                                               first=f, count=c, metrics=(risk,)), ("risk", lam, f)))
    return tasks


def _lambda_of_c(c: float) -> float:
    return max(0.0, 1.0 - 1.0 / c) if c > 0 else 0.0


def _conclude(p: Mapping[str, Any], seed: int, outputs) -> Outcome:
    from stl.numerics.schemes import get_scheme

    n, G = p["n"], p["generations"]
    lams = list(p["lams"])
    z95 = NormalDist().inv_cdf(0.975)
    z = family_z(len(lams))
    z_power = NormalDist().inv_cdf(POWER)

    # -- prediction: ĉ = n τ̂_n and λ_c = 1 − 1/ĉ ----------------------------------------
    tau_out = outputs.group(("tau",))
    c_rep = n * pool_rows([o["values"] for o in tau_out])
    c_hat = Measurement.from_samples(c_rep)
    c_lo, c_hi = max(c_hat.ci_low, 0.0), c_hat.ci_high
    pred = {"value": _lambda_of_c(c_hat.value), "ci_low": _lambda_of_c(c_lo), "ci_high": _lambda_of_c(c_hi)}

    # -- per λ: growth of γ̂ and shape of the risk -------------------------------------------
    rows, excess, excess_lo, excess_hi = [], [], [], []
    surface = []
    gamma_method, proxy = None, False
    kappas = []
    collapse = None
    for lam in lams:
        sch = get_scheme("mix", n, lam)
        g_out = outputs.group(("gamma", lam))
        gam = pool_rows([o["values"] for o in g_out])
        gamma_method = g_out[0]["method"]
        proxy = proxy or g_out[0]["proxy"]
        risk = pool_rows([o[p["risk_metric"]] for o in outputs.group(("risk", lam))])
        kept = sch.n_r >= 1
        line = float(G + 1) if kept else 1.0
        lg = LogGrowth.of(gam[:, 0], gam[:, G])
        e = lg.value - math.log(line)
        lo, hi = _interval(e, lg.stderr, t_quantile(z, lg.n - 1))
        state = "unstable" if lo > 0 else ("stable" if hi < 0 else "undecided")
        growth = math.exp(lg.value) if math.isfinite(lg.value) else math.nan
        rho = solve_rho(growth, G, kept)
        kappa = rho / (1.0 - sch.lam) if sch.lam < 1 else math.nan
        saturated = bool(gam.mean(axis=0).max() > SATURATION)
        if kept and math.isfinite(kappa) and not saturated and rho > 0:
            # delta method: d log ρ = (S(ρ) / (ρ S'(ρ))) d log Γ
            h = 1e-6 * max(rho, 1e-6)
            dS = (geometric_sum(rho + h, G) - geometric_sum(rho - h, G)) / (2 * h)
            kappas.append((math.log(kappa), lg.stderr * growth / (rho * dS)))
        shape = risk_shape(risk, z)
        means = risk.mean(axis=0)
        surface.append(means.tolist())
        row = {"lam": sch.lam, "n_r": sch.n_r, "n_s": sch.n_s, "gamma_means": gam.mean(axis=0).tolist(),
               "growth": growth, "line": line, "excess": e, "excess_ci": [lo, hi], "state": state,
               "rho_loop": rho, "c_loop": kappa, "saturated": saturated, "sigma": lg.sigma,
               "risk": shape, "risk_means": means.tolist()}
        if sch.n_r == 0:
            s = Measurement.from_samples(slope_per_replicate(risk))
            collapse = {"lam": sch.lam, "slope": s.value, "ci_low": s.ci_low, "ci_high": s.ci_high,
                        "metric": p["risk_metric"]}
        rows.append(row)
        excess.append(e)
        excess_lo.append(lo)
        excess_hi.append(hi)

    eff = [r["lam"] for r in rows]
    # -- observed boundary from γ̂ -----------------------------------------------------------
    obs = {"value": _crossing(eff, excess, 0.0), "ci_low": _crossing(eff, excess_lo, 0.0),
           "ci_high": _crossing(eff, excess_hi, 0.0)}
    obs["ci_low"] = min(obs["ci_low"], obs["value"])
    obs["ci_high"] = max(obs["ci_high"], obs["value"])
    # -- observed boundary from the risk ---------------------------------------------------------
    unbounded = [r["lam"] for r in rows if not r["risk"]["bounded"]]
    risk_lo = max(unbounded, default=0.0)
    above = [r for r in rows if r["lam"] > risk_lo] if unbounded else rows
    risk_hi = min((r["lam"] for r in above if all(x["risk"]["bounded"] for x in rows if x["lam"] >= r["lam"])),
                  default=1.0)
    risk_boundary = {"unbounded_up_to": risk_lo if unbounded else None, "bounded_from": risk_hi}
    # -- the loop's own c, pooled over λ > 0 by inverse variance on log c ---------------------
    c_loop = None
    good = [(v, s) for v, s in kappas if math.isfinite(v) and math.isfinite(s) and s > 0]
    if good:
        w = np.array([1.0 / s ** 2 for _, s in good])
        v = np.array([x for x, _ in good])
        mean = float((w * v).sum() / w.sum())
        se = float(1.0 / math.sqrt(w.sum()))
        c_loop = {"value": math.exp(mean), "ci_low": math.exp(mean - z95 * se), "ci_high": math.exp(mean + z95 * se),
                  "lambda_c": _lambda_of_c(math.exp(mean)), "points": len(good)}

    # -- verdict and power ---------------------------------------------------------------
    tested, power_rows, verdict_parts = [], [], []
    for r in rows:
        if not r["lam"] > pred["ci_high"]:
            continue
        kept = r["n_r"] >= 1
        rho_hi = (1.0 - r["lam"]) * c_hi
        e_l2 = (math.log(geometric_sum(rho_hi, G) / (G + 1)) if kept
                else G * math.log(rho_hi) if rho_hi > 0 else -math.inf)
        have = p["replicates"]
        sigma = r["sigma"]
        if e_l2 == -math.inf:            # L2 predicts no growth at all: any replicate count decides
            need, achieved = 2.0, 1.0
        elif e_l2 < 0 and math.isfinite(sigma) and sigma > 0:
            need = ((z + z_power) * sigma / e_l2) ** 2
            achieved = NormalDist().cdf(abs(e_l2) * math.sqrt(have) / sigma - z)
        else:
            need, achieved = math.inf, 0.0
        powered = need <= have
        power_rows.append({"lam": r["lam"], "rho_l2_upper": rho_hi, "excess_l2": e_l2, "sigma": r["sigma"],
                           "replicates_needed": need, "replicates": have, "power": achieved, "powered": powered})
        bad = r["state"] == "unstable" or r["risk"]["shape"] == "accelerating"
        if bad:
            verdict_parts.append("fail")
        elif powered:
            verdict_parts.append("pass" if r["state"] == "stable" else "inconclusive")
        tested.append(r["lam"])
    if "fail" in verdict_parts:
        verdict = "fail"
    elif verdict_parts and all(v == "pass" for v in verdict_parts):
        verdict = "pass"
    else:
        verdict = "inconclusive"

    untested = [x["lam"] for x in power_rows if not x["powered"]]
    summary = (f"ĉ = {c_hat.value:.3g} [{c_hat.ci_low:.3g}, {c_hat.ci_high:.3g}] → predicted λ_c = "
               f"{pred['value']:.3f} [{pred['ci_low']:.3f}, {pred['ci_high']:.3f}]; observed boundary of γ̂ "
               f"{obs['value']:.3f} [{obs['ci_low']:.3f}, {obs['ci_high']:.3f}]"
               + (f", loop c = {c_loop['value']:.3g} (λ = {c_loop['lambda_c']:.3f})" if c_loop else "")
               + "; per λ: " + "; ".join(f"λ={r['lam']:g}: γ̂^G/γ̂^0 = {r['growth']:.3g} vs {r['line']:g} "
                                         f"({r['state']}), risk {r['risk']['shape']}" for r in rows)
               + f". Tested λ > {pred['ci_high']:.3f}: {tested or 'none'}"
               + (f" (too close to the prediction for {p['replicates']} replicates: {untested})" if untested else "")
               + f" → {verdict}.")
    fig_surface = {"type": "heatmap", "name": f"{p['name']}-risk-surface",
                   "title": f"{p['model']}: E {p['risk_metric']} over (λ, generation), n={n}",
                   "x": eff, "y": list(range(G + 1)), "z": np.array(surface).T.tolist(),
                   "x_label": "λ (real proportion)", "y_label": "generation i", "z_label": p["risk_metric"]}
    fig_gamma = {"type": "series", "name": f"{p['name']}-gamma", "x": list(range(G + 1)), "x_label": "generation i",
                 "y_label": "γ̂_n^i / γ̂_n^0", "title": f"{p['model']}: growth of γ̂ (linear line: L2's critical case)",
                 "series": [{"label": f"λ={r['lam']:g}", "y": (np.array(r["gamma_means"]) /
                                                                max(r["gamma_means"][0], 1e-300)).tolist()}
                            for r in rows] + [{"label": "critical (ρ = 1)", "y": list(map(float, range(1, G + 2))),
                                               "style": "bound"}]}
    measured = Measurement(obs["value"], math.nan, obs["ci_low"], obs["ci_high"], p["replicates"], z)
    details = {"summary": summary, "model": p["model"], "params": dict(p["params"]), "n": n, "generations": G,
               "c_hat": {"value": c_hat.value, "stderr": c_hat.stderr, "ci_low": c_hat.ci_low,
                         "ci_high": c_hat.ci_high, "n": c_hat.n},
               "predicted_lambda_c": pred, "observed_lambda_c": obs, "risk_boundary": risk_boundary,
               "c_loop": c_loop, "collapse_speed": collapse, "rows": rows, "tested": tested,
               "power": {"target": POWER, "z": z, "rows": power_rows,
                         "rule": ("replicates needed = ((z + z_power) σ / |e_L2|)², e_L2 = log(Σ_k ρ_hi^k/(G+1)) "
                                  "at ρ_hi = (1 − λ) ĉ_upper: L2's least favourable growth at that λ")},
               "gamma_method": gamma_method, "gamma_proxy": proxy,
               "figures": [fig_surface, fig_gamma]}
    return Outcome(measured=measured, predicted=pred["value"], relation="<=", verdict=verdict, details=details)


def atlas_check(name: str, model: str, params: Mapping[str, str] | None = None, *, n: int,
                lams: Sequence[float], generations: int, replicates: int, tau_replicates: int,
                neighbours: int = 16, block: int = 100) -> Check:
    """One atlas entry (see the module docstring) as a check of kind ``phase-transition``."""
    if not lams or any(not 0.0 <= float(l) < 1.0 for l in lams):
        raise InputError("lams", list(lams), "a non-empty list of proportions in [0, 1)")
    if generations < 2:
        raise InputError("generations", generations, "an integer >= 2 (early and late halves)")
    m = build_model(model, dict(params or {}))
    return Check(
        name=name, kind="phase-transition",
        claim=(f"Atlas, {model} (n={n}): with ĉ = n·τ̂_n (D2) L2 predicts a stable loop for every "
               f"λ > λ_c = 1 − 1/ĉ; at every grid λ above the prediction's upper limit, γ̂_n^{generations}/γ̂_n^0 "
               f"stays below L2's critical line {generations + 1} and the real-data risk "
               f"({m.risk_metric}) does not keep growing; the observed boundary is reported beside the prediction."),
        claim_latex=(r"\lambda > 1 - 1/\hat c \;\Rightarrow\; \hat\gamma_n^G/\hat\gamma_n^0 < G + 1,"
                     r"\qquad \hat c = n\,\hat\tau_n"),
        parameters={"name": name, "model": model, "params": {k: str(v) for k, v in dict(params or {}).items()},
                    "risk_metric": m.risk_metric, "n": int(n), "lams": sorted(float(l) for l in lams),
                    "generations": int(generations), "replicates": int(replicates),
                    "tau_replicates": int(tau_replicates), "neighbours": int(neighbours), "block": int(block)},
        plan=_plan, conclude=_conclude)


# --------------------------------------------------------------------------------------
# the documented sizes
# --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One architecture at one documented size (the keyword arguments of :func:`atlas_check`)."""

    model: str
    params: Mapping[str, str] = field(default_factory=dict)
    n: int = 100
    lams: tuple[float, ...] = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9)
    generations: int = 10
    replicates: int = 200
    tau_replicates: int = 100
    neighbours: int = 16
    block: int = 100

    def check(self, size: str) -> Check:
        return atlas_check(f"atlas-{self.model}-{size}", self.model, dict(self.params), n=self.n,
                           lams=self.lams, generations=self.generations, replicates=self.replicates,
                           tau_replicates=self.tau_replicates, neighbours=self.neighbours, block=self.block)


_LSA = {"dim": "2", "context": "6", "label_noise": "1", "steps": "100", "probes": "200"}
_TF = {"dim": "2", "context": "4", "width": "8", "heads": "2", "layers": "2", "steps": "100", "probes": "200"}

#: ``stl atlas --size quick``: the cheap architectures, each well under a minute on two cores.
QUICK: tuple[Entry, ...] = (
    Entry("categorical", {"k": "10"}, n=100, replicates=400, tau_replicates=50, block=400),
    Entry("gain-bernoulli", {"gain": "3"}, n=20000, lams=(0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9), generations=6,
          replicates=200, tau_replicates=50, block=200),
    Entry("gaussian", {"dim": "1"}, n=100, replicates=400, tau_replicates=100, block=400),
    Entry("linreg", {"dim": "5"}, n=100, replicates=400, tau_replicates=100, block=400),
    Entry("gmm", {"k": "2"}, n=100, replicates=100, tau_replicates=50, neighbours=8, block=100),
    Entry("ngram", {}, n=200, replicates=200, tau_replicates=50, block=200),
    Entry("kde", {"bandwidth": "0.3"}, n=100, lams=(0.0, 0.1, 0.3, 0.6, 0.9), generations=8,
          replicates=100, tau_replicates=30, neighbours=8, block=100),
)

#: ``stl atlas --size full``: every architecture of the issue, the neural ones included.
FULL: tuple[Entry, ...] = (
    Entry("categorical", {"k": "10"}, n=200, generations=16, replicates=1000, tau_replicates=100, block=500),
    Entry("gain-bernoulli", {"gain": "3"}, n=20000, lams=(0.0, 0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9),
          generations=8, replicates=400, tau_replicates=100, block=200),
    Entry("gaussian", {"dim": "1"}, n=200, lams=(0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9), generations=16,
          replicates=1000, tau_replicates=200, block=500),
    Entry("linreg", {"dim": "5"}, n=200, lams=(0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9), generations=16,
          replicates=1000, tau_replicates=200, block=500),
    Entry("kde", {"bandwidth": "0.3"}, n=100, lams=(0.0, 0.1, 0.2, 0.4, 0.6, 0.9), generations=10,
          replicates=200, tau_replicates=60, neighbours=8, block=100),
    Entry("gmm", {"k": "2"}, n=200, lams=(0.0, 0.05, 0.1, 0.2, 0.4, 0.7, 0.9), generations=12,
          replicates=300, tau_replicates=100, neighbours=8, block=100),
    Entry("ngram", {}, n=200, lams=(0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9), generations=16,
          replicates=600, tau_replicates=100, block=300),
    Entry("charlm", {}, n=200, lams=(0.0, 0.3, 0.6, 0.95), generations=4, replicates=16,
          tau_replicates=16, neighbours=2, block=16),
    Entry("flow", {"steps": "200"}, n=300, lams=(0.0, 0.5, 0.98), generations=4, replicates=12,
          tau_replicates=12, neighbours=2, block=12),
    Entry("lsa", _LSA, n=100, lams=(0.0, 0.5, 0.95), generations=6, replicates=32, tau_replicates=32,
          neighbours=1, block=32),
    Entry("transformer", _TF, n=64, lams=(0.0, 0.5, 0.95), generations=4, replicates=8, tau_replicates=8,
          neighbours=1, block=8),
)

SIZES: Mapping[str, tuple[Entry, ...]] = {"quick": QUICK, "full": FULL}


def entries(size: str, models: Sequence[str] | None = None) -> list[Entry]:
    """The atlas entries of ``size``, restricted to ``models`` (in the size's order)."""
    if size not in SIZES:
        raise InputError("--size", size, " | ".join(SIZES))
    table = {e.model: e for e in SIZES[size]}
    if models:
        unknown = [m for m in models if m not in table]
        if unknown:
            raise InputError("--models", ", ".join(unknown), f"architectures of the {size} atlas: " + ", ".join(table))
        return [table[m] for m in table if m in set(models)]
    return list(table.values())


def entry_check(name: str, model: str, size: str = "full") -> Check:
    """The atlas check of ``model`` at a documented ``size``, under the name ``name`` (for suites)."""
    e = entries(size, [model])[0]
    return atlas_check(name, e.model, dict(e.params), n=e.n, lams=e.lams, generations=e.generations,
                       replicates=e.replicates, tau_replicates=e.tau_replicates, neighbours=e.neighbours,
                       block=e.block)


# --------------------------------------------------------------------------------------
# the table and its figure
# --------------------------------------------------------------------------------------

def table_rows(results) -> list[dict]:
    """One row per architecture from finished atlas checks (``CheckResult`` objects)."""
    rows = []
    for r in results:
        d = r.details
        cl = d.get("c_loop") or {}
        col = d.get("collapse_speed") or {}
        rows.append({
            "architecture": d["model"], "params": dict(d["params"]), "n": d["n"], "generations": d["generations"],
            "c_hat": d["c_hat"]["value"], "c_hat_ci": [d["c_hat"]["ci_low"], d["c_hat"]["ci_high"]],
            "lambda_c_predicted": d["predicted_lambda_c"]["value"],
            "lambda_c_predicted_ci": [d["predicted_lambda_c"]["ci_low"], d["predicted_lambda_c"]["ci_high"]],
            "lambda_c_observed": d["observed_lambda_c"]["value"],
            "lambda_c_observed_ci": [d["observed_lambda_c"]["ci_low"], d["observed_lambda_c"]["ci_high"]],
            "c_loop": cl.get("value"), "c_loop_ci": [cl.get("ci_low"), cl.get("ci_high")] if cl else None,
            "risk_bounded_from": d["risk_boundary"]["bounded_from"],
            "collapse_speed": col.get("slope"), "collapse_speed_ci": [col.get("ci_low"), col.get("ci_high")] if col else None,
            "risk_metric": col.get("metric"), "gamma_proxy": d.get("gamma_proxy", False),
            "verdict": r.verdict, "runtime_s": r.runtime_s,
        })
    return rows


def _f(x, digits=3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return f"{x:.{digits}g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


def render_table(rows: Sequence[Mapping], size: str, seed: int) -> str:
    """The atlas as Markdown."""
    lines = [f"# Architecture atlas — size `{size}`, seed {seed}", "",
             "| architecture | n | ĉ = n·τ̂_n | predicted λ_c | observed λ_c (γ̂) | loop c | risk bounded from λ | "
             "collapse speed at λ=0 | verdict |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        proxy = " (proxy γ)" if r["gamma_proxy"] else ""
        lo, hi = r["c_hat_ci"]
        plo, phi = r["lambda_c_predicted_ci"]
        olo, ohi = r["lambda_c_observed_ci"]
        cl = ("—" if r["c_loop"] is None else f"{_f(r['c_loop'])} [{_f(r['c_loop_ci'][0])}, {_f(r['c_loop_ci'][1])}]")
        cs = ("—" if r["collapse_speed"] is None else
              f"{_f(r['collapse_speed'])} [{_f(r['collapse_speed_ci'][0])}, {_f(r['collapse_speed_ci'][1])}] "
              f"{r['risk_metric']}/gen")
        lines.append(f"| {r['architecture']}{proxy} | {r['n']} | {_f(r['c_hat'])} [{_f(lo)}, {_f(hi)}] | "
                     f"{r['lambda_c_predicted']:.3f} [{plo:.3f}, {phi:.3f}] | "
                     f"{r['lambda_c_observed']:.3f} [{olo:.3f}, {ohi:.3f}] | {cl} | "
                     f"{_f(r['risk_bounded_from'])} | {cs} | {r['verdict']} |")
    lines += ["", "Predicted λ_c = 1 − 1/ĉ (L2, THEORY.md); observed: where γ̂_n^G/γ̂_n^0 crosses L2's critical "
              "line G + 1 on the λ grid (interval: where its confidence limits cross). 'loop c' is the c that the "
              "loop's own growth of γ̂ corresponds to. The verdict holds the prediction: every grid λ above the "
              "predicted interval must be stable.", ""]
    return "\n".join(lines)


def draw_lambda_figure(rows: Sequence[Mapping], path) -> None:
    """Predicted against observed λ_c, one point per architecture, with both intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 6.0))
    ax.plot([0, 1], [0, 1], color="grey", lw=1, ls="--", label="observed = predicted")
    ax.fill_between([0, 1], [0, 0], [0, 1], color="tab:green", alpha=0.07, label="observed ≤ predicted (L2 holds)")
    from stl.verify.labels import label_offsets, renderable

    colours = {"pass": "tab:blue", "fail": "tab:red", "inconclusive": "tab:grey"}
    offsets = label_offsets([(r["lambda_c_predicted"], r["lambda_c_observed"]) for r in rows])
    for r, offset in zip(rows, offsets):
        x, y = r["lambda_c_predicted"], r["lambda_c_observed"]
        xl, xh = r["lambda_c_predicted_ci"]
        yl, yh = r["lambda_c_observed_ci"]
        ax.errorbar([x], [y], xerr=[[x - xl], [xh - x]], yerr=[[y - yl], [yh - y]], fmt="o",
                    color=colours.get(r["verdict"], "black"), capsize=3)
        ax.annotate(r["architecture"], (x, y), textcoords="offset points", xytext=offset, fontsize=8)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(renderable("predicted λ_c = 1 − 1/ĉ"))
    ax.set_ylabel(renderable("observed boundary of γ̂_n^i on the λ grid"))
    ax.set_title("How much real data each architecture needs")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
