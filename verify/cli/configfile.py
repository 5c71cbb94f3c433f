"""``--config FILE.toml``: a run described in a file, for ``sweep``, ``simulate``, ``stability`` and ``bound``.

The file holds the command's options under their own names (``est_replicates`` or
``est-replicates`` for ``--est-replicates``), the model under ``model`` and the model
parameters in a ``[param]`` table. It is read with :mod:`tomllib` — data only, nothing
is executed — and every value goes through the same checks as the command line (the
argparse ``type`` callables of :mod:`stl.verify.cli.types`), so a bad value is one line
naming the file and the key. Options given on the command line win over the file; a
``--param K=V`` on the command line replaces only the file's ``K``.

A sweep (lists become comma-separated grids; a list of lists, as for ``probs``, is a
grid of lists)::

    model = "categorical"
    n = [50, 100, 200]
    lam = [0, 0.5, 0.9]
    generations = 10
    replicates = 200
    [param]
    k = [5, 10]

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "run.toml"
>>> _ = path.write_text('n = 50\\nquiet = true\\n[param]\\nk = 4\\n')
>>> load(path)
{'n': 50, 'quiet': True, 'param': {'k': 4}}
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stl.verify.errors import InputError

#: Largest config file read (a config is a few lines; this stops a huge file early).
MAX_BYTES = 1_000_000
#: Options a file may not set: the file itself, and what only makes sense typed.
_NOT_IN_FILE = ("config", "help", "list", "list_models")


def _toml():
    try:
        import tomllib  # Python >= 3.11
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise InputError("--config", "a TOML file", "Python >= 3.11, or pip install tomli") from None
    return tomllib


def load(path: str | Path) -> dict[str, Any]:
    """The TOML table in ``path``; an :class:`InputError` naming ``--config`` if it cannot be read."""
    from stl.kernel.atomic import check_path

    tomllib = _toml()
    path = check_path(path, "--config")
    try:
        if path.is_dir():
            raise InputError("--config", str(path), "a TOML file, not a directory")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError("--config", str(path), f"a readable TOML file ({exc.strerror or exc})") from None
    if len(data) > MAX_BYTES:
        raise InputError("--config", f"{path} ({len(data)} bytes)", f"a TOML file of at most {MAX_BYTES} bytes")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("--config", str(path), "a UTF-8 TOML file") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError("--config", f"{path} ({exc})", "a valid TOML file") from None
    except RecursionError:
        raise InputError("--config", f"{path} (nested too deeply)", "a TOML file of plain tables") from None


def subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    """The parser of ``command`` under the top-level ``stl`` parser."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[command]
    raise KeyError(command)  # pragma: no cover - every command has a parser


def _scalar(value: Any, where: str) -> str:
    if isinstance(value, bool) or value is None:
        raise InputError(where, repr(value), "a number or a string")
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(where, repr(value), "a finite number")
    if isinstance(value, (int, float, str)):
        return repr(value) if isinstance(value, float) else str(value)
    raise InputError(where, type(value).__name__, "a number or a string")


def _text(value: Any, where: str) -> str:
    """A value as option text: lists are comma-separated, lists of lists ';'-separated."""
    if isinstance(value, list):
        if not value:
            raise InputError(where, "[]", "a non-empty list")
        if all(isinstance(v, list) for v in value):
            return ";".join(_text(v, where) for v in value)
        return ",".join(_scalar(v, where) for v in value)
    return _scalar(value, where)


def _check(action: argparse.Action, text: str, where: str) -> None:
    """Run the option's own type and choices on ``text`` (the command line's checks)."""
    value = text
    if action.type is not None:
        try:
            value = action.type(text)
        except argparse.ArgumentTypeError as exc:
            message = str(exc)
            allowed = message.split("allowed: ", 1)[1] if "allowed: " in message else message
            raise InputError(where, text, allowed) from None
        except (TypeError, ValueError):
            raise InputError(where, text, f"a valid value of {action.option_strings[0]}") from None
    if action.choices is not None and value not in action.choices:
        raise InputError(where, text, ", ".join(map(str, action.choices)))


