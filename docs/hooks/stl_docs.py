"""MkDocs hook: generate formulas, the CLI reference and command output at build time.

Pages contain one-line markers (HTML comments, so the Markdown source still reads
well). ``on_page_markdown`` replaces each marker with Markdown produced from the code:

``<!-- stl:derivation NAME -->``
    every step of ``theory.results.get(NAME)`` (reason + relation) and its result.
``<!-- stl:bound NAME [subs="k=v; ..."] [limit="sym=val"] [lhs="..."] -->``
    the bound of derivation ``NAME`` as one displayed formula, optionally after
    substituting values (parsed by the toolkit's own safe parser) and taking a limit.
``<!-- stl:extra NAME EXTRA -->``
    one named by-product of a derivation (``rho``, ``lambda_c``, ``n_s_opt``...).
``<!-- stl:terms NAME -->``
    a table of the named terms of that bound.
``<!-- stl:rate NAME symbol=SYM [subs=...] [limit=...] -->``
    the leading-order rate of the bound in ``SYM``.
``<!-- stl:symbols -->``
    the table of public symbol names (the ``--subs`` contract) with their LaTeX.
``<!-- stl:cli -->`` / ``<!-- stl:cli-command NAME -->``
    the reference of every ``stl`` command (or one), taken from ``build_parser()``.
``<!-- stl:models -->``
    per model: its ``--param`` keys, defaults and ranges, metric names and loss bound.
``<!-- stl:run stl ARGS ... [status=N] [head=K] -->``
    runs ``stl ARGS`` and shows the command and its real output (the markers of one page
    share a scratch directory, so a later ``cat`` can show a file an earlier command wrote).

Any marker that cannot be produced stops the build with an error naming the page and
the marker, so the site never shows stale or hand-written formulas.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any, Callable

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MARKER = re.compile(r"^[ \t]*<!--\s*stl:(?P<kind>[a-z-]+)(?P<args>.*?)-->[ \t]*$", re.MULTILINE)

#: Width used for argparse help so the generated reference is the same on every machine.
HELP_COLUMNS = "88"

_cache: dict[tuple, str] = {}


# --------------------------------------------------------------------------- helpers


#: The ``key=value`` options a marker understands; any other token is positional
#: (so ``stl simulate ... --param k=5`` keeps ``k=5`` as a command argument).
MARKER_OPTIONS = {"subs", "limit", "lhs", "symbol", "level", "status", "head"}


def parse_marker_args(text: str) -> tuple[list[str], dict[str, str]]:
    """Split marker arguments into positionals and ``key=value`` options."""
    positional: list[str] = []
    options: dict[str, str] = {}
    for token in shlex.split(text):
        key, sep, value = token.partition("=")
        if sep and key in MARKER_OPTIONS:
            options[key] = value
        else:
            positional.append(token)
    return positional, options


def display(latex: str) -> str:
    """A displayed formula for pymdownx.arithmatex (no blank lines inside)."""
    body = "\n".join(line for line in latex.strip().splitlines() if line.strip())
    return f"\n$$\n{body}\n$$\n"


def _public_symbols() -> dict[str, Any]:
    from theory import symbols

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
    from theory import results

    return results.get(name)


def _transformed(name: str, opts: dict[str, str]):
    """The result of derivation ``name`` after the marker's ``subs`` and ``limit``."""
    bound = _derivation(name).result
    if opts.get("subs"):
        bound = bound.subs(_assignments(opts["subs"]))
    if opts.get("limit"):
        ((sym, val),) = _assignments(opts["limit"]).items()
        bound = bound.limit(sym, val)
    return bound


def _statement(bound, lhs: str | None = None) -> str:
    """``lhs <= rhs`` of a bound (the marker's ``lhs`` replaces the bound's own)."""
    if lhs:
        return f"{lhs} \\le {bound.latex()}"
    return bound.statement_latex()


def _conditions(bound) -> list[str]:
    return [c.to_dict()["latex"] for c in bound.conditions]


