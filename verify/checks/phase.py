"""L2 and its phase transition, measured with the toolkit's own ``estimate_gamma``.

Two models have an L2 that holds *with equality* (THEORY.md L2: "nearly attained"):

* the categorical MLE (``τ_n = 1/n``): a distinct neighbour changes one symbol into
  another, and under the recursive maximal coupling the differing synthetic draws always
  come from those two symbols, so ``γ_n^i`` is exactly L2's value
  (:meth:`stl.numerics.exact.CategoricalLoopExact.gamma` derives it); its ``ρ = 1 − λ < 1``
  never crosses the transition;
* the gain-c Bernoulli learner (``stl.numerics.models.gain_bernoulli``, ``τ_n = c/n``),
  whose gain puts ``λ_c = 1 − 1/c`` inside ``(0, 1)``: L2 is an equality until a chain
  reaches the clip, on both sides of ``λ_c``.

:func:`l2_attained_check` holds ``γ̂_n^i`` from :func:`stl.numerics.estimators.estimate_gamma`
(distinct neighbours) against theory's L2 bound (``recursive_stability_bound``) evaluated
with theory's ``τ_n`` for the model, at every generation: two-sided where no chain has
touched the clip (measured in the same run), one-sided after. :func:`phase_transition_check`
holds the growth ``γ̂_n^G/τ_n`` over a ``(λ, c)`` grid against the regime theory predicts
from ``ρ = (1 − λ) n τ_n`` and ``λ_c``: bounded by L2's limit ``1/(1 − ρ)`` when ``ρ < 1``,
faster than linear (above ``G + 1``) when ``ρ > 1``, and — on the line ``ρ = 1`` itself,
where neither side's claim can be decided at any size — linear, ``γ̂^G/τ_n = G + 1``
(L2's value there, attained by this learner), two-sided.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from stl.verify.checks.blocks import pool_rows, replicate_blocks
from stl.verify.checks.check import Check, Outcome
from stl.verify.checks.compare import deciding, describe, equality_rows, headline
from stl.verify.checks.formulas import l2_latex, phase_latex
from stl.verify.checks.loops import estimator_block, loop_block
from stl.verify.checks.measurement import Measurement
from stl.verify.checks.stats import column_measurements
from stl.verify.checks.task import Task
from stl.verify.checks.verdicts import SEVERITY, agrees, at_least, at_most, combine, family_z


#: The metric of a learner clipped to a boundary: the share of replicates at the clip.
CLIP_METRIC = "at_clip"


def _scheme(lam: float) -> str:
    return "mix" if lam > 0 else "replace"


def _theory_tau(model: str, params: Mapping[str, str], n: int) -> float:
    from stl.verify.cards import analytic_constants

    tau = analytic_constants(model, params, n).tau_n
    if tau is None:
        from stl.verify.errors import InputError

        raise InputError("model", model, "a model whose theory constants give tau_n")
    return float(tau)


def _cell_tasks(p: Mapping[str, Any], seed: int, k: int, cell: Mapping[str, Any], with_clip: bool) -> list[Task]:
    params = {**dict(p["params"]), **dict(cell.get("params", {}))}
    common = dict(model=p["model"], params=params, scheme=_scheme(cell["lam"]), n=p["n"], lam=cell["lam"],
                  generations=p["generations"], seed=seed)
    tasks = []
    for f, c in replicate_blocks(cell.get("replicates", p["replicates"]), p["block"]):
        tasks.append(Task(estimator_block, dict(estimator="gamma", **common, first=f, count=c,
                                                options={"neighbour": "distinct"}), ("gamma", k, f)))
        if with_clip:
            tasks.append(Task(loop_block, dict(**common, first=f, count=c, metrics=("at_clip",)), ("clip", k, f)))
    return tasks


def _cell_label(cell: Mapping[str, Any]) -> str:
    extra = "".join(f", {k}={v}" for k, v in dict(cell.get("params", {})).items())
    return f"λ={cell['lam']:g}{extra}"


# --------------------------------------------------------------------------------------
# L2 attained
# --------------------------------------------------------------------------------------

def _attained_plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    return [t for k, cell in enumerate(p["cells"]) for t in _cell_tasks(p, seed, k, cell, p["clip_metric"])]


def _attained_conclude(p: Mapping[str, Any], seed: int, outputs) -> Outcome:
    from stl.numerics.schemes import get_scheme
    from stl.verify.bridge import critical_proportion, l2_function, rate_coefficient, rho_value

    G, n = p["generations"], p["n"]
    z = family_z(len(p["cells"]) * (G + 1))
    l2 = l2_function()
    rows, verdicts, figures = [], [], []
    for k, cell in enumerate(p["cells"]):
        params = {**dict(p["params"]), **dict(cell.get("params", {}))}
        lam = get_scheme(_scheme(cell["lam"]), n, cell["lam"]).lam
        tau = _theory_tau(p["model"], params, n)
        rho = rho_value(tau, n, lam)
        gamma = pool_rows([o["values"] for o in outputs.group(("gamma", k))])
        pred = np.asarray(l2(tau_n=tau, n=n, lam=lam, i=np.arange(G + 1)), dtype=float)
        clipped = (pool_rows([o["at_clip"] for o in outputs.group(("clip", k))]).max(axis=0)
                   if p["clip_metric"] else np.zeros(G + 1))
        clipped = np.maximum.accumulate(clipped)   # once a chain has clipped, equality is gone
        labels = [f"{_cell_label(cell)} (ρ={rho:.3g}) generation {i}" for i in range(G + 1)]
        eq_rows, _ = equality_rows(gamma, pred, p["margin"], z, relative=True, labels=labels)
        for i, r in enumerate(eq_rows):
            r.update(lam=lam, rho=rho, tau=tau, clipped=bool(clipped[i]), l2=float(pred[i]))
            if clipped[i]:
                m = Measurement(r["measured"], r["stderr"], r["ci_low"], r["ci_high"], gamma.shape[0], z)
                r["verdict"], r["relation"] = at_most(m, float(pred[i])), "<="  # a clip only shrinks γ
            else:
                r["relation"] = "=="
            verdicts.append(r["verdict"])
        rows += eq_rows
        c_eff = float(rate_coefficient("tau_n", tau, n))
        figures.append({
            "type": "series", "name": f"{p['name']}-{k}", "x": list(range(G + 1)), "x_label": "generation i",
            "y_label": "γ_n^i / τ_n",
            "title": f"γ̂ vs L2: {p['model']} {_cell_label(cell)}, n={n}, c={c_eff:.3g}, ρ={rho:.3g}, "
                     f"λ_c={critical_proportion(c_eff):.3g}",
            "series": [{"label": "estimate_gamma (CI)", "y": [r["measured"] / tau for r in eq_rows],
                        "lo": [r["ci_low"] / tau for r in eq_rows], "hi": [r["ci_high"] / tau for r in eq_rows]},
                       {"label": "L2 (theory)", "y": list(map(float, pred / tau)), "style": "bound"}]})
    head = deciding(rows, "exact")
    eq = [r["measured"] / r["exact"] for r in rows if r["relation"] == "==" and r["exact"] > 0]
    sides = sorted({("above λ_c" if r["rho"] < 1 else "below λ_c" if r["rho"] > 1 else "at λ_c") for r in rows})
    summary = (f"γ̂/L2 over {len(eq)} unclipped (cell, generation) pairs: {min(eq):.4f}–{max(eq):.4f} (1 = "
               f"attained), cells on the sides {sides} of the transition; "
               f"{sum(r['relation'] == '<=' for r in rows)} pairs after a clip held as an upper bound. "
               + describe(head, "exact", ""))
    return Outcome(headline(head, "exact", p["replicates"], z), head["exact"], head["relation"],
                   combine(verdicts), {"summary": summary, "rows": rows, "z": z, "figures": figures,
                                       "decided_by": describe(head, "exact", "")})


def _attained_validate(p: Mapping[str, Any]) -> None:
    from stl.numerics.schemes import get_scheme
    from stl.verify.bridge import rho_value
    from stl.verify.errors import InputError

    for cell in p["cells"]:
        params = {**dict(p["params"]), **dict(cell.get("params", {}))}
        lam = get_scheme(_scheme(cell["lam"]), p["n"], cell["lam"]).lam
        # with kept real data L2's closed form is 0/0 on ρ = 1 (without, it is τ_n ρ^i: fine)
        if lam > 0 and on_boundary(rho_value(_theory_tau(p["model"], params, p["n"]), p["n"], lam)):
            raise InputError("cells", _cell_label(cell), "cells off ρ = 1 when λ > 0 (phase_transition_check "
                                                          "tests the boundary, where L2's closed form is 0/0)")


def l2_attained_check(name: str, model: str, params: Mapping[str, str] | None = None,
                      cells: Sequence[Mapping[str, Any]] = ({"lam": 0.5}, {"lam": 0.0}), n: int = 50,
                      generations: int = 5, replicates: int = 2000, block: int = 1000,
                      margin: float = 0.05) -> Check:
    """``γ̂_n^i`` (toolkit estimator, distinct neighbours) equals theory's L2 at every generation.

    A model that reports ``at_clip`` (a learner clipped to a boundary, where L2's equality
    ends) is read with its clip: L2 holds as a bound once a chain has touched it."""
    from stl.verify.cards import card

    clip = CLIP_METRIC in card(model).metrics
    return Check(
        name=name, kind="phase-transition",
        claim=(f"L2 is attained on the {model} model (n={n}; cells {', '.join(_cell_label(c) for c in cells)}): "
               "estimate_gamma from distinct neighbours equals theory's L2 value τ_n(1 − ρ^{i+1})/(1 − ρ) "
               "(τ_n ρ^i without kept real data) with theory's τ_n at every generation "
               f"0..{generations} — inside every confidence interval, the intervals within ±{margin:.0%}"
               + (" — until a chain touches the clip, after which L2 must still hold as a bound." if clip else ".")),
        claim_latex=l2_latex(equality=True),
        parameters={"name": name, "model": model, "params": dict(params or {}), "cells": [dict(c) for c in cells],
                    "n": int(n), "generations": int(generations), "replicates": int(replicates),
                    "block": int(block), "margin": float(margin), "clip_metric": clip},
        plan=_attained_plan, conclude=_attained_conclude, validate=_attained_validate)


# --------------------------------------------------------------------------------------
# the phase transition
# --------------------------------------------------------------------------------------

def _c_parameter(model: str) -> str:
    """The ``--param`` of ``model`` that sets theory's ``c`` (``τ_n = c/n``), from its card."""
    from stl.theory.symbols import PUBLIC
    from stl.verify.cards import card

    name = card(model).parameter_of(PUBLIC["c"])
    if name is None:
        from stl.verify.errors import InputError

        raise InputError("model", model, "a model whose theory constants have tau_n = c/n with c set by a --param")
    return name


