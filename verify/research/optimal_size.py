"""T3: the optimal number of synthetic samples for ``n_r`` real ones, by four methods.

THEORY.md T3 minimizes the rate-form bound T1' over ``n_s`` (``n = n_r + n_s``,
``λ = n_r/n``). The methods answer slightly different questions, which is why they are
shown side by side:

``sympy``
    the closed form ``n_s* = n_r (A/C − 2)`` (``A > 2C``; else ``0``) from
    :mod:`stl.theory.results.optimal_size`. It holds when the stability terms are negligible
    (``b = 0``) and ``i → ∞``; otherwise this method says why it does not apply.
``scipy``
    a bounded scalar search, then the best integer neighbour, on the general bound
    (T1' at generation ``i`` with L2's ``γ_n^{i−1}`` and the rates ``β_n = b/n``,
    ``τ_n = c/n``, ``d_TV = a n^{-1/2}``) — always applicable.
``cvxpy``
    the geometric program ``min (A − C) t^{-1/2} + (C/n_r) t^{1/2}`` s.t. ``n_r/t ≤ 1``
    (``gp=True``); a posynomial only when ``A > C`` and in the closed-form regime.
``simulate``
    runs the loop of a model for a grid of ``n_s`` and picks the ``n_s`` with the lowest
    measured real-distribution risk, with its confidence interval and the set of grid
    points that cannot be told apart from it.

In the closed-form regime the first three agree (up to rounding ``n_s`` to an integer);
simulation measures the real risk of an actual learner, which may prefer fewer
synthetic samples than the bound (no concentration benefit from its own samples) or more
(its real drift is smaller than the worst-case shift the bound charges).
:func:`disagreements` says which, and whether the difference is within Monte Carlo error.

>>> p = Problem(n_r=100, c_0=1.0, M=1.0, delta=0.05, a=0.25)
>>> r = solve(p, methods=("sympy", "scipy", "cvxpy"))
>>> r["sympy"]["n_s"], r["scipy"]["n_s"], r["cvxpy"]["n_s"]
(492, 492, 492)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from stl.verify.errors import InputError

METHODS: tuple[str, ...] = ("sympy", "scipy", "cvxpy", "simulate")

#: The ``--subs`` names this command understands (DESIGN.md symbol names).
SUBS_NAMES: tuple[str, ...] = ("M", "c_0", "delta", "a", "b", "c", "i")

#: Largest ``--n-real``: sizes beyond this overflow the float search (and no loop runs them).
MAX_N_REAL: int = 10**9

@dataclass(frozen=True)
class Problem:
    """T3's inputs: ``n_r`` and the constants of T1' (``i = inf`` means ``i → ∞``)."""

    n_r: int
    c_0: float = 1.0
    M: float = 1.0
    delta: float = 0.05
    a: float = 0.25
    b: float = 0.0
    c: float = 0.0
    i: float = math.inf
    n_s_max: int | None = None

    def __post_init__(self):
        if not isinstance(self.n_r, (int, np.integer)) or not 1 <= self.n_r <= MAX_N_REAL:
            raise InputError("--n-real", self.n_r, f"an integer in [1, {MAX_N_REAL}]")
        for name in ("c_0", "M", "a"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise InputError(f"--subs {name}", v, "a finite number > 0")
        for name in ("b", "c"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                raise InputError(f"--subs {name}", v, "a finite number >= 0")
        if not 0 < self.delta < 1:
            raise InputError("--subs delta", self.delta, "a number in (0, 1)")
        if not (self.i == math.inf or (self.i >= 1 and float(self.i).is_integer())):
            raise InputError("--subs i", self.i, "an integer >= 1 or oo")

    @property
    def A(self) -> float:
        """T3's ``A`` (``stl.theory.results.optimal_size.A_VALUE``) at these numbers."""
        from stl.verify import bridge

        return bridge.t3_constants(self.c_0, self.M, self.delta, self.a)[0]

    @property
    def C(self) -> float:
        """T3's ``C`` (``stl.theory.results.optimal_size.C_VALUE``) at these numbers."""
        from stl.verify import bridge

        return bridge.t3_constants(self.c_0, self.M, self.delta, self.a)[1]

    @property
    def closed_form_regime(self) -> bool:
        """Stability terms negligible and infinitely many generations."""
        return self.b == 0 and self.i == math.inf

    @property
    def search_max(self) -> int:
        if self.n_s_max is not None:
            return int(self.n_s_max)
        return int(max(50 * self.n_r, 4 * self.closed_form_optimum, 100))

    @property
    def closed_form_optimum(self) -> float:
        """T3's closed-form ``n_s*`` at these numbers (theory's, through the bridge)."""
        from stl.verify import bridge

        return bridge.t3_optimum(self.A, self.C, self.n_r)


