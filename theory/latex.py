"""How formulas print: sympy's LaTeX and 2-D text printers, arranged as a paper writes.

Both printers share one arrangement (:func:`arrange`, :func:`ordered_terms`): factors in
the paper's order (:data:`stl.theory.symbols.PAPER_ORDER`), a sum starting with its
positive constant (``1 - λ``) and ending with a negative one (``i - 1``), and no leading
minus that flipping the signs of a factor removes. Symbols are typeset from their records
(:mod:`stl.theory.symbols`); nothing here glues LaTeX strings around sympy's output.

The 2-D text of a formula wider than the terminal is broken between the top-level terms
of its sum, with continuation lines aligned under the first term, and falls back to one
line of plain text when a single term is wider than the terminal: a formula is never cut
in the middle of an expression. Paste-ready environments (theorem blocks, ``align``) are
in :mod:`stl.theory.paper`.

>>> from stl.theory.symbols import PUBLIC
>>> to_latex(PUBLIC["beta_n"] / PUBLIC["lam"])
'\\\\frac{\\\\beta_{n}}{\\\\lambda}'
>>> print(to_pretty(PUBLIC["beta_n"] / PUBLIC["lam"]))
βₙ
──
λ
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.pretty.pretty import PrettyPrinter
from sympy.printing.str import StrPrinter

from stl.theory import symbols as S

# --------------------------------------------------------------------------- arrangement


def _negative_term(term: sp.Expr) -> bool:
    """A term of a sum that prints with a leading minus (``-λ``, ``-2 n``)."""
    return bool(term.as_coeff_Mul()[0].is_negative)


def _flippable(expr: sp.Expr) -> bool:
    """A sum that reads better negated: ``λ - 1`` (-> ``1 - λ``), ``-x - y`` (-> ``x + y``)."""
    if not expr.is_Add:
        return False
    constants = [t for t in expr.args if t.is_number]
    others = [t for t in expr.args if not t.is_number]
    if all(_negative_term(t) for t in expr.args):
        return True
    return bool(constants) and all(c.is_negative for c in constants) and \
        all(not _negative_term(t) for t in others)


def ordered_terms(terms: list) -> list:
    """The terms of a sum in the paper's order.

    Positive terms before negative ones; a negative constant goes last (``i - 1``,
    ``n - d - 1``); a positive one goes last after bare symbols (``i + 1``) and first
    otherwise (``1 - λ``, ``1 + λ n γ``).
    """
    constants = [t for t in terms if t.is_number]
    others = [t for t in terms if not t.is_number]
    positive = [t for t in others if not _negative_term(t)]
    negative = [t for t in others if _negative_term(t)]
    head = [t for t in constants if not _negative_term(t)]
    tail = [t for t in constants if _negative_term(t)]
    if head and others and not negative and all(t.is_Symbol for t in positive):
        head, tail = [], head + tail
    return head + positive + negative + tail


def _factor_key(factor: sp.Expr) -> tuple:
    """Where a factor goes in a product: numbers, simple factors, sums, functions.

    A simple factor is a symbol, a power of one, a sequence term or a binomial such as
    ``1 - λ``; within a class the paper's order of symbols decides, and a symbol comes
    before a binomial in it (``λ (1-λ) n``).
    """
    if factor.is_number:
        return (0, 0, 0, "")
    base = factor.base if factor.is_Pow else factor
    rank = min((S.rank(s) for s in factor.free_symbols), default=len(S.PAPER_ORDER))
    if base.is_Symbol or isinstance(base, S.SequenceBase):
        kind, atom = 1, 0
    elif base.is_Add and len(base.args) == 2 and any(arg.is_number for arg in base.args) \
            and len(base.free_symbols) == 1 and all(arg.is_number or arg.is_Symbol or
                                                   (-arg).is_Symbol for arg in base.args):
        kind, atom = 1, 1
    elif base.is_Add or base.is_Mul or base.is_Pow:
        kind, atom = 2, 0
    else:  # log, sqrt of a sum, erf, Abs...: last, as a paper writes them
        kind, atom = 3, 0
    return (kind, rank, atom, sp.default_sort_key(factor))


def _flip_signs(numer: list, denom: list, negative: bool) -> bool:
    """Flip pairs of signs so that sums read as ``1 - λ`` (in place); returns the sign left.

    ``-(λ - 1)`` becomes ``(1 - λ)``; ``(x - 1)/(y - 1)`` becomes ``(1 - x)/(1 - y)``.
    """
    flagged = [(side, place) for side in (numer, denom)
               for place, factor in enumerate(side) if _flippable(factor)]
    if negative and flagged:
        side, place = flagged.pop(0)
        side[place], negative = -side[place], False
    for (s1, p1), (s2, p2) in zip(flagged[::2], flagged[1::2]):
        s1[p1], s2[p2] = -s1[p1], -s2[p2]
    return negative


def _split_product(expr: sp.Expr) -> tuple[sp.Expr, list, list]:
    """``(coefficient, numerator factors, denominator factors)`` of a commutative product."""
    coeff, rest = expr.as_coeff_Mul()
    numer, denom = [], []
    for factor in sp.Mul.make_args(rest):
        if factor.is_Pow and factor.exp.is_number and factor.exp.is_negative:
            denom.append(factor.base if factor.exp == -1 else sp.Pow(factor.base, -factor.exp))
        else:
            numer.append(factor)
    return coeff, numer, denom


def arrange(expr: sp.Basic) -> sp.Basic:
    """The same expression as an unevaluated tree in the paper's order (for the 2-D printer)."""
    from stl.theory.limits import LimSup

    if isinstance(expr, sp.core.relational.Relational):
        return expr.func(arrange(expr.lhs), arrange(expr.rhs), evaluate=False)
    if isinstance(expr, S.SequenceBase):
        return expr.func(arrange(expr.args[0]), evaluate=False)
    if not isinstance(expr, sp.Expr) or expr.is_Atom:
        return expr
    if expr.is_Add:
        terms = [arrange(t) for t in ordered_terms(list(expr.args))]
        return sp.Add(*terms, evaluate=False)
    if expr.is_Mul and expr.is_commutative:
        coeff, numer, denom = _split_product(expr)
        negative = _flip_signs(numer, denom, bool(coeff.is_negative))
        numer.sort(key=_factor_key)
        denom.sort(key=_factor_key)
        magnitude = -coeff if coeff.is_negative else coeff
        parts = ([magnitude] if magnitude != 1 else []) + [arrange(f) for f in numer]
        parts += [sp.Pow(arrange(f), -1, evaluate=False) for f in denom]
        body = sp.Mul(*parts, evaluate=False) if len(parts) > 1 else (parts[0] if parts else sp.S.One)
        return sp.Mul(sp.S.NegativeOne, body, evaluate=False) if negative else body
    if isinstance(expr, (sp.Limit, LimSup)):
        body, var, point, side = expr.args
        return expr.func(arrange(body), var, point, str(side))
    if expr.args:
        if isinstance(expr, sp.Order):  # its arguments are (expr, (point, ...)) pairs
            return expr
        try:
            return expr.func(*(arrange(a) for a in expr.args), evaluate=False)
        except (TypeError, ValueError, NotImplementedError):
            return expr
    return expr


