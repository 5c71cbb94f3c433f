"""``stl bound MODEL``: measured ``E gen_i`` beside the T1 bound, generation by generation.

For every generation ``i`` it reports (DESIGN.md metric names):

* ``gen_gap`` — the measured ``E gen_i`` (mean and standard error over replicates);
* ``bound_analytic`` — T1 with the model's analytic constants (its card, :mod:`stl.verify.cards`)
  and L2's ``γ``, where theory knows every constant (elsewhere the record is there with a
  null mean, ``config.analytic_missing`` names the missing constants and
  ``config.analytic_reason`` says why theory has none, e.g. the gaussian model's unbounded
  data; the table prints it under the rows);
* ``bound_estimated`` — T1 with estimated constants (:mod:`stl.numerics.estimators`) at the
  upper limits of their 95 % confidence intervals (``stderr`` is null: it is a plug-in
  value, not a mean);
* ``term_stability`` and ``term_shift`` — T1's two terms (from the analytic constants
  when available, else from the estimated ones; ``config.terms_from`` says which), plus
  ``term_stability_estimated``/``term_shift_estimated`` when both exist.

T1 is stated for the ``mix`` scheme (``replace`` is its ``λ = 0`` case); other schemes
are refused rather than compared with a bound that was not proved for them.

``--per-replicate`` writes ``gen_gap`` as one row per ``(generation, replicate)`` and the
bounds and terms, which are one number per generation, as rows with an empty
``replicate``. ``stl plot FILE`` draws the measured ``E gen_i`` with its 95 % band against
both bounds (``--stack-terms`` adds the terms).
"""

from __future__ import annotations

import argparse
import math

from stl.verify.cli import types as T
from stl.verify.cli.common import TerminalProgress, add_per_replicate_option, add_simulation_options
from stl.verify.errors import InputError

EXAMPLES = """examples:
  stl bound categorical --n 100 --lam 0.5 --generations 10 --replicates 1000
  stl bound categorical --scheme replace --lam 0 --format json
  stl bound linreg --param dim=5 --est-replicates 100 --out bound.json
  stl bound categorical --n 50 --generations 10 --out b.json && stl plot b.json --stack-terms
"""

T1_SCHEMES = ("mix", "replace")


