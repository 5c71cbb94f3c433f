"""``stl latex NAME...``: LaTeX of results, ready to paste (theorem, align, equation, inline).

Only :mod:`stl.theory` (sympy) is imported, and only when the command runs. ``--subs``,
``--limit``, ``--rates`` and ``--rate`` work as in ``stl derive`` (same order, same
deadline). Every output compiles in a plain ``article`` with the lines ``--preamble``
prints, without overfull boxes (the tests compile each one with pdflatex).
"""

from __future__ import annotations

import argparse

from stl.verify.cli.cmd_derive import add_result_options, result_epilog, transformed
from stl.verify.cli.common import check_out_file, emit_out, parse_assignments, to_json

ENVIRONMENTS = ("theorem", "align", "equation", "inline")

EPILOG = """results:
{results}

symbols for --subs, --limit, --rate and --notation: {symbols}

Several names print their results one after the other; --subs, --limit, --rates and --rate
apply to each. The output needs amsmath (and amssymb, amsthm and \\newtheorem lines for a
theorem block): --preamble prints exactly the lines it needs, once for all the results. A
theorem block states the values substituted, the hypotheses by name and content, the
forms and conditions a limit used, and defines every symbol it uses. Every output starts
with % comments saying whether the paper states the result or this toolkit derived it;
--footnote also puts that in a \\footnote.

examples:
  stl latex theorem1 --env theorem
  stl latex theorem1 --limit i=oo --rates --env theorem --label thm:stl
  stl latex corollary --subs lam=1/2 --env align --nonumber
  stl latex shift recursive-stability theorem1 --preamble
  stl latex theorem1 --notation gamma='\\rho_n^{{i-1}}' --env equation --preamble
  stl latex theorem1-rate --footnote
  stl latex theorem1-rate --format json
  stl latex theorem1 --limit i=oo --env theorem --preamble --out theorem1.tex
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "latex", help="LaTeX of a result, ready to paste",
        description="Print results of the theory as LaTeX for a paper.",
        epilog=result_epilog(EPILOG),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_result_options(parser, several=True)
    parser.add_argument("--env", default="theorem", choices=ENVIRONMENTS,
                        help="theorem (default; lemma/corollary where that is the kind), "
                             "align, equation or inline")
    parser.add_argument("--label", default=None, metavar="L",
                        help="\\label of the environment (default thm:NAME, lem:NAME, "
                             "cor:NAME or eq:NAME; one NAME only)")
    parser.add_argument("--nonumber", action="store_true",
                        help="the unnumbered (starred) environment, without a label")
    parser.add_argument("--notation", action="append", default=[], metavar="SYM=TEX",
                        help="typeset a symbol your way, e.g. gamma='\\rho_n^{i-1}' (repeatable)")
    parser.add_argument("--preamble", action="store_true",
                        help="print the \\usepackage and \\newtheorem lines the output needs "
                             "before it (once for several results)")
    parser.add_argument("--footnote", action="store_true",
                        help="state the provenance in a \\footnote too (--env theorem or inline)")
    parser.add_argument("--format", default="latex", choices=("latex", "json"),
                        help="latex (default) or json (the LaTeX, its preamble, its provenance "
                             "and the substitutions, limits and rate behind it)")
    parser.set_defaults(handler=handle)


def _one(args: argparse.Namespace, name: str, notation: dict) -> tuple[dict, str]:
    """The JSON record and the LaTeX of one result."""
    import sympy as sp

    from stl.theory.paper import default_label, provenance_sentence, render

    derivation, limits, rate = transformed(argparse.Namespace(**{**vars(args), "name": name}))
    body = render(derivation, args.env, label=args.label, numbered=not args.nonumber,
                  notation=notation, rate=rate, footnote=args.footnote)
    bound = derivation.result
    record = {
        "name": derivation.name, "source": bound.source, "env": args.env,
        "provenance": bound.provenance, "provenance_text": bound.provenance_text,
        "provenance_latex": provenance_sentence(derivation),
        "latex": body,
        "label": None if args.nonumber or args.env == "inline"
        else (args.label or default_label(derivation, args.env)),
        "numbered": not args.nonumber and args.env != "inline",
        "notation": {symbol.name: tex for symbol, tex in notation.items()},
        "given": [{"symbol": s.name, "value": sp.sstr(v)} for s, v in bound.given],
        "premises": [p.to_dict() for p in bound.premises],
        "conditions": [c.to_dict() for c in bound.conditions],
        "limits": [{"symbol": s, "value": sp.sstr(v)} for s, v in limits],
        "rate": None if rate is None else rate.to_dict(),
    }
    return record, body


def handle(args: argparse.Namespace) -> int:
    from stl.theory.errors import InputError
    from stl.theory.paper import preamble
    from stl.theory.symbols import lookup

    check_out_file(args.out)
    if args.label is not None and len(args.name) > 1:
        raise InputError("--label", args.label, "one NAME (a label names one result)")
    notation = {lookup(key, public_only=False): tex
                for key, tex in parse_assignments(args.notation, "--notation").items()}
    records, bodies = [], []
    for name in args.name:
        record, body = _one(args, name, notation)
        records.append(record)
        bodies.append(body)
    joined = "\n\n".join(bodies)
    head = preamble(joined)
    if args.format == "json":
        for record, body in zip(records, bodies):
            record["preamble"] = preamble(body)
        if len(records) == 1:
            emit_out(to_json(records[0]), args.out)
        else:
            emit_out(to_json({"results": records, "preamble": head}), args.out)
    elif args.preamble:
        emit_out(f"% preamble\n{head}\n\n% body\n{joined}\n", args.out)
    else:
        emit_out(joined + "\n", args.out)
    return 0