# --------------------------------------------------------------------------- LaTeX


class TheoryLatexPrinter(LatexPrinter):
    """sympy's LaTeX printer, arranged as a paper writes formulas.

    * factors in the paper's order with no ``\\cdot`` between them (sympy still puts one
      between two numbers);
    * a sum starts with its positive constant (``1 - \\lambda``) and ends with a negative
      one (``i - 1``);
    * a product never starts with a minus that a sign flip of one factor removes
      (``-M (\\lambda - 1)`` prints as ``M (1 - \\lambda)``);
    * logarithms are ``\\log\\left(x\\right)``: sympy's ``\\log{\\left(x \\right)}`` makes LaTeX
      parsers read ``\\log{(n)} \\log{(1/δ)}`` as one logarithm of a product;
    * sequences (``γ_n^{j}``, ``a_{j}``) and ``limsup`` print from their records.
    """

    _default_settings = {**LatexPrinter._default_settings, "arrange": True}

    def _print_log(self, expr, exp=None):
        argument = self._print(expr.args[0])
        head = r"\log" if exp is None else rf"\log^{{{exp}}}"
        return rf"{head}\left({argument}\right)"

    def _print_SequenceBase(self, expr, exp=None):
        index = self._print(expr.args[0])
        body = (f"{expr.latex_base}^{{{index}}}" if expr.superscript
                else f"{expr.latex_base}_{{{index}}}")
        return body if exp is None else rf"\left({body}\right)^{{{exp}}}"

    def _print_LimSup(self, expr):
        body, var, point = expr.args[0], expr.args[1], expr.args[2]
        target = self._print(point)
        side = str(expr.args[3])
        if point.is_finite and side in "+-":
            target += "^{" + side + "}"
        return r"\limsup_{%s \to %s} %s" % (self._print(var), target, self._print(body))

    def _print_Add(self, expr, order=None):
        if not self._settings["arrange"]:
            return super()._print_Add(expr, order)
        ordered = ordered_terms(self._as_ordered_terms(expr, order=order))
        tex = ""
        for place, term in enumerate(ordered):
            if place and _negative_term(term):
                tex += " - "
                term = -term
            elif place:
                tex += " + "
            term_tex = self._print(term)
            if self._needs_add_brackets(term):
                term_tex = r"\left(%s\right)" % term_tex
            tex += term_tex
        return tex

    def _print_Mul(self, expr):
        if not self._settings["arrange"] or not expr.is_commutative:
            return super()._print_Mul(expr)
        coeff, numer, denom = _split_product(expr)
        negative = bool(coeff.is_negative)
        if negative:
            coeff = -coeff
        negative = _flip_signs(numer, denom, negative)
        if coeff.is_Rational and coeff.q != 1:
            if coeff.p != 1:
                numer.insert(0, sp.Integer(coeff.p))
            denom.insert(0, sp.Integer(coeff.q))
        elif coeff != 1:
            numer.insert(0, coeff)
        numer.sort(key=_factor_key)
        denom.sort(key=_factor_key)
        top = self._join_factors(numer) if numer else "1"
        if denom and len(numer) == 1:  # a fraction bar groups its numerator already
            top = self._print(numer[0])
        if len(denom) == 1 and denom[0].is_Add:
            return ("- " if negative else "") + r"\frac{%s}{%s}" % (top, self._print(denom[0]))
        tex = r"\frac{%s}{%s}" % (top, self._join_factors(denom)) if denom else top
        return ("- " if negative else "") + tex

    def _join_factors(self, factors: list) -> str:
        from sympy.printing.latex import _between_two_numbers_p

        separator = self._settings["mul_symbol_latex"]
        numbers = self._settings["mul_symbol_latex_numbers"]
        tex = last = ""
        for place, factor in enumerate(factors):
            piece = self._print(factor)
            if self._needs_mul_brackets(factor, first=place == 0, last=place == len(factors) - 1):
                piece = r"\left(%s\right)" % piece
            if tex:
                between = (_between_two_numbers_p[0].search(last)
                           and _between_two_numbers_p[1].match(piece))
                tex += numbers if between else separator
            tex += piece
            last = piece
        return tex


