"""``stl sweep MODEL``: the product grid of ``stl simulate`` runs, as one tidy table.

``--n``, ``--lam``, ``--scheme``, ``--seed`` and every ``--param K=...`` take a
comma-separated list; the sweep runs every combination, each cell exactly as ``stl
simulate`` would run it, and writes one table (``.parquet``, ``.csv`` or ``.json``;
:mod:`stl.verify.research.sweep`) with the cell's parameters as columns. ``--out`` is written
atomically; finished cells are kept in ``OUT.cells/``, so running the same command again
after an interruption computes only the missing cells, and adding values to an axis
computes only the new ones. The numbers do not depend on ``--backend`` or ``--workers``.
"""

from __future__ import annotations

import argparse
import sys

from stl.verify.cli import types as T
from stl.verify.errors import InputError

EXAMPLES = """examples:
  stl sweep categorical --n 50,100,200 --lam 0,0.25,0.5,0.9 --param k=5,10 --out grid.parquet
  stl sweep gaussian --n 50,100 --lam 0,0.5 --param dim=1,2 --workers 2 --out grid.csv
  stl sweep categorical --n 50,100 --lam 0,0.5 --backend dask --out grid.parquet
  stl sweep --config grid.toml                     # the same grid, from a TOML file
  stl plot grid.parquet --metric tv_to_real        # one line per cell, CI bands
  (a --param value that holds commas, such as probs, lists its values with ';':
   --param "probs=0.5,0.5;0.2,0.8")
"""

def LIST(item, what: str):
    """Comma-separated values, each checked by ``item`` (one of :mod:`stl.verify.cli.types`)."""
    from stl.verify.research.sweep import split_values

    def parse(text: str) -> tuple:
        parts = split_values(text)
        if not text.strip() or any(not p for p in parts):
            raise argparse.ArgumentTypeError(f"got {text!r}; allowed: comma-separated {what}, none empty")
        values = []
        for p in parts:
            try:
                values.append(item(p))
            except argparse.ArgumentTypeError as exc:
                allowed = str(exc).split("allowed: ", 1)[-1]
                raise argparse.ArgumentTypeError(f"got {p}; allowed: comma-separated values, each {allowed}") from None
        if len(set(values)) != len(values):
            raise argparse.ArgumentTypeError(f"got {text}; allowed: comma-separated {what}, each value once")
        return tuple(values)

    parse.__name__ = "list"
    return parse


def _scheme(text: str) -> str:
    text = text.strip()
    if not text:
        raise argparse.ArgumentTypeError("got ''; allowed: a scheme name")
    return text


def register(subparsers) -> None:
    from stl.verify.cli.common import FORMATS, add_config_options, add_parallel_options

    p = subparsers.add_parser(
        "sweep", help="run the product grid of simulate cells (n, lam, parameters, seeds) into one table",
        description=__doc__, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", metavar="MODEL", nargs="?", default=None,
                   help="a model name (stl simulate --list-models lists them and their parameters)")
    p.add_argument("--n", type=LIST(T.N, "integers in [1, 10^9]"), default=None,
                   help="training-set sizes (default: the model's own n)")
    p.add_argument("--lam", type=LIST(T.PROPORTION, "numbers in [0, 1]"), default=None,
                   help="proportions of real data (default 0.5)")
    p.add_argument("--scheme", type=LIST(_scheme, "scheme names"), default=None,
                   help="schemes: mix, replace, fresh, accumulate, accumulate-subsample (default mix)")
    p.add_argument("--seed", type=LIST(T.SEED, "seeds"), default=None, help="seeds (default 0)")
    p.add_argument("--param", action="append", metavar="K=A,B", default=[],
                   help="model parameter and its values, repeatable")
    p.add_argument("--generations", type=T.GENERATIONS, default=10, help="generations after generation 0 (default 10)")
    p.add_argument("--replicates", type=T.REPLICATES, default=None,
                   help="replicates per cell (default: the model's own)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"),
                   help="as for simulate (the table's device column records the device used)")
    p.add_argument("--metric", action="append", metavar="NAME", default=None,
                   help="keep only this metric (repeatable; default every metric of the model)")
    p.add_argument("--out", metavar="FILE", type=T.PATH,
                   help="the table: .parquet, .csv or .json (atomic; each keeps the config, a CSV in '# ' lines)")
    p.add_argument("--per-replicate", action="store_true",
                   help="the table holds one row per (cell, generation, replicate, metric) with its value")
    p.add_argument("--pool-risk", default="subsample", choices=("subsample", "exact"),
                   help="accumulate cells: gen_gap's pool risk from n random points (default) or the whole pool")
    p.add_argument("--format", default="pretty", choices=FORMATS,
                   help="stdout: a summary per cell (pretty) or the table as JSON")
    add_parallel_options(p)
    p.add_argument("--quiet", action="store_true", help="no progress output")
    add_config_options(p)
    p.set_defaults(handler=handler)


