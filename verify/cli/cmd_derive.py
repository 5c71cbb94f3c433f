"""``stl derive NAME``: print a derivation of THEORY.md and the bound it ends in.

Only :mod:`stl.theory` (sympy) is imported, and only when the command runs. The work is
done in a fixed order: ``--subs`` (each value checked against its domain), then every
``--limit`` in the order given, then ``--rates``, then ``--rate``. A limit in ``i`` or
``n`` first puts in the theory's form of the symbols indexed by it (L2 for
``γ_n^{i-1}``; the Corollary's rates for ``β_n``, ``τ_n``, ``d_TV(n)``) and says so; a
rate lists the indexed symbols it held fixed. All symbolic work runs under a deadline
(``--timeout``), so no input hangs the command.
"""

from __future__ import annotations

import argparse
import sys

from stl.theory.catalog import NAMES, PUBLIC_NAMES, SUMMARIES
from stl.verify.cli.common import add_out_option, check_out_file, emit_out, parse_assignments, to_json

FORMATS = ("pretty", "latex", "json")

EPILOG = """results:
{results}

symbols for --subs, --limit and --rate: {symbols}
expressions may use numbers, + - * / ** ( ), sqrt, log, exp, Rational, Min, Max, pi, E, oo
(numbers within 10^-100..10^100, powers of symbols up to 100; no complex or undefined values)

order of work: --subs, then each --limit in turn, then --rates, then --rate

examples:
  stl derive theorem1
  stl derive shift --format json
  stl derive theorem1 --subs beta_n=4/n --subs lam=1/2 --limit i=oo
  stl derive theorem1 --limit i=oo --rates --rate n
  stl derive corollary --rate n
"""


def _nonempty(what: str):
    def parse(text: str) -> str:
        if not text.strip():
            raise argparse.ArgumentTypeError(f"got {text!r}; allowed: {what}")
        return text.strip()

    parse.__name__ = "text"
    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"got {text}; allowed: a number of seconds in (0, 3600]")
    return value


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "derive", help="print a derivation and its bound (L1, L2, T1, T1', Corollary, T2, T3)",
        description="Print the steps of a result of the theory and the bound they give.",
        epilog=result_epilog(EPILOG),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_result_options(parser)
    parser.add_argument("--format", default="pretty", choices=FORMATS,
                        help="pretty (default: 2-D text), latex or json")
    parser.set_defaults(handler=handle)


def result_epilog(template: str) -> str:
    """``template`` with the list of named results and the ``--subs`` symbols filled in."""
    return template.format(results="\n".join(f"  {name:20s} {SUMMARIES[name]}" for name in NAMES),
                           symbols=", ".join(PUBLIC_NAMES))


def add_result_options(parser: argparse.ArgumentParser, several: bool = False) -> None:
    """``NAME``, ``--subs``, ``--limit``, ``--rates``, ``--rate``, ``--timeout`` (shared with
    ``stl latex``, which takes ``several`` names)."""
    if several:
        parser.add_argument("name", metavar="NAME", nargs="+",
                            help="one or more of: " + ", ".join(NAMES))
    else:
        parser.add_argument("name", metavar="NAME", help="one of: " + ", ".join(NAMES))
    parser.add_argument("--subs", action="append", metavar="K=V", default=[],
                        help="substitute a symbol by a number or expression (repeatable)")
    parser.add_argument("--limit", action="append", metavar="SYM=VAL", default=[],
                        type=_nonempty("SYM=VAL, e.g. i=oo"),
                        help="take the limit of every term, e.g. i=oo or lam=0 (repeatable: "
                             "taken in the order given)")
    parser.add_argument("--rates", action="store_true",
                        help="put in the Corollary's rate forms beta_n = b/n, tau_n = c/n, "
                             "d_TV(n) = a n^(-1/2) (and L2 for gamma)")
    parser.add_argument("--rate", action="append", metavar="SYM", default=[],
                        type=_nonempty("a symbol, e.g. n"),
                        help="print the leading order of the bound as SYM -> oo, with the "
                             "symbols it held fixed")
    parser.add_argument("--timeout", type=_seconds, default=None, metavar="S",
                        help="deadline of the symbolic work in seconds (default 30, or "
                             "STL_SYMBOLIC_TIMEOUT)")
    add_out_option(parser, "the output")