def _phase_cells(p: Mapping[str, Any]) -> list[dict]:
    """The grid's cells in ``(λ, c)`` order; a cell on ``ρ = 1`` takes ``boundary_replicates``."""
    from stl.numerics.schemes import get_scheme
    from stl.verify.bridge import rho_value

    knob = _c_parameter(p["model"])
    taus = {c: _theory_tau(p["model"], {knob: str(c)}, p["n"]) for c in p["cs"]}   # once per c
    cells = []
    for lam in p["lams"]:
        for c in p["cs"]:
            lam_eff = get_scheme(_scheme(lam), p["n"], lam).lam
            rho = rho_value(taus[c], p["n"], lam_eff)
            boundary = on_boundary(rho)
            cells.append({"lam": lam, "c": c, "params": {knob: str(c)}, "rho": rho, "boundary": boundary,
                          "replicates": p["boundary_replicates"] if boundary else p["replicates"]})
    return cells


def _phase_plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    return [t for k, cell in enumerate(_phase_cells(p)) for t in _cell_tasks(p, seed, k, cell, True)]


def _phase_conclude(p: Mapping[str, Any], seed: int, outputs) -> Outcome:
    from stl.numerics.schemes import get_scheme
    from stl.verify.checks.compare import power
    from stl.verify.bridge import critical_proportion, l2_function

    G, n = p["generations"], p["n"]
    cells = _phase_cells(p)
    z = family_z(len(cells))
    l2 = l2_function()
    rows, verdicts = [], []
    growth = np.full((len(p["cs"]), len(p["lams"])), np.nan)
    for k, cell in enumerate(cells):
        lam, c, rho = cell["lam"], cell["c"], cell["rho"]
        lam_eff = get_scheme(_scheme(lam), n, lam).lam
        tau = _theory_tau(p["model"], cell["params"], n)
        lam_c = critical_proportion(c)
        gamma = pool_rows([o["values"] for o in outputs.group(("gamma", k))]) / tau
        # L2 holds with equality only until a chain reaches the clip θ ∈ {0, 1}, after which
        # γ collapses (both chains stuck): an unstable cell clips within a few generations,
        # so each cell is read at its last generation before any chain (in the same run) clipped.
        clipped = np.maximum.accumulate(pool_rows([o["at_clip"] for o in outputs.group(("clip", k))]).max(axis=0))
        g = int(np.flatnonzero(clipped == 0).max()) if clipped[0] == 0 else -1
        label = f"λ={lam_eff:g}, c={c:g} (ρ={rho:.3g}, λ_c={lam_c:.3g})"
        if g < 1:
            rows.append({"column": label, "lam": lam_eff, "c": c, "rho": rho, "lambda_c": lam_c, "generation": g,
                         "side": "clipped before generation 1", "measured": math.nan, "stderr": math.nan,
                         "ci_low": math.nan, "ci_high": math.nan, "bound": math.nan, "relation": "==",
                         "verdict": "inconclusive"})
            verdicts.append("inconclusive")
            continue
        m = column_measurements(gamma, z)[g]
        sd = float(np.std(gamma[:, g], ddof=1))
        # The regimes are told apart by the linear line g + 1 that ρ = 1 draws: L2 keeps
        # ρ < 1 below it, and sends ρ > 1 above it. On the line itself neither side's claim
        # can be decided at any size; the claim that holds there is L2's equality, linear
        # growth γ^g/τ = g + 1 (this learner attains L2), tested two-sided.
        line = g + 1.0
        if cell["boundary"]:
            target = predicted = l2_at_boundary(c, n, lam, g) / tau
            margin = p["boundary_margin"] * target
            relation, v = "==", agrees(m, target, margin)
            pw = power(sd, gamma.shape[0], margin, m.z, comparisons=sum(c_["boundary"] for c_ in cells))
        else:
            target = line
            predicted = float(l2(tau_n=tau, n=n, lam=lam_eff, i=g)) / tau
            margin = abs(predicted - line)       # how far from the line L2 puts the mean
            if rho < 1:
                relation, v = "<=", at_most(m, line)
            else:
                relation, v = ">", at_least(m, line)
                if m.ci_low <= line < m.ci_high:
                    v = "inconclusive"
            pw = power(sd, gamma.shape[0], margin, m.z)
        verdicts.append(v)
        growth[list(p["cs"]).index(c), list(p["lams"]).index(lam)] = math.log10(max(m.value, 1e-12))
        side = ("boundary (λ = λ_c): linear growth" if relation == "==" else
                "stable (λ > λ_c)" if rho < 1 else "unstable (λ < λ_c)")
        rows.append({"column": label, "lam": lam_eff, "c": c, "rho": rho, "lambda_c": lam_c, "side": side,
                     "generation": g, "measured": m.value, "stderr": m.stderr, "ci_low": m.ci_low,
                     "ci_high": m.ci_high, "bound": target, "l2": predicted, "relation": relation, "verdict": v,
                     "margin": margin, "power": pw})
    decided = [r for r in rows if math.isfinite(r["measured"])] or rows
    head = max(decided, key=lambda r: (SEVERITY[r["verdict"]],
                                       -min(abs(r["ci_low"] - r["bound"]), abs(r["ci_high"] - r["bound"]))))
    if any(r["verdict"] == "inconclusive" and not math.isfinite(r["measured"]) for r in rows):
        head = next(r for r in rows if not math.isfinite(r["measured"]))
    cs_line = np.linspace(min(p["cs"]), max(p["cs"]), 200)
    lam_line = np.array([critical_proportion(float(c)) for c in cs_line])
    keep = lam_line >= min(p["lams"])
    figure = {"type": "heatmap", "name": "phase-diagram",
              "title": f"L2 phase diagram: log10(γ̂_n^g/τ_n) at each cell's last unclipped generation g ≤ {G}, "
                       f"{p['model']}, n={n}",
              "x": list(p["lams"]), "y": list(p["cs"]), "z": growth.tolist(),
              "x_label": "λ (real proportion)", "y_label": "c (τ_n = c/n)", "z_label": "log10 growth",
              "curve": {"x": lam_line[keep].tolist(), "y": cs_line[keep].tolist(), "label": "λ_c = 1 − 1/c (theory)"}}
    counts = {v: verdicts.count(v) for v in ("pass", "fail", "inconclusive")}
    text = (f"decided by {head['column']}: γ̂^g/τ at generation g={head['generation']} = {head['measured']:.4g} "
            f"[{head['ci_low']:.4g}, {head['ci_high']:.4g}] {head['relation']} {head['bound']:.4g} → {head['verdict']}")
    boundary = [r for r in rows if r["relation"] == "==" and math.isfinite(r["measured"])]
    short = [r["column"] for r in rows if r.get("power", {}).get("underpowered")]
    read_early = sorted({r["generation"] for r in rows if 0 <= r["generation"] < G})
    summary = (f"{len(cells)} cells (λ, c) with theory's ρ and λ_c; per-cell verdicts {counts}. Stable cells "
               f"(ρ < 1) grow sub-linearly (below g + 1, the line ρ = 1 draws), unstable ones (ρ > 1) "
               "faster than linearly (above it)"
               + (f"; the {len(boundary)} cell(s) on ρ = 1 grow linearly: γ̂^g/τ equals L2's g + 1 within "
                  f"±{p['boundary_margin']:.0%} (two-sided)" if boundary else "")
               + (f". Cells whose chains reach the clip (where L2's growth stops) are read at their last "
                  f"generation before it: g ∈ {read_early}" if read_early else "")
               + (f". Underpowered: {short}" if short else
                  ". Every cell has the replicates its power computation asks (80 % power at the distance "
                  "L2 predicts from the line, or at the boundary margin)")
               + ". " + text)
    n_head = next((cell["replicates"] for cell, r in zip(cells, rows) if r is head), p["replicates"])
    return Outcome(Measurement(head["measured"], head["stderr"], head["ci_low"], head["ci_high"], n_head, z),
                   head["bound"], {"<=": "<=", ">": ">=", "==": "=="}[head["relation"]],
                   combine(verdicts), {"summary": summary, "cells": rows, "z": z, "figures": [figure],
                                       "decided_by": text, "underpowered": short})