def register(subparsers) -> None:
    from stl.verify.cli.common import lazy_help

    parser = subparsers.add_parser(
        "bound", help="measured E gen_i beside the T1 bound (analytic and estimated constants)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_simulation_options(parser)
    add_per_replicate_option(parser)
    parser.add_argument("--metric", action="append", metavar="NAME", default=None,
                        help="report only this metric (repeatable; default: all of " + ", ".join(BOUND_METRICS)
                        + "); the constant estimators run only for estimated metrics")
    parser.add_argument("--est-replicates", type=T.COUNT(2, T.MAX_REPLICATES), default=None,
                        help="replicates for the constant estimators (default: min(replicates, 200))")
    lazy_help(parser, EXAMPLES)
    parser.set_defaults(handler=handler)


def handler(args: argparse.Namespace) -> int:
    if args.scheme not in T1_SCHEMES:
        raise InputError("--scheme", args.scheme, "mix or replace (T1 is stated for these schemes)")
    from stl.verify.cli.cmd_simulate import build_run, finish

    spec, config = build_run(args)   # resolves --n / --replicates left at the model's defaults
    model = spec.model_built
    if args.replicates < 2:
        raise InputError("--replicates", args.replicates, "an integer >= 2 (a mean needs a standard error)")
    est_r = args.est_replicates if args.est_replicates is not None else min(args.replicates, 200)
    if est_r < 2:
        raise InputError("--est-replicates", est_r, "an integer >= 2")
    from stl.verify.checks.loops import param_texts

    params = {**param_texts(model), **_param_texts(args)}
    metrics = None
    if args.metric is not None:
        metrics = tuple(dict.fromkeys(args.metric))
    records, extra = bound_records(spec, params, est_r, quiet=args.quiet, metrics=metrics)
    per_replicate = extra.pop("replicate_rows")
    config.update(extra)
    config["est_replicates"] = est_r
    return finish(args, config, records, per_replicate + [
        {"generation": r["generation"], "replicate": None, "metric": r["metric"], "value": r["mean"]}
        for r in records if r["metric"] != "gen_gap"] if args.per_replicate else None)


def _param_texts(args) -> dict[str, str]:
    from stl.verify.cli.common import parse_assignments

    return parse_assignments(args.param, "--param")


#: Every metric ``stl bound`` can report (DESIGN.md names first).
BOUND_METRICS = ("gen_gap", "bound_analytic", "bound_estimated", "term_stability", "term_shift",
                 "term_stability_estimated", "term_shift_estimated")
_ESTIMATED = {"bound_estimated", "term_stability_estimated", "term_shift_estimated"}


def bound_records(spec, params: dict[str, str], est_replicates: int, quiet: bool = True,
                  metrics: tuple[str, ...] | None = None):
    """Tidy records (DESIGN.md) of ``gen_gap``, both bounds and the terms of the run ``spec``
    (a :class:`~stl.verify.run.RunSpec`), plus config notes; ``params`` are every parameter's text.

    ``metrics`` keeps only those records; the constant estimators run only when an
    estimated metric is asked for (or the terms, where theory has no analytic constants).
    The notes' ``replicate_rows`` are ``gen_gap``'s per-replicate rows (empty when
    ``gen_gap`` is not asked for); the caller takes them out before writing the config.
    """
    from dataclasses import replace

    from stl.numerics import estimators as E
    from stl.verify.checks.validity import evaluate_config
    from stl.verify.cards import t1_analytic

    model_name, model, scheme = spec.model, spec.model_built, spec.scheme_built
    generations, replicates, seed = spec.generations, spec.replicates_resolved, spec.seed
    wanted = BOUND_METRICS if metrics is None else tuple(metrics)
    unknown = [m for m in wanted if m not in BOUND_METRICS]
    if unknown:
        raise InputError("--metric", ", ".join(unknown), ", ".join(BOUND_METRICS))
    have_analytic = t1_analytic(model_name, params) is not None
    estimate = bool(_ESTIMATED & set(wanted)) or (not have_analytic and bool({"term_stability", "term_shift"}
                                                                             & set(wanted)))
    n, lam = scheme.n, scheme.lam
    progress = TerminalProgress("bound: loop generations", quiet=quiet)
    traj = replace(spec, metrics=("gen_gap",), model_object=model).run(progress)
    data = {"gen_gap": traj.values["gen_gap"]}
    if estimate:
        prog_est = TerminalProgress("bound: estimating constants", quiet=quiet)
        beta = E.estimate_beta(model, n, est_replicates, seed)
        prog_est(1, 3)
        gam = E.estimate_gamma(model, scheme, n, lam, generations, est_replicates, seed)
        prog_est(2, 3)
        dtv = E.estimate_dtv(model, scheme, n, lam, generations, est_replicates, seed)
        prog_est(3, 3)
        data.update({"beta": {"values": beta.per_replicate, "method": beta.method, "proxy": beta.proxy},
                     "gamma": {"values": gam.per_replicate, "method": gam.method, "proxy": gam.proxy,
                               "differ": gam.details["synthetic_differ"], "coupling": model.effective_coupling,
                               "tv_exact": bool(model.tv_exact)},
                     "dtv": {"values": dtv.per_replicate, "method": dtv.method, "proxy": dtv.proxy}})
    cfg = {"model": model_name, "params": params, "scheme": scheme.name, "n": n, "lam": lam,
           "generations": generations, "replicates": replicates, "est_replicates": est_replicates,
           "block": max(replicates, est_replicates), "estimated": estimate, "M": float(model.loss_bound)}
    ev = evaluate_config(cfg, data)
    mean = traj.mean("gen_gap")
    se = traj.stderr("gen_gap")
    nan = math.nan
    records = []
    terms = ev["analytic_terms"] if have_analytic else ev.get("estimated_terms")
    for g in range(generations + 1):
        rows = {"gen_gap": (float(mean[g]), float(se[g]), replicates),
                # bound_analytic is always a record (DESIGN.md); without analytic constants its mean
                # is null (config.analytic_missing says which constant theory lacks)
                "bound_analytic": ((float(ev["bound_analytic"][g]), 0.0, 0) if have_analytic else (nan, nan, 0))}
        if estimate:
            rows["bound_estimated"] = (float(ev["bound_estimated"][g]), nan, est_replicates)
            rows["term_stability_estimated"] = (float(ev["estimated_terms"]["stability"][g]), nan, est_replicates)
            rows["term_shift_estimated"] = (float(ev["estimated_terms"]["shift"][g]), nan, est_replicates)
        if terms is not None:
            n_terms = 0 if have_analytic else est_replicates
            s_term = 0.0 if have_analytic else nan
            rows["term_stability"] = (float(terms["stability"][g]), s_term, n_terms)
            rows["term_shift"] = (float(terms["shift"][g]), s_term, n_terms)
        for metric in wanted:
            if metric in rows:
                m, s_, r = rows[metric]
                records.append({"generation": g, "metric": metric, "mean": m, "stderr": s_, "n_replicates": r})
    replicate_rows = [r for r in traj.replicate_records() if r["metric"] in wanted]
    extra = {"replicate_rows": replicate_rows,
             "terms_from": "analytic" if have_analytic else "estimated", "analytic_available": have_analytic,
             "bound_note": ("T1 bounds |E gen_i|; estimated constants are plugged in at the upper limits "
                            "of their 95% confidence intervals, and are lower estimates of suprema (the worst "
                            "of a few random neighbours), so a bound built from them is not guaranteed")}
    if estimate:
        extra["estimated_constants"] = dict(ev["estimated_constants"])
    if not have_analytic:
        from stl.verify.cards import analytic_constants

        c = analytic_constants(model_name, params, n)
        extra["analytic_missing"] = c.missing() or ["theory module"]
        # why bound_analytic is null: the card's reason there are no constants, or the
        # notes of the constants theory lacks
        extra["analytic_reason"] = c.reason or "; ".join(
            f"{k}: {c.notes[k]}" for k in c.missing() if c.notes.get(k)) or "a constant is unknown"
    bounds = [ev[k] for k in ("bound_analytic", "bound_estimated") if k in ev]
    extra["generations_violating"] = [g for g in range(generations + 1)
                                      if bounds and abs(mean[g]) - 1.96 * se[g] > min(b[g] for b in bounds)]
    return records, extra