def tokens(parser: argparse.ArgumentParser, table: dict[str, Any], path: str,
           given: set[str], cli_params: set[str]) -> tuple[str | None, list[str]]:
    """``(model, option tokens)`` for the file's entries not overridden on the command line.

    ``given``: dests set on the command line; ``cli_params``: ``--param`` keys given there.
    """
    by_dest = {a.dest: a for a in parser._actions if a.option_strings}
    positional = {a.dest for a in parser._actions if not a.option_strings}
    model: str | None = None
    out: list[str] = []
    for key, value in table.items():
        dest = str(key).replace("-", "_")
        where = f"{path}: {key}"
        if dest in positional:
            if not isinstance(value, str) or not value or value.startswith("-"):
                raise InputError(where, repr(value), "a model name (stl simulate --list-models)")
            if dest not in given:
                model = value
            continue
        if dest in _NOT_IN_FILE or dest not in by_dest:
            allowed = sorted(d for d in by_dest if d not in _NOT_IN_FILE) + sorted(positional)
            raise InputError(where, repr(key), "one of " + ", ".join(allowed))
        action = by_dest[dest]
        flag = action.option_strings[-1]
        if action.nargs == 0:  # --quiet, --no-figures
            if not isinstance(value, bool):
                raise InputError(where, repr(value), "true or false")
            if value and dest not in given:
                out.append(flag)
            continue
        if isinstance(action, argparse._AppendAction):
            if isinstance(value, dict):
                if dest != "param":
                    raise InputError(where, "a table", "a list of strings")
                for k, v in value.items():
                    if str(k) in cli_params:
                        continue
                    if isinstance(v, dict):
                        raise InputError(f"{where}.{k}", "a table", "a number, a string or a list")
                    out.append(f"{flag}={k}={_text(v, f'{where}.{k}')}")
                continue
            if dest in given:
                continue
            items = value if isinstance(value, list) else [value]
            for v in items:
                text = _scalar(v, where)
                _check(action, text, where)
                out.append(f"{flag}={text}")
            continue
        if isinstance(value, dict):
            raise InputError(where, "a table", "a number, a string or a list")
        text = _text(value, where)
        _check(action, text, where)
        if dest not in given:
            out.append(f"{flag}={text}")
    return model, out


def _given(sub: argparse.ArgumentParser, user: Sequence[str]) -> tuple[set[str], set[str]]:
    """Dests the command line set, and its ``--param`` keys."""
    sentinel = object()
    plain = [a for a in sub._actions if not isinstance(a, argparse._AppendAction)]
    ns = argparse.Namespace(**{a.dest: sentinel for a in plain if a.dest != argparse.SUPPRESS})
    ns, _ = sub.parse_known_args(list(user), namespace=ns)
    # an absent optional positional (MODEL) is filled with its default None, not the sentinel
    given = {a.dest for a in plain if getattr(ns, a.dest, sentinel) is not sentinel
             and (a.option_strings or getattr(ns, a.dest) is not None)}
    for a in sub._actions:
        if isinstance(a, argparse._AppendAction) and getattr(ns, a.dest, None):
            given.add(a.dest)
    params = {str(p).partition("=")[0].strip() for p in (getattr(ns, "param", None) or [])}
    return given, params


def with_config(parser: argparse.ArgumentParser, args: argparse.Namespace,
                argv: Sequence[str]) -> argparse.Namespace:
    """Parse ``argv`` again with the file of ``args.config`` under it (the command line wins)."""
    argv = list(argv)
    command = args.command
    at = argv.index(command)
    user = argv[at + 1:]
    sub = subparser(parser, command)
    table = load(args.config)
    given, cli_params = _given(sub, user)
    model, extra = tokens(sub, table, str(args.config), given, cli_params)
    merged = [*argv[:at + 1], *([model] if model is not None else []), *extra, *user]
    new = parser.parse_args(merged)
    new.config_file = str(args.config)
    return new
