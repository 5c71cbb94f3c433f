"""``stl optimize synthetic-size``: T3's optimal number of synthetic samples, four ways.

Methods (``--method all`` runs every one; THEORY.md T3):

  sympy     closed form n_s* = n_r (A/C − 2) when A > 2C (else 0), A = c_0 M sqrt(log 1/δ),
            C = M a; only in its regime (b = 0, i = oo), otherwise it says why not
  scipy     bounded search + best integer on T1' at generation i with L2's γ (always applies)
  cvxpy     the geometric program (gp=True) of the closed-form regime (needs A > C)
  simulate  runs the loop of --model over a grid of n_s and picks the lowest measured
            real-distribution risk, with its confidence interval

``--subs`` sets the constants M, c_0, delta, a, b, c (β_n = b/n, τ_n = c/n,
d_TV = a/√n) and i (``oo`` for i → ∞). With ``--model`` the constants theory knows for
that model are the defaults. JSON: ``{"methods": {"sympy": {"n_s": ...} | {"reason": ...},
...}, "problem": {...}, "notes": [...]}``.
"""

from __future__ import annotations

import argparse
import math

from stl.verify.cli import types as T
from stl.verify.cli.common import add_out_option
from stl.verify.errors import InputError

EXAMPLES = """examples:
  stl optimize synthetic-size --n-real 100
  stl optimize synthetic-size --n-real 100 --subs a=0.5 --subs c_0=2 --format json
  stl optimize synthetic-size --n-real 200 --subs b=1 --subs c=0.5 --subs i=10 --method scipy
  stl optimize synthetic-size --n-real 100 --model categorical --param k=10 --method all
"""


def register(subparsers) -> None:
    p = subparsers.add_parser("optimize", help="optimal synthetic data size (T3) by several methods",
                              description="Optimization problems of the theory.",
                              formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXAMPLES)
    sub = p.add_subparsers(dest="problem", metavar="PROBLEM", parser_class=type(p))
    s = sub.add_parser("synthetic-size", help="n_s* for a fixed number of real samples (T3)",
                       description=__doc__, epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    s.add_argument("--n-real", type=T.COUNT(1, 10**9), required=True, metavar="NR", help="number of real samples n_r")
    s.add_argument("--model", default=None, help="model for defaults and for --method simulate")
    s.add_argument("--param", action="append", default=[], metavar="K=V", help="model parameter (repeatable)")
    s.add_argument("--method", default="all", help="all | sympy | scipy | cvxpy | simulate (default all)")
    s.add_argument("--subs", action="append", default=[], metavar="NAME=EXPR",
                   help="constant: M, c_0, delta, a, b, c, i (repeatable)")
    s.add_argument("--generations", type=T.COUNT(1, T.MAX_GENERATIONS), default=10, help="simulate: generations (default 10)")
    s.add_argument("--replicates", type=T.COUNT(2, T.MAX_REPLICATES), default=200, help="simulate: replicates per grid point")
    s.add_argument("--seed", type=T.SEED, default=0, help="simulate: seed")
    s.add_argument("--grid", default=None, metavar="N1,N2,...", help="simulate: the n_s values to try")
    s.add_argument("--format", default="pretty", choices=("pretty", "json"))
    s.add_argument("--quiet", action="store_true", help="no progress output")
    add_out_option(s, "the result (pretty or json, as --format says)")
    s.set_defaults(handler=handler)
    p.set_defaults(handler=lambda args: _missing_problem())


def _missing_problem() -> int:
    raise InputError("PROBLEM", "nothing", "synthetic-size")


def handler(args: argparse.Namespace) -> int:
    from stl.verify.cli.common import check_out_file, emit_out, parse_assignments, to_json
    from stl.verify.research.optimal_size import METHODS, disagreements, problem_from_subs, solve

    check_out_file(args.out)
    methods = METHODS if args.method == "all" else (args.method,)
    if args.method != "all" and args.method not in METHODS:
        raise InputError("--method", args.method, "all, " + ", ".join(METHODS))
    params = parse_assignments(args.param, "--param")
    if args.model is not None:
        from stl.verify.checks.loops import build_model, param_texts

        params = {**param_texts(build_model(args.model, params)), **params}  # validates model and params
    problem = problem_from_subs(args.n_real, parse_assignments(args.subs, "--subs"), args.model, params)
    grid = None
    if args.grid:
        try:
            grid = sorted({int(v) for v in args.grid.split(",")})
        except ValueError:
            raise InputError("--grid", args.grid, "comma-separated integers >= 0") from None
        if not grid or grid[0] < 0:
            raise InputError("--grid", args.grid, "comma-separated integers >= 0")
        if grid[-1] > T.MAX_N - args.n_real:
            raise InputError("--grid", args.grid, f"n_s values with n_r + n_s <= {T.MAX_N}")
    sim = {"generations": args.generations, "replicates": args.replicates, "seed": args.seed, "grid": grid}
    from stl.verify.cli.cmd_simulate import out_of_memory_as_input_error

    with out_of_memory_as_input_error():  # a simulation grid or replicate count too large
        results = solve(problem, methods, model=args.model, model_params=params,
                        **(sim if "simulate" in methods else {}))
    notes = disagreements(problem, results)
    prob = {k: (v if not (isinstance(v, float) and math.isinf(v)) else "oo")
            for k, v in problem.__dict__.items() if v is not None}
    if prob["i"] != "oo":
        prob["i"] = int(prob["i"])
    prob.update({"A": problem.A, "C": problem.C, "closed_form_regime": problem.closed_form_regime})
    doc = {"methods": results, "problem": prob, "notes": notes}
    if args.format == "json":
        emit_out(to_json(doc), args.out)
    else:
        emit_out(_pretty(doc), args.out)
    return 0


def _pretty(doc: dict) -> str:
    p = doc["problem"]
    lines = [f"T3: n_r = {p['n_r']}, A = {p['A']:.4g}, C = {p['C']:.4g} (A/C = {p['A'] / p['C']:.4g}), "
             f"b = {p['b']:g}, c = {p['c']:g}, i = {p['i']}",
             ""]
    for m, r in doc["methods"].items():
        if "n_s" in r:
            extra = ""
            if "risk" in r:
                extra = (f"  ({r['metric']} {r['risk']:.4g} [{r['risk_ci'][0]:.4g}, {r['risk_ci'][1]:.4g}];"
                         f" indistinguishable: {r['indistinguishable']})")
            elif "bound" in r:
                extra = f"  (bound {r['bound']:.4g})"
            if "note" in r:
                extra += f"  note: {r['note']}"
            lines.append(f"  {m:<9} n_s* = {r['n_s']}{extra}")
        else:
            lines.append(f"  {m:<9} does not apply: {r['reason']}")
    if doc["notes"]:
        lines += ["", "where they disagree and why:"] + [f"  - {n}" for n in doc["notes"]]
    return "\n".join(lines) + "\n"
