"""Pieces shared by the ``stl`` commands: options, ``K=V`` parsing, output, progress."""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterable

from stl.kernel.atomic import write_text_atomic
from stl.kernel.jsonclean import to_json  # noqa: F401 - the commands' JSON writer
from stl.verify.cli import types as T
from stl.verify.errors import InputError

FORMATS = ("pretty", "json")


def parse_assignments(pairs: Iterable[str] | None, argument: str) -> dict[str, str]:
    """Split repeated ``K=V`` options into an ordered dict of strings.

    >>> parse_assignments(["n=100", "lam=1/2"], "--subs")
    {'n': '100', 'lam': '1/2'}
    """
    result: dict[str, str] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key or not value:
            raise InputError(argument, repr(pair), "KEY=VALUE with a non-empty key and value")
        if key in result:
            raise InputError(argument, repr(pair), f"each key once ({key!r} given twice)")
        result[key] = value
    return result


def check_out_file(out: str | None, argument: str = "--out") -> Path | None:
    """Refuse, before any work, an ``--out`` where no file can be written: a name no file
    system holds, a directory, or a place under a file or in a folder that is not writable
    (missing parent folders are created by the writer, so the nearest existing one counts)."""
    if not out:
        return None
    from stl.kernel.atomic import check_path

    path = check_path(out, argument)
    if path.is_dir():
        raise InputError(argument, out, "a file path, not a directory")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(argument, out, f"a path in a writable folder ({parent} is not one)")
    return path


def add_out_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--out FILE``: write ``what`` atomically to FILE instead of printing it (:func:`emit_out`)."""
    parser.add_argument("--out", metavar="FILE", type=T.PATH, default=None,
                        help=f"write {what} to FILE (atomically: a complete file or none) instead of printing it")


def emit_out(text: str, out: str | None) -> None:
    """The output of a command with :func:`add_out_option`: printed, or written to ``out``
    with one line on stderr saying where."""
    emit(text, out)
    if out:
        print(f"wrote {out}", file=sys.stderr)


def emit(text: str, out: str | None = None) -> None:
    """Print ``text`` to stdout, or write it atomically to ``out``."""
    if out:
        write_text_atomic(Path(out), text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


#: ``--lam`` when none is given (stated once, with the run it belongs to).
from stl.verify.run import DEFAULT_LAM  # noqa: E402,F401 - re-exported for the commands


def ignored_lam_warning(scheme: str, lam: float | None) -> str | None:
    """The one-line warning for a ``--lam`` that ``scheme`` does not use (``None``: it is used,
    or none was given). A warning rather than an error, so that one grid or config file can
    hold several schemes; the run's config records the proportion actually used.

    >>> ignored_lam_warning("replace", 0.5)
    'replace trains on synthetic data only: --lam 0.5 is not used (lam_effective = 0)'
    >>> ignored_lam_warning("replace", 0.0) is None, ignored_lam_warning("mix", 0.5) is None
    (True, True)
    """
    if lam is None:
        return None
    if scheme == "replace" and lam != 0:
        return f"replace trains on synthetic data only: --lam {lam:g} is not used (lam_effective = 0)"
    if scheme.startswith("accumulate"):
        return (f"{scheme} keeps S_0 in a growing pool (real share 1/(j+1) at generation j): "
                f"--lam {lam:g} is not used")
    return None


def number(value: Any, digits: int = 4) -> str:
    """A number for people: ``—`` for none, ``nan``/``inf`` as such, else ``digits``
    significant digits.

    >>> number(None), number(float("nan")), number(0.123456), number(3)
    ('—', 'nan', '0.1235', '3')
    """
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return f"{value:.{digits}g}"


def mean_pm(mean: Any, stderr: Any, digits: int = 4) -> str:
    """``mean ± stderr`` for people; the ``±`` part is left out when there is no standard
    error (a plug-in value) or when it is rounding noise (at most 10⁻⁹ of the mean: a
    metric every replicate agrees on).

    >>> mean_pm(0.5, 0.01), mean_pm(0.0792, 8.3e-19), mean_pm(0.1, 0.0), mean_pm(None, None)
    ('0.5 ± 0.01', '0.0792', '0.1', '—')
    """
    text = number(mean, digits)
    if isinstance(stderr, (int, float)) and not isinstance(stderr, bool) and math.isfinite(stderr):
        scale = abs(mean) if isinstance(mean, (int, float)) and math.isfinite(mean) else 0.0
        if stderr > 1e-9 * scale and stderr > 0:
            text += f" ± {stderr:.2g}"
    return text


def resolve_run_sizes(args: argparse.Namespace, model) -> None:
    """Replace ``--n`` / ``--replicates`` left at ``None`` by the model's own defaults."""
    if getattr(args, "n", None) is None:
        args.n = int(model.default_n)
    if getattr(args, "replicates", None) is None:
        args.replicates = int(model.default_replicates)