def notation_names(notation: Mapping[Any, str] | None) -> dict[sp.Symbol, str]:
    """Typeset names with a user's own notation, e.g. ``{"gamma": r"\\rho_n^{i-1}"}``.

    Keys are symbol names (``stl.theory.symbols.ALL``) or symbols; values are LaTeX,
    refused unless their braces balance (an unbalanced one would break the document).
    """
    from stl.theory.errors import InputError

    names = dict(S.LATEX_NAMES)
    for key, tex in (notation or {}).items():
        symbol = key if isinstance(key, sp.Symbol) else S.lookup(str(key), public_only=False)
        text = str(tex).strip()
        depth = 0
        for char in text.replace(r"\{", "").replace(r"\}", ""):
            depth += {"{": 1, "}": -1}.get(char, 0)
            if depth < 0:
                break
        if not text or len(text) > 200 or depth != 0 or "\n" in text or "%" in text:
            raise InputError("--notation", f"{symbol.name}={tex!r}",
                             "non-empty LaTeX of at most 200 characters on one line, "
                             "with balanced braces and no %")
        names[symbol] = text
    return names


def to_latex(expr: sp.Basic, notation: Mapping[Any, str] | None = None, **settings) -> str:
    """LaTeX of ``expr`` with the theory's typeset symbol names (sympy's printer).

    Factors follow the paper's order without ``\\cdot`` between them; ``notation``
    renames symbols (:func:`notation_names`).

    >>> from stl.theory.symbols import M, d_tv, lam
    >>> to_latex((1 - lam) * M * d_tv / lam)
    '\\\\frac{M \\\\left(1 - \\\\lambda\\\\right) d_{\\\\mathrm{TV}}(n)}{\\\\lambda}'
    """
    settings.setdefault("mul_symbol", None)
    settings["symbol_names"] = notation_names(notation)
    return TheoryLatexPrinter(settings).doprint(expr)