def _axes(args) -> dict[str, tuple]:
    from stl.verify.cli.common import parse_assignments
    from stl.verify.research.sweep import split_values

    axes: dict[str, tuple] = {}
    for name in ("scheme", "n", "lam", "seed"):
        value = getattr(args, name)
        if value is not None:
            axes[name] = tuple(value)
    for key, text in parse_assignments(args.param, "--param").items():
        values = split_values(text)
        if any(not v for v in values):
            raise InputError(f"--param {key}", repr(text), "comma-separated values, none empty")
        if len(set(values)) != len(values):
            raise InputError(f"--param {key}", text, "comma-separated values, each value once")
        axes[key] = tuple(values)
    return axes


def check_out(out: str | None) -> None:
    from stl.verify.cli.cmd_simulate import check_out as check_simulate_out

    check_simulate_out(out)


def validate(grid, args) -> None:
    """Build every distinct model and scheme once, and check the budget, before any work."""
    from stl.numerics.schemes import get_scheme
    from stl.verify import budget
    from stl.verify.research.sweep import build_cell_model

    seen_models: dict[tuple, object] = {}
    total = 0.0
    peak = 0.0
    for cell in grid.cells():
        key = tuple(sorted(cell.params.items()))
        if key not in seen_models:
            seen_models[key] = build_cell_model(cell)[0]  # InputError names the bad --param
        get_scheme(cell.scheme, cell.n, cell.lam)
        model = seen_models[key]
        if cell.metrics is not None:
            model.check_metrics(list(cell.metrics))
        est = budget.estimate_run(model, cell.n, cell.replicates, cell.generations,
                                  metrics=None if cell.metrics is None else len(cell.metrics))
        total += est.seconds
        peak = max(peak, est.peak_bytes)
    workers = max(int(args.workers), 1)
    whole = budget.Estimate(peak * min(workers, len(grid.cells())), total / min(workers, len(grid.cells())),
                            0.0, f"{len(grid.cells())} cells on {workers} worker{'s' if workers > 1 else ''}")
    note = budget.enforce(whole, max_time_s=args.max_time, argument="--n/--lam/--param/--replicates")
    if note and not args.quiet:
        print(f"stl sweep: {note}", file=sys.stderr)