def problem_from_subs(n_r: int, subs: Mapping[str, str], model: str | None = None,
                      model_params: Mapping[str, str] | None = None) -> Problem:
    """Build a :class:`Problem` from ``--subs`` texts (parsed safely) and an optional model.

    With ``model``, ``M`` and the rate coefficients ``a``, ``b``, ``c`` default to the
    model's analytic constants where theory knows them (``--subs`` still wins).
    """
    values: dict[str, float] = {}
    if model is not None:
        from stl.verify.cards import rate_coefficients

        values.update(rate_coefficients(model, model_params or {}))
    for key, text in subs.items():
        if key not in SUBS_NAMES:
            raise InputError("--subs", key, "one of " + ", ".join(SUBS_NAMES))
        values[key] = _number(key, text)
    return Problem(n_r=n_r, **values)


def _number(key: str, text: str) -> float:
    import sympy as sp

    from stl.theory.parsing import parse_expression

    try:
        expr = parse_expression(text)
    except ValueError as exc:  # theory's InputError names "expression": name the option instead
        allowed = getattr(exc, "allowed", None) or str(exc)
        raise InputError(f"--subs {key}", text, allowed) from None
    if expr in (sp.oo, sp.zoo) or expr == sp.oo:
        return math.inf
    if expr.free_symbols:
        raise InputError(f"--subs {key}", text, "a number (no symbols)")
    # the parser refuses complex and undefined values already; this guards the float
    # conversion itself (sqrt(-1) used to end in a complex-to-float traceback)
    if expr.has(sp.zoo, sp.nan) or expr.is_extended_real is False:
        raise InputError(f"--subs {key}", text, "a real number (not complex or undefined)")
    try:
        value = complex(sp.N(expr, 17))
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"--subs {key}", text, "a real number of moderate size") from None
    if value.imag != 0 or math.isnan(value.real):
        raise InputError(f"--subs {key}", text, "a real number (not complex or undefined)")
    return value.real


# --------------------------------------------------------------------------------------
# objective
# --------------------------------------------------------------------------------------

def objective(problem: Problem):
    """``B(n_s)`` as a vectorized numpy function, assembled from theory's formulas (through
    :mod:`stl.verify.bridge`): T3's objective in the closed-form regime, else T1' at generation
    ``i`` with L2's ``γ_n^{i−1}`` and the Corollary's rate forms, each TV capped at 1."""
    from stl.verify import bridge

    p = problem
    if p.closed_form_regime:
        f = bridge.t3_objective()

        def value(ns):
            ns = np.asarray(ns, dtype=float)
            return f(**_fill(f.symbols, p, ns))
        return value
    rate = bridge.t1_rate_function()
    l2 = bridge.l2_function()
    forms = bridge.rate_forms()
    i_value = float(p.i if p.i != math.inf else 10**6)

    def value(ns):
        ns = np.asarray(ns, dtype=float)
        t = p.n_r + ns
        lam = bridge.real_share(p.n_r, t)
        tau = np.minimum(forms["tau_n"](c=p.c, n=t), 1.0)
        gamma = np.asarray(l2(n=np.round(t), lam=lam, i=i_value - 1, tau_n=tau), dtype=float)
        return rate(n=np.round(t), lam=lam, i=i_value, M=p.M, beta_n=forms["beta_n"](b=p.b, n=t),
                    gamma=np.minimum(gamma, 1.0), d_tv=np.minimum(forms["d_tv"](a=p.a, n=t), 1.0),
                    c_0=p.c_0, delta=p.delta)
    return value


