"""``stl stability MODEL``: estimate ``β_n``, ``τ_n``, ``γ_n^i`` and ``d_TV(n)`` with CIs.

Records (DESIGN.md): metrics ``beta_n`` and ``tau_n`` at generation 0, ``gamma`` and
``d_tv`` at every generation, each with ``mean``, ``stderr``, ``n_replicates``,
``ci_low`` and ``ci_high``. ``config["methods"]`` says how each was computed (and marks
a proxy coupling).
"""

from __future__ import annotations

import argparse

from stl.verify.cli.common import lazy_help, paragraphs
from stl.verify.cli.cmd_simulate import (
    build,
    finish,
    out_of_memory_as_input_error,
)
from stl.verify.cli import types as T
from stl.verify.cli.common import TerminalProgress, add_simulation_options
from stl.verify.errors import InputError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "stability",
        help="estimate beta_n, tau_n, gamma_n^i and d_TV(n) with confidence intervals",
        description=paragraphs(
            "Estimate the constants of the STL bound for a model: uniform stability beta_n and "
            "TV-stability tau_n (from neighbouring real datasets), recursive stability gamma_n^i "
            "under the recursive maximal coupling, and learnability d_TV(n) per generation.",
            "beta_n, tau_n and gamma are suprema over neighbouring datasets (and, for beta_n, over "
            "loss arguments): each estimate is the mean over replicates of the largest change "
            "found over a few random neighbours and probes, so it is a lower estimate of the "
            "supremum; its CI (ci_low, ci_high: two-sided Student-t interval, mean +- q stderr, "
            "clipped to the range of the quantity) is for that mean. config.methods says how "
            "each number was computed."),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_simulation_options(parser)
    parser.add_argument("--neighbours", type=T.COUNT(1, 10_000), default=16,
                        help="neighbouring datasets per replicate for beta_n and tau_n (default 16)")
    parser.add_argument("--probes", type=T.COUNT(1, 10_000_000), default=256,
                        help="real probe points for the loss change in beta_n (default 256)")
    parser.add_argument("--confidence", type=T.CONFIDENCE, default=0.95, help="CI level (default 0.95)")
    lazy_help(parser, "examples:\n"
                       "  stl stability categorical --n 50 --scheme mix --lam 0.5 --generations 10 --format json\n"
                       "  stl stability gaussian --param dim=1 --replicates 1000 --out stability.csv")
    parser.set_defaults(handler=handler)


def handler(args) -> int:
    model, scheme, config = build(args)
    if args.replicates < 2:
        raise InputError("--replicates", args.replicates, "an integer >= 2 (a CI needs two replicates)")
    progress = TerminalProgress("stability: steps", quiet=args.quiet)
    common = {"confidence": args.confidence}
    with out_of_memory_as_input_error():
        beta, tau, gamma, dtv = _estimate(args, model, scheme, progress, common)
    records = beta.to_records("beta_n") + tau.to_records("tau_n") + gamma.to_records("gamma") + dtv.to_records("d_tv")
    config["methods"] = {"beta_n": beta.method, "tau_n": tau.method, "gamma": gamma.method, "d_tv": dtv.method}
    config["gamma_proxy"] = gamma.proxy
    config["confidence"] = args.confidence
    config["neighbours"] = args.neighbours
    config["probes"] = args.probes
    return finish(args, config, records)


def _estimate(args, model, scheme, progress, common):
    """The four estimates, in the order the records list them."""
    from stl.numerics.estimators import estimate_beta, estimate_dtv, estimate_gamma, estimate_tau

    g = args.generations
    total = 2 * (g + 1) + 2
    beta = estimate_beta(model, scheme.n, args.replicates, args.seed, neighbours=args.neighbours,
                         probes=args.probes, **common)
    progress(1, total)
    tau = estimate_tau(model, scheme.n, args.replicates, args.seed, neighbours=args.neighbours, **common)
    progress(2, total)
    gamma = estimate_gamma(model, scheme, scheme.n, scheme.lam, g, args.replicates, args.seed,
                           progress=lambda d, t: progress(2 + d, total), **common)
    dtv = estimate_dtv(model, scheme, scheme.n, scheme.lam, g, args.replicates, args.seed,
                       progress=lambda d, t: progress(2 + g + 1 + d, total), **common)
    return beta, tau, gamma, dtv
