"""Closed forms of the model-collapse literature, held against the simulated loop.

The formulas — Wright–Fisher heterozygosity, Gaussian refit variance and mean error, OLS
test error under ``replace`` and ``accumulate`` — are declared once, each on its model's
theory card (:mod:`stl.theory.models`, keyed by metric and scheme, with its derivation
and citation), and reach numpy through :mod:`stl.verify.cards` (``lambdify``); this module
only holds them against simulation.

Each formula gives ``E metric`` at generation ``i`` exactly (not a bound), so the
verdict per generation is :func:`~stl.verify.checks.verdicts.agrees`: the Bonferroni-widened
confidence interval of the simulated mean must contain the exact value (a significant
deviation contradicts an exact formula, however small) and lie within a relative
equivalence margin (otherwise more replicates are needed: inconclusive).

>>> [round(float(x), 6) for x in exact_values("categorical", {"k": "2", "probs": "0.5,0.5"}, "heterozygosity",
...                                         "replace", n=10, generations=1)]
[0.45, 0.405]
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from stl.verify.checks.blocks import pool_rows, replicate_blocks
from stl.verify.checks.check import Check, Outcome
from stl.verify.checks.compare import power
from stl.verify.checks.loops import loop_block
from stl.verify.checks.stats import column_measurements
from stl.verify.checks.task import Task
from stl.verify.checks.verdicts import SEVERITY, agrees, combine, family_z

__all__ = ["closed_form_check", "exact_values"]


def exact_values(model: str, params: Mapping[str, str], metric: str, scheme: str, n: int,
                 generations: int) -> np.ndarray:
    """``E metric_i``, ``i = 0..generations``, from the closed form on ``model``'s card."""
    from stl.verify.cards import card

    c = card(model)
    form = c.closed_form(metric, scheme, params)
    return c.closed_form_values(form, c.build(params).law_facts(), n, generations)


def _plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    return [Task(loop_block, dict(model=p["model"], params=dict(p["params"]), scheme=p["scheme"],
                                  n=p["n"], lam=0.0, generations=p["generations"], seed=seed,
                                  first=f, count=c, metrics=(p["metric"],)), f"r{f}")
            for f, c in replicate_blocks(p["replicates"], p["block"])]


def _exact_values(p: Mapping[str, Any]) -> np.ndarray:
    return exact_values(p["model"], p["params"], p["metric"], p["scheme"], p["n"], p["generations"])


def _validate(p: Mapping[str, Any]) -> None:
    """The closed form is defined at these sizes (evaluating it is cheap: no simulation)."""
    _exact_values(p)


def _conclude(p: Mapping[str, Any], seed: int, outputs: Sequence[Any]) -> Outcome:
    G = p["generations"]
    vals = pool_rows([o[p["metric"]] for o in outputs])
    exact = _exact_values(p)
    z = family_z(G + 1)
    ms = column_measurements(vals, z)
    sds = vals.std(axis=0, ddof=1)
    verdicts, rows = [], []
    worst = None
    for i, (m, e) in enumerate(zip(ms, exact)):
        v = agrees(m, float(e), p["margin"] * abs(float(e)))
        verdicts.append(v)
        rel = (m.value - e) / e if e else math.nan
        rows.append({"generation": i, "measured": m.value, "ci_low": m.ci_low, "ci_high": m.ci_high,
                     "exact": float(e), "relative_error": rel, "verdict": v,
                     "power": power(float(sds[i]), vals.shape[0], p["margin"] * abs(float(e)), m.z, G + 1)})
        # headline: a failing generation first, then an inconclusive one, then the largest deviation
        key = (SEVERITY[v], abs(rel) if math.isfinite(rel) else math.inf)
        if worst is None or key > worst[3]:
            worst = (m, float(e), rel, key)
    fig = {"type": "series", "name": p["name"], "x": list(range(G + 1)), "x_label": "generation i",
           "y_label": f"E {p['metric']}", "title": f"{p['formula']}: {p['model']} {p['scheme']} n={p['n']}",
           "series": [{"label": "measured (CI)", "y": [m.value for m in ms], "lo": [m.ci_low for m in ms],
                       "hi": [m.ci_high for m in ms]},
                      {"label": "closed form", "y": list(map(float, exact)), "style": "bound"}]}
    rels = [abs(r["relative_error"]) for r in rows]
    outside = [r["generation"] for r in rows if not r["ci_low"] <= r["exact"] <= r["ci_high"]]
    needed = max(r["power"]["replicates_needed"] for r in rows)
    summary = (f"largest relative deviation {max(rels):.3%} over {G + 1} generations "
               f"(equivalence margin ±{p['margin']:.0%}, z = {z:.2f}; {vals.shape[0]} replicates, the power "
               f"computation asks for {needed}); "
               + (f"the exact value is outside the confidence interval at generations {outside}."
                  if outside else "the exact value is inside every confidence interval."))
    m, e, _, _ = worst
    return Outcome(measured=m, predicted=e, relation="==", verdict=combine(verdicts),
                   details={"summary": summary, "rows": rows, "figures": [fig]})


def closed_form_check(name: str, formula: str, model: str, params: Mapping[str, str], metric: str,
                      n: int, generations: int, scheme: str = "replace", margin: float = 0.03,
                      replicates: int = 2000, block: int = 1000, claim: str = "") -> Check:
    """``E metric`` of the loop equals the closed form ``formula`` at every generation.

    ``formula`` names the closed form the model's card gives for ``metric`` under
    ``scheme`` at these parameters (refused when it names another)."""
    from stl.verify.cards import card
    from stl.verify.errors import InputError

    form = card(model).closed_form(metric, scheme, params)
    if form.name != formula:
        raise InputError("formula", formula, f"{form.name} (the closed form of {metric} under {scheme} for {model})")
    return Check(
        name=name, kind="closed-form",
        claim=claim or (f"E {metric} of the {model} loop ({scheme}, n={n}) equals the closed form "
                        f"{formula} ({model}'s theory card) at generations 0..{generations}: the exact "
                        "value lies inside every confidence interval (Bonferroni over generations) "
                        f"and the intervals lie within ±{margin:.0%} of it."),
        claim_latex=form.statement_latex(),
        parameters={"name": name, "formula": formula, "model": model, "params": dict(params),
                    "metric": metric, "n": int(n), "generations": int(generations), "scheme": scheme,
                    "margin": float(margin), "replicates": int(replicates), "block": int(block)},
        plan=_plan, conclude=_conclude, validate=_validate)