def _fill(symbols: Sequence[str], p: Problem, ns: np.ndarray) -> dict[str, Any]:
    known = {"c_0": p.c_0, "M": p.M, "delta": p.delta, "a": p.a, "b": p.b, "c": p.c,
             "n_r": float(p.n_r), "n_s": ns, "i": float(p.i) if p.i != math.inf else 10.0**6}
    return {s: known[s] for s in symbols}


def _upper_limit(p: Problem) -> int:
    """Largest ``n_s`` searched; with ``i → ∞`` and ``c > 1`` stop before the real share reaches
    L2's ``λ_c`` (``ρ = 1``, where the bound of infinitely many generations diverges)."""
    hi = p.search_max
    if p.i == math.inf and p.c > 1 and p.b > 0:
        from stl.verify import bridge

        hi = min(hi, int(math.floor(bridge.size_at_critical_proportion(p.n_r, p.c) * 0.999)))
    return max(hi, 0)


# --------------------------------------------------------------------------------------
# methods
# --------------------------------------------------------------------------------------

def by_sympy(p: Problem) -> dict[str, Any]:
    if not p.closed_form_regime:
        return {"reason": ("the closed form needs negligible stability terms (b = 0) and i → ∞; "
                           f"here b = {p.b:g}, i = {p.i:g}")}
    import sympy as sp

    from stl.theory.results import optimal_size as T3
    from stl.theory.symbols import PUBLIC

    # exact rationals of the given floats (nsimplify rounds 1e-300 to 0, and log(1/0) is zoo)
    expr = T3.optimal_synthetic_size_public().subs({
        PUBLIC["n_r"]: p.n_r, PUBLIC["c_0"]: sp.Rational(p.c_0), PUBLIC["M"]: sp.Rational(p.M),
        PUBLIC["delta"]: sp.Rational(p.delta), PUBLIC["a"]: sp.Rational(p.a)})
    exact = float(sp.N(expr, 30))
    ns = _best_integer(objective(p), exact, _upper_limit(p))
    regime = "A > 2C" if p.A > 2 * p.C else "A <= 2C (boundary optimum n_s = 0)"
    return {"n_s": ns, "n_s_continuous": exact, "ratio": exact / p.n_r,
            "bound": float(objective(p)(ns)), "regime": regime, "A": p.A, "C": p.C,
            "formula": "n_s* = n_r (A/C - 2) if A > 2C else 0"}


def by_scipy(p: Problem) -> dict[str, Any]:
    from scipy.optimize import minimize_scalar

    f = objective(p)
    hi = _upper_limit(p)
    if hi <= 0:
        return {"n_s": 0, "bound": float(f(0.0)), "note": "no admissible n_s > 0"}
    # coarse log-spaced scan to bracket the global minimum, then a bounded search
    grid = np.unique(np.concatenate([[0.0], np.geomspace(1.0, hi, 200)]))
    vals = np.asarray(f(grid), dtype=float)
    k = int(np.nanargmin(vals))
    lo_b, hi_b = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
    res = minimize_scalar(lambda x: float(f(x)), bounds=(lo_b, hi_b), method="bounded",
                          options={"xatol": 1e-6})
    cont = float(res.x) if res.success else float(grid[k])
    ns = _best_integer(f, cont, hi)
    extra = {}
    if ns >= hi:
        extra["note"] = (f"the bound still decreases at the search limit n_s = {hi}: no interior "
                         "minimum (with finite i and λ → 0 the shift term behaves like i·M·a/√n)")
    return {"n_s": ns, "n_s_continuous": cont, "bound": float(f(ns)), "search_max": hi, **extra,
            "objective": "T1' at generation i with L2's γ and the rates b/n, c/n, a/√n"
            if not p.closed_form_regime else "T3 objective (i → ∞, no stability terms)"}


