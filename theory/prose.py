"""Sentences that mix words and formulas, written once and printed in every format.

A hypothesis ("the learner $A$ is $\\beta_n$-uniformly stable (D1)"), the caveat of a
high-probability bound or the provenance of a result must read the same in ``stl derive``
(plain text), ``stl latex`` (LaTeX) and the documentation (Markdown). A :class:`Prose` is
a tuple of parts: plain ASCII words, sympy expressions (printed by
:mod:`stl.theory.latex`) and :class:`Notation` for the few things sympy does not print
(``A``, ``\\tilde{D}_j``). The words are the same in every format, so a test can hold the
outputs to the same text.

>>> from stl.theory.symbols import beta_n
>>> hypothesis = Prose.of("the learner ", LEARNER, " is ", beta_n, "-uniformly stable (D1)")
>>> hypothesis.text()
'the learner 𝒜 is βₙ-uniformly stable (D1)'
>>> hypothesis.latex()
'the learner $\\\\mathcal{A}$ is $\\\\beta_{n}$-uniformly stable (D1)'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy as sp

#: Characters that LaTeX reads as commands; words must not contain them, so that the same
#: words are valid text in every format.
_SPECIAL = set("\\{}$&#^_%~")


@dataclass(frozen=True)
class Notation:
    """A piece of notation sympy has no expression for: its LaTeX and its plain text."""

    latex: str
    text: str


#: The learning algorithm of THEORY.md section 0, set as a script A (T3 uses a plain ``A``
#: for a constant).
LEARNER = Notation(r"\mathcal{A}", "𝒜")


@dataclass(frozen=True)
class Prose:
    """A sentence of words and formulas (see the module docstring)."""

    parts: tuple[Any, ...]

    def __post_init__(self) -> None:
        for part in self.parts:
            if isinstance(part, str):
                if not part.isascii() or _SPECIAL & set(part):
                    raise ValueError(f"prose words are plain ASCII without LaTeX specials, "
                                     f"got {part!r}")
            elif not isinstance(part, (sp.Basic, Notation)):
                raise TypeError(f"a prose part is words, a sympy expression or Notation, "
                                f"got {type(part).__name__}")

    @classmethod
    def of(cls, *parts: Any) -> Prose:
        return cls(tuple(parts))

    @property
    def words(self) -> tuple[str, ...]:
        """The word parts, which every format prints verbatim."""
        return tuple(p for p in self.parts if isinstance(p, str))

    @property
    def free_symbols(self) -> set:
        found: set = set()
        for part in self.parts:
            if isinstance(part, sp.Basic):
                found |= part.free_symbols
        return found

    def text(self, unicode: bool = True) -> str:
        """Plain text: words, and formulas on one line (Unicode names by default)."""
        from stl.theory.latex import to_text

        return "".join(p if isinstance(p, str) else p.text if isinstance(p, Notation)
                       else to_text(p, unicode=unicode) for p in self.parts)

    def wrapped(self, width: int, indent: str = "", subsequent: str | None = None,
                unicode: bool = True) -> list[str]:
        """:meth:`text` in lines of at most ``width`` columns, broken between words only:
        a formula is never split (it may overhang when it is wider than a line)."""
        from stl.theory.latex import to_text

        glue = "\u00a0"  # a space that textwrap does not break at
        pieces = []
        for part in self.parts:
            if isinstance(part, str):
                pieces.append(part)
            else:
                shown = part.text if isinstance(part, Notation) else to_text(part, unicode=unicode)
                pieces.append(shown.replace(" ", glue))
        return wrap_words("".join(pieces), width, indent, subsequent)

    def latex(self, notation: Mapping[Any, str] | None = None) -> str:
        """LaTeX text: words, and each formula in ``$...$``."""
        from stl.theory.latex import to_latex

        return "".join(p if isinstance(p, str) else "$" + p.latex + "$" if isinstance(p, Notation)
                       else "$" + to_latex(p, notation) + "$" for p in self.parts)

    def markdown(self, escape=None, notation: Mapping[Any, str] | None = None) -> str:
        """Markdown with ``$...$`` math (the documentation's arithmatex syntax); ``escape``
        is applied to the words (e.g. to keep Markdown from reading ``*`` as emphasis)."""
        from stl.theory.latex import to_latex

        words = escape or (lambda text: text)
        return "".join(words(p) if isinstance(p, str) else "$" + p.latex + "$"
                       if isinstance(p, Notation) else "$" + to_latex(p, notation) + "$"
                       for p in self.parts)

    def subs(self, values: Mapping[sp.Symbol, sp.Expr]) -> Prose:
        """The same sentence with ``values`` put into its formulas."""
        from stl.theory.substitution import substitute

        return Prose(tuple(substitute(p, values) if isinstance(p, sp.Basic) else p
                           for p in self.parts))

    def __str__(self) -> str:
        return self.text()


def wrap_words(text: str, width: int, indent: str = "", subsequent: str | None = None
               ) -> list[str]:
    """``text`` in lines of at most ``width`` columns, broken at spaces only (no hyphens);
    non-breaking spaces hold a formula together and print as spaces."""
    import textwrap

    lines = textwrap.wrap(text, width=max(width, 20), initial_indent=indent,
                          subsequent_indent=indent if subsequent is None else subsequent,
                          break_long_words=False, break_on_hyphens=False)
    return [line.replace("\u00a0", " ") for line in lines] or [indent]
