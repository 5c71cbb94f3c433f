"""Entry point of the ``stl`` command.

Each command is one module ``stl.verify.cli.cmd_<name>`` with a ``register(subparsers)``
function that adds its parser and sets ``handler``; handlers return an exit status.
Command modules import heavy libraries (torch, matplotlib, dask) inside their handlers,
so ``stl --help`` and the symbolic commands start fast.

>>> main(["--version"])  # doctest: +ELLIPSIS
stl ...
0
"""

from __future__ import annotations

import argparse
import re
import importlib
import sys
from typing import Sequence

from stl.numerics.threads import limit_blas_threads

# One BLAS thread unless the user says otherwise, set before numpy is first imported:
# small batched LAPACK calls slow down 5x on a busy machine with more (stl.numerics.threads).
limit_blas_threads()

from stl.verify.errors import USER_ERRORS  # noqa: E402 - after the thread policy

#: Command modules, in the order ``stl --help`` lists them.
COMMAND_MODULES = (
    "stl.verify.cli.cmd_derive",
    "stl.verify.cli.cmd_latex",
    "stl.verify.cli.cmd_simulate",
    "stl.verify.cli.cmd_stability",
    "stl.verify.cli.cmd_bound",
    "stl.verify.cli.cmd_optimize",
    "stl.verify.cli.cmd_verify",
    "stl.verify.cli.cmd_sweep",
    "stl.verify.cli.cmd_plot",
    "stl.verify.cli.cmd_atlas",
)


#: References to the project's contract files, which a user of the package does not have,
#: and the files of the repository (or its documentation site) that say the same.
_REFERENCES = (
    (re.compile(r"THEORY\.md\s*§\s*5"), "docs/tutorials/03-verifying-theorem-1.md"),
    (re.compile(r"THEORY\.md\s+([LTD]\d'?|Corollary)"), r"\1 in the theory guide, docs/theory/"),
    (re.compile(r"THEORY\.md"), "the theory guide, docs/theory/"),
    (re.compile(r"DESIGN\.md metric names"), "metric names of docs/reference/models.md"),
    (re.compile(r"DESIGN\.md"), "docs/reference/cli.md"),
)
_ROLE = re.compile(r":(?:py:)?[a-z]+:`~?([^`]+)`")
_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)


def plain_references(text: str) -> str:
    """``text`` with references to THEORY.md and DESIGN.md pointed at the repository's
    documentation (docs/theory/, docs/reference/), which a user has."""
    for pattern, replacement in _REFERENCES:
        text = pattern.sub(replacement, text)
    return text


def plain_help(text: str) -> str:
    """Help text as a terminal shows it: the reST of docstring-derived descriptions
    (````literal````, ``:mod:`target```) as plain text, references as :func:`plain_references`.

    >>> plain_help("``stl bound MODEL``: T1 (:mod:`stl.theory.models`; THEORY.md T1)")
    'stl bound MODEL: T1 (stl.theory.models; T1 in the theory guide, docs/theory/)'
    """
    text = _ROLE.sub(lambda m: m.group(1), text)
    return plain_references(_LITERAL.sub(lambda m: m.group(1), text))


class _OneLineParser(argparse.ArgumentParser):
    """Argument parser whose usage errors are one line and exit status 2, and whose help is
    plain text (:func:`plain_help`) whatever markup the command's docstring uses."""

    def format_help(self) -> str:
        return plain_help(super().format_help())

    def error(self, message: str) -> None:  # noqa: D401 - argparse API
        # "argument --n: got 0; allowed: ..." -> "--n: got 0; allowed: ...", the form every
        # other user error of the toolkit has (InputError: "ARG: got X; allowed: Y")
        message = re.sub(r"^argument ([^:]+): ", r"\1: ", message)
        message = message.replace("\r", "\\r").replace("\n", "\\n")  # an echoed value stays on the line
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from stl.verify import __version__

    parser = _OneLineParser(
        prog="stl",
        description="Self-consuming training loops: derive bounds, simulate loops, verify the theory.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  stl derive theorem1\n  stl verify --suite quick --out report",
    )
    parser.add_argument("--version", action="version", version=f"stl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_OneLineParser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``stl`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return int(exc.code or 0)
    if getattr(args, "handler", None) is None:
        parser.print_help()
        return 2
    try:
        if getattr(args, "config", None):  # --config FILE.toml: the file under the command line
            from stl.verify.cli.configfile import with_config

            args = with_config(parser, args, argv)
        args.command_line = ["stl", *argv]  # provenance records exactly what was typed
        from stl.kernel.atomic import signals_as_interrupts

        # SIGTERM/SIGHUP end a run like Ctrl-C: temporary files are removed, exit 130
        with signals_as_interrupts():
            return int(args.handler(args) or 0)
    except SystemExit as exc:  # a usage error found when re-reading with --config
        return int(exc.code or 0)
    except USER_ERRORS as exc:
        # one line even when the rejected value holds a line break (it is echoed back)
        message = str(exc).replace("\r", "\\r").replace("\n", "\\n")
        print(f"stl {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"stl {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
