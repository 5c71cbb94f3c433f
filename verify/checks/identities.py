"""The theory's closed forms against their own definitions, at random numeric points.

Each result of :mod:`stl.theory` is built twice, by independent routes, and the two must
agree to floating-point accuracy wherever they are evaluated (no sampling, so a deviation
beyond rounding fails):

* L1: the ``rsolve`` closed form ``shift_closed_form`` against the raw sum ``shift_sum``;
* L2: the closed form ``gamma_in_rho`` (with and without kept real data) against the raw
  sum ``gamma_sum``, and the public bound against it after ``ρ = (1 − λ) n τ_n``;
* T1: the bound against the sum of its proof pieces' bounds (``proof_piece_bounds``) with
  L1's raw sum for the parent's distance, and ``|E gen_0| ≤ β_n`` at ``i = 0``;
* T1 with L2's ``γ``: against T1 evaluated at L2's raw sum for ``γ_n^{i−1}``;
* T3: the closed-form optimum ``n_s*`` against a direct numeric minimization of the theory's
  own objective ``B(n_s)``.

So a wrong exponent, a dropped factor or an off-by-one generation in any closed form is
caught without a single simulation. The points are drawn from a seeded generator.
"""

from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from stl.verify.checks.check import Check, Outcome
from stl.verify.checks.measurement import Measurement
from stl.verify.checks.task import Task

#: Relative agreement two routes of the same closed form must reach.
TOLERANCE = 1e-8


def _sum_value(expr, values: Mapping) -> float:
    import sympy as sp

    return float(sp.N(expr.subs(values).doit()))


def _built(make):
    """``make()``, or a function that re-raises what ``make()`` raised when it is called."""
    try:
        return make()
    except Exception as exc:  # noqa: BLE001 - re-raised where the identity is evaluated
        error = exc  # `exc` is unbound after the except block; keep the error itself

        def unavailable(*args, **kwargs):
            raise error

        return unavailable


def identity_points(points: int, seed: int) -> dict[str, Any]:
    """Evaluate every identity at ``points`` random points; return the worst relative gaps."""
    import sympy as sp

    from stl.theory import symbols as S
    from stl.theory.results import optimal_size as T3
    from stl.theory.results.recursive_stability import RHO, gamma_in_rho, gamma_sum, recursive_stability_bound
    from stl.theory.results.shift import shift_closed_form, shift_sum
    from stl.theory.results.theorem1 import proof_piece_bounds, theorem1_bound

    rng = np.random.default_rng(seed)
    l1 = sp.lambdify((S.d_tv, S.lam, S.i), shift_closed_form(), "numpy")
    l2_closed = {keep: sp.lambdify((S.rho, S.tau_n, S.i), gamma_in_rho(keep), "numpy") for keep in (True, False)}
    # The public bounds are built from the theory as it is; if building one fails (a
    # result that lost a symbol), the identities that use it fail with that reason.
    l2_public = _built(lambda: recursive_stability_bound().lambdify())
    t1 = theorem1_bound().lambdify()
    t1_rec = _built(lambda: theorem1_bound(recursive=True).lambdify())
    pieces = proof_piece_bounds()
    t3 = T3.optimal_synthetic_size_public()
    objective = T3.optimal_size_bound().lambdify()
    gaps: dict[str, float] = {}
    errors: dict[str, str] = {}

    def record(name, a, b):
        gap = abs(a - b) / max(abs(a), abs(b), 1e-300)
        gaps[name] = max(gaps.get(name, 0.0), gap)

    def attempt(name, sides):
        """``record(name, *sides())``; a side that cannot be evaluated (a result that lost
        a symbol, a sum that does not converge) fails the identity, it does not crash the
        check: a formula whose structure changed is exactly what this check is for."""
        try:
            a, b = sides()
        except Exception as exc:  # noqa: BLE001 - reported as the identity's failure
            gaps[name] = math.inf
            errors.setdefault(name, f"{type(exc).__name__}: {exc}"[:200])
            return
        record(name, float(a), float(b))

    for _ in range(points):
        lam = float(rng.uniform(0.05, 0.95))
        i = int(rng.integers(1, 12))
        d = float(rng.uniform(0.01, 0.5))
        n = int(rng.integers(10, 500))
        tau = float(rng.uniform(0.05, 1.5)) / n
        beta = float(rng.uniform(0.1, 5.0)) / n
        M = float(rng.uniform(0.5, 3.0))
        gamma = float(rng.uniform(0.0, 0.5))
        rho = float(rng.uniform(0.1, 2.5))
        sym = {S.d_tv: d, S.lam: lam}
        record("L1: closed form = raw sum", float(l1(d, lam, i)), _sum_value(shift_sum(), {**sym, S.i: i}))
        for keep in (True, False):
            raw = _sum_value(gamma_sum(keep), {S.rho: rho, S.tau_n: tau, S.i: i})
            record(f"L2{'' if keep else ' (no kept real data)'}: closed form = raw sum",
                   float(l2_closed[keep](rho, tau, i)), raw)
        rho_pub = float(RHO.subs({S.lam: lam, S.n: n, S.tau_n: tau}))
        attempt("L2: public bound = raw sum at ρ = (1 − λ) n τ_n",
                lambda: (l2_public(tau_n=tau, n=n, lam=lam, i=i),
                         _sum_value(gamma_sum(True), {S.rho: (1 - lam) * n * tau, S.tau_n: tau, S.i: i})))
        shift_prev = _sum_value(shift_sum(), {**sym, S.i: i - 1})
        a = float(pieces["a"].subs({S.beta_n: beta, S.gamma: gamma, S.lam: lam, S.n: n}))
        b = float(pieces["b"].subs(S.a_seq(S.i - 1), shift_prev).subs({S.M: M, S.lam: lam}))
        c = float(pieces["c"].subs({S.beta_n: beta, S.lam: lam}))
        record("T1 = (a) + (b) + (c) with L1's raw sum", float(t1(beta_n=beta, gamma=gamma, lam=lam, n=n, M=M,
                                                                    d_tv=d, i=i)), a + b + c)
        record("T1 at i = 0 is β_n", float(t1(beta_n=beta, gamma=gamma, lam=lam, n=n, M=M, d_tv=d, i=0)), beta)
        gamma_prev = _sum_value(gamma_sum(True), {S.rho: rho_pub, S.tau_n: tau, S.i: i - 1})
        if gamma_prev <= 1.0:  # γ is a probability: L2 past 1 is vacuous (the Corollary's cap)
            attempt("T1 with L2's γ = T1 at L2's raw sum",
                    lambda: (t1_rec(beta_n=beta, tau_n=tau, lam=lam, n=n, M=M, d_tv=d, i=i),
                             t1(beta_n=beta, gamma=gamma_prev, lam=lam, n=n, M=M, d_tv=d, i=i)))
        # T3 in its closed-form regime, where A > 2C gives an interior optimum
        n_r = int(rng.integers(20, 400))
        c0, dl, aa = float(rng.uniform(0.8, 3.0)), float(rng.uniform(0.01, 0.2)), float(rng.uniform(0.05, 0.3))
        vals = {S.n_r: n_r, S.c_0: c0, S.M: M, S.delta: dl, S.a: aa}
        star = float(t3.subs(vals))
        if star > 0:
            from scipy.optimize import minimize_scalar

            f = lambda ns: float(objective(n_r=n_r, n_s=ns, c_0=c0, M=M, delta=dl, a=aa))  # noqa: E731
            res = minimize_scalar(f, bounds=(0.0, 50.0 * star + 10 * n_r), method="bounded",
                                  options={"xatol": 1e-10 * max(star, 1.0)})
            # the objective is flat at its minimum: compare the optimum's location to ~√tol
            gaps.setdefault("T3: closed-form n_s* = numeric minimizer of B", 0.0)
            gap = abs(res.x - star) / max(star, 1.0)
            gaps["T3: closed-form n_s* = numeric minimizer of B"] = max(
                gaps["T3: closed-form n_s* = numeric minimizer of B"], gap)
    return {"gaps": gaps, "errors": errors, "points": points}


