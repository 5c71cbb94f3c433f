"""``stl bound MODEL``: measured ``E gen_i`` beside the T1 bound, generation by generation.

For every generation ``i`` it reports (DESIGN.md metric names):

* ``gen_gap`` — the measured ``E gen_i`` (mean and standard error over replicates);
* ``bound_analytic`` — T1 with the model's analytic constants (:mod:`stl.theory.models`) and
  L2's ``γ``, where theory knows every constant (elsewhere the record is there with a
  null mean, and ``config.analytic_missing`` names the missing constants);
* ``bound_estimated`` — T1 with estimated constants (:mod:`stl.numerics.estimators`) at the
  upper limits of their 95 % confidence intervals (``stderr`` is null: it is a plug-in
  value, not a mean);
* ``term_stability`` and ``term_shift`` — T1's two terms (from the analytic constants
  when available, else from the estimated ones; ``config.terms_from`` says which), plus
  ``term_stability_estimated``/``term_shift_estimated`` when both exist.

T1 is stated for the ``mix`` scheme (``replace`` is its ``λ = 0`` case); other schemes
are refused rather than compared with a bound that was not proved for them.
"""

from __future__ import annotations

import argparse
import math

from stl.verify.cli import types as T
from stl.verify.cli.common import TerminalProgress, add_simulation_options
from stl.verify.errors import InputError

EXAMPLES = """examples:
  stl bound categorical --n 100 --lam 0.5 --generations 10 --replicates 1000
  stl bound categorical --scheme replace --lam 0 --format json
  stl bound linreg --param dim=5 --est-replicates 100 --out bound.json
"""

T1_SCHEMES = ("mix", "replace")


def register(subparsers) -> None:
    from stl.verify.cli.cmd_simulate import _lazy_help

    parser = subparsers.add_parser(
        "bound", help="measured E gen_i beside the T1 bound (analytic and estimated constants)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_simulation_options(parser)
    parser.add_argument("--est-replicates", type=T.COUNT(2, T.MAX_REPLICATES), default=None,
                        help="replicates for the constant estimators (default: min(replicates, 200))")
    _lazy_help(parser, EXAMPLES)
    parser.set_defaults(handler=handler)


def handler(args: argparse.Namespace) -> int:
    if args.scheme not in T1_SCHEMES:
        raise InputError("--scheme", args.scheme, "mix or replace (T1 is stated for these schemes)")
    from stl.verify.cli.cmd_simulate import build, finish

    model, scheme, config = build(args)   # resolves --n / --replicates left at the model's defaults
    if args.replicates < 2:
        raise InputError("--replicates", args.replicates, "an integer >= 2 (a mean needs a standard error)")
    est_r = args.est_replicates if args.est_replicates is not None else min(args.replicates, 200)
    if est_r < 2:
        raise InputError("--est-replicates", est_r, "an integer >= 2")
    from stl.verify.checks.loops import param_texts

    params = {**param_texts(model), **_param_texts(args)}
    records, extra = bound_records(args.model, params, scheme, args.generations, args.replicates, est_r,
                                   args.seed, model=model, quiet=args.quiet)
    config.update(extra)
    config["est_replicates"] = est_r
    return finish(args, config, records)


def _param_texts(args) -> dict[str, str]:
    from stl.verify.cli.common import parse_assignments

    return parse_assignments(args.param, "--param")


def bound_records(model_name: str, params: dict[str, str], scheme, generations: int, replicates: int,
                  est_replicates: int, seed: int, model=None, quiet: bool = True):
    """Tidy records (DESIGN.md) of ``gen_gap``, both bounds and the terms; plus config notes."""
    from stl.numerics import estimators as E
    from stl.numerics.loop import run_loop
    from stl.verify.checks.validity import evaluate_config

    if model is None:
        from stl.verify.checks.loops import build_model
        model = build_model(model_name, params)
    n, lam = scheme.n, scheme.lam
    progress = TerminalProgress("bound: loop generations", quiet=quiet)
    traj = run_loop(model, scheme, n, lam, generations, replicates, seed, progress=progress,
                    metrics=("gen_gap",))
    prog_est = TerminalProgress("bound: estimating constants", quiet=quiet)
    beta = E.estimate_beta(model, n, est_replicates, seed)
    prog_est(1, 3)
    gam = E.estimate_gamma(model, scheme, n, lam, generations, est_replicates, seed)
    prog_est(2, 3)
    dtv = E.estimate_dtv(model, scheme, n, lam, generations, est_replicates, seed)
    prog_est(3, 3)
    cfg = {"model": model_name, "params": params, "scheme": scheme.name, "n": n, "lam": lam,
           "generations": generations, "replicates": replicates, "est_replicates": est_replicates,
           "block": max(replicates, est_replicates), "estimated": True, "M": float(model.loss_bound)}
    outputs = [{"gen_gap": traj.values["gen_gap"]},
               {"values": beta.per_replicate, "method": beta.method, "proxy": beta.proxy},
               {"values": gam.per_replicate, "method": gam.method, "proxy": gam.proxy,
                "differ": gam.details["synthetic_differ"], "maximal": bool(model.has_maximal_coupling),
                "tv_exact": bool(model.tv_exact)},
               {"values": dtv.per_replicate, "method": dtv.method, "proxy": dtv.proxy}]
    ev = evaluate_config(cfg, outputs)
    mean = traj.mean("gen_gap")
    se = traj.stderr("gen_gap")
    records = []
    have_analytic = "bound_analytic" in ev
    terms = ev["analytic_terms"] if have_analytic else ev["estimated_terms"]
    for g in range(generations + 1):
        rows = [("gen_gap", float(mean[g]), float(se[g]), replicates)]
        # bound_analytic is always a record (DESIGN.md); without analytic constants its mean
        # is null (config.analytic_missing says which constant theory lacks)
        rows.append(("bound_analytic", float(ev["bound_analytic"][g]) if have_analytic else math.nan,
                     0.0 if have_analytic else math.nan, 0))
        rows.append(("bound_estimated", float(ev["bound_estimated"][g]), math.nan, est_replicates))
        n_terms = 0 if have_analytic else est_replicates
        rows.append(("term_stability", float(terms["stability"][g]), 0.0 if have_analytic else math.nan, n_terms))
        rows.append(("term_shift", float(terms["shift"][g]), 0.0 if have_analytic else math.nan, n_terms))
        if have_analytic:
            rows.append(("term_stability_estimated", float(ev["estimated_terms"]["stability"][g]), math.nan,
                         est_replicates))
            rows.append(("term_shift_estimated", float(ev["estimated_terms"]["shift"][g]), math.nan,
                         est_replicates))
        for metric, m, s, r in rows:
            records.append({"generation": g, "metric": metric, "mean": m, "stderr": s, "n_replicates": r})
    extra = {"terms_from": "analytic" if have_analytic else "estimated",
             "analytic_available": have_analytic,
             "estimated_constants": {k: v for k, v in ev["estimated_constants"].items()},
             "bound_note": ("T1 bounds |E gen_i|; estimated constants are plugged in at the upper limits "
                            "of their 95% confidence intervals")}
    if not have_analytic:
        from stl.verify.constants import analytic_constants
        c = analytic_constants(model_name, params, n)
        extra["analytic_missing"] = c.missing() or ["theory module"]
    viol = [g for g in range(generations + 1)
            if abs(mean[g]) - 1.96 * se[g] > min(ev.get("bound_analytic", [math.inf] * (g + 1))[g],
                                                  ev["bound_estimated"][g])]
    extra["generations_violating"] = viol
    return records, extra