def by_cvxpy(p: Problem) -> dict[str, Any]:
    if not p.closed_form_regime:
        return {"reason": ("the geometric program is T3's i → ∞ objective without stability terms; "
                           f"here b = {p.b:g}, i = {p.i:g}")}
    if not p.A > p.C:
        return {"reason": f"not a posynomial: needs A > C, here A = {p.A:.4g}, C = {p.C:.4g}"}
    try:
        import cvxpy as cp
    except ImportError:
        return {"reason": "cvxpy is not installed (pip install 'stl-toolkit[optimize]')"}
    from stl.verify import bridge

    scale = float(p.n_r)  # solve in u = t / n_r for conditioning
    u = cp.Variable(pos=True)
    monomials = [coefficient * u ** exponent for coefficient, exponent in bridge.geometric_program_terms(p.A, p.C, scale)]
    obj = monomials[0]
    for term in monomials[1:]:  # a posynomial: no constant 0 to start a sum from (not log-log convex)
        obj = obj + term
    prob = cp.Problem(cp.Minimize(obj), [u ** -1 <= 1])
    try:
        prob.solve(gp=True)
    except cp.error.SolverError as exc:
        return {"reason": f"solver failed: {exc}"}
    if prob.status not in ("optimal", "optimal_inaccurate"):
        return {"reason": f"solver status {prob.status}"}
    t = float(u.value) * scale
    cont = max(t - p.n_r, 0.0)
    ns = _best_integer(objective(p), cont, _upper_limit(p))
    return {"n_s": ns, "n_s_continuous": cont, "t": t, "bound": float(objective(p)(ns)),
            "status": prob.status}


def _best_integer(f, x: float, hi: int) -> int:
    """The better of ``floor(x)`` and ``ceil(x)`` (clipped to ``[0, hi]``) for ``f``."""
    cands = sorted({int(min(max(math.floor(x), 0), max(hi, 0))), int(min(max(math.ceil(x), 0), max(hi, 0)))})
    vals = [float(f(float(c))) for c in cands]
    return cands[int(np.argmin(vals))]


def simulate_grid(p: Problem, points: int = 7) -> list[int]:
    """A grid of ``n_s`` values around the bound's optimum and 0 (for simulation)."""
    target = max(p.closed_form_optimum, p.n_r)
    grid = np.unique(np.round(np.concatenate([[0.0], np.geomspace(max(p.n_r / 8, 1), 4 * target, points - 1)])))
    return [int(v) for v in grid]


def _simulate_cell(model: str, params: Mapping[str, str], n_r: int, n_s: int, generations: int,
                   seed: int, first: int, count: int, metric: str) -> dict[str, np.ndarray]:
    from stl.verify.checks.loops import loop_block

    n = n_r + n_s
    return loop_block(model, dict(params), "mix", n, n_r / n, generations, seed, first, count,
                      (metric, "gen_gap"))


def simulate_tasks(model: str, params: Mapping[str, str], n_r: int, grid: Sequence[int],
                   generations: int, replicates: int, seed: int, block: int):
    from stl.verify.checks.blocks import replicate_blocks
    from stl.verify.checks.task import Task

    from stl.numerics.models.registry import model_class

    metric = model_class(model).risk_metric  # the model declares which metric is its risk
    return [Task(_simulate_cell, dict(model=model, params=dict(params), n_r=n_r, n_s=int(ns),
                                      generations=generations, seed=seed, first=f, count=c,
                                      metric=metric), f"n_s={ns}")
            for ns in grid for f, c in replicate_blocks(replicates, block)]


def simulate_summary(model: str, grid: Sequence[int], outputs: Sequence[Mapping[str, np.ndarray]],
                     blocks: int, z: float = 1.959963984540054) -> dict[str, Any]:
    """Pick the ``n_s`` with the lowest measured risk at the last generation, with its CI."""
    from stl.verify.checks.blocks import pool_rows
    from stl.verify.checks.measurement import Measurement

    from stl.numerics.models.registry import model_class

    metric = model_class(model).risk_metric
    rows = []
    for k, ns in enumerate(grid):
        part = outputs[k * blocks:(k + 1) * blocks]
        risk = pool_rows([o[metric] for o in part])[:, -1]
        gap = pool_rows([o["gen_gap"] for o in part])[:, -1]
        m = Measurement.from_samples(risk, z)
        g = Measurement.from_samples(gap, z)
        rows.append({"n_s": int(ns), "risk": m.value, "risk_ci": [m.ci_low, m.ci_high],
                     "gen_gap": g.value, "gen_gap_ci": [g.ci_low, g.ci_high]})
    best = min(rows, key=lambda r: r["risk"])
    tied = [r["n_s"] for r in rows if r["risk_ci"][0] <= best["risk_ci"][1]]
    return {"n_s": best["n_s"], "metric": metric, "risk": best["risk"], "risk_ci": best["risk_ci"],
            "indistinguishable": tied, "grid": rows,
            "gen_gap_best_n_s": min(rows, key=lambda r: abs(r["gen_gap"]))["n_s"]}


