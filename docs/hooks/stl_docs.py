"""MkDocs hook: generate formulas, the CLI reference and command output at build time.

Pages contain one-line markers (HTML comments, so the Markdown source still reads
well). ``on_page_markdown`` replaces each marker with Markdown produced from the code:

``<!-- stl:derivation NAME -->``
    the result's provenance and hypotheses, every step of ``stl.theory.results.get(NAME)``
    (reason + relation), its result, conditions, special cases and remarks.
``<!-- stl:provenance [NAME] -->``
    where a result comes from (stated in the paper, or derived by the toolkit); without
    ``NAME``, a table of every result's provenance.
``<!-- stl:remarks NAME -->``
    the remarks printed with a result (T1''s shift term in probability, T3's optimum), the
    same text ``stl derive`` and ``stl latex`` print.
``<!-- stl:definition CODE -->``
    the defining inequality of D1-D4 from ``stl.theory.definitions``.
``<!-- stl:bound NAME [subs="k=v; ..."] [limit="sym=val"] [lhs="..."] -->``
    the bound of derivation ``NAME`` as one displayed formula, optionally after
    substituting values (parsed by the toolkit's own safe parser) and taking a limit.
``<!-- stl:extra NAME EXTRA -->``
    one named by-product of a derivation (``rho``, ``lambda_c``, ``n_s_opt``...).
``<!-- stl:constant MODEL NAME [lhs="..."] -->``
    a constant or closed form of ``stl.theory.models.MODEL.constants()``.
``<!-- stl:terms NAME -->``
    a table of the named terms of that bound.
``<!-- stl:rate NAME symbol=SYM [subs=...] [limit=...] [rates=yes] -->``
    the leading-order rate of the bound in ``SYM`` and the symbols it held fixed
    (``rates=yes`` first puts in the Corollary's rate forms, like ``--rates``).
``<!-- stl:symbols -->``
    the table of public symbol names (the ``--subs`` contract) with their LaTeX.
``<!-- stl:cli -->`` / ``<!-- stl:cli-command NAME -->``
    the reference of every ``stl`` command (or one), taken from ``build_parser()``.
``<!-- stl:models -->``
    per model: its ``--param`` keys, defaults and ranges, metric names and loss bound.
``<!-- stl:closed-form FORMULA MODEL METRIC n=N generations=G ... -->``
    runs a closed-form check of ``stl.verify.checks.closed_forms`` and tabulates simulated
    against exact values per generation.
``<!-- stl:run stl ARGS ... [status=N] [head=K] -->``
    runs ``stl ARGS`` and shows the command and its real output (the markers of one page
    share a scratch directory, so a later ``cat`` can show a file an earlier command wrote).
``<!-- stl:figure FILE alt="..." [caption="..."] -->``
    shows the figure ``FILE`` (``.svg`` or ``.png``) that an earlier ``stl:run`` of the page
    wrote (``stl plot ... --out FILE``), embedded in the page: every figure of the site is
    drawn by the toolkit's own commands when the site is built, with the commands beside it.

Any marker that cannot be produced stops the build with an error naming the page and
the marker, so the site never shows stale or hand-written formulas.

After Markdown, ``on_page_content`` turns every formula (generated or written in the
prose) into MathML with latex2mathml, so the site shows its math with no script and no
network: nothing is loaded from outside the site.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shlex
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

log = logging.getLogger("mkdocs.hooks.stl_docs")

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _without_script_directories(paths: list[str]) -> list[str]:
    """``paths`` without directories that hold a file (not a package) named ``stl``.

    ``mkdocs build`` run as a console script puts its own directory first on ``sys.path``;
    with the virtual environment inside the repository (the README's set-up) that is
    ``.venv/bin``, which holds the ``stl`` console script. mkdocstrings' loader (griffe)
    searches ``sys.path`` for the package ``stl`` and would take that script for it, so
    every API page would fail. Nothing is imported from a scripts directory.
    """
    return [p for p in paths if not (Path(p or ".") / "stl").is_file()]


MARKER = re.compile(r"^[ \t]*<!--\s*stl:(?P<kind>[a-z-]+)(?P<args>.*?)-->[ \t]*$", re.MULTILINE)

#: Width used for argparse help so the generated reference is the same on every machine.
HELP_COLUMNS = "88"

_cache: dict[tuple, str] = {}


# --------------------------------------------------------------------------- helpers


#: The ``key=value`` options each marker kind understands; any other token is positional
#: (so ``stl simulate ... --param k=5`` keeps ``k=5`` as a command argument).
MARKER_OPTIONS = {
    "run": {"status", "head"},
    "figure": {"alt", "caption"},
    "closed-form": {"n", "generations", "replicates", "margin", "scheme", "seed"},
}
DEFAULT_OPTIONS = {"subs", "limit", "lhs", "symbol", "rates"}


def parse_marker_args(text: str, kind: str = "run") -> tuple[list[str], dict[str, str]]:
    """Split marker arguments into positionals and the ``key=value`` options of ``kind``."""
    known = MARKER_OPTIONS.get(kind, DEFAULT_OPTIONS)
    positional: list[str] = []
    options: dict[str, str] = {}
    for token in shlex.split(text):
        key, sep, value = token.partition("=")
        if sep and key in known:
            options[key] = value
        else:
            positional.append(token)
    return positional, options


def display(latex: str) -> str:
    """A displayed formula for pymdownx.arithmatex (no blank lines inside)."""
    body = "\n".join(line for line in latex.strip().splitlines() if line.strip())
    return f"\n$$\n{body}\n$$\n"


#: Width of a displayed formula on the site, in the units of
#: ``stl.theory.paper.estimated_width`` (about an em): the content column of the theme at a
#: 1280-pixel window is about 44 em of body text, and MathML is set a little larger.
DISPLAY_WIDTH = 34.0


def display_relation(relation: Any, names: Any = None, order: str | None = "none") -> str:
    """A displayed relation, broken before top-level terms into a ``split`` when it is
    wider than the content column (a long formula wraps rather than scrolls)."""
    from stl.theory.paper import relation_rows

    rows = relation_rows(relation, names, width=DISPLAY_WIDTH, order=order)
    if len(rows) == 1:
        return display(rows[0].replace("& ", "", 1))
    return display("\\begin{split}\n" + " \\\\\n".join(rows) + "\n\\end{split}")


def prose_markdown(prose: Any, names: Any = None) -> str:
    """Markdown of a :class:`stl.theory.prose.Prose`: words escaped, formulas as ``$...$``."""
    return prose.markdown(escape=_md_words, notation=names)


def _md_words(text: str) -> str:
    """:func:`_md_inline` for the words between formulas: their edge spaces are kept."""
    lead = " " if text[:1].isspace() else ""
    tail = " " if text[-1:].isspace() else ""
    return lead + _md_inline(text) + tail if text.strip() else (" " if text else "")


def _public_symbols() -> dict[str, Any]:
    from stl.theory import symbols

    return dict(symbols.PUBLIC)


def _assignments(text: str) -> dict[str, str]:
    """``"lam=1/2; i=oo"`` -> {"lam": "1/2", "i": "oo"} (values parsed by the theory layer)."""
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"bad assignment {part!r}; expected NAME=VALUE")
        out[key.strip()] = value.strip()
    return out


def _derivation(name: str):
    from stl.theory import results

    return results.get(name)


def _transformed(name: str, opts: dict[str, str]):
    """The result of derivation ``name`` after the marker's ``subs`` and ``limit``."""
    bound = _derivation(name).result
    if opts.get("subs"):
        bound = bound.subs(_assignments(opts["subs"]))
    if opts.get("limit"):
        ((sym, val),) = _assignments(opts["limit"]).items()
        bound = bound.limit(sym, val)
    if opts.get("rates") == "yes":  # the Corollary's rate forms, as `--rates`
        bound = bound.with_rates()
    return bound


def _statement(bound, lhs: str | None = None) -> str:
    """``lhs <= rhs`` of a bound as a display (the marker's ``lhs`` replaces the bound's own)."""
    if lhs:
        return display(f"{lhs} \\le {bound.latex()}")
    if bound.lhs is None:
        return display(bound.latex(bound.notation()))
    return display_relation(bound.statement(), bound.notation())


def _conditions(bound) -> list[str]:
    return [c.to_dict()["latex"] for c in bound.conditions]


# --------------------------------------------------------------------------- theory


def render_derivation(args: list[str], opts: dict[str, str]) -> str:
    """Hypotheses, every step (reason, then the relation), the result, its conditions,
    special cases and by-products. The page states the provenance (``stl:provenance
    NAME``) where it introduces the result, and its remarks (``stl:remarks NAME``) where
    it discusses them."""
    from stl.theory.definitions import HYPOTHESES

    (name,) = args
    deriv = _derivation(name)
    bound = deriv.result
    out: list[str] = []
    if bound.requires:
        out.append("\n*Assumes* that:\n")
        out += [f"- {prose_markdown(HYPOTHESES[code])}" for code in bound.requires]
        out.append("")
    for k, step in enumerate(deriv.steps, start=1):
        out.append(f"*Step {k}.* {prose_markdown(step.reason)}")
        out.append(display_relation(step.relation))
    lead = f"**Result ({deriv.source})"
    confidence = bound.confidence_prose()
    if confidence is not None:
        lead += ",** " + prose_markdown(confidence) + ":"
    else:
        lead += ".**"
    if bound.hides_constants:
        lead += " The constant $c_0$ is the unspecified absolute constant."
    out.append(lead)
    out.append(_statement(bound, opts.get("lhs")))
    for cond in _conditions(bound):
        out.append(f"\nvalid when ${cond}$.\n")
    if bound.defined:
        where = ", ".join(f"${_sym_latex(s)} = {_sym_latex(v)}$" for s, v in bound.defined)
        out.append(f"\nwhere {where}.\n")
    for case in bound.special_cases:
        out.append(f"Special case ${_sym_latex(case.symbol)} = {_sym_latex(case.value)}$ "
                   f"({_md_inline(case.reason)}):")
        out.append(_statement(case.bound))
    if deriv.extras:
        out.append("\nBy-products:")
        for extra, expr in deriv.extras:
            out.append(display(f"{_extra_name(extra)} = {_sym_latex(expr)}"))
    return "\n" + "\n".join(out) + "\n"


def _provenance_line(deriv) -> str:
    bound = deriv.result
    return (f"*Provenance ({deriv.source}):* **{bound.provenance}** — "
            f"{_md_inline(bound.provenance_text)}.\n")


def render_provenance(args: list[str], opts: dict[str, str]) -> str:
    """One result's provenance, or (no argument) a table of every result's."""
    from stl.theory.catalog import NAMES

    if args:
        (name,) = args
        return "\n" + _provenance_line(_derivation(name))
    rows = ["| result | `stl derive` name | provenance |", "|---|---|---|"]
    for name in NAMES:
        deriv = _derivation(name)
        rows.append(f"| {deriv.source}: {_md_escape(deriv.title)} | `{name}` | "
                    f"**{deriv.result.provenance}** — {_md_escape(deriv.result.provenance_text)} |")
    return "\n" + "\n".join(rows) + "\n"


def render_remarks(args: list[str], opts: dict[str, str]) -> str:
    """The remarks of a result, one paragraph each (the text derive and latex print)."""
    (name,) = args
    return "".join("\n" + prose_markdown(r) + "\n" for r in _derivation(name).result.remarks)


def _md_inline(text: str) -> str:
    """Plain text of a reason, safe in Markdown (no emphasis, links or math by accident)."""
    import html

    text = html.escape(" ".join(str(text).split()), quote=False)
    for ch in "\\`*_[]":
        text = text.replace(ch, "\\" + ch)
    return text.replace("$", "&#36;")


def _sym_latex(expr: Any) -> str:
    from stl.theory.latex import to_latex

    return to_latex(expr)


_EXTRA_NAMES = {
    "rho": r"\rho",
    "lambda_c": r"\lambda_{c}",
    "n_s_opt": r"n_{s}^{\star}",
    "t_opt": r"t^{\star}",
    "rate_n": r"\text{rate in } n",
}


def _extra_name(name: str) -> str:
    from stl.theory.symbols import ALL

    if name in _EXTRA_NAMES:
        return _EXTRA_NAMES[name]
    if name in ALL:
        return _sym_latex(ALL[name])
    return r"\text{" + name.replace("_", r"\_") + "}"


def render_extra(args: list[str], opts: dict[str, str]) -> str:
    """One named by-product of a derivation, e.g. ``lambda_c`` of ``recursive-stability``."""
    name, extra = args
    return display(f"{_extra_name(extra)} = {_sym_latex(_derivation(name).extra(extra))}")


def render_constant(args: list[str], opts: dict[str, str]) -> str:
    """A constant or closed form of a concrete model, read from the theory half of its card
    (``stl.theory.models.cards()[MODEL]``, MODEL the registry name).

    ``NAME`` is ``beta_n``, ``tau_n``, ``M``, ``d_tv``, one of the constants' ``extras``, or
    the name of one of the card's closed forms; ``K=V`` positionals pick among closed forms
    of one name by the ``--param`` values they are for (``estimator=unbiased``).
    """
    from stl.theory.models import cards

    model, name, *when = args
    card = cards()[model]
    chosen = dict(w.split("=", 1) for w in when)
    forms = [f for f in card.closed_forms if f.name == name
             and all(str(f.when.get(k)) == v for k, v in chosen.items())]
    if forms:
        expr = forms[0].expr
    else:
        if card.constants is None:
            raise ValueError(f"{model} has no constants ({card.no_constants}) and no closed form {name}")
        consts = card.constants()
        expr = getattr(consts, name) if name in ("beta_n", "tau_n", "M", "d_tv") else consts.extra(name)
    if expr is None:
        raise ValueError(f"{model} has no closed form for {name}")
    lhs = opts.get("lhs")
    return display(f"{lhs} = {_sym_latex(expr)}" if lhs else _sym_latex(expr))


def render_definition(args: list[str], opts: dict[str, str]) -> str:
    """The defining inequality of ``stl.theory.definitions.BY_CODE[CODE]`` (D1-D4)."""
    from stl.theory.definitions import BY_CODE

    (code,) = args
    return display(BY_CODE[code].latex())


def render_bound(args: list[str], opts: dict[str, str]) -> str:
    (name,) = args
    bound = _transformed(name, opts)
    text = _statement(bound, opts.get("lhs"))
    conds = _conditions(bound)
    if conds:
        text += "\nvalid when " + ", ".join(f"${c}$" for c in conds) + ".\n"
    return text


def render_terms(args: list[str], opts: dict[str, str]) -> str:
    (name,) = args
    bound = _transformed(name, opts)
    rows = ["| term | expression |", "|---|---|"]
    for term, expr in bound.terms:
        rows.append(f"| `{term}` | ${_table_latex(expr)}$ |")
    return "\n" + "\n".join(rows) + "\n"


def _table_latex(expr: Any) -> str:
    """LaTeX safe inside a Markdown table cell (no bare ``|``)."""
    return _sym_latex(expr).replace(r"\left|", r"\left\lvert ").replace(r"\right|", r"\right\rvert ").replace("|", r"\vert ")


def render_rate(args: list[str], opts: dict[str, str]) -> str:
    """The order in ``symbol``, and the indexed symbols it held fixed (its premise)."""
    (name,) = args
    rate = _transformed(name, opts).rate(opts["symbol"])
    text = display(f"O\\!\\left({_sym_latex(rate.order)}\\right)")
    if rate.held_fixed:
        fixed = ", ".join(f"${_sym_latex(s)}$" for s in rate.held_fixed)
        text += (f"\nas ${_sym_latex(rate.symbol)} \\to \\infty$ with {fixed} held fixed "
                 f"(each depends on ${_sym_latex(rate.symbol)}$ in general).\n")
    return text


def render_symbols(args: list[str], opts: dict[str, str]) -> str:
    from stl.theory.symbols import MEANING

    rows = ["| name (`--subs`) | symbol | meaning | sympy assumptions |", "|---|---|---|---|"]
    for name, sym in _public_symbols().items():
        rows.append(f"| `{name}` | ${_table_latex(sym)}$ | {_md_escape(MEANING.get(name, ''))} | {_assumptions(sym)} |")
    return "\n" + "\n".join(rows) + "\n"


def _assumptions(sym: Any) -> str:
    kind = "integer" if sym.is_integer else "real"
    if sym.is_positive:
        return f"{kind}, > 0"
    if sym.is_nonnegative:
        return f"{kind}, ≥ 0"
    return kind


# --------------------------------------------------------------------------- CLI


def _parser() -> argparse.ArgumentParser:
    from stl.verify.cli.main import build_parser

    return build_parser()


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse has no public accessor for subparsers
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _help_text(parser: argparse.ArgumentParser) -> str:
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = HELP_COLUMNS
    try:
        return parser.format_help()
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old


def _md_escape(text: str) -> str:
    return text.replace("|", r"\|").replace("\n", " ")


def _options_table(parser: argparse.ArgumentParser) -> str:
    rows = ["| option | value | default | meaning |", "|---|---|---|---|"]
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        name = ", ".join(f"`{s}`" for s in action.option_strings) or f"`{action.dest}` (positional)"
        if action.choices is not None:
            value = " \\| ".join(f"`{c}`" for c in action.choices)
        elif action.nargs == 0:
            value = "flag"
        else:
            value = f"`{action.metavar or action.dest.upper()}`"
        if action.nargs in ("*", "+") or isinstance(action, argparse._AppendAction):
            value += " (repeatable)"
        default = action.default
        empty = default is None or default is False or default == [] or default == argparse.SUPPRESS \
            or action.nargs == 0
        shown = "" if empty else f"`{default}`"
        meaning = (action.help or "") if action.help != argparse.SUPPRESS else ""
        meaning = meaning.replace("%(default)s", str(default)).replace("%%", "%")
        rows.append(f"| {name} | {value} | {shown} | {_md_escape(meaning)} |")
    return "\n".join(rows)


def _commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[tuple[str, argparse.ArgumentParser]]:
    """Every (sub)command under ``parser``, depth first: ``[("derive", p), ("optimize synthetic-size", q)]``."""
    out = []
    for name, sub in _subparsers(parser).items():
        full = f"{prefix} {name}".strip()
        out.append((full, sub))
        out += _commands(sub, full)
    return out


def render_cli_command(args: list[str], opts: dict[str, str]) -> str:
    name = " ".join(args)
    table = dict(_commands(_parser()))
    if name not in table:
        raise ValueError(f"no command {name!r}; the CLI has: {', '.join(table)}")
    return _command_section(name, table[name], "##")


def _command_section(name: str, parser: argparse.ArgumentParser, level: str) -> str:
    parts = [f"{level} `stl {name}`", ""]
    if parser.description:
        from stl.verify.cli.main import plain_references

        parts += [plain_references(_rest_inline(textwrap.dedent(parser.description).strip())), ""]
    if _subparsers(parser):
        parts += ["Subcommands: " + ", ".join(f"`stl {name} {sub}`" for sub in _subparsers(parser)) + ".", ""]
    else:
        parts += [_options_table(parser), ""]
    parts += ["Full `--help` output:", "", "```text", _help_text(parser).rstrip(), "```", ""]
    return "\n".join(parts)


def render_cli(args: list[str], opts: dict[str, str]) -> str:
    parser = _parser()
    parts = ["```text", _help_text(parser).rstrip(), "```", ""]
    for name, sub in _commands(parser):
        parts.append(_command_section(name, sub, "##" if " " not in name else "###"))
    return "\n".join(parts)


def _rest_inline(text: str) -> str:
    """``code`` and :role:`target` (reST, as written in docstrings) -> Markdown code."""
    text = re.sub(r":(?:py:)?[a-z]+:`~?([^`]+)`", lambda m: f"`{m.group(1)}`", text)
    return re.sub(r"``(.+?)``", lambda m: f"`{m.group(1)}`", text)


def _first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


def _summary(model: Any) -> str:
    """The model class's first docstring paragraph, or its module's when the class defers."""
    text = _first_paragraph(type(model).__doc__)
    if not text or "module docstring" in text:
        text = _first_paragraph(sys.modules[type(model).__module__].__doc__)
    return text


def render_models(args: list[str], opts: dict[str, str]) -> str:
    """Per model: its ``--param`` keys (with defaults and ranges), metrics and loss bound.

    Each model is built with its default parameters (the torch models on the CPU), so the
    metric names are those a default run records.
    """
    from stl.numerics.models import registry

    parts = []
    for name in registry.model_names():
        model = registry.get_model(name, {}, device="cpu")
        parts += [f"### `{name}`", "", _rest_inline(_summary(model)), ""]
        parts += ["| `--param` | default | allowed | meaning |", "|---|---|---|---|"]
        for spec in model.param_specs:
            default = "" if spec.default is None else f"`{spec.default}`"
            parts.append(f"| `{spec.name}` | {default} | {_md_escape(spec.allowed)} | {_md_escape(spec.help)} |")
        metrics = ", ".join(f"`{m}`" for m in model.metric_names)
        parts += ["", f"Metrics (default parameters): {metrics}. Loss bound $M = {float(model.loss_bound):g}$.", ""]
    return "\n" + "\n".join(parts) + "\n"


def render_closed_form(args: list[str], opts: dict[str, str]) -> str:
    """Run ``stl.verify.checks.closed_forms.closed_form_check`` and tabulate it.

    ``<!-- stl:closed-form FORMULA MODEL METRIC n=N generations=G [replicates=R]
    [scheme=replace] [margin=0.03] [seed=0] [--param K=V ...] -->``
    """
    from stl.verify.checks.closed_forms import closed_form_check

    formula, model, metric, *rest = args
    params: dict[str, str] = {}
    while rest:
        flag, pair, *rest = rest
        if flag != "--param" or "=" not in pair:
            raise ValueError(f"expected --param K=V, got {flag} {pair}")
        key, _, value = pair.partition("=")
        params[key] = value
    scheme = opts.get("scheme", "replace")
    margin = float(opts.get("margin", 0.03))
    replicates = int(opts.get("replicates", 2000))
    seed = int(opts.get("seed", 0))
    check = closed_form_check(
        name=formula, formula=formula, model=model, params=params, metric=metric,
        n=int(opts["n"]), generations=int(opts["generations"]), scheme=scheme,
        margin=margin, replicates=replicates,
    )
    result = check.run(seed=seed)
    table = ["| generation $i$ | simulated mean | confidence interval | closed form | relative error |",
             "|---:|---:|---:|---:|---:|"]
    for row in result.details["rows"]:
        table.append(f"| {row['generation']} | {row['measured']:.5g} | [{row['ci_low']:.5g}, {row['ci_high']:.5g}] "
                     f"| {row['exact']:.5g} | {row['relative_error']:+.2%} |")
    call = (f"check = closed_form_check(\n    name={formula!r}, formula={formula!r}, model={model!r}, params={params!r},\n"
            f"    metric={metric!r}, n={opts['n']}, generations={opts['generations']}, scheme={scheme!r},\n"
            f"    margin={margin}, replicates={replicates},\n)\n"
            f"result = check.run(seed={seed})")
    return "\n".join([
        "", "```python", "from stl.verify.checks.closed_forms import closed_form_check", call, "```", "",
        (f"Verdict: **{result.verdict}** — {_md_inline(result.details['summary'])} "
         f"({replicates} replicates, seed {seed}; intervals are 95 % family-wise over the "
         "generations; computed when this page was built.)"),
        "", *table, "",
    ])


#: Commands a ``stl:run`` marker may run besides ``stl`` (to show files a command wrote).
READ_ONLY_COMMANDS = ("cat", "head", "ls")

_scratch: dict[str, tempfile.TemporaryDirectory] = {}
_current_page = ["<string>"]


def scratch_dir(page: str) -> str:
    """A scratch directory shared by the ``stl:run`` markers of one page."""
    if page not in _scratch:
        _scratch[page] = tempfile.TemporaryDirectory(prefix="stl-docs-")
    return _scratch[page].name


def command_argv(args: list[str]) -> list[str]:
    """``stl ...`` runs this interpreter's CLI; a few read-only shell tools are allowed."""
    if args and args[0] == "stl":
        return [sys.executable, "-m", "stl.verify.cli.main", *args[1:]]
    if args and args[0] in READ_ONLY_COMMANDS:
        return list(args)
    raise ValueError(f"a run marker starts with 'stl' or one of {READ_ONLY_COMMANDS}")


def run_command(args: list[str], cwd: str, timeout: float = 180.0) -> tuple[int, str]:
    """Run a documented command in ``cwd``; return (exit status, stdout + stderr)."""
    env = dict(os.environ, COLUMNS=HELP_COLUMNS, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(command_argv(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def render_run(args: list[str], opts: dict[str, str]) -> str:
    rc, output = run_command(args, scratch_dir(_current_page[0]))
    if rc != int(opts.get("status", "0")):
        raise ValueError(f"'{shlex.join(args)}' exited with {rc}:\n{output}")
    shown = output.rstrip()
    if "head" in opts:
        lines = shown.splitlines()
        k = int(opts["head"])
        if len(lines) > k:
            shown = "\n".join(lines[:k] + [f"... ({len(lines) - k} more lines)"])
    return f"\n```console\n$ {shlex.join(args)}\n{shown}\n```\n"


_FIGURE_TYPES = {".svg": "image/svg+xml", ".png": "image/png"}


def render_figure(args: list[str], opts: dict[str, str]) -> str:
    """An image written by an earlier ``stl:run`` of the page, embedded as a data URI (the
    page stays one file that loads nothing), with its alt text and an optional caption."""
    import base64
    import html

    (name,) = args
    if not opts.get("alt"):
        raise ValueError("a figure needs alt text (alt=\"...\")")
    path = Path(scratch_dir(_current_page[0])) / name
    kind = _FIGURE_TYPES.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{name}: a figure is .svg or .png")
    if not path.is_file():
        raise ValueError(f"{name} was not written by an earlier stl:run marker of this page")
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    caption = f"<figcaption>{html.escape(opts['caption'])}</figcaption>" if opts.get("caption") else ""
    return (f'\n<figure class="stl-figure"><img src="data:{kind};base64,{data}" alt="{html.escape(opts["alt"])}" '
            f'style="max-width: 100%">{caption}</figure>\n')


#: What each ``stl:requires`` name means for a reader (the package and how to get it).
_REQUIREMENTS = {
    "matplotlib": "matplotlib (`pip install 'stl-toolkit[plots]'`)",
    "cvxpy": "cvxpy (`pip install 'stl-toolkit[optimize]'`)",
    "torch": "torch (`pip install torch==2.13.0`, then `pip install 'stl-toolkit[torch]'`)",
    "wheel-build": "a setuptools that builds wheels (70.1 or newer, or the `wheel` package)",
}


def render_requires(args: list[str], opts: dict[str, str]) -> str:
    """``<!-- stl:requires NAME ... -->``: the optional packages a tutorial needs.

    The tests read the same marker and skip the page where a package is missing.
    """
    needs = [_REQUIREMENTS.get(a, a) for a in args]
    return "*This page needs " + ", ".join(needs) + ".*\n"


RENDERERS: dict[str, Callable[[list[str], dict[str, str]], str]] = {
    "derivation": render_derivation,
    "bound": render_bound,
    "extra": render_extra,
    "definition": render_definition,
    "constant": render_constant,
    "terms": render_terms,
    "rate": render_rate,
    "symbols": render_symbols,
    "provenance": render_provenance,
    "remarks": render_remarks,
    "cli": render_cli,
    "cli-command": render_cli_command,
    "models": render_models,
    "requires": render_requires,
    "run": render_run,
    "figure": render_figure,
    "closed-form": render_closed_form,
}


def expand(markdown: str, where: str = "<string>") -> str:
    """Replace every marker in ``markdown``; raise PluginError on the first failure."""

    def replace(match: re.Match) -> str:
        kind, raw = match.group("kind"), match.group("args").strip()
        key = (kind, raw)
        if kind not in ("run", "figure") and key in _cache:
            return _cache[key]
        renderer = RENDERERS.get(kind)
        if renderer is None:
            raise PluginError(f"{where}: unknown marker stl:{kind} (known: {', '.join(RENDERERS)})")
        start = time.perf_counter()
        try:
            args, opts = parse_marker_args(raw, kind)
            text = renderer(args, opts)
        except PluginError:
            raise
        except Exception as exc:  # any failure is a build failure, with its context
            raise PluginError(f"{where}: marker 'stl:{kind} {raw}' failed: {type(exc).__name__}: {exc}") from exc
        log.debug("%s: stl:%s %s (%.2f s)", where, kind, raw, time.perf_counter() - start)
        _cache[key] = text
        return text

    return MARKER.sub(replace, markdown)


# --------------------------------------------------------------------------- math


#: pymdownx.arithmatex (generic mode) wraps math in these; the TeX inside is HTML-escaped.
_ARITHMATEX = re.compile(
    r'<(?P<tag>span|div) class="arithmatex">\s*(?:\\\((?P<inline>.*?)\\\)|\\\[(?P<block>.*?)\\\])'
    r"\s*</(?P=tag)>", re.DOTALL)


def tex_to_mathml(tex: str, block: bool) -> str:
    """MathML for one formula (latex2mathml): the site needs no script to show math.

    Browsers render MathML natively (MathML Core), so formulas read the same with no
    network; a formula the converter cannot read stops the build.
    """
    import latex2mathml.converter

    mathml = latex2mathml.converter.convert(tex.strip(), display="block" if block else "inline")
    unknown = re.search(r"<m[ion]>(\\[A-Za-z]+)", mathml)  # a command it passed through as text
    if "<merror" in mathml or unknown:
        raise ValueError(f"latex2mathml cannot read {unknown.group(1) if unknown else tex!r}")
    if re.search(r"<m[ion]>&(amp;)?</m[ion]>", mathml):  # an alignment point outside split
        raise ValueError(f"latex2mathml printed an alignment & as text in {tex[:60]!r}")
    return mathml


def math_to_mathml(html_text: str, where: str = "<string>") -> str:
    """Replace every arithmatex span/div of a rendered page by MathML."""
    import html

    def replace(match: re.Match) -> str:
        block = match.group("block") is not None
        tex = html.unescape(match.group("block") if block else match.group("inline"))
        try:
            mathml = tex_to_mathml(tex, block)
        except Exception as exc:  # a build failure naming the page and the formula
            raise PluginError(f"{where}: formula {tex[:80]!r} cannot be converted to MathML: "
                              f"{type(exc).__name__}: {exc}") from exc
        if block:
            # long formulas are broken by the markers; one still wider than a narrow
            # window scrolls sideways inside its box, never up and down (no stray
            # vertical scroll control beside a formula that merely touches its box)
            return ('<div class="arithmatex" style="overflow-x: auto; overflow-y: hidden; '
                    f'padding: 0.3em 0">{mathml}</div>')
        return f'<span class="arithmatex">{mathml}</span>'

    return _ARITHMATEX.sub(replace, html_text)


# --------------------------------------------------------------------------- mkdocs events


@event_priority(100)  # before mkdocstrings builds its loader's search path from sys.path
def on_config(config, **kwargs):
    sys.path[:] = _without_script_directories(sys.path)
    return config


def on_pre_build(config, **kwargs) -> None:
    _cache.clear()


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    _current_page[0] = page.file.src_uri
    try:
        return expand(markdown, page.file.src_uri)
    finally:
        scratch = _scratch.pop(page.file.src_uri, None)
        if scratch is not None:
            scratch.cleanup()


def on_page_content(html_text: str, page, config, files, **kwargs) -> str:
    return math_to_mathml(html_text, page.file.src_uri)