def generation_names(index: sp.Expr) -> tuple[dict, dict]:
    """LaTeX and Unicode names of ``γ_n^{i-1}`` once the generation ``i`` has a value.

    ``gamma`` stands for the recursive stability at generation ``i - 1``; with ``i = 5``
    substituted it is ``γ_n^4``, and printing it as ``γ_n^{i-1}`` would name a generation
    that no longer exists.
    """
    from sympy.printing.pretty.pretty_symbology import sup

    previous = index - 1
    latex = {S.gamma: r"\gamma_{n}^{" + to_latex(previous) + "}"}
    text = sp.sstr(previous)
    marks = "".join(sup.get(ch, "") for ch in text.replace(" ", ""))
    pretty = {S.gamma: "γₙ" + (marks if len(marks) == len(text.replace(" ", ""))
                               else "^(" + text + ")")}
    return latex, pretty


# --------------------------------------------------------------------------- 2-D text


class TheoryPrettyPrinter(PrettyPrinter):
    """sympy's 2-D pretty printer with the theory's Unicode symbol names."""

    _default_settings = {**PrettyPrinter._default_settings, "names": None}

    def _print_Symbol(self, e, bold_name=False):
        from sympy.printing.pretty.stringpict import prettyForm

        names = self._settings["names"] or S.PRETTY_NAMES
        if self._use_unicode and e in names:
            return prettyForm(names[e])
        return super()._print_Symbol(e, bold_name)

    def _print_SequenceBase(self, expr):
        from sympy.printing.pretty.pretty_symbology import sub, sup
        from sympy.printing.pretty.stringpict import prettyForm

        index = self._print(expr.args[0])
        text = str(index) if index.height() == 1 else None
        table = sup if expr.superscript else sub
        if self._use_unicode and text is not None and all(
                table.get(ch) for ch in text.replace(" ", "")):
            marks = "".join(table[ch] for ch in text.replace(" ", ""))
            return prettyForm(expr.pretty_base + marks)
        shown = text if text is not None else str(expr.args[0])
        mark = "^" if expr.superscript else "_"
        plain = expr.pretty_base if self._use_unicode else expr.text_base
        return prettyForm(plain + mark + (shown if len(shown) == 1 else f"({shown})"))

    def _print_LimSup(self, expr):
        from sympy.printing.pretty.stringpict import prettyForm

        body, var, point = expr.args[0], expr.args[1], expr.args[2]
        arrow = "→" if self._use_unicode else "->"
        head = prettyForm(f"limsup({self._print(var)}{arrow}{self._print(point)}) ")
        return prettyForm(*head.right(self._print(body)))


#: Relation symbols of the 2-D printer, by sympy class (Unicode, ASCII).
_RELATIONS = {"LessThan": ("≤", "<="), "StrictLessThan": ("<", "<"),
              "GreaterThan": ("≥", ">="), "StrictGreaterThan": (">", ">"),
              "Equality": ("=", "="), "Unequality": ("≠", "!=")}