# --------------------------------------------------------------------------- theory


def render_derivation(args: list[str], opts: dict[str, str]) -> str:
    """Every step (reason, then the relation), the result, its conditions and by-products."""
    (name,) = args
    deriv = _derivation(name)
    out: list[str] = []
    for k, step in enumerate(deriv.steps, start=1):
        out.append(f"{k}. {_md_inline(step.reason)}")
        out.append(_indent(display(step.latex())))
    bound = deriv.result
    out.append(f"**Result ({deriv.source}).**" + (" The constant $c_0$ is the unspecified absolute constant."
                                                  if bound.hides_constants else ""))
    out.append(display(_statement(bound, opts.get("lhs"))))
    for cond in _conditions(bound):
        out.append(f"valid when ${cond}$.")
    for case in bound.special_cases:
        out.append(f"Special case ${_sym_latex(case.symbol)} = {_sym_latex(case.value)}$ "
                   f"({_md_inline(case.reason)}):")
        out.append(display(case.bound.statement_latex()))
    if deriv.extras:
        out.append("By-products:")
        for extra, expr in deriv.extras:
            out.append(display(f"{_extra_name(extra)} = {_sym_latex(expr)}"))
    return "\n" + "\n".join(out) + "\n"


def _indent(text: str) -> str:
    return "\n".join(("    " + line) if line.strip() else line for line in text.splitlines())


def _md_inline(text: str) -> str:
    """Plain text of a reason, safe in Markdown (no emphasis, links or math by accident)."""
    import html

    text = html.escape(" ".join(str(text).split()), quote=False)
    for ch in "\\`*_[]":
        text = text.replace(ch, "\\" + ch)
    return text.replace("$", "&#36;")


def _sym_latex(expr: Any) -> str:
    from theory.symbols import to_latex

    return to_latex(expr)


_EXTRA_NAMES = {
    "rho": r"\rho",
    "lambda_c": r"\lambda_{c}",
    "n_s_opt": r"n_{s}^{\star}",
    "t_opt": r"t^{\star}",
    "rate_n": r"\text{rate in } n",
}


def _extra_name(name: str) -> str:
    return _EXTRA_NAMES.get(name, r"\text{" + name.replace("_", r"\_") + "}")


def render_extra(args: list[str], opts: dict[str, str]) -> str:
    """One named by-product of a derivation, e.g. ``lambda_c`` of ``recursive-stability``."""
    name, extra = args
    return display(f"{_extra_name(extra)} = {_sym_latex(_derivation(name).extra(extra))}")


def render_bound(args: list[str], opts: dict[str, str]) -> str:
    (name,) = args
    bound = _transformed(name, opts)
    text = display(_statement(bound, opts.get("lhs")))
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
    (name,) = args
    bound = _transformed(name, opts)
    return display(f"O\\!\\left({_sym_latex(bound.rate(opts['symbol']))}\\right)")


def render_symbols(args: list[str], opts: dict[str, str]) -> str:
    from theory.symbols import MEANING

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
    from verify.cli.main import build_parser

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
        shown = "" if default in (None, argparse.SUPPRESS, False) or action.nargs == 0 else f"`{default}`"
        meaning = (action.help or "") if action.help != argparse.SUPPRESS else ""
        meaning = meaning.replace("%(default)s", str(default)).replace("%%", "%")
        rows.append(f"| {name} | {value} | {shown} | {_md_escape(meaning)} |")
    return "\n".join(rows)


def render_cli_command(args: list[str], opts: dict[str, str]) -> str:
    (name,) = args
    sub = _subparsers(_parser())
    if name not in sub:
        raise ValueError(f"no command {name!r}; the CLI has: {', '.join(sub)}")
    return _command_section(name, sub[name], opts.get("level", "##"))


