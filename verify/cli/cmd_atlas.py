"""``stl atlas``: how much real data each architecture needs, predicted twice and located.

For every architecture of the chosen size (:mod:`stl.verify.checks.atlas`): ĉ = n·τ̂_n with its
interval and L2's critical real proportion λ_c = 1 − 1/ĉ (THEORY.md L2, a sufficient
condition); the typical-case estimate λ_c^typ = 1 − 1/c_typ, where c_typ reproduces the
loop's own growth of γ̂ in a pilot run at one kept real point (an empirical predictor,
not a theorem); the observed boundary, located by bisection on the real share, with its
interval; whether the typical estimate locates it (the intervals overlap) and whether L2's
prediction is safe (every grid λ above it stable; the check's verdict), each with its
power computation; the growth law of γ̂ at λ = 0 (geometric against a power of i, beside
L2's ρ^i); the collapse speed at λ = 0.

With ``--out DIR`` it writes ``atlas.json`` and ``atlas.md`` (the tables), the figures
(``figures/atlas-lambda-c.png``: both predictions against the observed λ_c with error
bars; per architecture the bisection, the (λ, generation) risk surface and the growth of
γ̂) and, like ``stl verify``, ``report.json``/``report.md``/``run.json`` and one stored
result per architecture in ``DIR/checks/``: running the same command again resumes,
reusing every finished architecture. Exit status 0 unless L2's prediction fails.
"""

from __future__ import annotations

import argparse
import sys
import time

EXAMPLES = """examples:
  stl atlas --size quick --out atlas            # seven architectures, about two minutes on two cores
  stl atlas --size quick --out atlas            # again: resumes, reuses finished architectures
  stl atlas --models gmm ngram --size quick --format json
  stl atlas --size full --out atlas-full --workers 2
  stl atlas --size full --backend dask --address tcp://scheduler:8786 --out atlas-full
"""


def register(subparsers) -> None:
    from stl.verify.cli import types as T
    from stl.verify.cli.common import add_parallel_options

    p = subparsers.add_parser(
        "atlas", help="architecture atlas: L2's and the typical lambda_c against the located boundary",
        description=__doc__, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", metavar="MODEL", default=None,
                   help="architectures to run (default: every one of the size)")
    p.add_argument("--size", default="quick", choices=("quick", "full"),
                   help="quick (the cheap architectures, under 10 minutes on 2 cores) or full (all, bigger)")
    p.add_argument("--out", metavar="DIR", type=T.PATH, help="output directory (atlas.json, atlas.md, figures/, checks/)")
    p.add_argument("--seed", type=T.SEED, default=0, help="random seed (default 0)")
    add_parallel_options(p)
    p.add_argument("--no-figures", action="store_true", help="skip the figures")
    p.add_argument("--list", action="store_true", help="list the architectures of each size, then exit")
    p.add_argument("--format", default="pretty", choices=("pretty", "json"),
                   help="stdout: the Markdown table (pretty) or the atlas JSON")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(handler=handler)


def _list() -> int:
    from stl.verify.checks.atlas import SIZES, entries

    for size in SIZES:
        print(f"{size}:")
        for e in entries(size):
            params = " ".join(f"{k}={v}" for k, v in e.params.items())
            print(f"  {e.model:<15} n={e.n} G={e.generations} λ∈{list(e.lams)} replicates={e.replicates} "
                  f"pilot={e.pilot_real}/{e.n} bisection≤{e.locate_steps}"
                  + (f"  {params}" if params else ""))
    return 0


def handler(args: argparse.Namespace) -> int:
    from stl.verify.errors import InputError

    if args.list:
        return _list()
    from stl.verify.checks.atlas import entries
    from stl.verify.plumbing.backends import BACKENDS, MAX_WORKERS, make_backend

    if not 1 <= args.workers <= MAX_WORKERS:
        raise InputError("--workers", args.workers, f"an integer in [1, {MAX_WORKERS}]")
    if args.backend not in BACKENDS:
        raise InputError("--backend", args.backend, ", ".join(BACKENDS))
    checks = [e.check(args.size) for e in entries(args.size, args.models)]
    store = None
    if args.out:
        from stl.verify.store import ResultStore

        store = ResultStore(args.out)
        store.prepare()
    from stl.verify.cli.common import CheckProgress
    from stl.verify.runner import run_checks

    progress = CheckProgress(len(checks), quiet=args.quiet)
    start = time.perf_counter()
    with make_backend(args.backend, args.workers, args.address) as backend:
        run = run_checks(checks, args.seed, backend, store, on_event=progress)
        backend_text = backend.describe()
    wall = time.perf_counter() - start
    for issue in run.issues:
        print(f"stl atlas: warning: {issue.line()}", file=sys.stderr)

    from stl.verify.checks.atlas import render_table, table_rows

    for r in run.results:
        if r.verdict == "error":   # no atlas row without a conclusion; the report lists it
            print(f"stl atlas: error: check {r.name} raised in {r.details.get('where')}: {r.details.get('error')}",
                  file=sys.stderr)
    rows = table_rows([r for r in run.results if r.verdict != "error"])
    atlas = {"size": args.size, "seed": args.seed, "architectures": rows, "total_runtime_s": wall,
             "backend": backend_text, "reused": list(run.reused)}
    markdown = render_table(rows, args.size, args.seed)
    if args.out:
        _write(args, run, atlas, markdown, wall, backend_text)
    if args.format == "json":
        from stl.verify.cli.common import to_json

        sys.stdout.write(to_json(atlas))
    else:
        print(markdown)
        print(f"{len(rows)} architectures in {wall:.1f}s" + (f"; atlas in {args.out}/atlas.md" if args.out else ""))
    return 1 if run.errors or any(r["verdict"] == "fail" for r in rows) else 0


def _write(args, run, atlas: dict, markdown: str, wall: float, backend_text: str) -> None:
    from pathlib import Path

    from stl.kernel.atomic import write_text_atomic
    from stl.verify.cli.common import to_json
    from stl.verify.report import build_report, write_report

    out = Path(args.out)
    report = build_report(f"atlas-{args.size}", args.seed, run.results, total_runtime_s=wall, backend=backend_text,
                          reused=list(run.reused), store_issues=[issue.line() for issue in run.issues])
    write_report(out, report, figures=not args.no_figures, notes=[issue.line() for issue in run.issues])
    if not args.no_figures:
        from stl.verify.checks.atlas import draw_lambda_figure

        (out / "figures").mkdir(parents=True, exist_ok=True)
        draw_lambda_figure(atlas["architectures"], out / "figures" / "atlas-lambda-c.png")
        markdown += "\n![predicted against observed λ_c](figures/atlas-lambda-c.png)\n"
    write_text_atomic(out / "atlas.json", to_json(atlas))
    write_text_atomic(out / "atlas.md", markdown)
