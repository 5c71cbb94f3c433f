"""``stl simulate MODEL``: run a self-consuming loop and print or write its trajectory.

Output (DESIGN.md): ``{"config": {...}, "records": [{"generation", "metric", "mean",
"stderr", "n_replicates"}, ...]}``; ``--out`` writes ``.json``, ``.csv`` or ``.parquet``
atomically, each with the run's config (a CSV in ``# `` header lines before its column
names, :func:`stl.numerics.trajectory.records_to_csv`). ``--per-replicate`` writes one row
per ``(generation, replicate, metric)`` with its ``value`` instead of the summary. numpy
and the models are imported inside the handler, and torch only for the
``lsa``/``transformer`` models.

No silent surprises: a ``--lam`` the scheme does not use gets one warning line on stderr
(:func:`stl.verify.cli.common.ignored_lam_warning`); a table that shows only some
generations says how many and how to get all of them.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path
from typing import Any

from stl.verify.cli.common import (
    TerminalProgress,
    add_per_replicate_option,
    add_simulation_options,
    check_out_file,
    emit,
    ignored_lam_warning,
    lazy_help,
    mean_pm,
    number,
    paragraphs,
    resolve_run_sizes,
    to_json,
)
from stl.verify.errors import InputError

OUT_SUFFIXES = (".json", ".csv", ".parquet")

def models_help() -> str:
    """The ``--help`` model list, read from each model's declaration: summary, run sizes,
    metrics and every ``--param`` with its default and range.

    Built when help is printed (it imports numpy and the model modules, never torch).
    """
    from stl.numerics.models.registry import model_class, model_names

    lines = ["models and their --param K=V (default; allowed):"]
    for name in model_names():
        cls = model_class(name)
        needs = f"; needs {', '.join(cls.requires)}" if cls.requires else ""
        lines.append(f"  {name}: {cls.summary} (n={cls.default_n}, replicates={cls.default_replicates}{needs})")
        lines.append(f"    metrics: {', '.join(cls.metric_names)}")
        for spec in cls.param_specs:
            default = "" if spec.default is None else f"default {spec.default}; "
            lines.append(f"    {spec.name:<12} {spec.help} ({default}{spec.allowed})")
    return "\n".join(lines)


def list_models() -> str:
    """``stl simulate --list-models``: every model and where it comes from."""
    from stl.numerics.models.registry import model_class, shadowed, sources

    rows = []
    for name, source in sources().items():
        try:
            summary = model_class(name).summary
        except InputError as exc:  # a third-party model that does not load: say so, keep listing
            summary = f"(cannot be loaded: {exc.allowed})"
        rows.append(f"{name:<14} {source.origin:<12} {source.where}\n{'':<14} {summary}")
    lines = ["model          from         where", *rows]
    lines += [f"(not used: entry point {text} has the name of a built-in model)" for text in shadowed()]
    return "\n".join(lines) + "\n"


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="run a self-consuming training loop and report its metrics per generation",
        description=paragraphs(
                    "Run a self-consuming training loop batched over replicates and report every "
                    "metric of the model per generation (mean and standard error). Generation 0 is "
                    "the fit to the real sample S_0.",
                    "schemes: mix keeps a fixed real subset of S_0 of n_r = round(lam*n) points "
                    "(half up; lam is then n_r/n, reported as lam_effective) plus n - n_r synthetic "
                    "points; fresh draws its n_r real points anew each generation; replace is lam = 0; "
                    "accumulate trains on S_0 plus every synthetic set so far (n per generation) and "
                    "accumulate-subsample subsamples that pool to n; both ignore --lam (a warning says so).",
                    "gen_gap under accumulate: the empirical risk on the pool is the mean loss on n pool "
                    "points drawn at random per replicate and generation (unbiased; its variance is in the "
                    "standard error); --pool-risk exact averages the whole pool (cost grows like G^2 n)."),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_simulation_options(parser)
    add_per_replicate_option(parser)
    add_metric_option(parser)
    add_pool_risk_option(parser)
    parser.add_argument("--list-models", action="store_true",
                        help="list the models and where each comes from (built in or an stl.models entry point)")
    lazy_help(parser, "examples:\n"
                       "  stl simulate categorical --scheme replace --n 50 --generations 60 "
                       "--replicates 20000 --format json\n"
                       "  stl simulate gaussian --param dim=2 --param estimator=unbiased --out run.parquet")
    parser.set_defaults(handler=handler)


def check_out(out: str | None) -> None:
    """Refuse a bad ``--out`` before any work: unknown suffix, a directory, or a place
    where no file can be created (a parent that is a file, or not writable)."""
    if not out:
        return
    from stl.kernel.atomic import check_path

    path = check_path(out, "--out")
    if path.suffix.lower() not in OUT_SUFFIXES:
        raise InputError("--out", out, "a file ending in .json, .csv or .parquet")
    check_out_file(out)


def build(args) -> tuple[Any, Any, dict[str, Any]]:
    """Model, scheme and the run's config from the shared simulation options."""
    spec, config = build_run(args)
    return spec.model_built, spec.scheme_built, config