#: Identities whose second route is a numeric minimizer: agreement to about ``√ε``, not ``ε``.
OPTIMIZER_TOLERANCE = 1e-4


def _plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    return [Task(identity_points, {"points": p["points"], "seed": seed}, ("identities",))]


def _conclude(p: Mapping[str, Any], seed: int, outputs) -> Outcome:
    out = outputs.get(("identities",))
    gaps, errors = out["gaps"], out.get("errors", {})
    rows = []
    for name, gap in gaps.items():
        tol = OPTIMIZER_TOLERANCE if name.startswith("T3") else TOLERANCE
        row = {"identity": name, "worst_relative_gap": gap, "tolerance": tol,
               "verdict": "pass" if gap <= tol else "fail"}
        if name in errors:
            row["error"] = errors[name]
        rows.append(row)
    worst = max(rows, key=lambda r: (r["verdict"] == "fail", r["worst_relative_gap"] / r["tolerance"]))
    verdict = "fail" if any(r["verdict"] == "fail" for r in rows) else "pass"
    text = (f"decided by {worst['identity']}: worst relative gap {worst['worst_relative_gap']:.3g} "
            f"(tolerance {worst['tolerance']:g}) → {worst['verdict']}"
            + (f" (could not be evaluated: {worst['error']})" if "error" in worst else ""))
    summary = (f"{len(rows)} identities at {p['points']} random points each: "
               + "; ".join(f"{r['identity']} ({r['worst_relative_gap']:.1e}, {r['verdict']})" for r in rows)
               + ". " + text)
    return Outcome(Measurement.exact(worst["worst_relative_gap"]), worst["tolerance"], "<=", verdict,
                   {"summary": summary, "identities": rows, "decided_by": text})


def theory_identities_check(name: str = "theory-identities", points: int = 12) -> Check:
    """Every closed form of stl.theory equals its own definition at random points."""
    return Check(
        name=name, kind="closed-form",
        claim=("The closed forms of stl.theory agree with their definitions at random points: L1's and L2's "
               "solved recurrences with their raw sums, T1 with the sum of its three proof pieces' bounds, T1 "
               "with L2 substituted with T1 at L2's raw sum, and T3's closed-form optimum with a numeric "
               f"minimizer of its objective (relative gaps below {TOLERANCE:g}, {OPTIMIZER_TOLERANCE:g} for the "
               "minimizer)."),
        claim_latex=r"\text{closed form} = \text{definition}\ \text{at random }(n,\lambda,i,\beta_n,\tau_n,\ldots)",
        parameters={"name": name, "points": int(points)},
        plan=_plan, conclude=_conclude)