def _work_text(args: argparse.Namespace) -> str:
    """The options that asked for the work, for a deadline message."""
    parts = [f"--subs {s}" for s in args.subs] + [f"--limit {s}" for s in args.limit]
    parts += ["--rates"] if args.rates else []
    parts += [f"--rate {s}" for s in args.rate]
    return " ".join(parts) or args.name


def transformed(args: argparse.Namespace):
    """The derivation of ``args`` after ``--subs``, ``--limit``, ``--rates``; and the rate.

    Raises the theory's ``InputError`` for a bad value and turns a deadline into one.
    """
    from stl.theory.budget import deadline, default_seconds
    from stl.theory.errors import InputError, TimeBudgetExceeded

    if len(args.rate) > 1:
        raise InputError("--rate", " ".join(args.rate), "one symbol (give --rate once)")
    seconds = args.timeout or default_seconds()
    try:
        with deadline(seconds):
            return _transformed(args)
    except TimeBudgetExceeded:
        raise InputError(_work_text(args), f"symbolic work longer than {seconds:g} s",
                         f"input whose symbolic work finishes within {seconds:g} s "
                         "(substitute numbers for more symbols, or raise --timeout)") from None
    except RecursionError:
        raise InputError(_work_text(args), "an expression too deeply nested for sympy",
                         "a smaller expression") from None


def _transformed(args: argparse.Namespace):
    from stl.theory.errors import InputError
    from stl.theory.parsing import parse_expression, parse_substitutions
    from stl.theory.results import get
    from stl.theory.symbols import lookup

    derivation = get(args.name)
    values = parse_substitutions(parse_assignments(args.subs, "--subs"), argument="--subs")
    if values:
        derivation = derivation.subs(values)
    limits = []
    for pair in args.limit:
        name, sep, text = pair.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise InputError("--limit", repr(pair), "SYM=VAL with a non-empty symbol and value")
        if name not in PUBLIC_NAMES:
            raise InputError("--limit", repr(name), "one of the symbols " + ", ".join(PUBLIC_NAMES))
        value = parse_expression(text, argument="--limit")
        try:
            derivation = derivation.limit(lookup(name), value)
        except InputError as exc:  # the theory names its argument "limit"
            if exc.argument != "limit":
                raise
            raise InputError("--limit", exc.got, exc.allowed) from None
        limits.append((name, value))
    if args.rates:
        derivation = derivation.with_rates()
    rate = None
    if args.rate:
        (symbol,) = args.rate
        if symbol not in PUBLIC_NAMES:
            raise InputError("--rate", repr(symbol), "one of the symbols " + ", ".join(PUBLIC_NAMES))
        rate = derivation.result.rate(lookup(symbol))
    return derivation, limits, rate


def handle(args: argparse.Namespace) -> int:
    check_out_file(args.out)
    derivation, limits, rate = transformed(args)
    if args.format == "json":
        emit_out(to_json(as_dict(derivation, limits, rate)), args.out)
    elif args.format == "latex":
        emit_out(as_latex(derivation, rate), args.out)
    else:
        emit_out(as_text(derivation, limits, rate), args.out)
    return 0


def _number(expr):
    """The float value of a closed number, else None."""
    if expr.free_symbols:
        return None
    try:
        return float(expr)
    except (TypeError, OverflowError):
        return None