def handler(args: argparse.Namespace) -> int:
    from stl.verify.plumbing.backends import BACKENDS, make_backend
    from stl.verify.research.sweep import CellStore, Grid, run_sweep, sweep_config, table_rows, write_table

    if args.model is None:
        raise InputError("MODEL", "nothing", "a model name (stl simulate --list-models lists them)")
    if args.backend not in BACKENDS:
        raise InputError("--backend", args.backend, ", ".join(BACKENDS))
    check_out(args.out)
    if args.metric is not None and any(not m.strip() for m in args.metric):
        raise InputError("--metric", "''", "a metric name")
    from stl.numerics.models.registry import model_class

    cls = model_class(args.model)
    replicates = args.replicates if args.replicates is not None else int(cls.default_replicates)
    grid = Grid.build(args.model, _axes(args), args.generations, replicates, args.device,
                      None if args.metric is None else list(dict.fromkeys(args.metric)),
                      pool_risk=args.pool_risk, per_replicate=args.per_replicate)
    validate(grid, args)
    _warn_ignored_lam(grid, args)

    from stl.kernel.atomic import remove_stale_temps, signals_as_interrupts
    from stl.verify.cli.common import TerminalProgress
    from stl.verify.provenance import provenance

    store = lock = None
    if args.out:
        from stl.verify.plumbing.lock import DirectoryLock

        store = CellStore.beside(args.out)
        lock = DirectoryLock(store.folder, argument="--out").acquire()
    try:
        if store is not None:
            for leftover in remove_stale_temps(args.out) + store.sweep_temps():
                if not args.quiet:
                    print(f"stl sweep: removed {leftover} (left by an interrupted write)", file=sys.stderr)
        bar = TerminalProgress("sweep: cells", quiet=args.quiet)

        def progress(done: int, total: int, label: str) -> None:
            if bar.enabled:
                bar.stream.write(f"\r\033[Kdone: {label}\n")
            bar(done, total)

        with signals_as_interrupts(), make_backend(args.backend, args.workers, args.address) as backend:
            run = run_sweep(grid, backend, store, progress)
            backend_text = backend.describe()
        for issue in run.issues:
            print(f"stl sweep: warning: {issue}", file=sys.stderr)
        rows = table_rows(grid, run.outputs)
        replicate_rows = table_rows(grid, run.outputs, per_replicate=True) if args.per_replicate else None
        devices = sorted({r["device"] for r in rows})
        config = sweep_config(grid, provenance(device=",".join(devices), seed=None,
                                               command=getattr(args, "command_line", None),
                                               seeds=sorted({c.seed for c in grid.cells()}),
                                               backend=backend_text))
        config["reused_cells"] = len(run.reused)
        if args.per_replicate:
            config["per_replicate"] = True
        if args.out:
            write_table(args.out, config, replicate_rows if args.per_replicate else rows)
            if not args.quiet:
                print(f"wrote {args.out} ({len(grid.cells())} cells, {len(run.reused)} reused; "
                      f"cells kept in {store.folder})", file=sys.stderr)
    finally:
        if lock is not None:
            lock.release()
    if args.format == "json":
        from stl.kernel.jsonclean import to_json

        shown = replicate_rows if args.per_replicate and not args.out else rows
        sys.stdout.write(to_json({"config": config, "records": shown}))
    else:
        sys.stdout.write(pretty(grid, rows))
    return 0


def _warn_ignored_lam(grid, args) -> None:
    """One stderr line per scheme of the grid that does not use the ``--lam`` values given."""
    from stl.verify.cli.common import ignored_lam_warning

    if args.lam is None:
        return
    for scheme in dict.fromkeys(c.scheme for c in grid.cells()):
        lams = [v for v in args.lam if ignored_lam_warning(scheme, v)]
        if lams:
            text = ignored_lam_warning(scheme, lams[0]).split(":")[0]
            print(f"stl sweep: warning: {text}: --lam {','.join(f'{v:g}' for v in lams)} not used by its cells",
                  file=sys.stderr)


def pretty(grid, rows: list[dict]) -> str:
    """One line per cell: the last generation's metrics as ``mean ± stderr``."""
    from stl.verify.cli.common import mean_pm
    from stl.verify.research.sweep import column_names

    cols = column_names(grid)
    keys = [k for k in ("scheme", "n", "lam", "seed") if k in grid.varying()] + \
           [cols[k] for k in grid.param_names() if k in grid.varying()]
    last = grid.generations
    cells: dict[tuple, dict[str, str]] = {}
    metrics: list[str] = []
    for r in rows:
        if r["generation"] != last:
            continue
        key = tuple(r[k] for k in keys)
        cells.setdefault(key, {})[r["metric"]] = mean_pm(r["mean"], r["stderr"])
        if r["metric"] not in metrics:
            metrics.append(r["metric"])
    header = keys + metrics
    table = [header] + [[str(v) for v in key] + [vals.get(m, "") for m in metrics] for key, vals in cells.items()]
    widths = [max(len(row[c]) for row in table) for c in range(len(header))]
    lines = [f"sweep {grid.model}: {len(cells)} cells, generation {last} shown "
             f"({grid.replicates} replicates per cell)"]
    for k, row in enumerate(table):
        lines.append("  ".join(text.rjust(widths[c]) for c, text in enumerate(row)))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