def build_run(args, metrics=None):
    """The :class:`~stl.verify.run.RunSpec` of the shared simulation options (``--n`` and
    ``--replicates`` resolved, written back to ``args``) and its config with provenance;
    refuses, before any work, what the budget says cannot finish."""
    from stl.verify.run import RunSpec

    if args.model is None:
        raise InputError("MODEL", "nothing", "a model name (stl simulate --list-models lists them)")
    check_out(args.out)
    if args.out:  # leftovers of a run killed while writing this file (kill -9 skips any cleanup)
        from stl.kernel.atomic import remove_stale_temps

        for leftover in remove_stale_temps(args.out):
            if not args.quiet:
                print(f"stl {args.command}: removed {leftover} (left by an interrupted write)", file=sys.stderr)
    spec = RunSpec.from_args(args, metrics=metrics)
    resolve_run_sizes(args, spec.model_built)   # --n / --replicates not given: the model's defaults
    spec.metric_names                           # checked now, before the budget and any work
    scheme = spec.scheme_built
    if getattr(args, "per_replicate", False) and not args.out and args.format != "json":
        raise InputError("--per-replicate", "without --out", "with --out FILE (.csv, .parquet, .json) "
                         "or --format json")
    warning = ignored_lam_warning(scheme.name, args.lam)
    if warning:
        print(f"stl {args.command}: warning: {warning}", file=sys.stderr)
    config = spec.config(command=args.command)
    from stl.verify import budget
    from stl.verify.provenance import provenance

    budget.check_args(args, spec.model_built, scheme)  # refuse, before any work, what cannot finish
    config["provenance"] = provenance(device=config["device"], seed=args.seed,
                                      command=getattr(args, "command_line", None))
    return spec, config


