"""LaTeX ready to paste into a paper: a result as a theorem, an align block, an equation
or inline math.

Every formula is printed by sympy (:func:`stl.theory.latex.to_latex`, factors in the
paper's order); this module chooses the environment and writes the English around it:

* every output starts with ``%`` comments naming the result and its provenance (stated
  in the paper, or this toolkit's derivation in the paper's framework); ``footnote=True``
  puts the provenance in a ``\\footnote`` too;
* a theorem block states the values substituted ("let λ = 1/2 and n = 100"), the
  hypotheses by name and content ("assume that A is β_n-uniformly stable (D1): ..."),
  the forms the theory put in (L2 for ``γ_n^{i-1}`` in a limit) and the side conditions,
  says with which probability a high-probability bound holds and for which terms, and
  ends with a ``where`` clause that defines every symbol the statement uses, the
  expressions that defined symbols stand for, and the result's remarks;
* a bound too long for one line of a plain ``article`` is broken before each term
  (``split`` inside ``equation``, one numbered line in ``align``);
* numbering and labels are the caller's: ``label="thm:mine"`` or ``numbered=False``.

:func:`preamble` gives the packages and ``\\newtheorem`` lines one output, or several
pasted together, needs; the text is ASCII so that any engine accepts it. The tests
compile every result in every environment with ``pdflatex`` and check its log for
overfull boxes.

>>> from stl.theory.results import get
>>> print(render(get("shift"), "inline").splitlines()[-1])        # THEORY.md L1
$a_{i} \\leq \\frac{d_{\\mathrm{TV}}(n) \\left(1 - \\left(1 - \\lambda\\right)^{i + 1}\\right)}{\\lambda}$
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sympy as sp

from typing import TYPE_CHECKING

from stl.theory import symbols as S
from stl.theory.errors import InputError
from stl.theory.latex import to_latex

if TYPE_CHECKING:
    from stl.theory.derivation import Derivation

ENVIRONMENTS = ("theorem", "align", "equation", "inline")

#: A preamble every output compiles with (the tests use it; :func:`preamble` gives the
#: lines one output needs).
PREAMBLE = r"""\documentclass{article}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage{amsthm}
\newtheorem{theorem}{Theorem}
\newtheorem{lemma}{Lemma}
\newtheorem{corollary}{Corollary}
\newtheorem{definition}{Definition}
\newtheorem*{theorem*}{Theorem}
\newtheorem*{lemma*}{Lemma}
\newtheorem*{corollary*}{Corollary}
\setlength{\emergencystretch}{3em}
"""

#: Which amsthm environment each source is stated in, and its label prefix.
_KIND = {"L1": "lemma", "L2": "lemma", "Corollary": "corollary"}
_PREFIX = {"theorem": "thm", "lemma": "lem", "corollary": "cor"}

#: How wide a displayed line may be, in the units of :func:`estimated_width` (about an
#: em): a plain ``article`` at 10 pt has a 345 pt text width, 34.5 em; the margin is for
#: the estimate's error, calibrated against pdflatex's own widths in the tests.
LINE_WIDTH = 30.0
#: Labels allowed by ``--label`` (LaTeX accepts more, but these survive every package).
LABEL = re.compile(r"^[A-Za-z][A-Za-z0-9:._-]{0,63}$")


def theorem_kind(source: str) -> str:
    return _KIND.get(source, "theorem")


def default_label(derivation: Derivation, env: str) -> str:
    """``thm:theorem1``, ``lem:shift``; ``eq:theorem1`` for the equation environments."""
    if env == "theorem":
        return f"{_PREFIX[theorem_kind(derivation.source)]}:{derivation.name}"
    return f"eq:{derivation.name}"


def check_label(label: str) -> str:
    if not LABEL.match(label):
        raise InputError("--label", repr(label),
                         "a letter, then up to 63 letters, digits or : . _ -")
    return label


def render(derivation: Derivation, env: str = "theorem", *, label: str | None = None,
           numbered: bool = True, notation: Mapping[Any, str] | None = None,
           rate=None, footnote: bool = False) -> str:
    """The result of ``derivation`` in the environment ``env`` (one of ENVIRONMENTS).

    ``label`` replaces the default label; ``numbered=False`` gives the starred (unnumbered,
    unlabelled) environment; ``notation`` renames symbols (``{"gamma": r"\\rho_n^{i-1}"}``);
    ``rate`` (a :class:`~stl.theory.limits.Rate`) adds the order of the bound;
    ``footnote`` adds the provenance as a ``\\footnote`` (theorem and inline only: a
    footnote cannot stand inside a display).
    """
    if env not in ENVIRONMENTS:
        raise InputError("--env", repr(env), "one of " + ", ".join(ENVIRONMENTS))
    if env == "inline" and (label is not None or not numbered):
        raise InputError("--label/--nonumber", "with --env inline",
                         "--env theorem, align or equation (inline math has no number)")
    if label is not None and not numbered:
        raise InputError("--label", label, "a numbered environment (drop --nonumber)")
    if footnote and env not in ("theorem", "inline"):
        raise InputError("--footnote", f"with --env {env}",
                         "--env theorem or inline (a footnote cannot stand in a display)")
    if label is not None:
        check_label(label)
    tag = (label or default_label(derivation, env)) if numbered else None
    names = derivation.result.notation(notation)
    if env == "inline":
        body = _inline(derivation, names, rate)
        if footnote:
            body += provenance_footnote(derivation)
    elif env == "equation":
        body = _equation(derivation, names, tag, rate)
    elif env == "align":
        body = _align(derivation, names, tag, rate)
    else:
        body = _theorem(derivation, names, tag, rate, footnote)
    return "\n".join(comments(derivation)) + "\n" + body


def comments(derivation: Derivation, command: str = "latex") -> list[str]:
    """The ``%`` lines every output starts with: what it is and where it comes from."""
    bound = derivation.result
    return [f"% {derivation.title} ({bound.source} in stl-toolkit's numbering), "
            f"from stl {command} {derivation.name}",
            f"% Provenance: {bound.provenance}, {ascii_text(bound.provenance_text)}"]


def provenance_sentence(derivation: Derivation) -> str:
    """The provenance as one sentence of LaTeX text (for ``\\footnote``)."""
    bound = derivation.result
    if bound.provenance == "paper":
        return ("Stated in this rate form by Fu et al.\\ (ICLR 2025), up to an absolute "
                "constant; printed by stl-toolkit.")
    return ("A derivation of stl-toolkit in the framework of Fu et al.\\ (ICLR 2025), with "
            "explicit constants; the paper does not state it in this form.")


def provenance_footnote(derivation: Derivation) -> str:
    return "\\footnote{" + provenance_sentence(derivation) + "}"


# --------------------------------------------------------------------------- layout


def estimated_width(tex: str) -> float:
    """Rough width of math ``tex`` in em: what a reader sees, not what LaTeX reads.

    Commands count as one glyph (``\\lambda``), ``\\frac`` as its wider part, scripts at
    0.7, spacing and ``\\left``/``\\right`` as nothing. Good to about 15 %, which
    :data:`LINE_WIDTH` leaves room for.
    """
    return _width(tex, 0)[0]


def _group(tex: str, start: int) -> tuple[str, int]:
    """The brace group starting at ``tex[start] == '{'``: (its content, index after it)."""
    depth, k = 0, start
    while k < len(tex):
        if tex[k] == "{":
            depth += 1
        elif tex[k] == "}":
            depth -= 1
            if depth == 0:
                return tex[start + 1:k], k + 1
        k += 1
    return tex[start + 1:], len(tex)


_ZERO = {r"\left", r"\right", r"\,", r"\!", r"\;", r"\ ", r"\mathrm", r"\mathbb", r"\text",
         r"\operatorname", r"\mathcal", r"\hat", r"\tilde", r"\limits"}
_WIDE = {r"\leq": 1.6, r"\geq": 1.6, r"\lesssim": 1.6, r"\to": 1.4, r"\quad": 1.0,
         r"\qquad": 2.0, r"\log": 1.6, r"\limsup": 3.0, r"\lim": 1.6, r"\sqrt": 1.0,
         r"\infty": 1.0, r"\cdot": 0.8, r"\ldots": 1.2}


def _width(tex: str, k: int, stop: str = "") -> tuple[float, int]:
    total = 0.0
    while k < len(tex):
        ch = tex[k]
        if ch in stop:
            return total, k
        if ch == "\\":
            m = re.match(r"\\([A-Za-z]+|.)", tex[k:])
            name = m.group(0)
            k += len(name)
            if name == r"\frac":
                num, k = _group(tex, k) if k < len(tex) and tex[k] == "{" else ("", k)
                den, k = _group(tex, k) if k < len(tex) and tex[k] == "{" else ("", k)
                total += max(estimated_width(num), estimated_width(den)) + 0.4
            elif name == r"\text":
                body, k = _group(tex, k) if k < len(tex) and tex[k] == "{" else ("", k)
                total += 0.5 * len(body)
            elif name in _ZERO:
                continue
            else:
                total += _WIDE.get(name, 1.0)
        elif ch in "^_":
            k += 1
            if k < len(tex) and tex[k] == "{":
                body, k = _group(tex, k)
            else:
                body, k = tex[k:k + 1], k + 1
            total += 0.7 * estimated_width(body)
        elif ch in "{}":
            k += 1
        elif ch == " ":
            k += 1
        elif ch in "+-=<>":
            total += 1.5
            k += 1
        else:
            total += 0.55 if ch.isdigit() or ch in "()[]|,." else 0.6
            k += 1
    return total, k


def _lines(derivation: Derivation, names: Mapping) -> tuple[str | None, str, list[str]]:
    """(lhs, relation, terms): the pieces a display lays out on one or more lines."""
    bound = derivation.result
    terms = [to_latex(expr, names) for _, expr in bound.terms if expr != 0] or ["0"]
    lhs = None if bound.lhs is None else to_latex(bound.lhs, names)
    return lhs, bound.relation_latex(), terms


def _joined(terms: list[str]) -> str:
    text = terms[0]
    for term in terms[1:]:
        text += (" - " + term[2:]) if term.startswith("- ") else (" + " + term)
    return text


def _continued(term: str) -> str:
    return ("- " + term[2:]) if term.startswith("- ") else ("+ " + term)


def _fits(lhs: str | None, relation: str, terms: list[str]) -> bool:
    whole = (f"{lhs} {relation} " if lhs else "") + _joined(terms)
    return estimated_width(whole) <= LINE_WIDTH


#: LaTeX of each relation class, for rows that split a relation.
_RELATION_TEX = {"LessThan": r"\leq", "StrictLessThan": "<", "GreaterThan": r"\geq",
                 "StrictGreaterThan": ">", "Equality": "=", "Unequality": r"\neq"}


def relation_rows(relation: sp.Basic, names: Mapping | None = None, *,
                  width: float = LINE_WIDTH, order: str | None = "none") -> list[str]:
    """Rows of an ``align`` block for ``relation``, each at most ``width`` wide when it can.

    Every row starts with ``&`` (all left-aligned): one row when it fits; else the
    right-hand side is broken before its top-level terms, several to a row, continuation
    rows indented by ``\\qquad``; a left-hand side wider than half a line gets a row of its
    own. A relation that is not a sum (or not a relation) stays one row. This is how
    ``stl derive --format latex`` lays out steps.
    """
    from stl.theory.latex import ordered_terms

    settings = {} if order is None else {"order": order}
    whole = to_latex(relation, names, **settings)
    name = type(relation).__name__
    if estimated_width(whole) <= width or name not in _RELATION_TEX:
        return ["& " + whole]
    lhs = to_latex(relation.lhs, names, **settings)
    rhs = relation.rhs
    terms = ordered_terms(list(rhs.args)) if rhs.is_Add else [rhs]
    pieces = [("- " + to_latex(-t, names, **settings)) if t.as_coeff_Mul()[0].is_negative
              else to_latex(t, names, **settings) for t in terms]
    pieces = [r"\left(" + p + r"\right)" if terms[k].is_Add and k else p
              for k, p in enumerate(pieces)]
    rel = _RELATION_TEX[name]
    rows: list[str] = []
    if estimated_width(lhs) > width / 2:
        rows.append("& " + lhs)
        current = rf"& \quad {rel} {pieces[0]}"
    else:
        current = f"& {lhs} {rel} {pieces[0]}"
    for piece in pieces[1:]:
        candidate = current + " " + _continued(piece)
        if estimated_width(candidate) <= width:
            current = candidate
        else:
            rows.append(current)
            current = r"& \qquad " + _continued(piece)
    rows.append(current)
    return rows


def _rate_line(rate, names: Mapping) -> str:
    order = r"O\left(" + to_latex(rate.order, names) + r"\right)"
    text = order + r" \quad \text{as } " + to_latex(rate.symbol, names) + r" \to \infty"
    if rate.held_fixed:
        text += (r", \text{ with } " + ", ".join(to_latex(s, names) for s in rate.held_fixed)
                 + r" \text{ fixed}")
    return text


def _display_body(derivation: Derivation, names: Mapping, rate, *, align: bool,
                  tag: str | None) -> list[str]:
    """Lines of a display: one line when it fits, else one term per line."""
    lhs, relation, terms = _lines(derivation, names)
    head = f"{lhs} " if lhs else ""
    lines: list[str]
    if _fits(lhs, relation, terms):
        lines = [f"{head}&{relation} {_joined(terms)}"]
    else:
        lines = [f"{head}&{relation} {terms[0]}"]
        lines += [rf"&\quad {_continued(term)}" for term in terms[1:]]
    if rate is not None:
        lines.append("&= " + _rate_line(rate, names))
    if align:
        # one number for the whole bound, on its last line
        last = len(lines) - 1
        lines = [line + (rf" \label{{{tag}}}" if tag and k == last else
                         (r" \nonumber" if tag and k != last else ""))
                 for k, line in enumerate(lines)]
    return lines


def _inline(derivation: Derivation, names: Mapping, rate) -> str:
    lhs, relation, terms = _lines(derivation, names)
    text = (f"{lhs} {relation} " if lhs else "") + _joined(terms)
    if rate is not None:
        text += " = " + _rate_line(rate, names).replace(r" \quad ", " ")
    return f"${text}$"


def _equation(derivation: Derivation, names: Mapping, tag: str | None, rate) -> str:
    lines = _display_body(derivation, names, rate, align=False, tag=None)
    env = "equation" if tag else "equation*"
    head = f"\\begin{{{env}}}" + (f"\\label{{{tag}}}" if tag else "")
    if len(lines) == 1:
        return head + "\n  " + lines[0].replace("&", "", 1) + f"\n\\end{{{env}}}"
    body = " \\\\\n    ".join(lines)
    return (head + "\n  \\begin{split}\n    " + body + "\n  \\end{split}\n"
            + f"\\end{{{env}}}")


def _align(derivation: Derivation, names: Mapping, tag: str | None, rate) -> str:
    env = "align" if tag else "align*"
    lines = _display_body(derivation, names, rate, align=True, tag=tag)
    return f"\\begin{{{env}}}\n  " + " \\\\\n  ".join(lines) + f"\n\\end{{{env}}}"


# --------------------------------------------------------------------------- theorem


def _theorem(derivation: Derivation, names: Mapping, tag: str | None, rate,
             footnote: bool = False) -> str:
    from stl.theory.definitions import HYPOTHESES

    bound = derivation.result
    kind = theorem_kind(bound.source)
    env = kind if tag else kind + "*"
    head = f"\\begin{{{env}}}[{_ascii(derivation.title)}]" + (f"\\label{{{tag}}}" if tag else "")
    lines = [head + (provenance_footnote(derivation) if footnote else "")]
    given_values = dict(bound.given)
    given = [f"${to_latex(sp.Eq(s, v, evaluate=False), names)}$" for s, v in bound.given]
    if given:
        lines.append("Let " + _join(given) + ".")
    requires = [HYPOTHESES[code].subs(given_values).latex(names) for code in bound.requires]
    if requires:
        lines.append("Assume that " + _join(requires, final="; and ", between="; ") + ".")
    hypotheses = [p.latex(names) for p in bound.premises] + [c.latex(names) for c in bound.conditions]
    opener = "Assume moreover" if requires else "Assume"
    if hypotheses and sum(map(estimated_width, hypotheses)) <= LINE_WIDTH / 2:
        lines.append(opener + " " + _join([f"${h}$" for h in hypotheses]) + ".")
    elif hypotheses:  # long hypotheses get a display of their own, one per line
        rows = [h + ("," if k < len(hypotheses) - 1 else ".") for k, h in enumerate(hypotheses)]
        lines += [opener, r"\begin{gather*}", "  " + " \\\\\n  ".join(rows),
                  r"\end{gather*}"]
    lead = "Then"
    confidence = bound.confidence_prose()
    if confidence is not None:
        lead += ", " + confidence.latex(names)
    lines.append(lead + ",")
    display = _equation(derivation, names, None, rate)
    lines += display.splitlines()
    lines.append(_where(derivation, names))
    if bound.defined:
        lines.append("Here " + _join([f"${to_latex(sp.Eq(s, v, evaluate=False), names)}$"
                                      for s, v in bound.defined]) + ".")
    if any(sp.denom(expr).free_symbols for _, expr in bound.terms):
        lines.append("Where a denominator vanishes, the right-hand side stands for its limit.")
    for case in bound.special_cases:
        condition = to_latex(sp.Eq(case.symbol, case.value), names)
        lines.append(f"If ${condition}$, the bound is instead "
                     f"${case.bound.statement_latex(_names_dict(names))}$.")
    if bound.hides_constants and S.c_0 not in bound.free_symbols:
        lines.append("The bound holds up to an absolute constant.")
    for remark in bound.remarks:
        lines.append(remark.latex(names))
    if rate is not None and rate.held_fixed:
        fixed = _join([f"${to_latex(s, names)}$" for s in rate.held_fixed])
        lines.append(f"The order holds with {fixed} fixed; they depend on "
                     f"${to_latex(rate.symbol, names)}$ in general.")
    lines.append(f"\\end{{{env}}}")
    return "\n".join(lines)


def _names_dict(names: Mapping) -> dict:
    return {k: v for k, v in names.items() if v != S.LATEX_NAMES.get(k)}


def defined_symbols(derivation: Derivation) -> list[sp.Symbol]:
    """Every symbol a pasted statement of the result mentions, in the paper's order."""
    bound = derivation.result
    found = set(bound.free_symbols)
    found |= {s for s, _ in bound.given}
    for cond in bound.conditions:
        found |= cond.relation.free_symbols
    for case in bound.special_cases:
        found |= case.bound.free_symbols | {case.symbol}
    for premise in bound.premises:
        found |= set(premise.symbols)
    if bound.confidence is not None:
        found |= bound.confidence.free_symbols
    from stl.theory.definitions import HYPOTHESES

    given = dict(bound.given)
    for code in bound.requires:
        found |= HYPOTHESES[code].subs(given).free_symbols
    for remark in bound.remarks:
        found |= remark.free_symbols
    for symbol, value in bound.defined:
        found |= value.free_symbols | {symbol}
    return sorted(found, key=lambda s: (S.rank(s), s.name))


