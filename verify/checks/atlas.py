r"""The architecture atlas: how much real data each kind of generative model needs.

For one architecture (a registered model at a documented size) an atlas entry gives two
predictions of the critical real proportion, locates the boundary the loop actually
shows, and holds the theorem against it.

**L2's prediction (sufficient, a theorem).** ``ĉ = n τ̂_n`` with its interval (THEORY.md
D2; :func:`stl.numerics.estimators.estimate_tau`, the largest TV over ``neighbours``
random swaps per dataset, so a lower estimate of the supremum that improves with more
neighbours), and ``λ_c = 1 − 1/ĉ`` (0 when ``ĉ ≤ 1``).

**The typical prediction (an empirical predictor, never a theorem).** ``c_typ`` is the
constant for which L2's recursion reproduces the loop's own growth
``Γ = γ̂_n^G/γ̂_n^0`` over the entry's horizon ``G`` at a pilot real share ``λ_p`` (one
kept real point unless the entry says otherwise), ``Σ_{k≤G} ((1 − λ_p) c_typ)^k = Γ``, and
``λ_c^typ = 1 − 1/c_typ`` (:mod:`stl.theory.results.typical_boundary`, with its premises).
The pilot runs on replicates of its own (ids after the grid's), so the prediction is
independent of the runs that locate the boundary. Its interval maps ``log Γ``'s through
the (monotone) relation.

**The observed boundary.** Below it the loop's ``γ̂`` outgrows L2's critical line over
``G`` generations, above it not: with a kept real point L2's growth is
``Σ_{k≤G} ρ^k``, which equals ``G + 1`` exactly at ``ρ = 1``, so the excess
``e(λ) = log Γ(λ) − log(G + 1)`` is positive on the unstable side and negative on the
stable side whatever the transient. The boundary is located by **bisection** on the number
of kept real points ``n_r ∈ [1, λ_top n]`` (one task, all replicates; every evaluation
is kept), then read off the evaluated points: the point estimate is where ``e`` crosses 0
(linear interpolation between the bracketing points) and the interval runs from where
``e``'s lower confidence limit crosses 0 to where its upper limit does (Bonferroni over
the evaluated points). ``λ = 0`` is never interpolated with ``λ > 0``: without a kept
real point L2's recursion has no leading 1 and its critical line is 1, not ``G + 1``. If
one kept real point already keeps ``e`` below 0 the boundary lies in ``[0, 1/n]``.

**Verdicts.** *Located*: the typical prediction's interval overlaps the observed one
(reported, with the numbers that explain a miss: the ``c`` the loop runs at next to the
boundary against ``c_typ``, and the boundary at half the horizon). *Safe* (the check's
verdict; it tests L2): at every grid ``λ`` above L2's upper limit ``e(λ)`` must be
significantly negative and the real-data risk must not be significantly accelerating,
and the observed boundary must not lie significantly above the prediction. **fail** if
any of these is contradicted, **pass** if every such ``λ`` with enough power is
significantly stable (and one is tested), otherwise inconclusive. It also fails when L2's
first step is contradicted in the loop itself: with a kept real point the two training
sets of generation 1 differ in ``1 + n_s d^1`` points (``d^1`` the measured fraction of
differing synthetic draws), each costing at most ``τ_n`` (a path of single swaps), so the
pilot's ``n E γ̂^1 / E(1 + n_s d^1)`` (:func:`step_cost`) may not lie significantly above
``ĉ``: if it does, ``ĉ`` underestimates the supremum of D2 and its ``λ_c`` is not L2's. And
it fails when L2's bound itself is exceeded at a grid ``λ``: ``γ̂_n^G`` (a random neighbour,
so at most the supremum) must not lie significantly above ``τ Σ_{k<G} ρ^k + τ ρ^G`` (no
leading sum at ``λ = 0``) evaluated with ``ĉ``'s upper limit (both checks only where ``γ̂``
estimates a TV, not a non-maximal coupling's larger differing fraction).

**Power.** At a tested ``λ`` the least favourable value L2 allows is
``e_L2(λ) = log(Σ ρ_hi^k/(G + 1))`` with ``ρ_hi = (1 − λ) ĉ_hi``; the replicates needed for
80 % power are ``((z + z_0.8) σ/|e_L2|)²`` (``σ`` the per-replicate standard deviation of
``e``'s influence function); grid points needing more than were run are listed and do
not decide. For *located*, the smallest difference between the two boundaries that the
run would detect with 80 % power, ``(z_0.975 + z_0.8) √(se_obs² + se_typ²)``, and the
replicates that would bring it to :data:`DETECTABLE`.

**Growth law and risk.** On a coarse ``λ`` grid (the verification grid, which also holds
every ``λ`` the safe verdict tests) the entry runs ``γ̂`` and the real-data risk over
``G`` generations: the growth of ``γ̂`` is fitted by a geometric law and by a power of
``i`` (:func:`stl.numerics.estimators.fit_growth_law`) beside L2's ``ρ^i``, the risk's
early and late increments say whether it keeps growing, and at ``λ = 0`` the slope of the
risk is the collapse speed.

>>> from stl.verify.checks.atlas import atlas_check
>>> chk = atlas_check("atlas-demo", "categorical", {"k": "4"}, n=50, lams=(0.0, 0.5),
...                   generations=4, replicates=40, tau_replicates=10, block=40, locate_steps=2)
>>> r = chk.run(seed=0)
>>> r.details["predicted_lambda_c"]["value"], r.verdict
(0.0, 'pass')
>>> r.details["located"]["verdict"], r.details["typical_lambda_c"]["value"]
('located', 0.0)
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
from stl.kernel import student_t
from stl.verify.checks.measurement import Measurement
from stl.verify.checks.task import Task
from stl.verify.checks.verdicts import family_z
from stl.verify.errors import InputError

#: Power the check is sized for at a tested grid point.
POWER = 0.8
#: Mean ``γ̂`` above which the coupled chains are near TV's cap of 1 and the growth is
#: no longer L2's linear recursion (the Corollary: ``γ ≤ 1`` makes the bound vacuous).
SATURATION = 0.5
#: The difference between the typical prediction and the observed boundary (in ``λ``)
#: that the *located* power computation sizes the run for.
DETECTABLE = 0.05
#: Options of :func:`stl.numerics.estimators.estimate_gamma` an entry may set.
GAMMA_OPTIONS = ("coupling", "measure", "measure_draws")


# --------------------------------------------------------------------------------------
# theory, through the bridge (formulas are never re-typed here)
# --------------------------------------------------------------------------------------

def geometric_sum(rho: float, generations: int) -> float:
    """``Σ_{k=0}^{G} ρ^k``: L2's ``γ^G/γ^0`` when a real point is kept (theory's formula).

    >>> geometric_sum(1.0, 4), round(geometric_sum(0.5, 2), 3)
    (5.0, 1.75)
    """
    from stl.verify import bridge

    return bridge.typical_growth_function(True)(rho, generations)


def solve_rho(growth: float, generations: int, kept_real: bool) -> float:
    """The ``ρ ≥ 0`` whose L2 growth over ``G`` generations is ``growth``.

    With a kept real point ``Σ_{k≤G} ρ^k = growth`` (0 when ``growth ≤ 1``); without one
    ``ρ^G = growth``.

    >>> round(solve_rho(geometric_sum(0.7, 6), 6, True), 9), round(solve_rho(8.0, 3, False), 9)
    (0.7, 2.0)
    """
    from stl.verify import bridge

    if not math.isfinite(growth):
        return math.nan
    if growth <= 0:
        return 0.0
    if not kept_real and not generations:
        return math.nan
    if kept_real and growth <= 1.0:
        return 0.0
    f = bridge.typical_growth_function(kept_real)
    lo, hi = 0.0, 2.0
    while f(hi, generations) < growth:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid, generations) < growth else (lo, mid)
    return 0.5 * (lo + hi)


def lambda_c_l2(c: float) -> float:
    """L2's ``λ_c = 1 − 1/c`` (theory's ``critical_proportion``), clipped to ``[0, 1]``."""
    from stl.verify import bridge

    return bridge.critical_proportion(c)


def lambda_c_typical(c: float) -> float:
    """``λ_c^typ = 1 − 1/c_typ`` (0 for ``c_typ ≤ 1``; theory's ``typical_critical_proportion``)."""
    from stl.verify import bridge

    if not math.isfinite(c):
        return 1.0 if c > 0 else math.nan
    return bridge.typical_critical_proportion(c)


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


def _gamma(m, n: int, lam: float, generations: int, seed: int, first: int, count: int,
           options: Mapping[str, Any] | None):
    from stl.numerics.estimators import estimate_gamma

    return estimate_gamma(m, "mix", n, lam, generations, count, seed, first, **dict(options or {}))


def gamma_block(model: str, params: Mapping[str, str], n: int, lam: float, generations: int,
                seed: int, first: int, count: int, options: Mapping[str, Any] | None = None) -> dict:
    """Per-replicate ``γ̂_n^i`` ``(count, G + 1)`` of one block, under D3's recursive coupling.

    ``options``: keyword arguments of :func:`stl.numerics.estimators.estimate_gamma`
    (:data:`GAMMA_OPTIONS`), e.g. the maximal coupling built from a model's density.
    """
    m = build_model(model, params)
    est = _gamma(m, n, lam, generations, seed, first, count, options)
    opts = dict(options or {})
    # γ̂ estimates E d_TV (rather than a non-maximal coupling's larger differing fraction)
    # when it is measured as a TV or counted under a maximal coupling.
    is_tv = bool(m.tv_exact or opts.get("measure") == "tv" or opts.get("coupling") == "maximal-density"
                 or m.effective_coupling == "maximal")
    return {"values": np.asarray(est.per_replicate), "method": est.method, "proxy": bool(est.proxy),
            "differ": np.asarray(est.details["synthetic_differ"]), "gamma_is_tv": is_tv}


def excess(values: np.ndarray, horizon: int, kept_real: bool = True) -> "LogGrowth":
    """``e = log(mean γ^H/mean γ^0) − log(line)`` with its delta-method standard error;
    ``line`` is L2's critical growth ``H + 1`` (a kept real point) or 1 (none)."""
    lg = LogGrowth.of(values[:, 0], values[:, horizon])
    line = float(horizon + 1) if kept_real else 1.0
    return LogGrowth(lg.value - math.log(line), lg.stderr, lg.sigma, lg.n)


def locate_block(model: str, params: Mapping[str, str], n: int, generations: int, seed: int,
                 first: int, count: int, high: float, steps: int, resolution: int,
                 options: Mapping[str, Any] | None = None) -> dict:
    """Bisection for the observed boundary on the number of kept real points.

    Evaluates ``γ̂`` (all ``count`` replicates) at ``n_r = 1`` and ``n_r = round(high·n)``;
    when the first is above L2's critical line and the second below, halves the bracket on
    the sign of the point estimate of ``e`` at most ``steps`` times, or until it is
    ``resolution`` real points wide. Returns every evaluated point in ``λ`` order.
    """
    m = build_model(model, params)
    top = max(2, min(n - 1, int(round(high * n))))
    found: dict[int, np.ndarray] = {}
    method = [""]

    def e_at(n_r: int) -> float:
        if n_r not in found:
            est = _gamma(m, n, n_r / n, generations, seed, first, count, options)
            found[n_r] = np.asarray(est.per_replicate)
            method[0] = est.method
        return excess(found[n_r], generations).value

    lo, hi = 1, top
    e_lo, e_hi = e_at(lo), e_at(hi)
    if e_lo > 0 and not e_hi > 0:
        for _ in range(int(steps)):
            if hi - lo <= max(int(resolution), 1):
                break
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if e_at(mid) > 0 else (lo, mid)
    return {"points": [{"n_r": k, "lam": k / n, "values": found[k]} for k in sorted(found)],
            "method": method[0]}


# --------------------------------------------------------------------------------------
# statistics
# --------------------------------------------------------------------------------------

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


def _crossing(lams: Sequence[float], values: Sequence[float]) -> float | str:
    """Where a (decreasing) curve over ``lams`` crosses 0: linear interpolation after the
    last point with a positive value; ``"below"`` when no value is positive, ``"above"``
    when the last one is."""
    last = max((k for k, v in enumerate(values) if v > 0), default=None)
    if last is None:
        return "below"
    if last == len(values) - 1:
        return "above"
    a, b = values[last], values[last + 1]
    la, lb = lams[last], lams[last + 1]
    if not (math.isfinite(a) and math.isfinite(b)) or a == b:
        return lb
    return la + (lb - la) * a / (a - b)


def locate_boundary(lams: Sequence[float], values: Sequence[np.ndarray], horizon: int) -> dict:
    """The observed boundary and its interval from ``γ̂`` ``(R, G + 1)`` at kept-real ``lams``.

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> def run(rho):     # L2's growth with multiplicative noise, 400 replicates
    ...     g = np.array([geometric_sum(rho, k) for k in range(7)])
    ...     return g * rng.lognormal(0, 0.3, (400, 7))
    >>> lams = [0.1, 0.3, 0.5]
    >>> b = locate_boundary(lams, [run((1 - l) / 0.7) for l in lams], 6)   # ρ = 1 at λ = 0.3
    >>> round(b["value"], 2), b["ci_low"] < 0.3 < b["ci_high"]
    (0.3, True)
    """
    pairs = sorted(zip((float(x) for x in lams), values), key=lambda pair: pair[0])
    lams = [lam for lam, _ in pairs]
    rows, e, lo, hi = [], [], [], []
    z = family_z(len(lams))
    for lam, v in pairs:
        g = excess(np.asarray(v), horizon)
        q = student_t.t_quantile(z, g.n - 1)
        a, b = _interval(g.value, g.stderr, q)
        e.append(g.value)
        lo.append(a)
        hi.append(b)
        rows.append({"lam": lam, "excess": g.value, "excess_ci": [a, b], "sigma": g.sigma,
                     "growth": math.exp(g.value) * (horizon + 1) if math.isfinite(g.value) else math.nan,
                     "state": "unstable" if a > 0 else ("stable" if b < 0 else "undecided")})
    first, top = lams[0], lams[-1]

    def resolve(x, below: float, above: float) -> float:
        return below if x == "below" else (above if x == "above" else float(x))

    value = resolve(_crossing(lams, e), 0.0, top)
    ci_low = resolve(_crossing(lams, lo), 0.0, top)
    ci_high = resolve(_crossing(lams, hi), first, 1.0)
    where = ("below the smallest kept real share" if _crossing(lams, e) == "below" else
             "above the bracket" if _crossing(lams, e) == "above" else "inside the bracket")
    return {"value": value, "ci_low": min(ci_low, value), "ci_high": max(ci_high, value), "z": z,
            "horizon": horizon, "where": where, "points": rows}


def typical_prediction(values: np.ndarray, lam_p: float, generations: int, z: float = NormalDist().inv_cdf(0.975)
                       ) -> dict:
    """``c_typ`` and ``λ_c^typ`` from the pilot's ``γ̂`` ``(R, G + 1)`` at real share ``lam_p``.

    >>> import numpy as np
    >>> g = np.array([geometric_sum(1.2 * 0.99, k) for k in range(9)])
    >>> t = typical_prediction(g * np.random.default_rng(0).lognormal(0, 0.1, (300, 9)), 0.01, 8)
    >>> round(t["c_typ"], 2), round(t["value"], 2)
    (1.2, 0.17)
    """
    from stl.verify import bridge

    lg = LogGrowth.of(values[:, 0], values[:, generations])
    q = student_t.t_quantile(z, lg.n - 1)
    lo, hi = _interval(lg.value, lg.stderr, q)

    def c_of(log_growth: float) -> float:
        return bridge.typical_constant(solve_rho(math.exp(log_growth), generations, True), lam_p)

    c, c_lo, c_hi = c_of(lg.value), c_of(lo), c_of(hi)
    means = values.mean(axis=0)
    return {"c_typ": c, "c_typ_ci": [c_lo, c_hi], "value": lambda_c_typical(c),
            "ci_low": lambda_c_typical(c_lo), "ci_high": lambda_c_typical(c_hi),
            "growth": math.exp(lg.value), "growth_ci": [math.exp(lo), math.exp(hi)], "lam_pilot": lam_p,
            "replicates": lg.n, "saturated": bool(means.max() > SATURATION), "gamma_means": means.tolist(),
            "stderr_lambda": _stderr_of_interval(lambda_c_typical(c_lo), lambda_c_typical(c_hi), q)}


def step_cost(gamma: np.ndarray, differ: np.ndarray, n: int, n_s: int, z: float) -> Measurement:
    """The loop's own cost of one differing training point, in units of ``1/n``.

    At generation 1 of a run with a kept real point the two training sets differ in the
    kept real point and ``n_s d^1`` synthetic points (``d^1`` the measured fraction of
    differing synthetic draws). L2's first step, a path of single swaps, gives
    ``E γ^1 ≤ τ_n E(1 + n_s d^1)`` with ``τ_n`` the supremum of D2, so the ratio of means
    ``n E γ^1 / E(1 + n_s d^1)`` can exceed ``c = n τ_n`` only if the estimate of the
    supremum is too low. Delta-method interval over replicates.
    """
    a = n * gamma[:, 1]
    b = 1.0 + n_s * differ[:, 1]
    ratio = float(a.mean() / b.mean())
    psi = (a - ratio * b) / b.mean()
    se = float(psi.std(ddof=1) / math.sqrt(psi.size))
    return Measurement.from_mean(ratio, se, psi.size, student_t.t_quantile(z, psi.size - 1))


def _stderr_of_interval(lo: float, hi: float, z: float) -> float:
    return (hi - lo) / (2.0 * z) if z > 0 and math.isfinite(z) else math.inf


def slope_per_replicate(values: np.ndarray) -> np.ndarray:
    """Least-squares slope of each replicate's trajectory ``(R, G + 1)`` over generations."""
    g = np.arange(values.shape[1], dtype=float)
    gc = g - g.mean()
    return (values - values.mean(axis=1, keepdims=True)) @ gc / (gc @ gc)


def risk_shape(values: np.ndarray, z: float) -> dict:
    """Early and late increments of the risk ``(R, G + 1)`` and their classification."""
    G = values.shape[1] - 1
    half = G // 2
    # Two windows of equal length (they share the middle generation when G is even):
    # with G odd, r_G − r_{G//2} would span one generation more than the early window.
    early = values[:, half] - values[:, 0]
    late = values[:, G] - values[:, G - half]
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


def _growth_law(gam: np.ndarray) -> dict | None:
    from stl.numerics.estimators import fit_growth_law

    if gam.shape[1] < 3 or gam.shape[0] < 3 or not (gam.mean(axis=0) > 0).all():
        return None
    return fit_growth_law(gam).to_dict()


# --------------------------------------------------------------------------------------
# the check
# --------------------------------------------------------------------------------------

def _plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    model, params, n, G = p["model"], dict(p["params"]), p["n"], p["generations"]
    opts = dict(p["gamma_options"])
    tasks = [Task(tau_block, dict(model=model, params=params, n=n, neighbours=p["neighbours"], seed=seed,
                                  first=f, count=c), ("tau", f))
             for f, c in replicate_blocks(p["tau_replicates"], p["block"])]
    # The pilot's replicates come after the grid's: independent of the runs it predicts.
    tasks += [Task(gamma_block, dict(model=model, params=params, n=n, lam=p["pilot_real"] / n, generations=G,
                                     seed=seed, first=p["replicates"] + f, count=c, options=opts), ("pilot", f))
              for f, c in replicate_blocks(p["pilot_replicates"], p["block"])]
    tasks.append(Task(locate_block, dict(model=model, params=params, n=n, generations=G, seed=seed, first=0,
                                         count=p["replicates"], high=p["locate_high"], steps=p["locate_steps"],
                                         resolution=p["locate_resolution"], options=opts), ("locate",)))
    risk = p["risk_metric"]
    for lam in p["lams"]:
        for f, c in replicate_blocks(p["replicates"], p["block"]):
            tasks.append(Task(gamma_block, dict(model=model, params=params, n=n, lam=lam, generations=G, seed=seed,
                                                first=f, count=c, options=opts), ("gamma", lam, f)))
            tasks.append(Task(loop_block, dict(model=model, params=params, scheme="mix", n=n, lam=lam,
                                               generations=G, seed=seed, first=f, count=c, metrics=(risk,)),
                              ("risk", lam, f)))
    return tasks


def _l2_prediction(p, outputs) -> tuple[Measurement, dict]:
    n = p["n"]
    from stl.verify import bridge

    c_rep = bridge.rate_coefficient("tau_n", pool_rows([o["values"] for o in outputs.group(("tau",))]), n)
    c_hat = Measurement.from_samples(c_rep)
    pred = {"value": lambda_c_l2(c_hat.value), "ci_low": lambda_c_l2(max(c_hat.ci_low, 0.0)),
            "ci_high": lambda_c_l2(c_hat.ci_high), "neighbours": p["neighbours"],
            "method": outputs.group(("tau",))[0]["method"]}
    return c_hat, pred


def _grid_rows(p, outputs, z: float, c_hi: float) -> tuple[list[dict], dict | None, list, str, bool, list]:
    from stl.numerics.schemes import get_scheme
    from stl.verify.bridge import l2_function, rate_forms

    n, G = p["n"], p["generations"]
    l2 = l2_function()
    tau_rate = rate_forms()["tau_n"]
    rows, kappas, surface = [], [], []
    gamma_method, proxy, collapse = "", False, None
    for lam in p["lams"]:
        sch = get_scheme("mix", n, lam)
        g_out = outputs.group(("gamma", lam))
        gam = pool_rows([o["values"] for o in g_out])
        gamma_method = g_out[0]["method"]
        proxy = proxy or g_out[0]["proxy"]
        risk = pool_rows([o[p["risk_metric"]] for o in outputs.group(("risk", lam))])
        kept = sch.n_r >= 1
        lg = excess(gam, G, kept)
        lo, hi = _interval(lg.value, lg.stderr, student_t.t_quantile(z, lg.n - 1))
        state = "unstable" if lo > 0 else ("stable" if hi < 0 else "undecided")
        growth = math.exp(lg.value) * (G + 1 if kept else 1) if math.isfinite(lg.value) else math.nan
        rho = solve_rho(growth, G, kept)
        kappa = rho / (1.0 - sch.lam) if sch.lam < 1 else math.nan
        saturated = bool(gam.mean(axis=0).max() > SATURATION)
        if kept and math.isfinite(kappa) and not saturated and rho > 0:
            # delta method: d log ρ = (S(ρ) / (ρ S'(ρ))) d log Γ
            h = 1e-6 * max(rho, 1e-6)
            dS = (geometric_sum(rho + h, G) - geometric_sum(rho - h, G)) / (2 * h)
            kappas.append((math.log(kappa), lg.stderr * growth / (rho * dS)))
        # L2 itself at this λ: γ̂^G (a random neighbour, so at most the supremum) against the
        # bound with ĉ's upper limit (theory's L2), where γ̂ estimates a TV.
        last = Measurement.from_samples(gam[:, G], z)
        bound = min(1.0, float(l2(tau_n=tau_rate(c=c_hi, n=n), n=n, lam=sch.lam, i=G)))
        l2_check = ({"gamma_G": last.value, "ci_low": last.ci_low, "ci_high": last.ci_high, "bound": bound,
                     "violated": bool(last.ci_low > bound)} if g_out[0].get("gamma_is_tv") else None)
        shape = risk_shape(risk, z)
        means = risk.mean(axis=0)
        surface.append(means.tolist())
        rows.append({"lam": sch.lam, "n_r": sch.n_r, "n_s": sch.n_s, "gamma_means": gam.mean(axis=0).tolist(),
                     "growth": growth, "line": float(G + 1) if kept else 1.0, "excess": lg.value,
                     "excess_ci": [lo, hi], "state": state, "rho_loop": rho, "c_loop": kappa,
                     "saturated": saturated, "sigma": lg.sigma, "risk": shape, "risk_means": means.tolist(),
                     "l2_bound": l2_check,
                     "growth_law": _growth_law(gam)})
        if sch.n_r == 0:
            s = Measurement.from_samples(slope_per_replicate(risk))
            collapse = {"lam": sch.lam, "slope": s.value, "ci_low": s.ci_low, "ci_high": s.ci_high,
                        "metric": p["risk_metric"]}
    return rows, collapse, kappas, gamma_method, proxy, surface


def _pooled_c(kappas) -> dict | None:
    z95 = NormalDist().inv_cdf(0.975)
    good = [(v, s) for v, s in kappas if math.isfinite(v) and math.isfinite(s) and s > 0]
    if not good:
        return None
    w = np.array([1.0 / s ** 2 for _, s in good])
    v = np.array([x for x, _ in good])
    mean = float((w * v).sum() / w.sum())
    se = float(1.0 / math.sqrt(w.sum()))
    return {"value": math.exp(mean), "ci_low": math.exp(mean - z95 * se), "ci_high": math.exp(mean + z95 * se),
            "lambda_c": lambda_c_l2(math.exp(mean)), "points": len(good)}


def _safe(p, rows, pred, obs, c_hi: float, z: float) -> tuple[str, list, list, str]:
    """L2's verdict at every grid λ above its upper limit, with the power computation."""
    G = p["generations"]
    z_power = NormalDist().inv_cdf(POWER)
    tested, power_rows, parts = [], [], []
    for r in rows:
        if not r["lam"] > pred["ci_high"]:
            continue
        kept = r["n_r"] >= 1
        rho_hi = (1.0 - r["lam"]) * c_hi
        e_l2 = (math.log(geometric_sum(rho_hi, G) / (G + 1)) if kept
                else G * math.log(rho_hi) if rho_hi > 0 else -math.inf)
        have, sigma = p["replicates"], r["sigma"]
        if e_l2 == -math.inf:            # L2 predicts no growth at all: any replicate count decides
            need, achieved = 2.0, 1.0
        elif e_l2 < 0 and math.isfinite(sigma) and sigma > 0:
            need = ((z + z_power) * sigma / e_l2) ** 2
            achieved = NormalDist().cdf(abs(e_l2) * math.sqrt(have) / sigma - z)
        else:
            need, achieved = math.inf, 0.0
        powered = need <= have
        power_rows.append({"lam": r["lam"], "rho_l2_upper": rho_hi, "excess_l2": e_l2, "sigma": sigma,
                           "replicates_needed": need, "replicates": have, "power": achieved, "powered": powered})
        if r["state"] == "unstable" or r["risk"]["shape"] == "accelerating":
            parts.append("fail")
        elif powered:
            parts.append("pass" if r["state"] == "stable" else "inconclusive")
        tested.append(r["lam"])
    above = obs["ci_low"] > pred["ci_high"]
    if above:
        parts.append("fail")
    if "fail" in parts:
        verdict = "fail"
    elif parts and all(v == "pass" for v in parts):
        verdict = "pass"
    else:
        verdict = "inconclusive"
    why = ("the observed boundary lies significantly above L2's prediction" if above else
           "a grid λ above the prediction is unstable or its risk accelerates" if verdict == "fail" else
           "every tested λ above the prediction is significantly stable" if verdict == "pass" else
           "no grid λ above the prediction has the power to decide" if not any(x["powered"] for x in power_rows)
           else "a powered grid λ above the prediction is undecided")
    return verdict, tested, power_rows, why


def _premise(p, pilot: np.ndarray, differ: np.ndarray, gamma_is_tv: bool, c_hat: Measurement, z: float) -> dict:
    """L2's first step in the loop (:func:`step_cost`) against ``ĉ``'s upper limit."""
    from stl.numerics.schemes import get_scheme

    n_s = get_scheme("mix", p["n"], p["pilot_real"] / p["n"]).n_s
    if not gamma_is_tv:
        return {"applies": False, "why": "γ̂ is the differing fraction of a non-maximal coupling, not a TV"}
    cost = step_cost(pilot, differ, p["n"], n_s, z)
    return {"applies": True, "value": cost.value, "ci_low": cost.ci_low, "ci_high": cost.ci_high,
            "c_hat_upper": c_hat.ci_high, "violated": bool(cost.ci_low > c_hat.ci_high),
            "rule": ("n E γ^1 / E(1 + n_s d^1) at the pilot, which L2's path of single swaps bounds by c = n τ_n; "
                     "violated when its lower limit exceeds ĉ's upper limit")}


def _located(p, typ: dict, obs: dict, c_typ_at_boundary: float | None) -> dict:
    z95 = NormalDist().inv_cdf(0.975)
    z_power = NormalDist().inv_cdf(POWER)
    overlap = typ["ci_low"] <= obs["ci_high"] and obs["ci_low"] <= typ["ci_high"]
    se_obs = _stderr_of_interval(obs["ci_low"], obs["ci_high"], obs["z"])
    se_typ = typ["stderr_lambda"]
    detectable = (z95 + z_power) * math.sqrt(se_obs ** 2 + se_typ ** 2)
    need = p["replicates"] * (detectable / DETECTABLE) ** 2 if math.isfinite(detectable) else math.inf
    gap = (typ["ci_low"] - obs["ci_high"]) if typ["ci_low"] > obs["ci_high"] else (
        (obs["ci_low"] - typ["ci_high"]) if obs["ci_low"] > typ["ci_high"] else 0.0)
    return {"verdict": "located" if overlap else "missed", "gap": gap,
            "detectable_difference": detectable, "target": DETECTABLE,
            "replicates_for_target": need, "replicates": p["replicates"],
            "c_at_boundary": c_typ_at_boundary,
            "rule": ("located: the intervals of λ_c^typ and of the observed boundary overlap; detectable difference "
                     "= (z_0.975 + z_0.8) √(se_obs² + se_typ²), se from each interval's half-width")}


def _c_near(points: Sequence[dict], value: float, n: int, G: int) -> float | None:
    """The ``c`` the loop runs at next to the boundary: L2's ρ at the evaluated point nearest it."""
    if not points:
        return None
    best = min(points, key=lambda r: abs(r["lam"] - value))
    if not math.isfinite(best["growth"]):
        return None
    return solve_rho(best["growth"], G, True) / (1.0 - best["lam"])


def _conclude(p: Mapping[str, Any], seed: int, outputs) -> Outcome:
    n, G = p["n"], p["generations"]
    lams = list(p["lams"])
    z = family_z(len(lams))

    c_hat, pred = _l2_prediction(p, outputs)
    pilot_out = outputs.group(("pilot",))
    pilot = pool_rows([o["values"] for o in pilot_out])
    typ = typical_prediction(pilot, p["pilot_real"] / n, G)
    typ["method"] = pilot_out[0]["method"]
    premise = _premise(p, pilot, pool_rows([o["differ"] for o in pilot_out]), pilot_out[0]["gamma_is_tv"],
                       c_hat, z)

    loc = outputs.get(("locate",))
    points = loc["points"]
    obs = locate_boundary([q["lam"] for q in points], [q["values"] for q in points], G)
    half = max(G // 2, 1)
    obs_half = locate_boundary([q["lam"] for q in points], [q["values"] for q in points], half)
    obs["half_horizon"] = {"horizon": half, "value": obs_half["value"], "ci_low": obs_half["ci_low"],
                           "ci_high": obs_half["ci_high"]}
    obs["method"] = loc["method"]
    c_near = _c_near(obs["points"], obs["value"], n, G)
    located = _located(p, typ, obs, c_near)

    rows, collapse, kappas, gamma_method, proxy, surface = _grid_rows(p, outputs, z, c_hat.ci_high)
    c_loop = _pooled_c(kappas)
    verdict, tested, power_rows, why = _safe(p, rows, pred, obs, c_hat.ci_high, z)
    above_l2 = [r["lam"] for r in rows if (r["l2_bound"] or {}).get("violated")]
    if above_l2:
        verdict, why = "fail", (f"γ̂^G exceeds L2's bound with ĉ at λ = {above_l2}: ĉ underestimates the supremum "
                                "τ_n of D2 (or L2 fails), so its λ_c is not L2's")
    elif premise.get("violated"):
        verdict, why = "fail", ("the loop's own swaps cost more than ĉ allows: ĉ underestimates the supremum "
                                "τ_n of D2, so its λ_c is not L2's")

    at_zero = next((r for r in rows if r["n_r"] == 0), None)
    law = at_zero["growth_law"] if at_zero else None
    growth_law = None
    if law:
        growth_law = {"lam": 0.0, "preferred": law["preferred"], "rate": law["rate"], "exponent": law["exponent"],
                      "difference": law["difference"], "rho_l2": c_hat.value, "rho_typical": typ["c_typ"],
                      "note": "at λ = 0 L2's bound is τ_n ρ^i with ρ = n τ_n = ĉ; a power law means the loop "
                              "does not run at any constant ρ"}

    miss = ""
    if located["verdict"] == "missed":
        miss = (f" Missed by {located['gap']:.3f}: c_typ = {typ['c_typ']:.3g} at the pilot λ = {typ['lam_pilot']:.3g}, "
                f"while the loop runs at c = {c_near:.3g} next to the boundary" if c_near is not None else
                f" Missed by {located['gap']:.3f}")
        miss += (f"; at half the horizon (G = {half}) the boundary is {obs_half['value']:.3f}, so the boundary itself "
                 "depends on the horizon." if abs(obs_half["value"] - obs["value"]) > located["gap"] else ".")
    untested = [x["lam"] for x in power_rows if not x["powered"]]
    summary = (f"ĉ = {c_hat.value:.3g} [{c_hat.ci_low:.3g}, {c_hat.ci_high:.3g}] → L2's λ_c = {pred['value']:.3f} "
               f"[{pred['ci_low']:.3f}, {pred['ci_high']:.3f}]; c_typ = {typ['c_typ']:.3g} "
               f"[{typ['c_typ_ci'][0]:.3g}, {typ['c_typ_ci'][1]:.3g}] → typical λ_c = {typ['value']:.3f} "
               f"[{typ['ci_low']:.3f}, {typ['ci_high']:.3f}]; observed boundary {obs['value']:.3f} "
               f"[{obs['ci_low']:.3f}, {obs['ci_high']:.3f}] ({len(points)} points by bisection, "
               f"{obs['where']}) → {located['verdict']}.{miss}"
               + (f" Growth of γ̂ at λ = 0: {growth_law['preferred']} (r = {growth_law['rate']['value']:.3g}, "
                  f"p = {growth_law['exponent']['value']:.3g}; L2's ρ = ĉ = {c_hat.value:.3g})." if growth_law else "")
               + (f" Premise of L2 in the loop: one differing point costs {premise['value']:.3g} "
                  f"[{premise['ci_low']:.3g}, {premise['ci_high']:.3g}]/n against ĉ ≤ {c_hat.ci_high:.3g}/n"
                  + (" — VIOLATED." if premise["violated"] else ".") if "value" in premise else "")
               + f" Safe: tested λ > {pred['ci_high']:.3f}: {tested or 'none'}"
               + (f" (too close to the prediction for {p['replicates']} replicates: {untested})" if untested else "")
               + f" → {verdict} ({why}).")

    fig_surface = {"type": "heatmap", "name": f"{p['name']}-risk-surface",
                   "title": f"{p['model']}: E {p['risk_metric']} over (λ, generation), n={n}",
                   "x": [r["lam"] for r in rows], "y": list(range(G + 1)), "z": np.array(surface).T.tolist(),
                   "x_label": "λ (real proportion)", "y_label": "generation i", "z_label": p["risk_metric"]}
    fig_gamma = {"type": "series", "name": f"{p['name']}-gamma", "x": list(range(G + 1)), "x_label": "generation i",
                 "y_label": r"$\hat\gamma_n^i/\hat\gamma_n^0$",
                 "title": f"{p['model']}: growth of γ̂ (linear line: L2's critical case)",
                 "series": [{"label": f"λ={r['lam']:g}", "y": (np.array(r["gamma_means"]) /
                                                                max(r["gamma_means"][0], 1e-300)).tolist()}
                            for r in rows] + [{"label": "critical (ρ = 1)", "y": list(map(float, range(1, G + 2))),
                                               "style": "bound"}]}
    fig_locate = {"type": "series", "name": f"{p['name']}-boundary", "x_label": "λ (real proportion)",
                  "y_label": r"$e(\lambda) = \log(\hat\gamma_n^G/\hat\gamma_n^0) - \log(G+1)$",
                  "title": f"{p['model']}: the boundary by bisection (e > 0: unstable over G = {G})",
                  "x": [q["lam"] for q in obs["points"]],
                  "series": [{"label": "measured (CI)", "y": [q["excess"] for q in obs["points"]],
                              "lo": [q["excess_ci"][0] for q in obs["points"]],
                              "hi": [q["excess_ci"][1] for q in obs["points"]], "style": "points"},
                             {"label": "L2's critical growth (e = 0)", "y": [0.0] * len(obs["points"]),
                              "style": "bound"}],
                  "markers": [{"x": obs["value"], "label": "observed", "color": "tab:blue"},
                              {"x": typ["value"], "label": "typical", "color": "tab:purple"},
                              {"x": pred["value"], "label": "L2", "color": "tab:red"}]}
    measured = Measurement(obs["value"], _stderr_of_interval(obs["ci_low"], obs["ci_high"], obs["z"]),
                           obs["ci_low"], obs["ci_high"], p["replicates"], obs["z"])
    details = {"summary": summary, "model": p["model"], "params": dict(p["params"]), "n": n, "generations": G,
               "c_hat": {"value": c_hat.value, "stderr": c_hat.stderr, "ci_low": c_hat.ci_low,
                         "ci_high": c_hat.ci_high, "n": c_hat.n},
               "predicted_lambda_c": pred, "typical_lambda_c": typ, "observed_lambda_c": obs,
               "located": located, "safe": {"verdict": verdict, "why": why}, "growth_law": growth_law,
               "premise": premise,
               "c_loop": c_loop, "collapse_speed": collapse, "rows": rows, "tested": tested,
               "risk_boundary": _risk_boundary(rows),
               "power": {"target": POWER, "z": z, "rows": power_rows,
                         "rule": ("replicates needed = ((z + z_power) σ / |e_L2|)², e_L2 = log(Σ_k ρ_hi^k/(G+1)) "
                                  "at ρ_hi = (1 − λ) ĉ_upper: L2's least favourable growth at that λ"),
                         "located": located},
               "gamma_method": gamma_method, "gamma_proxy": proxy,
               "figures": [fig_locate, fig_surface, fig_gamma]}
    return Outcome(measured=measured, predicted=pred["value"], relation="<=", verdict=verdict, details=details)


def _risk_boundary(rows) -> dict:
    unbounded = [r["lam"] for r in rows if not r["risk"]["bounded"]]
    risk_lo = max(unbounded, default=0.0)
    above = [r for r in rows if r["lam"] > risk_lo] if unbounded else rows
    risk_hi = min((r["lam"] for r in above if all(x["risk"]["bounded"] for x in rows if x["lam"] >= r["lam"])),
                  default=1.0)
    return {"unbounded_up_to": risk_lo if unbounded else None, "bounded_from": risk_hi}


def atlas_check(name: str, model: str, params: Mapping[str, str] | None = None, *, n: int,
                lams: Sequence[float], generations: int, replicates: int, tau_replicates: int,
                neighbours: int = 16, block: int = 100, pilot_replicates: int | None = None,
                pilot_real: int = 1, locate_high: float | None = None, locate_steps: int = 8,
                locate_resolution: float = 0.005, gamma_options: Mapping[str, Any] | None = None) -> Check:
    """One atlas entry (see the module docstring) as a check of kind ``phase-transition``.

    ``lams``: the verification grid; ``pilot_real``: kept real points of the pilot (its
    share is ``pilot_real/n``); ``locate_high``: top of the bisection bracket (default the
    largest grid ``λ``); ``locate_steps``/``locate_resolution``: at most that many halvings,
    down to that share of ``n``; ``gamma_options``: for ``estimate_gamma``.
    """
    if not lams or any(not 0.0 <= float(l) < 1.0 for l in lams):
        raise InputError("lams", list(lams), "a non-empty list of proportions in [0, 1)")
    if generations < 2:
        raise InputError("generations", generations, "an integer >= 2 (early and late halves)")
    if not 1 <= int(pilot_real) < n:
        raise InputError("pilot_real", pilot_real, f"an integer in [1, {n - 1}] (kept real points of the pilot)")
    high = max(float(l) for l in lams) if locate_high is None else float(locate_high)
    if not 0.0 < high < 1.0 or high * n < 2:
        raise InputError("locate_high", high, f"a proportion in (2/n, 1) = ({2 / n:.3g}, 1)")
    opts = dict(gamma_options or {})
    unknown = sorted(set(opts) - set(GAMMA_OPTIONS))
    if unknown:
        raise InputError("gamma_options", ", ".join(unknown), ", ".join(GAMMA_OPTIONS))
    from stl.numerics.estimators.recursive import COUPLINGS, MEASURES

    for key, allowed in (("coupling", COUPLINGS), ("measure", MEASURES)):
        if key in opts and opts[key] not in allowed:
            raise InputError(f"gamma_options {key}", opts[key], " | ".join(allowed))
    m = build_model(model, dict(params or {}))
    return Check(
        name=name, kind="phase-transition",
        claim=(f"Atlas, {model} (n={n}): with ĉ = n·τ̂_n (D2) L2 predicts a stable loop for every "
               f"λ > λ_c = 1 − 1/ĉ; at every grid λ above the prediction's upper limit, γ̂_n^{generations}/γ̂_n^0 "
               f"stays below L2's critical line {generations + 1} and the real-data risk "
               f"({m.risk_metric}) does not keep growing, and the boundary located by bisection is not "
               "above the prediction. The typical-case estimate λ_c^typ = 1 − 1/c_typ (an empirical "
               "predictor, not a theorem) is reported beside it, with whether it locates the boundary."),
        claim_latex=(r"\lambda > 1 - 1/\hat c \;\Rightarrow\; \hat\gamma_n^G/\hat\gamma_n^0 < G + 1,"
                     r"\qquad \hat c = n\,\hat\tau_n"),
        parameters={"name": name, "model": model, "params": {k: str(v) for k, v in dict(params or {}).items()},
                    "risk_metric": m.risk_metric, "n": int(n), "lams": sorted(float(l) for l in lams),
                    "generations": int(generations), "replicates": int(replicates),
                    "tau_replicates": int(tau_replicates), "neighbours": int(neighbours), "block": int(block),
                    "pilot_replicates": int(pilot_replicates or replicates), "pilot_real": int(pilot_real),
                    "locate_high": high, "locate_steps": int(locate_steps),
                    "locate_resolution": max(1, int(round(float(locate_resolution) * n))),
                    "gamma_options": opts},
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
    pilot_replicates: int | None = None
    pilot_real: int = 1
    locate_high: float | None = None
    locate_steps: int = 8
    gamma_options: Mapping[str, Any] = field(default_factory=dict)

    def check(self, size: str) -> Check:
        return atlas_check(f"atlas-{self.model}-{size}", self.model, dict(self.params), n=self.n,
                           lams=self.lams, generations=self.generations, replicates=self.replicates,
                           tau_replicates=self.tau_replicates, neighbours=self.neighbours, block=self.block,
                           pilot_replicates=self.pilot_replicates, pilot_real=self.pilot_real,
                           locate_high=self.locate_high, locate_steps=self.locate_steps,
                           gamma_options=dict(self.gamma_options))


#: The sizes of ``stl atlas --size``; each model declares its entry per size on its card
#: (``Model.verification.atlas``).
SIZES: tuple[str, ...] = ("quick", "full")


def _entry(card, size: str) -> Entry:
    """The atlas entry of one model card at ``size``: the sizes the model declares for it;
    for a model that declares none at this size, those it declares for ``full``; for a
    model that declares none at all (a new or third-party model), an entry at the
    default sizes of :class:`Entry` with the model's own ``n``."""
    declared = card.verification.atlas
    sizes = declared.get(size) or declared.get("full")
    if sizes is None:
        return Entry(card.name, {}, n=int(card.model.default_n))
    kwargs = dict(sizes)
    if "lams" in kwargs:
        kwargs["lams"] = tuple(kwargs["lams"])
    return Entry(card.name, **kwargs)


def entries(size: str, models: Sequence[str] | None = None) -> list[Entry]:
    """The atlas entries of ``size``: every model whose card declares an entry for it, in
    registry order; with ``models``, those models (any registered model) in that order.

    >>> [e.model for e in entries("quick")][:3]
    ['categorical', 'gain-bernoulli', 'gaussian']
    """
    from stl.verify.cards import all_cards, card

    if size not in SIZES:
        raise InputError("--size", size, " | ".join(SIZES))
    if models:
        return [_entry(card(m), size) for m in dict.fromkeys(models)]
    return [_entry(c, size) for c in all_cards() if size in c.verification.atlas]


def entry_check(name: str, model: str, size: str = "full") -> Check:
    """The atlas check of ``model`` at a documented ``size``, under the name ``name`` (for suites)."""
    e = entries(size, [model])[0]
    return atlas_check(name, e.model, dict(e.params), n=e.n, lams=e.lams, generations=e.generations,
                       replicates=e.replicates, tau_replicates=e.tau_replicates, neighbours=e.neighbours,
                       block=e.block, pilot_replicates=e.pilot_replicates, pilot_real=e.pilot_real,
                       locate_high=e.locate_high, locate_steps=e.locate_steps, gamma_options=dict(e.gamma_options))


# --------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------

def _pair(ci) -> list | None:
    return None if ci is None else [ci[0], ci[1]]


def table_rows(results) -> list[dict]:
    """One row per architecture from finished atlas checks (``CheckResult`` objects).

    Keys of DESIGN.md: ``lambda_c_predicted`` (L2, sufficient) and ``lambda_c_observed``,
    each with its ``_ci`` pair, and ``lambda_c_typical`` with ``lambda_c_typical_ci``.
    """
    rows = []
    for r in results:
        d = r.details
        cl = d.get("c_loop") or {}
        col = d.get("collapse_speed") or {}
        typ, obs, loc = d["typical_lambda_c"], d["observed_lambda_c"], d["located"]
        law = d.get("growth_law") or {}
        rows.append({
            "architecture": d["model"], "params": dict(d["params"]), "n": d["n"], "generations": d["generations"],
            "c_hat": d["c_hat"]["value"], "c_hat_ci": [d["c_hat"]["ci_low"], d["c_hat"]["ci_high"]],
            "lambda_c_predicted": d["predicted_lambda_c"]["value"],
            "lambda_c_predicted_ci": [d["predicted_lambda_c"]["ci_low"], d["predicted_lambda_c"]["ci_high"]],
            "c_typ": typ["c_typ"], "c_typ_ci": _pair(typ["c_typ_ci"]), "lambda_pilot": typ["lam_pilot"],
            "lambda_c_typical": typ["value"], "lambda_c_typical_ci": [typ["ci_low"], typ["ci_high"]],
            "lambda_c_observed": obs["value"], "lambda_c_observed_ci": [obs["ci_low"], obs["ci_high"]],
            "lambda_c_observed_half_horizon": obs["half_horizon"]["value"],
            "boundary_points": len(obs["points"]), "located": loc["verdict"],
            "located_gap": loc["gap"], "c_at_boundary": loc["c_at_boundary"],
            "detectable_difference": loc["detectable_difference"],
            "step_cost": (d.get("premise") or {}).get("value"),
            "step_cost_ci": ([d["premise"]["ci_low"], d["premise"]["ci_high"]]
                             if (d.get("premise") or {}).get("applies") else None),
            "premise_violated": bool((d.get("premise") or {}).get("violated", False)),
            "growth_law_at_0": law.get("preferred"),
            "growth_rate_at_0": (law.get("rate") or {}).get("value"),
            "growth_exponent_at_0": (law.get("exponent") or {}).get("value"),
            "c_loop": cl.get("value"), "c_loop_ci": [cl.get("ci_low"), cl.get("ci_high")] if cl else None,
            "risk_bounded_from": d["risk_boundary"]["bounded_from"],
            "collapse_speed": col.get("slope"),
            "collapse_speed_ci": [col.get("ci_low"), col.get("ci_high")] if col else None,
            "risk_metric": col.get("metric"), "gamma_proxy": d.get("gamma_proxy", False),
            "safe": d["safe"]["verdict"], "verdict": r.verdict, "runtime_s": r.runtime_s,
        })
    return rows


def _f(x, digits=3) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "—"
    return f"{x:.{digits}g}" if abs(x) >= 1e-3 or x == 0 else f"{x:.2e}"


#: Joins a value to its interval (no-break space): a table cell never wraps inside one.
NBSP = "\u00a0"


def _ci(value, ci, fmt=lambda v: f"{v:.3f}") -> str:
    """``0.249 [0.196,0.295]`` with no breakable space, so a cell keeps it on one line."""
    if value is None:
        return "—"
    if ci is None or ci[0] is None:
        return fmt(value)
    return f"{fmt(value)}{NBSP}[{fmt(ci[0])},{NBSP}{fmt(ci[1])}]"


def render_table(rows: Sequence[Mapping], size: str, seed: int) -> str:
    """The atlas as Markdown: the boundary table and the diagnostics table."""
    lines = [f"# Architecture atlas — size `{size}`, seed {seed}", "",
             "| architecture | n | ĉ = n·τ̂_n | L2 λ_c | c_typ | typical λ_c | observed λ_c | located | safe |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        proxy = " (proxy γ)" if r["gamma_proxy"] else ""
        lines.append(f"| {r['architecture']}{proxy} | {r['n']} | {_ci(r['c_hat'], r['c_hat_ci'], _f)} | "
                     f"{_ci(r['lambda_c_predicted'], r['lambda_c_predicted_ci'])} | "
                     f"{_ci(r['c_typ'], r['c_typ_ci'], _f)} | "
                     f"{_ci(r['lambda_c_typical'], r['lambda_c_typical_ci'])} | "
                     f"{_ci(r['lambda_c_observed'], r['lambda_c_observed_ci'])} | {r['located']} | {r['safe']} |")
    lines += ["", "| architecture | G | observed at G/2 | c next to the boundary | one swap in the loop | "
                  "growth of γ̂ at λ=0 | collapse speed at λ=0 |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        law = r["growth_law_at_0"]
        law_text = ("—" if law is None else
                    f"{law}: r{NBSP}={NBSP}{_f(r['growth_rate_at_0'])}, p{NBSP}={NBSP}{_f(r['growth_exponent_at_0'])}")
        cs = ("—" if r["collapse_speed"] is None else
              _ci(r["collapse_speed"], r["collapse_speed_ci"], _f) + f" {r['risk_metric']}/gen")
        swap = _ci(r.get("step_cost"), r.get("step_cost_ci"), _f) + (" VIOLATED" if r.get("premise_violated") else "")
        lines.append(f"| {r['architecture']} | {r['generations']} | {r['lambda_c_observed_half_horizon']:.3f} | "
                     f"{_f(r['c_at_boundary'])} | {swap} | {law_text} | {cs} |")
    lines += ["", "L2 λ_c = 1 − 1/ĉ (L2, sufficient); typical λ_c = 1 − 1/c_typ, c_typ the constant "
              "that reproduces the loop's own growth of γ̂ over G generations at one kept real point (an "
              "empirical predictor, not a theorem); observed: where γ̂^G/γ̂^0 crosses L2's critical line G + 1, "
              "located by bisection (interval: where its confidence limits cross). located: the typical and "
              "observed intervals overlap; safe: L2's verdict (every grid λ above its prediction stable, the "
              "boundary not above it, L2's bound not exceeded). One swap in the loop: n E γ̂^1 / E(1 + n_s d^1) at the "
              "pilot, what one differing training point costs (L2: at most ĉ). Growth law: r of r^i against p of "
              "(i+1)^p (L2: r = ĉ).", ""]
    return "\n".join(lines)


def draw_lambda_figure(rows: Sequence[Mapping], path) -> None:
    """Both predictions against the observed λ_c, one point per architecture (:mod:`stl.verify.figures`)."""
    from stl.verify.figures import draw_atlas

    draw_atlas(rows, path)
