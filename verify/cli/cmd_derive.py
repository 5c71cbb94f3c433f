"""``stl derive NAME``: print a derivation of THEORY.md and the bound it ends in.

Only :mod:`stl.theory` (sympy) is imported, and only when the command runs.
"""

from __future__ import annotations

import argparse

from stl.theory.catalog import NAMES, PUBLIC_NAMES, SUMMARIES
from stl.verify.cli.common import emit, parse_assignments, to_json

FORMATS = ("pretty", "latex", "json")

EPILOG = """results:
{results}

symbols for --subs, --limit and --rate: {symbols}
expressions may use numbers, + - * / ** ( ), sqrt, log, exp, Rational, Min, Max, pi, E, oo

examples:
  stl derive theorem1
  stl derive shift --format json
  stl derive theorem1 --subs beta_n=4/n --subs lam=1/2 --limit i=oo
  stl derive corollary --rate n
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "derive", help="print a derivation and its bound (L1, L2, T1, T1', Corollary, T2, T3)",
        description="Print the steps of a result of the theory and the bound they give.",
        epilog=result_epilog(EPILOG),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_result_options(parser)
    parser.add_argument("--limit", metavar="SYM=VAL",
                        help="take the limit of every term, e.g. i=oo or lam=0")
    parser.add_argument("--rate", metavar="SYM",
                        help="print the leading order of the bound as SYM -> oo")
    parser.add_argument("--format", default="pretty", choices=FORMATS,
                        help="pretty (default), latex or json")
    parser.set_defaults(handler=handle)


def result_epilog(template: str) -> str:
    """``template`` with the list of named results and the ``--subs`` symbols filled in."""
    return template.format(results="\n".join(f"  {name:20s} {SUMMARIES[name]}" for name in NAMES),
                           symbols=", ".join(PUBLIC_NAMES))


def add_result_options(parser: argparse.ArgumentParser) -> None:
    """``NAME`` and ``--subs``, shared with ``stl latex``."""
    parser.add_argument("name", metavar="NAME", help="one of: " + ", ".join(NAMES))
    parser.add_argument("--subs", action="append", metavar="K=V", default=[],
                        help="substitute a symbol by a number or expression (repeatable)")


def load(args: argparse.Namespace):
    """The derivation named in ``args`` with ``--subs`` applied (checked)."""
    from stl.theory.parsing import parse_substitutions
    from stl.theory.results import get

    derivation = get(args.name)
    values = parse_substitutions(parse_assignments(args.subs, "--subs"), argument="--subs")
    return derivation.subs(values) if values else derivation


def handle(args: argparse.Namespace) -> int:
    import sympy as sp

    from stl.theory.errors import InputError
    from stl.theory.parsing import parse_expression
    from stl.theory.symbols import lookup

    derivation = load(args)
    limit = None
    if args.limit:
        pairs = parse_assignments([args.limit], "--limit")
        ((name, text),) = pairs.items()
        if name not in PUBLIC_NAMES:
            raise InputError("--limit", repr(name), "one of the symbols " + ", ".join(PUBLIC_NAMES))
        value = parse_expression(text, argument="--limit")
        derivation = derivation.with_result(derivation.result.limit(lookup(name), value))
        limit = (name, value)
    rate = None
    if args.rate:
        if args.rate not in PUBLIC_NAMES:
            raise InputError("--rate", repr(args.rate),
                             "one of the symbols " + ", ".join(PUBLIC_NAMES))
        rate = (args.rate, derivation.result.rate(lookup(args.rate)))
    if args.format == "json":
        emit(to_json(as_dict(derivation, limit, rate)))
    elif args.format == "latex":
        emit(as_latex(derivation, rate))
    else:
        emit(as_text(derivation, limit, rate, sp))
    return 0


def _number(expr):
    """The float value of a closed number, else None."""
    if expr.free_symbols:
        return None
    try:
        return float(expr)
    except TypeError:
        return None


def as_dict(derivation, limit=None, rate=None) -> dict:
    """JSON form (DESIGN.md: name, expr, latex, terms, assumptions, hides_constants, steps)."""
    import sympy as sp

    from stl.theory.symbols import to_latex

    bound = derivation.result
    return {
        "name": derivation.name,
        "title": derivation.title,
        "source": bound.source,
        "statement": derivation.statement,
        "expr": sp.srepr(bound.expr),
        "expr_text": sp.sstr(bound.expr),
        "value": _number(bound.expr),
        "latex": bound.latex(),
        "statement_latex": bound.statement_latex(),
        "terms": {name: sp.srepr(expr) for name, expr in bound.terms},
        "terms_latex": {name: to_latex(expr) for name, expr in bound.terms},
        "assumptions": bound.assumption_dicts(),
        "hides_constants": bound.hides_constants,
        "special_cases": [
            {"symbol": case.symbol.name, "value": sp.srepr(case.value), "reason": case.reason,
             "expr": sp.srepr(case.bound.expr), "latex": case.bound.latex()}
            for case in bound.special_cases],
        "steps": [
            {"relation": sp.srepr(step.relation), "text": sp.sstr(step.relation),
             "latex": step.latex(), "reason": step.reason, "kind": step.kind}
            for step in derivation.steps],
        "extras": {name: {"expr": sp.srepr(expr), "text": sp.sstr(expr),
                          "latex": to_latex(expr)} for name, expr in derivation.extras},
        "limit": None if limit is None else {"symbol": limit[0], "value": sp.sstr(limit[1])},
        "rate": None if rate is None else {"symbol": rate[0], "expr": sp.srepr(rate[1]),
                                           "text": sp.sstr(rate[1]),
                                           "latex": to_latex(rate[1])},
    }


def as_text(derivation, limit, rate, sp) -> str:
    bound = derivation.result
    lines = [f"{derivation.name}: {derivation.title} ({bound.source})",
             derivation.statement, "", "steps:"]
    for number, step in enumerate(derivation.steps, 1):
        lines.append(f"  {number:2d}. {sp.sstr(step.relation)}")
        lines.append(f"      because {step.reason}")
    lines += ["", "result" + (" (up to the absolute constant c_0)" if bound.hides_constants
                              else "") + ":", f"  {sp.sstr(bound.statement())}", "terms:"]
    lines += [f"  {name} = {sp.sstr(expr)}" for name, expr in bound.terms]
    value = _number(bound.expr)
    if value is not None:
        lines.append(f"value: {value:.10g}")
    for case in bound.special_cases:
        lines.append(f"when {case.symbol.name} = {case.value}: {sp.sstr(case.bound.expr)}"
                     f"  ({case.reason})")
    lines.append("assumptions:")
    lines += [f"  {item['statement']}" for item in bound.assumption_dicts()]
    if derivation.extras:
        lines.append("also:")
        lines += [f"  {name} = {sp.sstr(expr)}" for name, expr in derivation.extras]
    if limit is not None:
        lines.append(f"limit taken: {limit[0]} -> {sp.sstr(limit[1])}")
    if rate is not None:
        lines.append(f"rate as {rate[0]} -> oo: O({sp.sstr(rate[1])})")
    return "\n".join(lines) + "\n"


def as_latex(derivation, rate=None) -> str:
    from stl.theory.symbols import to_latex

    bound = derivation.result
    lines = [f"% {derivation.name}: {derivation.title} ({bound.source})",
             "\\begin{align*}"]
    body = []
    for number, step in enumerate(derivation.steps, 1):
        # reasons are comments: plain text that LaTeX need not typeset
        body.append(f"  % ({number}) {step.reason}\n  & {step.latex()}")
    lines.append(" \\\\\n".join(body))
    lines += ["\\end{align*}", "\\begin{equation}", "  " + bound.statement_latex(),
              "\\end{equation}"]
    if rate is not None:
        lines.append(f"% leading order as {rate[0]} -> oo: ${to_latex(rate[1])}$")
    return "\n".join(lines) + "\n"