def _where(derivation: Derivation, names: Mapping) -> str:
    """``where`` + the lhs quantity + each symbol with its domain and meaning."""
    bound = derivation.result
    items = []
    if bound.lhs is not None:
        for quantity in bound.lhs.atoms(sp.Function):
            text = S.QUANTITY_DEFINED.get(type(quantity).__name__)
            if text and text not in items:
                items.append(text)
    given = {s for s, _ in bound.given}
    for symbol in defined_symbols(derivation):
        meaning = S.DEFINED.get(symbol)
        if meaning is None:
            raise InputError("symbol", symbol.name, "a symbol with a meaning in "
                             "stl.theory.symbols.DEFINED (a pasted statement defines all "
                             "of its notation)")
        dom = bound.domain(symbol)
        shown = dom.latex(names) if dom is not None and symbol not in given \
            else to_latex(symbol, names)
        items.append(f"${shown}$ {meaning}")
    return "where " + _join(items, final=", and ") + "."


def _join(items: list[str], final: str = " and ", between: str = ", ") -> str:
    if len(items) <= 2:
        return (" and " if between == ", " else between.rstrip() + " and ").join(items)
    return between.join(items[:-1]) + final + items[-1]


#: Plain-ASCII spellings of the symbols that the toolkit's English uses.
_SPELLED = str.maketrans({"λ": "lambda", "δ": "delta", "γ": "gamma", "τ": "tau", "β": "beta",
                          "ρ": "rho", "≥": ">=", "≤": "<=", "→": "->", "∞": "oo"})


