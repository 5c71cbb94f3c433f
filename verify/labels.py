"""How quantities read in figures: words plus LaTeX, rendered by matplotlib's mathtext.

Every figure the toolkit draws (``stl plot``, report figures, the atlas) names what it
shows through this module, so a quantity reads the same everywhere and its LaTeX is
typed once:

* a model's own metrics come from the model's declaration
  (:meth:`stl.numerics.models.base.Model.metric_info`, the table
  :data:`stl.numerics.models.base.METRICS`);
* the theory's quantities — ``gen_gap`` (``gen_i``), the constants ``beta_n``, ``tau_n``,
  ``gamma``, ``d_tv`` that ``stl stability`` estimates, and the bound and its terms that
  ``stl bound`` reports — are printed from :mod:`stl.theory`'s symbols and T1's
  :class:`~stl.theory.bound.Bound` by sympy's LaTeX printer.

:func:`to_mathtext` turns the plain notation of older figure specifications
(``|E gen_i|``, ``γ̂_n^i / τ_n``, ``λ_c``, ``E test_error``) into mathtext, so stored
reports re-plot with typeset labels too.

>>> metric_label("gen_gap").text()
'generalization error $\\\\mathbb{E}\\\\,\\\\mathrm{gen}_{i}$'
>>> to_mathtext("|E gen_i| measured (CI)")
'$|\\\\mathbb{E}\\\\,\\\\mathrm{gen}_{i}|$ measured (CI)'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Label:
    """A quantity in a figure: ``words`` for readers, ``latex`` (mathtext, no ``$``; may
    be empty) for the symbol, and ``mean`` (the LaTeX of its mean over replicates, which
    is what a figure of records draws)."""

    words: str
    latex: str = ""
    mean: str = ""

    def text(self) -> str:
        """``words $mean$`` (the mean's LaTeX, else the quantity's), mathtext-ready."""
        shown = self.mean or self.latex
        return f"{self.words} ${shown}$" if shown else self.words

    def symbol(self) -> str:
        """Just the mathtext symbol of the mean (the words when there is none)."""
        shown = self.mean or self.latex
        return f"${shown}$" if shown else self.words


def _expect(latex: str) -> str:
    if not latex or latex.startswith(r"\mathbb{E}"):  # already an expectation (a risk)
        return latex
    if re.search(r"[^_^{]\s[-+]\s", latex):  # a sum or difference: E[...] around it
        return rf"\mathbb{{E}}[{latex}]"
    return rf"\mathbb{{E}}\,{latex}"


@lru_cache(maxsize=None)
def theory_labels() -> dict[str, Label]:
    """Labels of the theory's quantities under their ``stl`` metric names (printed by sympy)."""
    from stl.theory import symbols as S
    from stl.theory.results.theorem1 import theorem1_bound

    i = S.i
    gen = S.to_latex(S.gen_error(i))
    bound = theorem1_bound()
    source = bound.source.split()[0] if bound.source else "T1"
    labels = {
        "gen_gap": Label("generalization error", gen, S.to_latex(S.expected_gen(i))),
        "beta_n": Label("uniform stability (estimated)", S.to_latex(S.beta_n)),
        "tau_n": Label("TV-stability (estimated)", S.to_latex(S.tau_n)),
        "gamma": Label("recursive stability (estimated)", S.to_latex(S.gamma_seq(i))),
        "d_tv": Label("learnability (estimated)", S.to_latex(S.d_tv)),
        "bound_analytic": Label(f"{source} bound, analytic constants"),
        "bound_estimated": Label(f"{source} bound, estimated constants (upper CI)"),
    }
    for name, expr in bound.terms:
        labels[f"term_{name}"] = Label(f"{name} term", S.to_latex(expr))
        labels[f"term_{name}_estimated"] = Label(f"{name} term, estimated constants", S.to_latex(expr))
    return labels