def by_simulate(p: Problem, model: str | None, params: Mapping[str, str] | None = None,
                generations: int = 10, replicates: int = 200, seed: int = 0,
                grid: Sequence[int] | None = None, backend=None) -> dict[str, Any]:
    if model is None:
        return {"reason": "simulation needs a model (--model NAME; stl simulate --list-models lists them)"}
    from stl.verify.checks.blocks import replicate_blocks
    from stl.verify.checks.task import execute

    grid = list(grid) if grid is not None else simulate_grid(p)
    block = max(replicates // 2, 1)
    tasks = simulate_tasks(model, params or {}, p.n_r, grid, generations, replicates, seed, block)
    outputs: list = [None] * len(tasks)
    if backend is None:
        for k, t in enumerate(tasks):
            outputs[k] = execute(t)[0]
    else:
        for k, (out, _) in backend.imap_unordered(tasks):
            outputs[k] = out
    summary = simulate_summary(model, grid, outputs, len(replicate_blocks(replicates, block)))
    summary.update({"model": model, "generations": generations, "replicates": replicates})
    return summary


def solve(p: Problem, methods: Sequence[str] = METHODS, model: str | None = None,
          model_params: Mapping[str, str] | None = None, **simulate_options) -> dict[str, dict]:
    """Run ``methods`` on ``p``; each gives ``{"n_s": ...}`` or ``{"reason": ...}``."""
    out: dict[str, dict] = {}
    for m in methods:
        if m == "sympy":
            out[m] = by_sympy(p)
        elif m == "scipy":
            out[m] = by_scipy(p)
        elif m == "cvxpy":
            out[m] = by_cvxpy(p)
        elif m == "simulate":
            out[m] = by_simulate(p, model, model_params, **simulate_options)
        else:
            raise InputError("--method", m, "all, " + ", ".join(METHODS))
    return out


def disagreements(p: Problem, results: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Sentences on where the methods disagree and why."""
    notes = []
    got = {m: r["n_s"] for m, r in results.items() if "n_s" in r}
    bound_methods = {m: v for m, v in got.items() if m != "simulate"}
    if len(set(bound_methods.values())) > 1:
        spread = max(bound_methods.values()) - min(bound_methods.values())
        notes.append(f"bound minimizers differ by {spread} samples ({bound_methods}): "
                     "rounding of the continuous optimum and solver tolerances")
    elif len(bound_methods) > 1:
        notes.append(f"the bound-based methods agree on n_s = {next(iter(bound_methods.values()))}")
    if not p.closed_form_regime and "scipy" in got:
        notes.append("outside the closed-form regime only scipy minimizes the bound that applies "
                     "(finite i and/or stability terms); sympy and cvxpy solve the i → ∞, "
                     "stability-free objective")
    if "simulate" in got and "scipy" in got and got["simulate"] != got["scipy"]:
        s = results["simulate"]
        head = (f"simulation picks n_s = {got['simulate']} (lowest measured {s['metric']}; "
                f"indistinguishable: {s['indistinguishable']}) against the bound's {got['scipy']}: ")
        if got["scipy"] in s["indistinguishable"]:
            why = ("the bound's optimum is among the grid points the simulation cannot tell apart "
                   "from its pick, so the two do not disagree within Monte Carlo error")
        elif got["simulate"] < got["scipy"]:
            why = ("the bound rewards a larger training set through its concentration term, but "
                   "synthetic samples drawn from the model's own fit carry no new information about "
                   "D_0, so the real risk of the learner does not improve the way the bound's does; "
                   "the bound's optimum is an optimum of an upper bound, not of the risk")
        else:
            why = ("the learner tolerates more synthetic data than the bound allows: the bound charges "
                   "every synthetic sample the worst-case shift M·d_TV(n), while this learner's "
                   "actual drift is far smaller; the bound's optimum is an optimum of an upper "
                   "bound, not of the risk")
        notes.append(head + why)
    return notes
