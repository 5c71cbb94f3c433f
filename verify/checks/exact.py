"""Decisive checks on the categorical model, held against its exact references.

The categorical MLE loop has exact expectations (:mod:`stl.numerics.exact`: moment
recursions and enumerated laws, no Monte Carlo), so where simulation and theory meet on
this model the comparison can be two-sided:

* :func:`categorical_exact_check` — the toolkit's loop and its learnability estimator
  against the exact ``E gen_i``, ``E d_TV(q_i, p)``, ``E H_i`` and ``E d_TV(q_i, D̃_i)`` (an
  equality per generation: any significant deviation fails);
* :func:`t1_pieces_check` — T1 piece by piece (THEORY.md T1's proof): each of (a) the
  real-subset term, (b) the shift term, (c) the synthetic term, measured by
  :func:`stl.numerics.estimators.estimate_t1_pieces`, must *equal* its exact expectation
  and stay *below* its own bound from :mod:`stl.theory` (with the analytic constants);
  the whole T1 bound is held against the measured and the exact ``E gen_i``, and the
  report says how far above the exact value each bound is;
* :func:`stability_constants_check` — theory's ``τ_n``, ``β_n`` and ``M`` against the
  toolkit's ``estimate_tau``, the exact supremum of the loss change (enumeration) and the
  model's declared loss bound; and D4's ``d_TV(n)`` against the exact learnability.

Every number compared with comes from :mod:`stl.theory` or :mod:`stl.numerics.exact`;
every measurement from the estimators and the loop users run.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from stl.verify.checks.blocks import pool_rows, replicate_blocks
from stl.verify.checks.check import Check, Outcome
from stl.verify.checks.compare import bound_rows, deciding, describe, equality_rows, headline
from stl.verify.checks.loops import build_model, estimator_block, loop_block
from stl.verify.checks.measurement import Measurement
from stl.verify.checks.task import Task
from stl.verify.checks.verdicts import SEVERITY, agrees, combine, family_z

#: Loop metrics with an exact reference, and the reference's method.
EXACT_METRICS = {"gen_gap": "gen_gap", "tv_to_real": "tv_to_real", "heterozygosity": "heterozygosity"}


def _reference(params: Mapping[str, str], scheme: str, n: int, lam: float, generations: int):
    from stl.numerics.exact import CategoricalLoopExact

    model = build_model("categorical", params)
    return CategoricalLoopExact.for_run(model.p, scheme, n, lam, generations)


def compared(scheme: str) -> tuple[tuple[str, ...], bool]:
    """The loop metrics held against an exact reference under ``scheme``, and whether the
    learnability is too (the accumulating schemes have exact moments, not laws).

    >>> compared("accumulate-subsample")
    (('gen_gap', 'heterozygosity'), False)
    """
    from stl.numerics.exact import QUANTITIES

    metrics = tuple(m for m, q in EXACT_METRICS.items() if scheme in QUANTITIES[q])
    return metrics, scheme in QUANTITIES["learnability"]


def _exact_validate(p: Mapping[str, Any]) -> None:
    for cfg in p["configs"]:
        metrics, learn = compared(cfg["scheme"])
        ref = _reference(p["params"], cfg["scheme"], cfg["n"], cfg["lam"], p["generations"])
        ref.require(*(EXACT_METRICS[m] for m in metrics), *(("learnability",) if learn else ()))


def _config_key(cfg: Mapping[str, Any]) -> str:
    return f"{cfg['scheme']} n={cfg['n']} λ={cfg['lam']:g}"


# --------------------------------------------------------------------------------------
# loop and learnability against the exact references
# --------------------------------------------------------------------------------------

def _replicates(p: Mapping[str, Any], cfg: Mapping[str, Any]) -> int:
    """A configuration's replicates: its own ``replicates`` (sized by its power) or the check's."""
    return int(cfg.get("replicates", p["replicates"]))


def _exact_plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    tasks = []
    for k, cfg in enumerate(p["configs"]):
        metrics, learn = compared(cfg["scheme"])
        common = dict(model="categorical", params=dict(p["params"]), scheme=cfg["scheme"], n=cfg["n"],
                      lam=cfg["lam"], generations=p["generations"], seed=seed)
        for f, c in replicate_blocks(_replicates(p, cfg), p["block"]):
            tasks.append(Task(loop_block, dict(**common, first=f, count=c, metrics=metrics), ("loop", k, f)))
            if learn:
                tasks.append(Task(estimator_block, dict(estimator="dtv", **common, first=f, count=c),
                                  ("dtv", k, f)))
    return tasks


def _exact_conclude(p: Mapping[str, Any], seed: int, outputs) -> Outcome:
    G = p["generations"]
    shapes = [compared(cfg["scheme"]) for cfg in p["configs"]]
    columns = sum(len(metrics) + learn for metrics, learn in shapes) * (G + 1)
    z = family_z(columns)
    all_rows, verdicts, figures = [], [], []
    for k, cfg in enumerate(p["configs"]):
        ref = _reference(p["params"], cfg["scheme"], cfg["n"], cfg["lam"], G)
        loops = outputs.group(("loop", k))
        metrics, learn = shapes[k]
        series = {metric: (pool_rows([o[metric] for o in loops]), getattr(ref, EXACT_METRICS[metric])())
                  for metric in metrics}
        if learn:
            series["learnability"] = (pool_rows([o["values"] for o in outputs.group(("dtv", k))]),
                                      ref.learnability())
        for metric, (values, exact) in series.items():
            rows, v = equality_rows(values, exact, p["margin"], z, relative=True,
                                    labels=[f"{_config_key(cfg)} {metric} generation {i}" for i in range(G + 1)])
            all_rows += rows
            verdicts.append(v)
            figures.append({"type": "series", "name": f"{p['name']}-{k}-{metric}", "x": list(range(G + 1)),
                            "x_label": "generation i", "y_label": f"E {metric}",
                            "title": f"{metric}: simulated vs exact, categorical {_config_key(cfg)}",
                            "series": [{"label": "simulated (CI)", "y": [r["measured"] for r in rows],
                                        "lo": [r["ci_low"] for r in rows], "hi": [r["ci_high"] for r in rows]},
                                       {"label": "exact", "y": list(map(float, exact)), "style": "bound"}]})
    head = deciding(all_rows, "exact")
    powers = [r["power"] for r in all_rows]
    short = [r["column"] for r in all_rows if r["power"]["underpowered"]]
    summary = (f"{len(all_rows)} comparisons (configurations × metrics × generations) of simulated means with "
               f"exact expectations; largest |deviation|/exact "
               f"{max(abs(r['deviation']) / max(abs(r['exact']), 1e-300) for r in all_rows):.3%}; "
               + describe(head, "exact", "") + ". Power: every comparison detects a deviation of "
               f"{max(q['min_detectable_deviation'] / max(q['margin'], 1e-300) for q in powers):.2f}× its margin "
               f"or less at {powers[0]['power']:.0%} power"
               + (f"; {len(short)} comparison(s) have fewer replicates than the power computation asks "
                  f"(largest need {max(q['replicates_needed'] for q in powers)})." if short else
                  f"; every comparison has the replicates the power computation asks "
                  f"(largest need {max(q['replicates_needed'] for q in powers)})."))
    return Outcome(headline(head, "exact", head["power"]["replicates"], z), head["exact"], "==",
                   combine(verdicts),
                   {"summary": summary, "rows": all_rows, "decided_by": describe(head, "exact", ""), "z": z,
                    "figures": figures, "underpowered": short})


def categorical_exact_check(name: str = "categorical-exact", params: Mapping[str, str] | None = None,
                            configs: Sequence[Mapping[str, Any]] = ({"scheme": "mix", "n": 50, "lam": 0.5},
                                                                    {"scheme": "replace", "n": 50, "lam": 0.0}),
                            generations: int = 6, replicates: int = 4000, block: int = 2000,
                            margin: float = 0.03) -> Check:
    """The categorical loop equals its exact references at every generation (two-sided).

    A configuration may carry its own ``replicates`` (sized by its power); the accumulating
    schemes are held to their exact ``E gen_i`` and ``E H_i`` (their laws are not derived).
    """
    accumulating = [c for c in configs if not compared(c["scheme"])[1]]
    return Check(
        name=name, kind="closed-form",
        claim=("The categorical MLE loop (" + "; ".join(_config_key(c) for c in configs) + f") has, at every "
               f"generation 0..{generations}, the exact E gen_i, E d_TV(q_i, p) and E H_i of its moment "
               "recursion and enumerated law (stl.numerics.exact), and the learnability estimator gives the "
               "exact E d_TV(q_i, D̃_i)"
               + (" (under " + ", ".join(sorted({c["scheme"] for c in accumulating})) + ": E gen_i and E H_i, "
                  "whose moment recursions are exact)" if accumulating else "")
               + ": each exact value inside the simulated confidence interval "
               f"(Bonferroni over all comparisons) and the interval within ±{margin:.0%} of it."),
        claim_latex=r"\overline{X}_i \pm z\,\mathrm{se} \ni \mathbb{E}X_i\ \text{(exact)},\quad X\in\{\mathrm{gen},d_{\mathrm{TV}},H\}",
        parameters={"name": name, "params": dict(params or {"k": "10"}),
                    "configs": [dict(c) for c in configs], "generations": int(generations),
                    "replicates": int(replicates), "block": int(block), "margin": float(margin)},
        plan=_exact_plan, conclude=_exact_conclude, validate=_exact_validate)


# --------------------------------------------------------------------------------------
# T1, piece by piece
# --------------------------------------------------------------------------------------

def _pieces_plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    common = dict(model="categorical", params=dict(p["params"]), scheme=p["scheme"], n=p["n"], lam=p["lam"],
                  generations=p["generations"], seed=seed)
    return [Task(estimator_block, dict(estimator="pieces", **common, first=f, count=c), ("pieces", f))
            for f, c in replicate_blocks(p["replicates"], p["block"])]


def _analytic(p: Mapping[str, Any]) -> dict[str, float]:
    from stl.verify.cards import analytic_constants

    c = analytic_constants("categorical", p["params"], p["n"])
    return {"beta_n": c.beta_n, "tau_n": c.tau_n, "M": c.M, "d_tv": c.d_tv}


def _pieces_validate(p: Mapping[str, Any]) -> None:
    _reference(p["params"], p["scheme"], p["n"], p["lam"], p["generations"]).require("pieces", "tv_to_real")
    _analytic(p)


def _pieces_conclude(p: Mapping[str, Any], seed: int, outputs) -> Outcome:
    from stl.numerics.schemes import get_scheme
    from stl.verify.bridge import l2_function, piece_bound_functions
    from stl.verify.cards import t1_analytic

    G, n = p["generations"], p["n"]
    scheme = get_scheme(p["scheme"], n, p["lam"])
    lam = scheme.lam
    ref = _reference(p["params"], p["scheme"], n, p["lam"], G)
    consts = _analytic(p)
    blocks = outputs.group(("pieces",))
    values = {key: pool_rows([o[key] for o in blocks])[:, 1:] for key in ("a", "b", "c", "shift_tv")}
    exact = ref.pieces()
    gens = np.arange(1, G + 1)
    gamma_prev = np.asarray(l2_function()(tau_n=consts["tau_n"], n=n, lam=lam, i=gens - 1), dtype=float)
    fb = piece_bound_functions()
    bounds = {"a": np.asarray(fb["a"](beta_n=consts["beta_n"], gamma=gamma_prev, lam=lam, n=n), dtype=float)
              * np.ones(G),
              "b": np.asarray(fb["b"](M=consts["M"], lam=lam, shift=ref.tv_to_real()[:-1]), dtype=float),
              "c": np.asarray(fb["c"](beta_n=consts["beta_n"], lam=lam), dtype=float) * np.ones(G)}
    comparisons = 3 * G * 2 + 2 * (G + 1)
    z = family_z(comparisons)
    rows_eq, rows_le, verdicts, factors = [], [], [], {}
    for key, label in (("a", "(a) real-subset piece"), ("b", "(b) shift piece"), ("c", "(c) synthetic piece")):
        labels = [f"{label}, generation {i}" for i in gens]
        req, veq = equality_rows(values[key], exact[key][1:], p["margin"], z, relative=True, labels=labels)
        rle, vle = bound_rows(values[key], bounds[key], z, exact=exact[key][1:], labels=labels)
        rows_eq += req
        rows_le += rle
        verdicts += [veq, vle]
        factors[key] = [r["factor_over_exact"] for r in rle]
    # the whole of T1 with the analytic constants, against the exact and the measured E gen_i
    total, _, _ = t1_analytic("categorical", p["params"])
    t1 = np.asarray(total(n=n, lam=lam, i=np.arange(G + 1)), dtype=float)
    gen_exact = ref.gen_gap()
    gen = np.concatenate([np.full((values["a"].shape[0], 1), np.nan), values["a"] + values["b"] + values["c"]],
                         axis=1)
    exact_ok = bool(np.all(np.abs(gen_exact) <= t1 * (1 + 1e-12)))
    verdicts.append("pass" if exact_ok else "fail")
    rt, vt = bound_rows(gen[:, 1:], t1[1:], z, exact=gen_exact[1:],
                        labels=[f"T1 total, generation {i}" for i in gens])
    rows_le += rt
    verdicts.append(vt)
    head_eq, head_le = deciding(rows_eq, "exact"), deciding(rows_le, "bound")
    # the worse of the two deciding rows decides; on a tie, the equality (the sharper claim)
    head, line = ((head_le, "bound") if SEVERITY[head_le["verdict"]] > SEVERITY[head_eq["verdict"]]
                  else (head_eq, "exact"))
    t1_factor = [float(b / abs(e)) for b, e in zip(t1[1:], gen_exact[1:])]
    summary = (f"T1 piece by piece (categorical, {p['scheme']}, n={n}, λ={lam:g}, constants β_n={consts['beta_n']:.4g}, "
               f"τ_n={consts['tau_n']:.4g}, M={consts['M']:g}, γ from L2): each piece equals its exact expectation "
               f"({sum(r['verdict'] == 'pass' for r in rows_eq)}/{len(rows_eq)} equalities pass) and is valid "
               f"against its own bound; bound/exact factors: (a) {min(factors['a']):.3g}–{max(factors['a']):.3g}, "
               f"(b) {min(factors['b']):.3g}–{max(factors['b']):.3g}, (c) {min(factors['c']):.3g}–{max(factors['c']):.3g}; "
               f"T1 total is valid and within factor {min(t1_factor):.3g}–{max(t1_factor):.3g} of the exact E gen_i "
               f"(exact E gen_i ≤ T1 at every generation: {exact_ok}). " + describe(head, line, ""))
    return Outcome(headline(head, line, p["replicates"], z), head[line], "==" if line == "exact" else "<=",
                   combine(verdicts),
                   {"summary": summary, "equalities": rows_eq, "bounds": rows_le, "z": z,
                    "decided_by": describe(head, line, ""), "bound_over_exact": {**factors, "T1": t1_factor},
                    "constants": consts, "analytic_constants_only": True,
                    "figures": [{"type": "series", "name": f"{p['name']}-t1", "logy": True,
                                 "x": list(range(1, G + 1)), "x_label": "generation i", "y_label": "|E gen_i|",
                                 "title": f"T1 vs exact and measured E gen_i, categorical n={n} λ={lam:g}",
                                 "series": [{"label": "measured (CI)", "y": [r["measured"] for r in rt],
                                             "lo": [max(r["ci_low"], 1e-12) for r in rt],
                                             "hi": [r["ci_high"] for r in rt]},
                                            {"label": "exact", "y": [abs(float(e)) for e in gen_exact[1:]]},
                                            {"label": "T1, analytic constants", "y": list(map(float, t1[1:])),
                                             "style": "bound"}]}]})


def t1_pieces_check(name: str = "t1-validity-categorical", params: Mapping[str, str] | None = None,
                    scheme: str = "mix", n: int = 50, lam: float = 0.5, generations: int = 6,
                    replicates: int = 4000, block: int = 2000, margin: float = 0.05) -> Check:
    """T1 on the categorical model piece by piece: equal to the exact pieces, below their bounds."""
    return Check(
        name=name, kind="validity",
        claim=(f"T1 on the categorical model ({scheme}, n={n}, λ={lam:g}, generations 1..{generations}), piece "
               "by piece: the measured real-subset (a), shift (b) and synthetic (c) terms of T1's proof each equal "
               "their exact expectation (two-sided, within ±{:.0%}) and each stays below its own bound from "
               "stl.theory with the model's analytic constants; the exact and the measured E gen_i stay below "
               "the T1 bound, and the report gives each bound's factor over the exact value.").format(margin),
        claim_latex=r"|\mathbb{E}(a)| \le \lambda\beta_n(1+n_s\gamma_n^{i-1}),\ |\mathbb{E}(b)| \le (1-\lambda)M a_{i-1},\ |\mathbb{E}(c)| \le (1-\lambda)\beta_n",
        parameters={"name": name, "params": dict(params or {"k": "10"}), "scheme": scheme, "n": int(n),
                    "lam": float(lam), "generations": int(generations), "replicates": int(replicates),
                    "block": int(block), "margin": float(margin)},
        plan=_pieces_plan, conclude=_pieces_conclude, validate=_pieces_validate)


# --------------------------------------------------------------------------------------
# the model's constants
# --------------------------------------------------------------------------------------

def _constants_plan(p: Mapping[str, Any], seed: int) -> list[Task]:
    common = dict(model="categorical", params=dict(p["params"]), scheme="mix", n=p["n"], lam=0.5,
                  generations=0, seed=seed)
    return [Task(estimator_block, dict(estimator="tau", **common, first=f, count=c), ("tau", f))
            for f, c in replicate_blocks(p["replicates"], p["replicates"])] + \
           [Task(estimator_block, dict(estimator="beta", **common, first=f, count=c), ("beta", f))
            for f, c in replicate_blocks(p["replicates"], p["replicates"])] + \
           [Task(estimator_block, dict(estimator="beta", **common, first=f, count=c, options=_NO_SEARCH),
                 ("beta-no-search", f))
            for f, c in replicate_blocks(p["replicates"], p["replicates"])]


#: estimate_beta without its search (one neighbour, one probe beside the swapped points): the
#: paired baseline that shows the search over neighbours and probes is at work.
_NO_SEARCH = {"neighbours": 1, "probes": 1}


def _constants_validate(p: Mapping[str, Any]) -> None:
    from stl.verify.errors import InputError

    k, n = p["enumeration_k"], p["enumeration_n"]
    if not (2 <= k <= 6 and 1 <= n <= 40):        # categorical_uniform_stability's enumeration
        raise InputError("enumeration_k, enumeration_n", (k, n), "2 <= k <= 6 and 1 <= n <= 40 (enumeration)")
    _reference(p["params"], "mix", p["n"], 0.5, p["generations"]).require("learnability")


def _constants_conclude(p: Mapping[str, Any], seed: int, outputs) -> Outcome:
    from stl.numerics.exact import categorical_uniform_stability
    from stl.verify.cards import analytic_constants

    n = p["n"]
    model = build_model("categorical", p["params"])
    consts = analytic_constants("categorical", p["params"], n)
    small = analytic_constants("categorical", {"k": str(p["enumeration_k"])}, p["enumeration_n"])
    z = family_z(5)
    tau = Measurement.from_samples(pool_rows([o["values"] for o in outputs.group(("tau",))]), z)
    beta_rows = pool_rows([o["values"] for o in outputs.group(("beta",))])
    beta = Measurement.from_samples(beta_rows, z)
    # paired per replicate (same data, same first neighbour stream): what the search adds
    search = Measurement.from_samples(beta_rows - pool_rows([o["values"] for o in outputs.group(("beta-no-search",))]), z)
    beta_sup = categorical_uniform_stability(p["enumeration_k"], p["enumeration_n"])
    rows = [
        {"claim": f"τ_n = {consts.tau_n:.6g} (theory, exact) equals estimate_tau (worst of 16 neighbours)",
         "measured": tau.value, "ci": [tau.ci_low, tau.ci_high], "reference": consts.tau_n,
         "verdict": agrees(tau, consts.tau_n, p["margin"] * consts.tau_n)},
        {"claim": (f"β_n (theory, exact worst case) equals the enumerated supremum of the Brier-loss change "
                   f"(k={p['enumeration_k']}, n={p['enumeration_n']})"),
         "measured": beta_sup, "ci": [beta_sup, beta_sup], "reference": small.beta_n,
         "verdict": agrees(Measurement.exact(beta_sup), small.beta_n, 1e-9 * small.beta_n)},
        {"claim": "estimate_beta (a lower estimate of the supremum) stays below theory's β_n",
         "measured": beta.value, "ci": [beta.ci_low, beta.ci_high], "reference": consts.beta_n,
         "verdict": "pass" if beta.ci_high <= consts.beta_n else ("fail" if beta.ci_low > consts.beta_n
                                                                else "inconclusive")},
        {"claim": ("estimate_beta searches the supremum of D1: the worst of its neighbours and probes exceeds "
                   "one neighbour and one probe on the same datasets (paired difference > 0)"),
         "measured": search.value, "ci": [search.ci_low, search.ci_high], "reference": 0.0,
         "verdict": "pass" if search.ci_low > 0 else ("fail" if search.ci_high <= 0 else "inconclusive")},
        {"claim": "M (theory) equals the model's declared loss bound",
         "measured": float(model.loss_bound), "ci": [float(model.loss_bound)] * 2, "reference": consts.M,
         "verdict": "pass" if math.isclose(model.loss_bound, consts.M) else "fail"},
    ]
    ref = _reference(p["params"], "mix", n, 0.5, p["generations"])
    learn = ref.learnability()
    ok = bool(np.all(learn <= consts.d_tv))
    rows.append({"claim": (f"D4: the exact E d_TV(q_j, D̃_j) stays below theory's d_TV(n) = {consts.d_tv:.4g} at "
                           f"generations 0..{p['generations']} (mix, λ = 0.5)"),
                 "measured": float(learn.max()), "ci": [float(learn.max())] * 2, "reference": consts.d_tv,
                 "factor_over_exact": float(consts.d_tv / learn.max()), "verdict": "pass" if ok else "fail"})
    verdict = combine(r["verdict"] for r in rows)
    head = max(rows, key=lambda r: ({"pass": 0, "inconclusive": 1, "fail": 2}[r["verdict"]]))
    summary = "; ".join(f"{r['claim']}: {r['measured']:.6g} vs {r['reference']:.6g} → {r['verdict']}" for r in rows)
    return Outcome(Measurement(head["measured"], 0.0, head["ci"][0], head["ci"][1], p["replicates"], z),
                   head["reference"], "==", verdict,
                   {"summary": summary, "claims": rows, "decided_by": head["claim"]})


def stability_constants_check(name: str = "stability-constants-categorical",
                              params: Mapping[str, str] | None = None, n: int = 50, replicates: int = 200,
                              generations: int = 6, enumeration_k: int = 4, enumeration_n: int = 9,
                              margin: float = 0.01) -> Check:
    """Theory's categorical constants against the estimators, an exact supremum and the model."""
    return Check(
        name=name, kind="closed-form",
        claim=("The categorical model's constants in stl.theory are what the toolkit measures: τ_n = 1/n equals "
               "estimate_tau; β_n equals the exact supremum of the loss change found by enumeration and bounds "
               "estimate_beta, whose search over neighbours and probes raises it above a single swap; M equals the model's loss bound; and D4's d_TV(n) bounds the exact learnability."),
        claim_latex=r"\hat\tau_n = \tau_n,\quad \sup|\Delta\ell| = \beta_n,\quad \mathbb{E}\,d_{\mathrm{TV}}(q_j,\tilde D_j) \le d_{\mathrm{TV}}(n)",
        parameters={"name": name, "params": dict(params or {"k": "10"}), "n": int(n), "replicates": int(replicates),
                    "generations": int(generations), "enumeration_k": int(enumeration_k),
                    "enumeration_n": int(enumeration_n), "margin": float(margin)},
        plan=_constants_plan, conclude=_constants_conclude, validate=_constants_validate)