def add_simulation_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``simulate``, ``stability`` and ``bound`` (DESIGN.md contract)."""
    parser.add_argument("model", metavar="MODEL", nargs="?", default=None,
                        help="a model name (the list, with parameters and run sizes, is below)")
    parser.add_argument("--scheme", default="mix",
                        help="mix | replace | fresh | accumulate | accumulate-subsample (default: mix)")
    parser.add_argument("--n", type=T.N, default=None,
                        help="training-set size per generation (default: the model's own n, listed "
                        "below; config.n shows the value used)")
    parser.add_argument("--lam", type=T.PROPORTION, default=None,
                        help="proportion of real data, in [0, 1] (default 0.5); replace and the "
                        "accumulate schemes do not use it, and say so on stderr when it is given")
    parser.add_argument("--generations", type=T.GENERATIONS, default=10,
                        help="number of generations after generation 0")
    parser.add_argument("--replicates", type=T.REPLICATES, default=None,
                        help="independent replicates (default: the model's own, listed below; "
                        "config.replicates shows the value used)")
    parser.add_argument("--seed", type=T.SEED, default=0, help="random seed (default 0)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                        help="auto: CUDA for the torch models when present, else the CPU (config.device "
                        "records the device used)")
    parser.add_argument("--param", action="append", metavar="K=V", default=[],
                        help="model parameter, repeatable (see the model list in --help)")
    parser.add_argument("--out", metavar="FILE", type=T.PATH,
                        help="write .json, .csv or .parquet atomically (CSV: the config in '# ' header "
                        "lines; pandas reads it with comment='#')")
    parser.add_argument("--format", default="pretty", choices=FORMATS)
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    add_config_options(parser)


def add_per_replicate_option(parser: argparse.ArgumentParser) -> None:
    """``--per-replicate`` (``simulate``, ``bound``): the values behind the summary."""
    parser.add_argument("--per-replicate", action="store_true",
                        help="write one row per (generation, replicate, metric) instead of the summary "
                        "(with --out, or --format json on stdout)")


def add_parallel_options(parser: argparse.ArgumentParser) -> None:
    """``--workers``, ``--backend``, ``--address`` (``verify``, ``sweep``, ``atlas``): where a
    command's independent tasks run, as one option group of its help."""
    group = parser.add_argument_group("parallel execution")
    group.add_argument("--workers", type=T.COUNT(1, 256), default=1, help="parallel workers (default 1)")
    group.add_argument("--backend", default="local", help="local | dask | ray (default local)")
    group.add_argument("--address", default=None,
                       help="scheduler address for dask/ray (dask also reads STL_DASK_ADDRESS)")


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """``--config FILE.toml`` (options read from a file; the command line wins) and
    ``--max-time S`` (refuse a run estimated to take longer; stl.verify.budget)."""
    parser.add_argument("--config", metavar="FILE.toml", type=T.PATH,
                        help="read options from a TOML file (keys are option names, [param] the model "
                        "parameters); options on the command line win")
    parser.add_argument("--max-time", type=T.REAL(1.0, 1e9, allowed="a number of seconds in [1, 1e9]"),
                        default=None, metavar="S",
                        help="refuse a run estimated to take longer than S seconds (default one day); "
                        "runs that need more memory than is available are always refused")


class TerminalProgress:
    """Progress on stderr (done/total and ETA) when it is a terminal and not ``quiet``.

    Use as the ``progress`` callback of the numeric layer: ``progress(done, total)``.
    """

    def __init__(self, label: str, quiet: bool = False, stream=None):
        import time

        self._time = time.monotonic
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = not quiet and getattr(self.stream, "isatty", lambda: False)()
        self.start = self._time()

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        elapsed = self._time() - self.start
        eta = elapsed / done * (total - done) if done else float("nan")
        eta_text = f"{eta:5.1f}s" if math.isfinite(eta) else "  ?  "
        end = "\n" if done >= total else ""
        self.stream.write(f"\r{self.label}: {done}/{total}  ETA {eta_text}{end}")
        self.stream.flush()


Handler = Callable[[argparse.Namespace], int]


# ---------------------------------------------------------------------------------
# help texts and progress shared by the commands
# ---------------------------------------------------------------------------------

def lazy_help(parser: argparse.ArgumentParser, examples: str) -> None:
    """Set ``parser``'s epilog to the models' parameter table and ``examples`` when help is printed."""
    # The epilog lists model parameters from the registry; computing it only when help is
    # printed keeps `stl --help` and unrelated commands free of numpy imports.
    original = parser.format_help

    def format_help() -> str:
        from stl.verify.cli.cmd_simulate import models_help

        parser.epilog = models_help() + "\n\n" + examples
        return original()

    parser.format_help = format_help  # type: ignore[method-assign]


def paragraphs(*texts: str) -> str:
    """Paragraphs wrapped for a raw-description help (which does not wrap by itself)."""
    import textwrap

    return "\n\n".join(textwrap.fill(text, 88) for text in texts)


class CheckProgress:
    """Checks and tasks done, with an ETA, on stderr when it is a terminal and not ``--quiet``.

    The ETA extrapolates the tasks of this run (a finished check's tasks all count), so
    it moves inside a long check instead of waiting for it to end.
    """

    def __init__(self, total: int, quiet: bool):
        self.bar = TerminalProgress("tasks", quiet=quiet)
        self.total = total
        self.checks_done = 0
        self.start = time.monotonic()

    def __call__(self, kind: str, name: str, done: int, total: int) -> None:
        if not self.bar.enabled:
            return
        stream = self.bar.stream
        if kind in ("reused", "finished", "error"):
            self.checks_done = done
            word = {"reused": "reused", "finished": "done", "error": "ERROR"}[kind]
            stream.write(f"\r\033[K{word}: {name}\n")
            stream.flush()
            return
        elapsed = time.monotonic() - self.start
        eta = elapsed / done * (total - done) if done else float("nan")
        eta_text = f"{eta:6.0f}s" if math.isfinite(eta) else "     ?"
        stream.write(f"\r\033[Kchecks {self.checks_done}/{self.total}  tasks {done}/{total}  "
                     f"ETA {eta_text}  ({name[:50]})")
        stream.flush()

    def close(self) -> None:
        if self.bar.enabled:
            self.bar.stream.write("\r\033[K")
            self.bar.stream.flush()