def on_boundary(rho: float) -> bool:
    """Whether a cell sits on the transition ``ρ = 1`` (up to the rounding of ``(1 − λ) c``).

    >>> on_boundary((1 - 0.6) * 2.5), on_boundary(1.05)
    (True, False)
    """
    return abs(rho - 1.0) <= 1e-9


def l2_at_boundary(c: float, n: int, lam: float, i: int) -> float:
    """Theory's L2 value ``γ_n^i`` where ``ρ = 1``, evaluated in exact arithmetic.

    L2's closed form is ``0/0`` on the line; the exact rationals let theory's
    ``Bound.evaluate`` take the limit (the floating-point ``lambdify`` path cannot).

    >>> round(l2_at_boundary(2.0, 5000, 0.5, 8) * 5000 / 2, 12)     # (i + 1) τ_n with kept real data
    9.0
    """
    from fractions import Fraction

    import sympy as sp

    from stl.theory.results.recursive_stability import recursive_stability_bound

    def exact(x):
        f = Fraction(repr(float(x)))
        return sp.Rational(f.numerator, f.denominator)

    return float(recursive_stability_bound().evaluate(n=int(n), lam=exact(lam), i=int(i), tau_n=exact(c) / int(n)))


def _phase_validate(p: Mapping[str, Any]) -> None:
    from stl.verify.errors import InputError

    if not 0 < p["boundary_margin"] < 1:
        raise InputError("boundary_margin", p["boundary_margin"], "a relative margin in (0, 1)")
    if p["generations"] < 1:
        raise InputError("generations", p["generations"], "an integer >= 1 (growth is read from generation 1)")
    for cell in _phase_cells(p):
        if cell["boundary"] and cell["lam"] == 0:
            raise InputError("cells", f"λ=0, c={cell['c']:g}", "a boundary cell (ρ = 1) with kept real data")


