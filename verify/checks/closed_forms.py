"""Closed forms of the model-collapse literature, held against the simulated loop.

Each formula gives ``E metric`` at generation ``i`` exactly (not a bound), so the check
is an equivalence test per generation (:func:`~verify.checks.verdicts.equivalent`) with
a relative margin, Bonferroni-widened over generations:

``wright_fisher_heterozygosity`` (categorical, ``replace``)
    refitting frequencies to ``n`` draws from the previous fit is Wright–Fisher drift:
    ``E[1 − Σ q̂²] = (1 − 1/n)(1 − Σ q²)`` per generation, so
    ``E H_i = (1 − 1/n)^{i+1} (1 − Σ_s p_s²)``.
``gaussian_variance`` (Gaussian, ``replace``)
    the MLE covariance has ``E Σ̂ = (n−1)/n · Σ_parent``: ``E variance_i =
    ((n−1)/n)^{i+1} scale²`` (variance collapse); the unbiased estimator keeps
    ``scale²``.
``gaussian_mean_error`` (Gaussian MLE, ``replace``)
    ``μ̂_j = μ̂_{j−1} + ξ_j`` with ``E ξ_j ξ_jᵀ = E Σ̂_{j−1}/n``:
    ``E‖μ̂_i − μ‖² = (d scale²/n) Σ_{j=0}^{i} ((n−1)/n)^j``.
``linreg_replace`` (OLS, ``replace``, Dohmatob–Feng–Kempe 2024)
    each generation adds an independent OLS error of expected squared norm
    ``σ² d/(n − d − 1)`` (inverse-Wishart mean): ``E test_error_i = (i+1) σ² d/(n − d − 1)``.

``linreg_accumulate`` (OLS, ``accumulate``, Gerstgrasser et al. 2024)
    with ``P_j = Σ_{k≤j} X_kᵀX_k`` the pooled fit obeys ``δ_j = δ_{j−1} + P_j⁻¹X_jᵀε_j``
    (``δ = θ̂ − θ*``); the increments are uncorrelated and, by exchangeability of the
    ``j + 1`` Wishart parts of ``P_j``, ``E‖P_j⁻¹X_jᵀε_j‖² = σ² d/((j+1)((j+1)n − d − 1))``:
    ``E test_error_i = σ² d Σ_{k=1}^{i+1} 1/(k(kn − d − 1))`` — bounded by ``(π²/6)`` times
    the generation-0 error, where ``replace`` grows linearly.

The same formulas are derived in ``tests/numerics/test_closed_forms.py`` (numerics keeps
them in its tests, not in an importable module, so they are restated here).

>>> round(float(wright_fisher_heterozygosity(n=10, generations=1, probs=[0.5, 0.5])[1]), 6)
0.405
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from verify.checks.blocks import pool_rows, replicate_blocks
from verify.checks.core import Check, Outcome, Task
from verify.checks.loops import build_model, loop_block
from verify.checks.stats import column_measurements
from verify.checks.verdicts import combine, equivalent, family_z


def wright_fisher_heterozygosity(n: int, generations: int, probs: Sequence[float], **_) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    h = 1.0 - float(np.sum(p ** 2))
    return h * (1.0 - 1.0 / n) ** (np.arange(generations + 1) + 1)


def gaussian_variance(n: int, generations: int, scale: float = 1.0, estimator: str = "mle", **_) -> np.ndarray:
    i = np.arange(generations + 1)
    if estimator == "unbiased":
        return np.full(i.shape, scale ** 2)
    return scale ** 2 * ((n - 1.0) / n) ** (i + 1)


def gaussian_mean_error(n: int, generations: int, scale: float = 1.0, dim: int = 1, **_) -> np.ndarray:
    r = (n - 1.0) / n
    i = np.arange(generations + 1)
    return dim * scale ** 2 / n * (1.0 - r ** (i + 1)) / (1.0 - r)


def linreg_replace(n: int, generations: int, dim: int = 5, noise: float = 1.0, **_) -> np.ndarray:
    if n <= dim + 1:
        raise ValueError("the OLS closed form needs n > d + 1")
    return (np.arange(generations + 1) + 1) * noise ** 2 * dim / (n - dim - 1.0)


def linreg_accumulate(n: int, generations: int, dim: int = 5, noise: float = 1.0, **_) -> np.ndarray:
    if n <= dim + 1:
        raise ValueError("the OLS closed form needs n > d + 1")
    k = np.arange(generations + 1) + 1.0
    return noise ** 2 * dim * np.cumsum(1.0 / (k * (k * n - dim - 1.0)))


#: Formula name → function(n, generations, **model parameters) → E metric per generation.
FORMULAS = {
    "wright_fisher_heterozygosity": wright_fisher_heterozygosity,
    "gaussian_variance": gaussian_variance,
    "gaussian_mean_error": gaussian_mean_error,
    "linreg_replace": linreg_replace,
    "linreg_accumulate": linreg_accumulate,
}


def _model_facts(model: str, params: Mapping[str, str]) -> dict[str, Any]:
    """Typed model parameters the formulas need (e.g. the categorical law)."""
    m = build_model(model, params)
    facts = {}
    for key, value in m.params.items():
        if isinstance(value, np.ndarray):
            facts["probs" if model == "categorical" else key] = value.tolist()
        elif value is not None:
            facts[key] = value
    return facts


def _plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    return [Task(loop_block, dict(model=p["model"], params=dict(p["params"]), scheme=p["scheme"],
                                  n=p["n"], lam=0.0, generations=p["generations"], seed=seed,
                                  first=f, count=c, metrics=(p["metric"],)), f"r{f}")
            for f, c in replicate_blocks(p["replicates"], p["block"])]


def _conclude(p: Mapping[str, Any], seed: int, outputs: Sequence[Any]) -> Outcome:
    G = p["generations"]
    vals = pool_rows([o[p["metric"]] for o in outputs])
    facts = _model_facts(p["model"], p["params"])
    if p["model"] == "gaussian" and "scale" in facts:
        facts["scale"] = float(facts["scale"])
    exact = FORMULAS[p["formula"]](n=p["n"], generations=G, **facts)
    z = family_z(G + 1)
    ms = column_measurements(vals, z)
    verdicts, rows = [], []
    worst = None
    for i, (m, e) in enumerate(zip(ms, exact)):
        v = equivalent(m, float(e), p["margin"] * abs(float(e)))
        verdicts.append(v)
        rel = (m.value - e) / e if e else math.nan
        rows.append({"generation": i, "measured": m.value, "ci_low": m.ci_low, "ci_high": m.ci_high,
                     "exact": float(e), "relative_error": rel, "verdict": v})
        if worst is None or abs(rel) > abs(worst[2]):
            worst = (m, float(e), rel)
    fig = {"type": "series", "name": p["name"], "x": list(range(G + 1)), "x_label": "generation i",
           "y_label": f"E {p['metric']}", "title": f"{p['formula']}: {p['model']} {p['scheme']} n={p['n']}",
           "series": [{"label": "measured (CI)", "y": [m.value for m in ms], "lo": [m.ci_low for m in ms],
                       "hi": [m.ci_high for m in ms]},
                      {"label": "closed form", "y": list(map(float, exact)), "style": "bound"}]}
    rels = [abs(r["relative_error"]) for r in rows]
    summary = (f"largest relative deviation {max(rels):.3%} over {G + 1} generations "
               f"(equivalence margin ±{p['margin']:.0%}, z = {z:.2f}).")
    m, e, _ = worst
    return Outcome(measured=m, predicted=e, relation="==", verdict=combine(verdicts),
                   details={"summary": summary, "rows": rows, "figures": [fig]})


def closed_form_check(name: str, formula: str, model: str, params: Mapping[str, str], metric: str,
                      n: int, generations: int, scheme: str = "replace", margin: float = 0.03,
                      replicates: int = 2000, block: int = 1000, claim: str = "") -> Check:
    """``E metric`` of the loop equals the closed form ``formula`` at every generation."""
    if formula not in FORMULAS:
        from verify.errors import InputError

        raise InputError("formula", formula, ", ".join(FORMULAS))
    return Check(
        name=name, kind="closed-form",
        claim=claim or (f"E {metric} of the {model} loop ({scheme}, n={n}) equals the closed form "
                        f"{formula} at generations 0..{generations}, within ±{margin:.0%}."),
        claim_latex=rf"\mathbb{{E}}\,\mathrm{{{metric.replace('_', '-')}}}_i = f_{{\mathrm{{{formula.replace('_', '-')}}}}}(n, i)",
        parameters={"name": name, "formula": formula, "model": model, "params": dict(params),
                    "metric": metric, "n": int(n), "generations": int(generations), "scheme": scheme,
                    "margin": float(margin), "replicates": int(replicates), "block": int(block)},
        plan=_plan, conclude=_conclude)
