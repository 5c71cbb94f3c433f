"""Pieces shared by the ``stl`` commands: options, ``K=V`` parsing, output, progress."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any, Callable, Iterable

from stl.verify.atomic import write_text_atomic
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


def _clean(obj: Any) -> Any:
    """Make ``obj`` strict-JSON safe: NaN/inf become None, numpy scalars become floats."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def to_json(obj: Any) -> str:
    """Strict JSON text (no NaN), indented, with a trailing newline."""
    return json.dumps(_clean(obj), indent=2, allow_nan=False) + "\n"


def emit(text: str, out: str | None = None) -> None:
    """Print ``text`` to stdout, or write it atomically to ``out``."""
    if out:
        write_text_atomic(Path(out), text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


#: ``--help`` text of the model-specific run sizes (``Model.default_n`` /
#: ``default_replicates``; written out so that ``--help`` imports no model, hence no torch;
#: tests/verify/test_cli_simulate.py checks it against the models).
RUN_DEFAULTS_HELP = "100 for categorical, gaussian, linreg, kde; 500 for lsa; 2000 for transformer"
REPLICATES_HELP = "200 for categorical, gaussian, linreg, kde; 32 for lsa; 2 for transformer"


def resolve_run_sizes(args: argparse.Namespace, model) -> None:
    """Replace ``--n`` / ``--replicates`` left at ``None`` by the model's own defaults."""
    if getattr(args, "n", None) is None:
        args.n = int(model.default_n)
    if getattr(args, "replicates", None) is None:
        args.replicates = int(model.default_replicates)


def add_simulation_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``simulate``, ``stability`` and ``bound`` (DESIGN.md contract)."""
    parser.add_argument("model", metavar="MODEL",
                        help="categorical | gaussian | linreg | kde | lsa | transformer")
    parser.add_argument("--scheme", default="mix",
                        help="mix | replace | fresh | accumulate | accumulate-subsample (default: mix)")
    parser.add_argument("--n", type=int, default=None,
                        help="training-set size per generation (default: the model's own, " + RUN_DEFAULTS_HELP
                        + "; config.n shows the value used)")
    parser.add_argument("--lam", type=float, default=0.5,
                        help="proportion of real data, in [0, 1] (default 0.5)")
    parser.add_argument("--generations", type=int, default=10,
                        help="number of generations after generation 0")
    parser.add_argument("--replicates", type=int, default=None,
                        help="independent replicates (default: the model's own, " + REPLICATES_HELP
                        + "; config.replicates shows the value used)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument("--param", action="append", metavar="K=V", default=[],
                        help="model parameter, repeatable (see the model list in --help)")
    parser.add_argument("--out", metavar="FILE", help="write .json, .csv or .parquet atomically")
    parser.add_argument("--format", default="pretty", choices=FORMATS)
    parser.add_argument("--quiet", action="store_true", help="no progress output")


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