def as_dict(derivation, limits=(), rate=None) -> dict:
    """JSON form (DESIGN.md: name, expr, latex, terms, assumptions, hides_constants, steps,
    provenance)."""
    import sympy as sp

    from stl.theory.definitions import HYPOTHESES
    from stl.theory.latex import to_latex

    bound = derivation.result
    names = bound.notation()
    given = dict(bound.given)
    limits = list(limits)
    return {
        "name": derivation.name,
        "title": derivation.title,
        "source": bound.source,
        "provenance": bound.provenance,
        "provenance_text": bound.provenance_text,
        "statement": derivation.statement,
        "requires": [{"name": code, "text": HYPOTHESES[code].subs(given).text(),
                      "latex": HYPOTHESES[code].subs(given).latex(names)}
                     for code in bound.requires],
        "expr": sp.srepr(bound.expr),
        "expr_text": sp.sstr(bound.expr),
        "value": _number(bound.expanded().expr),
        "latex": bound.latex(),
        "statement_latex": bound.statement_latex(),
        "terms": {name: sp.srepr(expr) for name, expr in bound.terms},
        "terms_latex": {name: to_latex(expr, names) for name, expr in bound.terms},
        "assumptions": bound.assumption_dicts(),
        "hides_constants": bound.hides_constants,
        "confidence": None if bound.confidence is None else sp.sstr(bound.confidence),
        "confidence_terms": (None if bound.confidence is None
                             else list(bound.confidence_terms or bound.term_names)),
        "given": [{"symbol": s.name, "value": sp.sstr(v), "latex": tex}
                  for (s, v), tex in zip(bound.given, bound.given_latex())],
        "premises": [p.to_dict() for p in bound.premises],
        "defined": [{"symbol": s.name, "value": sp.sstr(v), "expr": sp.srepr(v),
                     "latex": to_latex(v, names)} for s, v in bound.defined],
        "remarks": [{"text": r.text(), "latex": r.latex(names)} for r in bound.remarks],
        "special_cases": [
            {"symbol": case.symbol.name, "value": sp.srepr(case.value), "reason": case.reason,
             "expr": sp.srepr(case.bound.expr), "latex": case.bound.latex()}
            for case in bound.special_cases],
        "steps": [
            {"relation": sp.srepr(step.relation), "text": sp.sstr(step.relation),
             "latex": step.latex(names), "reason": step.reason_text(),
             "reason_latex": step.reason_latex(names), "kind": step.kind}
            for step in derivation.steps],
        "extras": {name: {"expr": sp.srepr(expr), "text": sp.sstr(expr),
                          "latex": to_latex(expr, names)} for name, expr in derivation.extras},
        "limit": None if not limits else {"symbol": limits[-1][0],
                                          "value": sp.sstr(limits[-1][1])},
        "limits": [{"symbol": s, "value": sp.sstr(v)} for s, v in limits],
        "rate": None if rate is None else rate.to_dict(),
    }