def write_records(out: str, config: dict, records: list[dict]) -> None:
    """Write tidy records atomically in the format of ``out``'s suffix, with the config
    (JSON: ``config``; CSV: ``# `` header lines; Parquet: the schema metadata)."""
    from stl.numerics.trajectory import records_to_csv, records_to_parquet
    from stl.kernel.atomic import write_bytes_atomic

    suffix = Path(out).suffix.lower()
    try:
        if suffix == ".json":
            emit(to_json({"config": config, "records": records}), out)
        elif suffix == ".csv":
            emit(records_to_csv(records, config), out)
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
    """A readable table: one row per (sampled) generation, ``mean ± stderr`` per metric.

    More than ``max_rows`` generations are thinned to ``max_rows`` evenly spaced ones
    (first and last kept), and a last line says so and how to get every row.
    """
    metrics: list[str] = []
    by_gen: dict[int, dict[str, dict]] = {}
    for r in records:
        if r["metric"] not in metrics:
            metrics.append(r["metric"])
        by_gen.setdefault(r["generation"], {})[r["metric"]] = r
    gens = all_gens = sorted(by_gen)
    if len(gens) > max_rows:
        step = (len(gens) - 1) / (max_rows - 1)
        gens = sorted({gens[round(k * step)] for k in range(max_rows)})

    def cell(r):
        if r is None:
            return ""
        text = mean_pm(r["mean"], r["stderr"])
        if r.get("ci_low") is not None and r.get("ci_high") is not None:
            text += f" [{number(r['ci_low'], 3)}, {number(r['ci_high'], 3)}]"
        return text

    rows = [["gen"] + metrics] + [[str(g)] + [cell(by_gen[g].get(m)) for m in metrics] for g in gens]
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    shown = {k: config[k] for k in ("model", "scheme", "n", "lam_effective", "generations", "replicates", "seed")
             if k in config}
    if str(config.get("scheme", "")).startswith("accumulate"):
        shown["lam_effective"] = "not used (S_0 in the pool)"
    head = ", ".join(f"{k}={number(v) if v is None or isinstance(v, float) else v}" for k, v in shown.items())
    lines = [head, "params: " + ", ".join(f"{k}={'—' if v is None else _short(v)}"
                                         for k, v in config.get("params", {}).items())]
    for k, row in enumerate(rows):
        lines.append("  ".join(cell_text.rjust(widths[c]) for c, cell_text in enumerate(row)))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    if len(gens) < len(all_gens):
        lines.append(f"({len(gens)} of {len(all_gens)} generations shown; every generation: --format json "
                     f"or --out FILE)")
    if config.get("analytic_reason") and "bound_analytic" in metrics:
        lines.append(f"bound_analytic is nan: theory does not give every constant ({config['analytic_reason']})")
    return "\n".join(lines) + "\n"


def finish(args, config: dict, records: list[dict], replicate_rows: list[dict] | None = None) -> int:
    """Write ``--out`` and/or print in ``--format``; with ``--per-replicate`` the file (or the
    JSON on stdout) holds ``replicate_rows`` and the pretty table still shows the summary."""
    if getattr(args, "per_replicate", False) and replicate_rows is not None:
        config = {**config, "per_replicate": True}
        if args.out:
            write_records(args.out, config, replicate_rows)
            if not args.quiet:
                print(f"wrote {args.out} ({len(replicate_rows)} rows, one per generation, replicate and metric)",
                      file=sys.stderr)
            if args.format == "pretty":
                emit(pretty_table(config, records))
            else:
                emit(to_json({"config": config, "records": records}))
            return 0
        emit(to_json({"config": config, "records": replicate_rows}))
        return 0
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


def add_pool_risk_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--pool-risk", default="subsample", choices=("subsample", "exact"),
                        help="accumulate: gen_gap's empirical risk on the pool from n points drawn at random "
                        "per generation (subsample, default: unbiased, cost like replace) or the whole pool (exact)")


def add_metric_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--metric", action="append", metavar="NAME", default=None,
                        help="compute only this metric (repeatable; default: every metric of the model)")


def chosen_metrics(args) -> tuple[str, ...] | None:
    """``--metric`` values, each once (``None``: all of them); the run checks them against the
    model (:attr:`stl.verify.run.RunSpec.metric_names`)."""
    if args.metric is None:
        return None
    if any(not m for m in args.metric):
        raise InputError("--metric", "''", "a metric name")
    return tuple(dict.fromkeys(args.metric))


def handler(args) -> int:
    if args.list_models:
        emit(list_models())
        return 0
    spec, config = build_run(args, metrics=chosen_metrics(args))
    progress = TerminalProgress("simulate: generations", quiet=args.quiet)
    with out_of_memory_as_input_error():
        traj = spec.run(progress)
    if "pool_risk" in traj.config:
        config["pool_risk"] = traj.config["pool_risk"]
    return finish(args, config, traj.to_records(),
                  traj.replicate_records() if args.per_replicate else None)


@contextlib.contextmanager
def out_of_memory_as_input_error():
    """Turn a ``MemoryError`` of a run too large for this machine into a one-line user error."""
    try:
        yield
    except MemoryError:
        raise InputError("--n/--replicates/--generations", "a run too large for memory",
                         "smaller sizes (or fewer replicates per run)") from None
