"""``stl plot FILE``: a figure of a saved trajectory, bound or sweep (PNG, PDF or SVG).

``FILE`` is what ``stl simulate|stability|bound --out`` or ``stl sweep --out`` wrote
(``.json``, ``.csv`` or ``.parquet``; a ``--per-replicate`` table is summarised first).
The default figure is the metric over generations, one line per cell with its 95 %
confidence band; ``--metric`` (repeatable) draws several metrics in one figure; ``--x n``
or ``--x lam`` plots them against n or λ at one generation (``--generation``, default the
last). A table from ``stl bound`` is drawn, when no ``--metric`` is named, as measured
E gen_i with its 95 % band against the T1 bound with analytic and estimated constants;
``--stack-terms`` stacks the bound's two terms under it.

Labels are each metric's declared LaTeX (matplotlib mathtext); the title gives the model,
scheme, n, λ and the replicates. ``--style paper`` is one journal column wide with 8 pt
serif type and vector output (PDF unless ``--out`` says otherwise). The figure goes to
``--out`` (atomically), or beside ``FILE`` as ``FILE-METRIC.FORMAT``. ``--format json``
prints what was drawn (series, labels, file, notes) and takes the figure's type from
``--out``'s suffix.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stl.verify.cli import types as T

EXAMPLES = """examples:
  stl bound categorical --n 50 --lam 0.5 --generations 10 --out b.json && stl plot b.json
  stl plot b.json --stack-terms --logy --style paper --out t1.pdf
  stl simulate categorical --out run.json && stl plot run.json --metric heterozygosity --metric tv_to_real
  stl sweep categorical --n 50,100,200 --lam 0,0.5 --out grid.parquet
  stl plot grid.parquet --metric tv_to_real --format pdf
  stl plot grid.parquet --metric gen_gap --x n --generation 5 --logx --out gap-vs-n.svg --format json
"""


def register(subparsers) -> None:
    from stl.verify.research.plots import FORMATS, STYLES, X_AXES

    p = subparsers.add_parser(
        "plot", help="draw a saved trajectory, bound or sweep (lines per cell with CI bands)",
        description=__doc__, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE", type=T.PATH, help="a .json, .csv or .parquet table written by stl")
    p.add_argument("--metric", action="append", type=T.TEXT("a metric name"), default=None,
                   help="a metric to draw, repeatable (default: the file's first metric; for stl bound "
                   "output gen_gap against bound_analytic and bound_estimated)")
    p.add_argument("--x", default="generation", choices=X_AXES, help="x axis (default generation)")
    p.add_argument("--generation", type=T.GENERATIONS, default=None,
                   help="with --x n or lam: the generation shown (default the last)")
    p.add_argument("--logx", action="store_true", help="logarithmic x axis")
    p.add_argument("--logy", action="store_true", help="logarithmic y axis (points <= 0 are left out, and said so)")
    p.add_argument("--stack-terms", action="store_true",
                   help="stl bound output: stack T1's stability and shift terms under the bound")
    p.add_argument("--style", default="screen", choices=tuple(STYLES),
                   help="screen (default) or paper: one column wide, 8 pt serif, vector output")
    p.add_argument("--format", default=None, choices=(*FORMATS, "json"),
                   help="png, pdf or svg (default: --out's suffix, else png; pdf for --style paper); "
                   "json prints what was drawn")
    p.add_argument("--out", metavar="FILE", type=T.PATH, help="where the figure goes")
    p.add_argument("--title", default=None, help="figure title (default: what is drawn, model, scheme, n, λ, replicates)")
    p.add_argument("--quiet", action="store_true", help="do not print the path written")
    p.set_defaults(handler=handler)


def default_out(src: str | Path, metrics: list[str], x: str, fmt: str, bound_figure: bool) -> Path:
    """``FILE-METRIC[-METRIC...][-vs-X].FORMAT`` beside the table (``FILE-bound`` for T1's figure)."""
    src = Path(src)
    shown = "bound" if bound_figure else "-".join(metrics) or "plot"
    suffix = "" if x == "generation" else f"-vs-{x}"
    return src.with_name(f"{src.stem}-{shown}{suffix}.{fmt}")


def handler(args: argparse.Namespace) -> int:
    from stl.verify.cli.common import emit, to_json
    from stl.verify.research.plots import choose_format, default_metrics, is_bound_table, plot_table
    from stl.verify.research.sweep import read_table

    fmt = choose_format(args.out, args.format, args.style)  # refuse a bad --out before reading anything
    config, rows = read_table(args.file)
    metrics = list(dict.fromkeys(args.metric)) if args.metric else None
    if args.out:
        out = Path(args.out)
    else:
        from stl.verify.research.plots import summarize_replicates

        shown = metrics or default_metrics(config, summarize_replicates(rows))
        bound_figure = metrics is None and is_bound_table(config, rows) and args.x == "generation"
        out = default_out(args.file, shown, args.x, fmt, bound_figure)
    plotted = plot_table(config, rows, metrics=metrics, x=args.x, generation=args.generation, out=out,
                         fmt=fmt, title=args.title, logx=args.logx, logy=args.logy, style=args.style,
                         stack_terms=args.stack_terms)
    for note in plotted.notes:
        print(f"stl plot: note: {note}", file=sys.stderr)
    if args.format == "json":
        emit(to_json(plotted.to_dict()))
    elif not args.quiet:
        print(f"wrote {plotted.path} ({', '.join(plotted.metrics)} against {plotted.x}, {plotted.lines} "
              f"line{'s' if plotted.lines != 1 else ''})", file=sys.stderr)
    return 0