def _unicode() -> bool:
    """Whether stdout takes the 2-D printer's Unicode (box drawing, Greek, sub/superscripts)."""
    try:
        "│βₙ⎛".encode(getattr(sys.stdout, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _columns() -> int:
    """The terminal's width (``COLUMNS`` when set; 100 when stdout is not a terminal)."""
    import shutil

    return max(shutil.get_terminal_size(fallback=(100, 24)).columns, 40)


def provenance_line(bound) -> str:
    """The one line ``stl derive`` prints about where the result comes from."""
    return f"provenance: {bound.provenance} ({bound.provenance_text})"


def as_text(derivation, limits=(), rate=None, unicode: bool | None = None,
            width: int | None = None) -> str:
    """The readable form: steps and result in sympy's 2-D pretty printer.

    Formulas are at most ``width`` columns (default: the terminal's) where they can be
    broken between terms, and one line of text where they cannot; never cut in the middle.
    """
    import sympy as sp

    from stl.theory.definitions import HYPOTHESES
    from stl.theory.latex import generation_names, to_pretty, to_text
    from stl.theory.prose import wrap_words

    unicode = _unicode() if unicode is None else unicode
    width = _columns() if width is None else width
    bound = derivation.result
    names = (generation_names(bound.generation())[1] if bound.generation() is not None
             else None)

    def pretty(expr, indent: str = "    ") -> str:
        return _indent(to_pretty(expr, unicode=unicode, names=names,
                                 width=width - len(indent)), indent)

    given = dict(bound.given)
    lines = [f"{derivation.name}: {derivation.title} ({bound.source})"]
    lines += wrap_words(provenance_line(bound), width, "", "  ")
    lines += wrap_words(derivation.statement, width)
    if bound.requires:
        lines.append("assumes:")
        for code in bound.requires:
            lines += HYPOTHESES[code].subs(given).wrapped(width, "  ", "    ", unicode)
    lines += ["", "steps:"]
    for number, step in enumerate(derivation.steps, 1):
        lines += step.reason.wrapped(width, f"  {number:2d}. ", "      ", unicode)
        lines.append(pretty(step.relation, "      "))
    heading = "result"
    confidence = bound.confidence_prose()
    if confidence is not None:
        heading += ", " + confidence.text(unicode)
    if bound.hides_constants:
        heading += " (up to the absolute constant c_0)" if any(
            s.name == "c_0" for s in bound.free_symbols) else " (up to an absolute constant)"
    lines += [""] + wrap_words(heading + ":", width, "", "  ")
    lines += [pretty(bound.statement()), "terms:"]
    for name, expr in bound.terms:
        lines += [f"  {name} =", pretty(expr)]
    value = _number(bound.expanded().expr)
    if value is not None:
        lines.append(f"value: {value:.10g}")
    for case in bound.special_cases:
        lines.append(f"when {case.symbol.name} = {case.value} ({case.reason}):")
        lines.append(pretty(case.bound.statement()))
    if bound.defined:
        lines.append("where:")
        lines += [f"  {to_text(sp.Eq(s, v, evaluate=False), unicode)}" for s, v in bound.defined]
    if bound.given:
        lines.append("with: " + ", ".join(f"{s.name} = {sp.sstr(v)}" for s, v in bound.given))
    if bound.premises:
        lines.append("using:")
        for premise in bound.premises:
            lines += wrap_words(premise.text, width, "  ", "    ")
    lines.append("assumptions:")
    lines += [f"  {item['statement']}" for item in bound.assumption_dicts()]
    if bound.remarks:
        lines.append("notes:")
        for remark in bound.remarks:
            lines += remark.wrapped(width, "  ", "    ", unicode)
    if derivation.extras:
        lines.append("also:")
        for name, expr in derivation.extras:
            lines += [f"  {name} =", pretty(expr)]
    for symbol, value_ in limits:
        lines.append(f"limit taken: {symbol} -> {sp.sstr(value_)}")
    if rate is not None:
        lines += wrap_words("rate: " + rate.text(), width, "", "  ")
    return "\n".join(lines) + "\n"


def _indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line.rstrip() for line in text.splitlines())


def as_latex(derivation, rate=None) -> str:
    """The steps as one ``align*`` (each broken like ``stl latex`` breaks a long bound, so
    nothing runs into the margin) and the result as an ``equation``; reasons and the
    provenance are ``%`` comments."""
    from stl.theory.latex import to_latex
    from stl.theory.paper import ascii_text, comments, render, relation_rows

    bound = derivation.result
    names = bound.notation()
    head = comments(derivation, "derive")
    lines = head[:1] + [f"% {ascii_text(derivation.statement)}"] + head[1:]
    lines.append("\\begin{align*}")
    body = []
    for number, step in enumerate(derivation.steps, 1):
        # reasons are comments: plain text that LaTeX need not typeset
        rows = relation_rows(step.relation, names)
        body.append(f"  % ({number}) {step.reason_latex(names)}\n  "
                    + " \\\\\n  ".join(rows))
    lines.append(" \\\\\n".join(body))
    lines.append("\\end{align*}")
    result = render(derivation, "equation", numbered=True)
    lines += [line for line in result.splitlines() if not line.startswith("%")]
    if rate is not None:
        lines.append(f"% leading order as {rate.symbol.name} -> oo: ${to_latex(rate.order, names)}$"
                     + (f" (holding {', '.join(s.name for s in rate.held_fixed)} fixed)"
                        if rate.held_fixed else ""))
    return "\n".join(lines) + "\n"
