"""LaTeX ready to paste: a result as a theorem, an align block, an equation or inline.

Every formula is printed by sympy (:func:`stl.theory.symbols.to_latex`); this module only
chooses the environment and the plain-English glue around it. A ``theorem`` block needs
nothing beyond ``amsmath``, ``amssymb``, ``amsthm`` and the :data:`PREAMBLE`'s
``\\newtheorem`` lines; its text is ASCII so that any engine accepts it.

>>> from stl.theory.results import get
>>> print(render(get("shift"), "inline"))        # THEORY.md L1
$a_{i} \\leq \\frac{d_{\\mathrm{TV}}(n) \\cdot \\left(1 - \\left(1 - \\lambda\\right)^{1 + i}\\right)}{\\lambda}$
"""

from __future__ import annotations

import sympy as sp

from stl.theory import symbols as S
from stl.theory.derivation import Derivation
from stl.theory.errors import InputError

ENVIRONMENTS = ("theorem", "align", "equation", "inline")

#: The preamble a ``theorem`` block is written for (and checked against).
PREAMBLE = r"""\documentclass{article}
\usepackage{amsmath}
\usepackage{amssymb}
\usepackage{amsthm}
\newtheorem{theorem}{Theorem}
\newtheorem{lemma}{Lemma}
\newtheorem{corollary}{Corollary}
\newtheorem{definition}{Definition}
"""

#: Which amsthm environment each source is stated in.
_KIND = {"L1": "lemma", "L2": "lemma", "Corollary": "corollary"}


def theorem_kind(source: str) -> str:
    return _KIND.get(source, "theorem")


def _lhs_latex(derivation: Derivation) -> str | None:
    lhs = derivation.result.lhs
    return None if lhs is None else S.to_latex(lhs)


def render(derivation: Derivation, env: str = "theorem") -> str:
    """The result of ``derivation`` in the environment ``env`` (one of ENVIRONMENTS)."""
    if env not in ENVIRONMENTS:
        raise InputError("--env", repr(env), "one of " + ", ".join(ENVIRONMENTS))
    bound = derivation.result
    statement = bound.statement_latex()
    if env == "inline":
        return f"${statement}$"
    if env == "equation":
        return "\\begin{equation}\n  " + statement + "\n\\end{equation}"
    if env == "align":
        return _align(derivation)
    return _theorem(derivation)


def _align(derivation: Derivation) -> str:
    bound = derivation.result
    lhs = _lhs_latex(derivation)
    terms = [S.to_latex(expr, order="none") for _, expr in bound.terms if expr != 0] or ["0"]
    relation = r"\lesssim" if bound.hides_constants and not _has_c0(bound) else r"\leq"
    lines = [f"  {lhs or ''} &{relation} {terms[0]}"]
    lines += [f"  &\\quad + {term}" for term in terms[1:]]
    return "\\begin{align}\n" + " \\\\\n".join(lines) + "\n\\end{align}"


def _has_c0(bound) -> bool:
    return S.c_0 in bound.free_symbols


def _theorem(derivation: Derivation) -> str:
    bound = derivation.result
    kind = theorem_kind(bound.source)
    hypotheses = [f"${d.latex()}$" for d in bound.assumptions]
    hypotheses += [f"${c.latex()}$" for c in bound.conditions]
    lines = [f"\\begin{{{kind}}}[{_ascii(derivation.title)} ({bound.source})]"]
    if hypotheses:
        lines.append("Assume " + _join(hypotheses) + ". Then")
    else:
        lines.append("Then")
    lines += ["\\begin{equation*}", "  " + bound.statement_latex(), "\\end{equation*}"]
    if any(sp.denom(expr).free_symbols for _, expr in bound.terms):
        lines.append("Where a denominator vanishes, the right-hand side stands for its limit.")
    for case in bound.special_cases:
        condition = S.to_latex(sp.Eq(case.symbol, case.value))
        lines.append(f"If ${condition}$, the bound is instead "
                     f"${case.bound.statement_latex()}$.")
    if bound.hides_constants and _has_c0(bound):
        lines.append("where $" + S.to_latex(S.c_0)
                     + "$ is an absolute constant (the bound holds up to it).")
    elif bound.hides_constants:
        lines.append("up to an absolute constant.")
    lines.append(f"\\end{{{kind}}}")
    return "\n".join(lines)


def _join(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _ascii(text: str) -> str:
    # titles are plain English; anything else would need inputenc/fontenc lines
    return text.encode("ascii", "replace").decode("ascii")


def document(body: str) -> str:
    """A complete minimal document around ``body`` (used to check that it compiles)."""
    return PREAMBLE + "\\begin{document}\n" + body + "\n\\end{document}\n"