def phase_transition_check(name: str, model: str, n: int = 2000, generations: int = 5,
                           replicates: int = 400, lams: Sequence[float] = (0.2, 0.5, 0.8),
                           cs: Sequence[float] = (0.5, 1.5, 3.0), block: int = 400,
                           boundary_margin: float = 0.05, boundary_replicates: int | None = None) -> Check:
    """The L2 phase transition of ``model`` over a ``(λ, c)`` grid (the toolkit's γ̂): a learner
    whose theory card gives ``τ_n = c/n`` with ``c`` set by one of its parameters."""
    c_param = _c_parameter(model)
    return Check(
        name=name, kind="phase-transition",
        claim=(f"L2 phase transition on {model} (n={n}, G={generations}; --param {c_param} sets c): with theory's "
               "τ_n = c/n and ρ = (1−λ)c, estimate_gamma's γ̂_n^g/τ_n grows sub-linearly (below g + 1) where "
               "ρ < 1 (λ above λ_c = 1 − 1/c), faster than linearly (above g + 1) where ρ > 1 (λ below λ_c), "
               f"and linearly where ρ = 1 (equal to L2's g + 1 within ±{boundary_margin:.0%}, two-sided); g = G, "
               "or a cell's last generation before any chain reaches the learner's clip (where L2's growth stops)."),
        claim_latex=phase_latex(),
        parameters={"name": name, "model": model, "params": {}, "n": int(n),
                    "generations": int(generations), "replicates": int(replicates), "lams": list(lams),
                    "cs": list(cs), "block": int(block), "boundary_margin": float(boundary_margin),
                    "boundary_replicates": int(boundary_replicates or replicates)},
        plan=_phase_plan, conclude=_phase_conclude, validate=_phase_validate)
