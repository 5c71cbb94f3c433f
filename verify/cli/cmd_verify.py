"""``stl verify``: run a suite of checks and write report.json, report.md and figures.

``report.json`` (and ``--format json``) holds exactly the DESIGN.md contract
(``suite``, ``seed``, ``checks``, ``summary``); ``run.json`` beside it says how the run
went (wall time, backend, checks reused on resume, stored files that were not trusted).

Exit status 0 only if no check fails (inconclusive checks do not fail the run, and are
listed as such). With ``--out DIR`` every finished check is stored at once in
``DIR/checks/``; running the same command again resumes: finished checks are reused,
damaged or foreign files are reported and recomputed.
"""

from __future__ import annotations

import argparse
import sys
import time

EXAMPLES = """examples:
  stl verify --suite quick --out report          # the README's main job (a few minutes)
  stl verify --suite quick --out report          # again: resumes, reuses finished checks
  stl verify --suite phase-transition-gain-learner --quiet
  stl verify --suite full --out full --workers 4
  stl verify --suite full --backend dask --address tcp://scheduler:8786
  stl verify --list                              # suites and check names
"""


def register(subparsers) -> None:
    from stl.verify.cli import types as T

    p = subparsers.add_parser(
        "verify", help="run verification checks (THEORY.md §5) and write a report",
        description=__doc__, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", nargs="+", default=["quick"], metavar="NAME",
                   help="suite (smoke, quick, full) or check names; default quick")
    p.add_argument("--out", metavar="DIR", type=T.PATH, help="output directory (report.json, report.md, figures/, checks/)")
    p.add_argument("--seed", type=T.SEED, default=0, help="random seed (default 0)")
    p.add_argument("--workers", type=T.COUNT(1, 256), default=1, help="parallel workers (default 1)")
    p.add_argument("--backend", default="local", help="local | dask | ray (default local)")
    p.add_argument("--address", default=None,
                   help="scheduler address for dask/ray (dask also reads STL_DASK_ADDRESS)")
    p.add_argument("--no-figures", action="store_true", help="skip the PNG figures")
    p.add_argument("--list", action="store_true", help="list suites and checks, then exit")
    p.add_argument("--format", default="pretty", choices=("pretty", "json"),
                   help="stdout: a summary table (pretty) or the report JSON")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.set_defaults(handler=handler)


def _list() -> int:
    from stl.verify.suites import SUITES

    for suite, factories in SUITES.items():
        print(f"{suite}:")
        for f in factories:
            print(f"  {f.name}")
    return 0


def handler(args: argparse.Namespace) -> int:
    from stl.verify.errors import InputError

    if args.list:
        return _list()
    from stl.verify.backends import BACKENDS, MAX_WORKERS, make_backend

    if not 1 <= args.workers <= MAX_WORKERS:
        raise InputError("--workers", args.workers, f"an integer in [1, {MAX_WORKERS}]")

    if args.backend not in BACKENDS:
        raise InputError("--backend", args.backend, ", ".join(BACKENDS))
    from stl.verify.suites import resolve

    checks = resolve(args.suite)
    store = None
    if args.out:
        from stl.verify.store import ResultStore

        store = ResultStore(args.out)
        store.prepare()
    suite_name = " ".join(args.suite)
    progress = _Progress(len(checks), quiet=args.quiet)
    from stl.verify.runner import run_checks

    start = time.perf_counter()
    with make_backend(args.backend, args.workers, args.address) as backend:
        run = run_checks(checks, args.seed, backend, store, on_event=progress)
        backend_text = backend.describe()
    wall = time.perf_counter() - start
    for issue in run.issues:
        print(f"stl verify: warning: {issue.line()}", file=sys.stderr)

    from stl.verify.report import build_report

    report = build_report(suite_name, args.seed, run.results, total_runtime_s=wall, backend=backend_text,
                          reused=list(run.reused), store_issues=[issue.line() for issue in run.issues])
    if args.out:
        from stl.verify.report import write_report

        write_report(args.out, report, figures=not args.no_figures,
                     notes=[issue.line() for issue in run.issues])
    if args.format == "json":
        from stl.verify.cli.common import to_json

        from stl.verify.report import contract_view

        sys.stdout.write(to_json(contract_view(report)))
    else:
        _print_table(report, args.out)
    return 1 if report["summary"]["fail"] else 0


def _print_table(report: dict, out: str | None) -> None:
    rows = report["checks"]
    width = max([len(r["name"]) for r in rows] + [5])
    for r in rows:
        m = r["measured"]
        pr = r["predicted"]
        mt = "—" if m is None else f"{m:.4g}"
        pt = "—" if pr is None else f"{pr:.4g}"
        print(f"{r['name']:<{width}}  {r['verdict']:<12}  measured {mt:>10} {r.get('relation', ''):>4} "
              f"{pt:<10}  {r['runtime_s']:7.2f}s")
    s = report["summary"]
    print(f"{s['pass']} pass, {s['fail']} fail, {s['inconclusive']} inconclusive "
          f"in {report['total_runtime_s']:.1f}s" + (f"; report in {out}/report.md" if out else ""))


class _Progress:
    """``done/total`` checks on stderr when it is a terminal and not ``--quiet``."""

    def __init__(self, total: int, quiet: bool):
        from stl.verify.cli.common import TerminalProgress

        self.bar = TerminalProgress("checks", quiet=quiet)
        self.total = total

    def __call__(self, kind: str, name: str, done: int, total: int) -> None:
        if self.bar.enabled:
            self.bar.stream.write(f"\r\033[K{'reused' if kind == 'reused' else 'done'}: {name}\n")
        self.bar(done, total)