def _command_section(name: str, parser: argparse.ArgumentParser, level: str) -> str:
    parts = [f"{level} `stl {name}`", ""]
    if parser.description:
        parts += [textwrap.dedent(parser.description).strip(), ""]
    parts += [_options_table(parser), "", "Full `--help` output:", "", "```text", _help_text(parser).rstrip(), "```", ""]
    return "\n".join(parts)


def render_cli(args: list[str], opts: dict[str, str]) -> str:
    parser = _parser()
    parts = ["```text", _help_text(parser).rstrip(), "```", ""]
    for name, sub in _subparsers(parser).items():
        parts.append(_command_section(name, sub, "##"))
    return "\n".join(parts)


def _model_classes() -> dict[str, Any]:
    """Registered model name -> its class (or factory), without building torch models."""
    import importlib

    from numerics.models import registry

    out = {}
    for name, target in registry.FACTORIES.items():
        module_name, _, attr = target.partition(":")
        out[name] = getattr(importlib.import_module(module_name), attr)
    return out


def render_models(args: list[str], opts: dict[str, str]) -> str:
    """Per model: its ``--param`` keys (with defaults and ranges), metrics and loss bound."""
    from numerics.models import registry

    parts = []
    for name in registry.model_names():
        model = _model_classes()[name]
        if not hasattr(model, "metric_names"):  # a factory function (torch models)
            model = registry.get_model(name, {}, device="cpu")
        parts += [f"### `{name}`", ""]
        doc = (getattr(model, "__doc__", "") or "").strip().splitlines()
        if doc:
            parts += [doc[0], ""]
        parts += ["| `--param` | default | allowed | meaning |", "|---|---|---|---|"]
        for spec in model.param_specs:
            default = "" if spec.default is None else f"`{spec.default}`"
            parts.append(f"| `{spec.name}` | {default} | {_md_escape(spec.allowed)} | {_md_escape(spec.help)} |")
        metrics = ", ".join(f"`{m}`" for m in model.metric_names)
        parts += ["", f"Metrics: {metrics}. Loss bound $M = {float(model.loss_bound):g}$.", ""]
    return "\n" + "\n".join(parts) + "\n"


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
        return [sys.executable, "-m", "verify.cli.main", *args[1:]]
    if args and args[0] in READ_ONLY_COMMANDS:
        return list(args)
    raise ValueError(f"a run marker starts with 'stl' or one of {READ_ONLY_COMMANDS}")


def run_command(args: list[str], cwd: str, timeout: float = 180.0) -> tuple[int, str]:
    """Run a documented command in ``cwd``; return (exit status, stdout + stderr)."""
    env = dict(os.environ, COLUMNS=HELP_COLUMNS, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run(command_argv(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
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


RENDERERS: dict[str, Callable[[list[str], dict[str, str]], str]] = {
    "derivation": render_derivation,
    "bound": render_bound,
    "extra": render_extra,
    "terms": render_terms,
    "rate": render_rate,
    "symbols": render_symbols,
    "cli": render_cli,
    "cli-command": render_cli_command,
    "models": render_models,
    "run": render_run,
}


def expand(markdown: str, where: str = "<string>") -> str:
    """Replace every marker in ``markdown``; raise PluginError on the first failure."""

    def replace(match: re.Match) -> str:
        kind, raw = match.group("kind"), match.group("args").strip()
        key = (kind, raw)
        if kind != "run" and key in _cache:
            return _cache[key]
        renderer = RENDERERS.get(kind)
        if renderer is None:
            raise PluginError(f"{where}: unknown marker stl:{kind} (known: {', '.join(RENDERERS)})")
        try:
            args, opts = parse_marker_args(raw)
            text = renderer(args, opts)
        except PluginError:
            raise
        except Exception as exc:  # any failure is a build failure, with its context
            raise PluginError(f"{where}: marker 'stl:{kind} {raw}' failed: {type(exc).__name__}: {exc}") from exc
        _cache[key] = text
        return text

    return MARKER.sub(replace, markdown)


# --------------------------------------------------------------------------- mkdocs events


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
