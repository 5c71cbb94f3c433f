"""``stl plot FILE``: a figure of a saved trajectory or sweep (PNG, PDF or SVG).

``FILE`` is what ``stl simulate|stability|bound --out`` or ``stl sweep --out`` wrote
(``.json``, ``.csv`` or ``.parquet``). The default figure is the metric over
generations, one line per cell with its 95 % confidence band; ``--x n`` or ``--x lam``
plots the metric against n or λ at one generation (``--generation``, default the last).
The figure goes to ``--out`` (atomically), or beside ``FILE`` as ``FILE-METRIC.FORMAT``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stl.verify.cli import types as T

EXAMPLES = """examples:
  stl simulate categorical --out run.json && stl plot run.json --metric heterozygosity
  stl sweep categorical --n 50,100,200 --lam 0,0.5 --out grid.parquet
  stl plot grid.parquet --metric tv_to_real --format pdf
  stl plot grid.parquet --metric gen_gap --x n --generation 5 --out gap-vs-n.svg
"""


def register(subparsers) -> None:
    from stl.verify.plots import FORMATS, X_AXES

    p = subparsers.add_parser(
        "plot", help="draw a saved trajectory or sweep (lines per cell with CI bands)",
        description=__doc__, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", metavar="FILE", type=T.PATH, help="a .json, .csv or .parquet table written by stl")
    p.add_argument("--metric", type=T.TEXT("a metric name"), default=None,
                   help="the metric to draw (default: the first in the file)")
    p.add_argument("--x", default="generation", choices=X_AXES, help="x axis (default generation)")
    p.add_argument("--generation", type=T.GENERATIONS, default=None,
                   help="with --x n or lam: the generation shown (default the last)")
    p.add_argument("--format", default=None, choices=FORMATS, help="png, pdf or svg (default: --out's suffix, else png)")
    p.add_argument("--out", metavar="FILE", type=T.PATH, help="where the figure goes")
    p.add_argument("--title", default=None, help="figure title (default: metric and model)")
    p.add_argument("--quiet", action="store_true", help="do not print the path written")
    p.set_defaults(handler=handler)


def handler(args: argparse.Namespace) -> int:
    from stl.verify.plots import choose_format, plot_table
    from stl.verify.sweep import read_table

    fmt = choose_format(args.out, args.format)  # refuse a bad --out before reading anything
    config, rows = read_table(args.file)
    metric = args.metric
    if args.out:
        out = Path(args.out)
    else:
        src = Path(args.file)
        shown = metric or next((str(r.get("metric")) for r in rows if r.get("metric") is not None), "plot")
        suffix = "" if args.x == "generation" else f"-vs-{args.x}"
        out = src.with_name(f"{src.stem}-{shown}{suffix}.{fmt}")
    plotted = plot_table(config, rows, metric=metric, x=args.x, generation=args.generation, out=out,
                         fmt=fmt, title=args.title)
    if not args.quiet:
        print(f"wrote {plotted.path} ({plotted.metric} against {plotted.x}, {plotted.lines} "
              f"line{'s' if plotted.lines != 1 else ''})", file=sys.stderr)
    return 0
