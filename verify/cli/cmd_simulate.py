"""``stl simulate MODEL``: run a self-consuming loop and print or write its trajectory.

Output (DESIGN.md): ``{"config": {...}, "records": [{"generation", "metric", "mean",
"stderr", "n_replicates"}, ...]}``; ``--out`` writes ``.json``, ``.csv`` or ``.parquet``
atomically. numpy and the models are imported inside the handler, and torch only for
the ``lsa``/``transformer`` models.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from stl.verify.cli.common import (
    TerminalProgress,
    add_simulation_options,
    emit,
    parse_assignments,
    resolve_run_sizes,
    to_json,
)
from stl.verify.errors import InputError

OUT_SUFFIXES = (".json", ".csv", ".parquet")

#: --param names of the torch models (DESIGN.md); their defaults are in stl.numerics.icl.
_ICL_PARAMS = {
    "lsa": "dim, context, noise, seed_labels, label_noise, steps, lr, batch, warm_start, clip, probes",
    "transformer": "dim, context, noise, seed_labels, label_noise, layers, width, heads, attention, steps, lr, "
                   "batch, warm_start, clip, probes",
}


def models_help() -> str:
    """The ``--help`` model list: every classical parameter with its default and range.

    Built when help is printed (it imports numpy and the classical models, never torch).
    """
    from stl.numerics.models.registry import CLASSICAL, model_names, param_specs

    lines = ["models and their --param K=V (default; allowed):"]
    for name in model_names():
        if name in CLASSICAL:
            lines.append(f"  {name}:")
            for spec in param_specs(name):
                default = "" if spec.default is None else f"default {spec.default}; "
                lines.append(f"    {spec.name:<10} {spec.help} ({default}{spec.allowed})")
        else:
            lines.append(f"  {name}: {_ICL_PARAMS.get(name, '')} (torch; defaults in stl.numerics.icl.model)")
    return "\n".join(lines)


def _lazy_help(parser: argparse.ArgumentParser, examples: str) -> None:
    # The epilog lists model parameters from the registry; computing it only when help is
    # printed keeps `stl --help` and unrelated commands free of numpy imports.
    original = parser.format_help

    def format_help() -> str:
        parser.epilog = models_help() + "\n\n" + examples
        return original()

    parser.format_help = format_help  # type: ignore[method-assign]


def _paragraphs(*texts: str) -> str:
    """Paragraphs wrapped for a raw-description help (which does not wrap by itself)."""
    import textwrap

    return "\n\n".join(textwrap.fill(text, 88) for text in texts)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="run a self-consuming training loop and report its metrics per generation",
        description=_paragraphs(
                    "Run a self-consuming training loop batched over replicates and report every "
                    "metric of the model per generation (mean and standard error). Generation 0 is "
                    "the fit to the real sample S_0.",
                    "schemes: mix keeps a fixed real subset of S_0 of n_r = round(lam*n) points "
                    "(half up; lam is then n_r/n, reported as lam_effective) plus n - n_r synthetic "
                    "points; fresh draws its n_r real points anew each generation; replace is lam = 0; "
                    "accumulate trains on S_0 plus every synthetic set so far (n per generation) and "
                    "accumulate-subsample subsamples that pool to n; both ignore --lam."),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_simulation_options(parser)
    _lazy_help(parser, "examples:\n"
                       "  stl simulate categorical --scheme replace --n 50 --generations 60 "
                       "--replicates 20000 --format json\n"
                       "  stl simulate gaussian --param dim=2 --param estimator=unbiased --out run.parquet")
    parser.set_defaults(handler=run)


#: Largest ``--n`` accepted: beyond it one replicate's dataset alone exceeds any memory.
MAX_N = 10 ** 9


def check_out(out: str | None) -> None:
    """Refuse a bad ``--out`` before any work: unknown suffix, a directory, or a place
    where no file can be created (a parent that is a file, or not writable)."""
    if not out:
        return
    path = Path(out)
    if path.suffix.lower() not in OUT_SUFFIXES:
        raise InputError("--out", out, "a file ending in .json, .csv or .parquet")
    if path.is_dir():
        raise InputError("--out", out, "a file path, not a directory")
    # The writer creates missing parent folders: check the nearest one that exists.
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise InputError("--out", out, f"a path in a writable folder ({parent} is not one)")


def build(args) -> tuple[Any, Any, dict[str, Any]]:
    """Model, scheme and the run's config from the shared simulation options."""
    from stl.numerics.models.registry import get_model
    from stl.numerics.schemes import get_scheme

    check_out(args.out)
    params = parse_assignments(args.param, "--param")
    model = get_model(args.model, params, device=args.device)
    resolve_run_sizes(args, model)   # --n / --replicates not given: the model's defaults
    scheme = get_scheme(args.scheme, args.n, args.lam)
    if args.n > MAX_N:
        raise InputError("--n", args.n, f"an integer in [1, {MAX_N}]")
    for name, value, low in (("--generations", args.generations, 0), ("--replicates", args.replicates, 1),
                             ("--seed", args.seed, 0)):
        if value < low:
            raise InputError(name, value, f"an integer >= {low}")
    desc = model.describe()
    config = {"command": args.command, "model": desc["model"], "params": desc["params"],
              "scheme": scheme.name, "n": scheme.n, "lam": args.lam, "lam_effective": scheme.lam,
              "n_r": scheme.n_r, "n_s": scheme.n_s, "generations": args.generations,
              "replicates": args.replicates, "seed": args.seed, "device": args.device}
    if scheme.name.startswith("accumulate"):
        # --lam is not used: the real share of the pool is 1/(j + 1) at generation j.
        config["lam_effective"] = None
        config["real_proportion"] = "1/(j+1) at generation j (S_0 within the accumulated pool)"
    return model, scheme, config