def _picture_width(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def to_pretty(expr: sp.Basic, *, unicode: bool = True, width: int = 88,
              names: Mapping[sp.Symbol, str] | None = None) -> str:
    """2-D text of ``expr`` (sympy's pretty printer), at most ``width`` columns when it can.

    A formula wider than ``width`` is broken before the top-level ``+``/``-`` of its sum
    (of the right-hand side for a relation), continuation lines aligned under its first
    term; when a single term is still too wide, the formula is printed as one line of
    plain text instead. It is never cut inside an expression.

    >>> from stl.theory.symbols import beta_n, lam
    >>> print(to_pretty(beta_n / lam))
    βₙ
    ──
    λ
    """
    from sympy.printing.pretty.pretty_symbology import pretty_use_unicode

    printer = TheoryPrettyPrinter({"use_unicode": unicode, "wrap_line": False,
                                   "order": "none",
                                   "names": {**S.PRETTY_NAMES, **(names or {})}})
    shown = arrange(expr)
    # the box-drawing characters follow sympy's global switch, not the printer's setting
    previous = pretty_use_unicode(unicode)
    try:
        whole = _render(printer, printer._print(shown))
        if _picture_width(whole) <= width:
            return whole
        broken = _broken(printer, shown, width, unicode)
        if broken is not None:
            return broken
    finally:
        pretty_use_unicode(previous)
    return to_text(shown, unicode=unicode)


def _render(printer, form) -> str:
    text = form.render(wrap_line=False)
    return "\n".join(line.rstrip() for line in text.splitlines())


def _broken(printer, expr: sp.Basic, width: int, unicode: bool) -> str | None:
    """``expr`` broken before top-level terms into rows of at most ``width``, or None."""
    from sympy.printing.pretty.stringpict import prettyForm

    if isinstance(expr, sp.core.relational.Relational):
        lhs, rhs = expr.lhs, expr.rhs
        symbol = _RELATIONS.get(type(expr).__name__, ("?", "?"))[0 if unicode else 1]
    else:
        lhs, rhs, symbol = None, expr, None
    terms = list(rhs.args) if isinstance(rhs, sp.Add) else [rhs]
    pieces = []  # (sign, form) per term
    for place, term in enumerate(terms):
        sign = "+"
        if _negative_term(term):
            sign, term = "-", -term
        form = printer._print(term)
        if place and isinstance(term, sp.Add):
            form = prettyForm(*form.parens())
        pieces.append((sign, form, place == 0))
    head = "" if lhs is None else _render(printer, printer._print(lhs))
    head_form = None if lhs is None else printer._print(lhs)
    lead = 0
    rows: list[str] = []
    if head_form is not None:
        opener = prettyForm(*head_form.right(f" {symbol} "))
        if _picture_width(_render(printer, opener)) + 1 > width // 2:
            # a wide left-hand side gets its own row; the right-hand side starts below it
            rows.append(head)
            opener = prettyForm(f"  {symbol} ")
        # continuation rows put their sign under the relation, so the terms align
        lead = max(_picture_width(_render(printer, opener)) - 2, 0)
    else:
        opener = prettyForm("")
    current = opener
    current_empty = True
    for sign, form, first in pieces:
        glue = "" if first else (f" {sign} " if not current_empty else f"{sign} ")
        if first and sign == "-":
            glue = "-"
        candidate = prettyForm(*current.right(glue, form)) if glue else prettyForm(*current.right(form))
        if _picture_width(_render(printer, candidate)) <= width or current_empty:
            current, current_empty = candidate, False
            continue
        rows.append(_render(printer, current))
        current = prettyForm(*prettyForm(" " * lead).right(f"{sign} ", form))
    rows.append(_render(printer, current))
    if any(_picture_width(row) > width for row in rows):
        return None
    return "\n".join(rows)


def to_text(expr: sp.Basic, unicode: bool = False) -> str:
    """One line of plain text in the paper's order, products by juxtaposition.

    ``unicode`` prints symbols by their Unicode names (``βₙ`` for ``beta_n``).

    >>> from stl.theory.symbols import lam, n, tau_n
    >>> to_text(n * tau_n * (1 - lam))
    '(1 - lam) n tau_n'
    >>> to_text(n * tau_n * (1 - lam), unicode=True)
    '(1 - λ) n τₙ'
    """
    if isinstance(expr, sp.core.relational.Relational):
        symbol = _RELATIONS.get(type(expr).__name__, ("?", "?"))[0 if unicode else 1]
        return f"{to_text(expr.lhs, unicode)} {symbol} {to_text(expr.rhs, unicode)}"
    printer = _TextPrinter({"order": "none", "unicode": unicode})
    return printer.doprint(arrange(expr)).replace("**", "^").replace("*", " ")


class _TextPrinter(StrPrinter):
    """sympy's str printer with the theory's Unicode names when asked for."""

    printmethod = "_stl_text"  # not the classes' own _sympystr: sequences print here
    _default_settings = {**StrPrinter._default_settings, "unicode": False}

    def _print_Symbol(self, expr):
        if self._settings["unicode"] and expr in S.PRETTY_NAMES:
            return S.PRETTY_NAMES[expr]
        return super()._print_Symbol(expr)

    def _print_SequenceBase(self, expr):
        from sympy.printing.pretty.pretty_symbology import sub, sup

        index = self._print(expr.args[0]).replace("**", "^").replace("*", " ")
        if not self._settings["unicode"]:
            return f"{expr.text_base}[{index}]"
        table = sup if expr.superscript else sub
        compact = index.replace(" ", "")
        if all(table.get(ch) for ch in compact):
            return expr.pretty_base + "".join(table[ch] for ch in compact)
        mark = "^" if expr.superscript else "_"
        return expr.pretty_base + mark + (index if len(index) == 1 else f"({index})")

    def _print_LimSup(self, expr):
        body, var, point = expr.args[0], expr.args[1], expr.args[2]
        arrow = "→" if self._settings["unicode"] else "->"
        return f"limsup({self._print(var)}{arrow}{self._print(point)}) {self._print(body)}"

    def _print_Interval(self, expr):
        left = "(" if expr.left_open else "["
        right = ")" if expr.right_open else "]"
        return f"{left}{self._print(expr.start)}, {self._print(expr.end)}{right}"

    def _print_Abs(self, expr):
        return f"|{self._print(expr.args[0])}|"

    def _print_Order(self, expr):
        return f"O({self._print(expr.expr)})"
