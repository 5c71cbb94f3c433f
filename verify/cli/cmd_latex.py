"""``stl latex NAME``: LaTeX of a result, ready to paste (theorem, align, equation, inline).

Only :mod:`stl.theory` (sympy) is imported, and only when the command runs.
"""

from __future__ import annotations

import argparse

from stl.verify.cli.cmd_derive import add_result_options, load, result_epilog
from stl.verify.cli.common import emit

ENVIRONMENTS = ("theorem", "align", "equation", "inline")

EPILOG = """results:
{results}

symbols for --subs: {symbols}

A theorem block compiles in an article whose preamble has only amsmath, amssymb, amsthm
and \\newtheorem lines for theorem, lemma, corollary and definition.

examples:
  stl latex theorem1 --env theorem
  stl latex corollary --subs lam=1/2 --env align
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "latex", help="LaTeX of a result, ready to paste",
        description="Print a result of the theory as LaTeX.",
        epilog=result_epilog(EPILOG),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_result_options(parser)
    parser.add_argument("--env", default="theorem", choices=ENVIRONMENTS,
                        help="theorem (default; lemma/corollary where that is the kind), "
                             "align, equation or inline")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from stl.theory.latex import render

    emit(render(load(args), args.env) + "\n")
    return 0