def write_records(out: str, config: dict, records: list[dict]) -> None:
    """Write tidy records atomically in the format of ``out``'s suffix."""
    from stl.numerics.trajectory import records_to_csv, records_to_parquet
    from stl.verify.atomic import write_bytes_atomic

    suffix = Path(out).suffix.lower()
    try:
        if suffix == ".json":
            emit(to_json({"config": config, "records": records}), out)
        elif suffix == ".csv":
            emit(records_to_csv(records), out)
        else:
            write_bytes_atomic(out, records_to_parquet(records, config))
    except OSError as exc:  # a full disk, a vanished folder, a read-only file system
        raise InputError("--out", out, f"a writable file path ({exc.strerror or exc})") from None


def _short(value) -> str:
    """A parameter for people: floats to 4 significant digits (JSON keeps full precision)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


def pretty_table(config: dict, records: list[dict], max_rows: int = 12) -> str:
    """A readable table: one row per (sampled) generation, ``mean ± stderr`` per metric."""
    import math

    metrics: list[str] = []
    by_gen: dict[int, dict[str, dict]] = {}
    for r in records:
        if r["metric"] not in metrics:
            metrics.append(r["metric"])
        by_gen.setdefault(r["generation"], {})[r["metric"]] = r
    gens = sorted(by_gen)
    if len(gens) > max_rows:
        step = (len(gens) - 1) / (max_rows - 1)
        gens = sorted({gens[round(k * step)] for k in range(max_rows)})

    def cell(r):
        if r is None:
            return ""
        m, s = r["mean"], r["stderr"]
        text = "nan" if m is None or not math.isfinite(m) else f"{m:.4g}"
        if s is not None and math.isfinite(s):
            text += f" ± {s:.2g}"
        if "ci_low" in r and r["ci_low"] is not None and math.isfinite(r["ci_low"]):
            text += f" [{r['ci_low']:.3g}, {r['ci_high']:.3g}]"
        return text

    rows = [["gen"] + metrics] + [[str(g)] + [cell(by_gen[g].get(m)) for m in metrics] for g in gens]
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    head = ", ".join(f"{k}={config[k]}" for k in ("model", "scheme", "n", "lam_effective", "generations",
                                                   "replicates", "seed") if k in config)
    lines = [head, "params: " + ", ".join(f"{k}={_short(v)}" for k, v in config.get("params", {}).items())]
    for k, row in enumerate(rows):
        lines.append("  ".join(cell_text.rjust(widths[c]) for c, cell_text in enumerate(row)))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def finish(args, config: dict, records: list[dict]) -> int:
    """Write ``--out`` and/or print in ``--format``."""
    if args.out:
        write_records(args.out, config, records)
        if not args.quiet:
            print(f"wrote {args.out}", file=sys.stderr)
        if args.format == "pretty":
            emit(pretty_table(config, records))
        return 0
    if args.format == "json":
        emit(to_json({"config": config, "records": records}))
    else:
        emit(pretty_table(config, records))
    return 0


def run(args) -> int:
    from stl.numerics.loop import run_loop

    model, scheme, config = build(args)
    progress = TerminalProgress("simulate: generations", quiet=args.quiet)
    with out_of_memory_as_input_error():
        traj = run_loop(model, scheme, scheme.n, scheme.lam, args.generations, args.replicates, args.seed,
                        progress=progress)
    return finish(args, config, traj.to_records())


@contextlib.contextmanager
def out_of_memory_as_input_error():
    """Turn a ``MemoryError`` of a run too large for this machine into a one-line user error."""
    try:
        yield
    except MemoryError:
        raise InputError("--n/--replicates/--generations", "a run too large for memory",
                         "smaller sizes (or fewer replicates per run)") from None