def metric_label(metric: str, model: str | None = None) -> Label:
    """The label of ``metric`` (of ``model`` when given): the theory's quantities first,
    then the model's declaration, else the built-in table; a metric nobody declares is
    shown by its name (words only, never mis-typeset).

    >>> metric_label("heterozygosity", "categorical").latex
    '1 - \\\\sum_k \\\\hat{q}_{i,k}^2'
    >>> metric_label("my_metric").text()
    'my_metric'
    """
    theory = theory_labels().get(metric)
    if theory is not None:
        return theory
    info = None
    if model:
        from stl.numerics.errors import InputError as NumericsInputError
        from stl.numerics.models.registry import model_class

        try:
            info = model_class(model).metric_info(metric)
        except NumericsInputError:  # a model not installed here: fall back to the table
            info = None
    if info is None:
        from stl.numerics.models.base import METRICS

        info = METRICS.get(metric)
    if info is None:
        return Label(metric)
    return Label(info.words, info.latex, _expect(info.latex))


# --------------------------------------------------------------------------------------
# plain notation -> mathtext
# --------------------------------------------------------------------------------------

_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ζ": "zeta", "η": "eta",
          "θ": "theta", "κ": "kappa", "λ": "lambda", "μ": "mu", "ν": "nu", "ξ": "xi", "π": "pi", "ρ": "rho",
          "σ": "sigma", "τ": "tau", "φ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega", "Γ": "Gamma",
          "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Σ": "Sigma", "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega"}
_SUPERSCRIPT_DIGITS = {"²": "2", "³": "3", "¹": "1", "⁰": "0"}
_HAT = "\u0302"
_LETTERS = "A-Za-z" + "".join(_GREEK)
# a script: _X or ^X with X braced, a number (maybe negative), one letter, or TV; or ², ³
_SCRIPT = r"(?:[_^](?:\{[^{}$]*\}|[-−]?\d+(?:\.\d+)?|TV|[A-Za-z0-9](?![A-Za-z0-9]))|[²³¹⁰])"
_TOKEN = re.compile(
    rf"(?P<open>\|)?(?P<ops>(?:(?:E|log) )*)(?P<base>(?<![\w{_HAT}])[{_LETTERS}]+)(?P<hat>{_HAT})?"
    rf"(?P<scripts>{_SCRIPT}*)(?P<close>\|)?(?![\w{_HAT}])")


def _base(text: str) -> str:
    if len(text) == 1:
        return "\\" + _GREEK[text] if text in _GREEK else text
    if all(ch in _GREEK for ch in text):
        return "".join("\\" + _GREEK[ch] + " " for ch in text).strip()
    return rf"\mathrm{{{text}}}"


def _script(text: str) -> str:
    if text in _SUPERSCRIPT_DIGITS:
        return "^{" + _SUPERSCRIPT_DIGITS[text] + "}"
    mark, body = text[0], text[1:]
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    body = body.replace("−", "-")
    if body == "TV":
        body = r"\mathrm{TV}"
    return f"{mark}{{{body}}}"


def _convert(match: re.Match) -> str:
    base, hat, scripts = match.group("base"), match.group("hat"), match.group("scripts")
    is_math = bool(hat or scripts)
    if not is_math:
        return match.group(0)
    opened, closed = match.group("open"), match.group("close")
    bars = bool(opened and closed)
    ops = "".join(r"\mathbb{E}\," if op == "E" else r"\log " for op in match.group("ops").split())
    symbol = _base(base)
    if hat:
        symbol = rf"\hat{{{symbol}}}"
    symbol += "".join(_script(s) for s in re.findall(_SCRIPT, scripts))
    body = ops + symbol
    if bars:
        return f"$|{body}|$"
    return (opened or "") + f"${body}$" + (closed or "")