def ascii_text(text: str) -> str:
    """``text`` in ASCII for a ``%`` comment or a title: Greek letters spelled out."""
    return text.translate(_SPELLED).encode("ascii", "replace").decode("ascii")


def _ascii(text: str) -> str:
    # titles are plain English; anything else would need inputenc/fontenc lines
    return text.encode("ascii", "replace").decode("ascii")


# --------------------------------------------------------------------------- documents


def preamble(body: str) -> str:
    """The package and ``\\newtheorem`` lines that ``body`` (an output of :func:`render`)
    needs in a plain ``article``; no ``\\newcommand`` is needed, every symbol is spelled out.

    >>> print(preamble(r"\\begin{lemma*}[L] $\\mathbb{E}$ \\end{lemma*}"))
    \\usepackage{amsmath}
    \\usepackage{amssymb}
    \\usepackage{amsthm}
    \\newtheorem*{lemma*}{Lemma}
    \\setlength{\\emergencystretch}{3em}
    """
    lines = [r"\usepackage{amsmath}"]  # equation*, split, align, \text
    if re.search(r"\\(mathbb|lesssim|lVert|rVert)", body):
        lines.append(r"\usepackage{amssymb}")
    environments = []
    for match in re.finditer(r"\\begin\{(theorem|lemma|corollary|definition)(\*?)\}", body):
        if match.group(0) not in environments:
            environments.append(match.group(0))
    if environments:
        lines.append(r"\usepackage{amsthm}")
    for begin in environments:
        name, star = re.match(r"\\begin\{(\w+)(\*?)\}", begin).groups()
        title = name.capitalize()
        lines.append(rf"\newtheorem*{{{name}*}}{{{title}}}" if star
                     else rf"\newtheorem{{{name}}}{{{title}}}")
    if "$" in body:
        # long inline formulas have few break points; a third line-breaking pass with
        # some extra stretch keeps their paragraphs inside the margins
        lines.append(r"\setlength{\emergencystretch}{3em}")
    return "\n".join(lines)


def document(body: str, head: str | None = None) -> str:
    """A complete minimal document around ``body`` (used to check that it compiles)."""
    top = PREAMBLE if head is None else "\\documentclass{article}\n" + head + "\n"
    return top + "\\begin{document}\n" + body + "\n\\end{document}\n"
