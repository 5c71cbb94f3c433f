"""``stl latex NAME``: LaTeX of a result, ready to paste (theorem, align, equation, inline).

Only :mod:`stl.theory` (sympy) is imported, and only when the command runs. ``--subs``,
``--limit``, ``--rates`` and ``--rate`` work as in ``stl derive`` (same order, same
deadline). Every output compiles in a plain ``article`` with the lines ``--preamble``
prints, without overfull boxes (the tests compile each one with pdflatex).
"""

from __future__ import annotations

import argparse

from stl.verify.cli.cmd_derive import add_result_options, result_epilog, transformed
from stl.verify.cli.common import emit, parse_assignments, to_json

ENVIRONMENTS = ("theorem", "align", "equation", "inline")

EPILOG = """results:
{results}

symbols for --subs, --limit, --rate and --notation: {symbols}

The output needs amsmath (and amssymb, amsthm and \\newtheorem lines for a theorem block):
--preamble prints exactly the lines it needs. A theorem block states the values
substituted, the forms and conditions a limit used, and defines every symbol it uses.

examples:
  stl latex theorem1 --env theorem
  stl latex theorem1 --limit i=oo --rates --env theorem --label thm:stl
  stl latex corollary --subs lam=1/2 --env align --nonumber
  stl latex theorem1 --notation gamma='\\rho_n^{{i-1}}' --env equation --preamble
  stl latex theorem1-rate --format json
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "latex", help="LaTeX of a result, ready to paste",
        description="Print a result of the theory as LaTeX for a paper.",
        epilog=result_epilog(EPILOG),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_result_options(parser)
    parser.add_argument("--env", default="theorem", choices=ENVIRONMENTS,
                        help="theorem (default; lemma/corollary where that is the kind), "
                             "align, equation or inline")
    parser.add_argument("--label", default=None, metavar="L",
                        help="\\label of the environment (default thm:NAME, lem:NAME, "
                             "cor:NAME or eq:NAME)")
    parser.add_argument("--nonumber", action="store_true",
                        help="the unnumbered (starred) environment, without a label")
    parser.add_argument("--notation", action="append", default=[], metavar="SYM=TEX",
                        help="typeset a symbol your way, e.g. gamma='\\rho_n^{i-1}' (repeatable)")
    parser.add_argument("--preamble", action="store_true",
                        help="print the \\usepackage and \\newtheorem lines the output needs "
                             "before it")
    parser.add_argument("--format", default="latex", choices=("latex", "json"),
                        help="latex (default) or json (the LaTeX, its preamble and the "
                             "substitutions, limits and rate behind it)")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    import sympy as sp

    from stl.theory.paper import default_label, preamble, render
    from stl.theory.symbols import lookup

    derivation, limits, rate = transformed(args)
    notation = {lookup(key, public_only=False): tex
                for key, tex in parse_assignments(args.notation, "--notation").items()}
    body = render(derivation, args.env, label=args.label, numbered=not args.nonumber,
                  notation=notation, rate=rate)
    head = preamble(body)
    if args.format == "json":
        bound = derivation.result
        emit(to_json({
            "name": derivation.name, "source": bound.source, "env": args.env,
            "latex": body, "preamble": head,
            "label": None if args.nonumber or args.env == "inline"
            else (args.label or default_label(derivation, args.env)),
            "numbered": not args.nonumber and args.env != "inline",
            "notation": {symbol.name: tex for symbol, tex in notation.items()},
            "given": [{"symbol": s.name, "value": sp.sstr(v)} for s, v in bound.given],
            "premises": [p.to_dict() for p in bound.premises],
            "conditions": [c.to_dict() for c in bound.conditions],
            "limits": [{"symbol": s, "value": sp.sstr(v)} for s, v in limits],
            "rate": None if rate is None else rate.to_dict(),
        }))
    elif args.preamble:
        emit(f"% preamble\n{head}\n\n% body\n{body}\n")
    else:
        emit(body + "\n")
    return 0