def _metric_words(text: str, metrics) -> str:
    """``E name`` and bare names of known metrics -> the metric's mathtext (``E`` kept as 𝔼).

    A name without an underscore (``variance``) is an ordinary word too: only ``E name``
    turns it into the metric's symbol.
    """
    if not metrics:
        return text
    names = "|".join(sorted((re.escape(m) for m in metrics), key=len, reverse=True))

    def swap(match: re.Match) -> str:
        label = metric_label(match.group("name"))
        if not label.latex or ("_" not in match.group("name") and not match.group("E")):
            return match.group(0)
        if match.group("E"):
            return f"${label.mean or _expect(label.latex)}$"
        return f"${label.latex}$"

    return re.sub(rf"(?P<E>\bE )?(?<![\w$])(?P<name>{names})(?![\w$])", swap, text)


def _known_metrics() -> tuple[str, ...]:
    from stl.numerics.models.base import METRICS

    return (*METRICS, *theory_labels())


def to_mathtext(text: str | None) -> str:
    """Plain figure notation as mathtext: sub- and superscripts, hats, ``E`` and ``log``
    before a symbol, ``|…|`` around it, and metric names (``E test_error``) by their
    declared LaTeX. Text that already holds ``$`` is returned unchanged; words with an
    underscore that are no known metric (``my_metric``) stay words.

    >>> to_mathtext("γ̂_n^i / τ_n")
    '$\\\\hat{\\\\gamma}_{n}^{i}$ / $\\\\tau_{n}$'
    >>> to_mathtext("predicted λ_c = 1 − 1/ĉ")
    'predicted $\\\\lambda_{c}$ = 1 − 1/$\\\\hat{c}$'
    >>> to_mathtext("E log σ̂²_i"), to_mathtext("my_metric at n=50")
    ('$\\\\mathbb{E}\\\\,\\\\log \\\\hat{\\\\sigma}^{2}_{i}$', 'my_metric at n=50')
    """
    if not text:
        return text or ""
    text = str(text)
    if "$" in text:
        return text
    # a precomposed letter with a circumflex (ĉ) is the letter and a combining hat
    text = "".join(unicodedata.normalize("NFD", ch) if unicodedata.normalize("NFD", ch).endswith(_HAT) else ch
                   for ch in text)
    text = _metric_words(text, _known_metrics())
    parts = re.split(r"(\$[^$]*\$)", text)  # leave the metric mathtext alone
    return "".join(p if p.startswith("$") else _TOKEN.sub(_convert, p) for p in parts)


def renderable(text: str | None) -> str:
    """:func:`to_mathtext` of ``text`` when matplotlib's mathtext can typeset the result,
    else ``text`` as it was (with any ``$`` escaped): a label never stops a figure.

    >>> print(renderable("τ_n"), renderable("costs $5"))
    $\\tau_{n}$ costs \\$5
    """
    if not text:
        return text or ""
    converted = to_mathtext(text)
    if _typesets(converted):
        return converted
    return str(text).replace("$", r"\$")


@lru_cache(maxsize=4096)
def _typesets(text: str) -> bool:
    if text.count("$") % 2:
        return False
    if "$" not in text:
        return True
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")
    try:
        for k, piece in enumerate(text.split("$")):
            if k % 2:
                parser.parse(f"${piece}$")
    except ValueError:
        return False
    return True


def label_offsets(points, *, near: float = 0.04, step: float = 11.0,
                  first: tuple[float, float] = (5.0, 4.0)) -> list[tuple[float, float]]:
    """Offsets (in points) for text labels of ``points`` (data ``(x, y)`` pairs, on axes
    of about unit span) so that labels of points closer than ``near`` never overprint:
    the first of a cluster sits at ``first``, the next ``step`` points below, and so on.

    >>> label_offsets([(0, 0), (0, 0), (0.5, 0.5), (0.01, 0.0)])
    [(5.0, 4.0), (5.0, -7.0), (5.0, 4.0), (5.0, -18.0)]
    """
    placed: list[tuple[float, float]] = []
    out: list[tuple[float, float]] = []
    for x, y in points:
        crowd = sum(1 for (px, py) in placed if abs(px - x) < near and abs(py - y) < near)
        out.append((first[0], first[1] - crowd * step))
        placed.append((x, y))
    return out
