"""``stl verify``: run a suite of checks and write report.json, report.md and figures.

``report.json`` (and ``--format json``) holds exactly the DESIGN.md contract
(``suite``, ``seed``, ``checks``, ``summary``); ``run.json`` beside it says how the run
went: provenance (versions, git commit, device, command line, seed), wall time, backend,
checks reused whole, checks resumed from stored tasks, checks skipped by ``--max-time``,
and stored files that were not trusted.

Exit status 0 only if no check fails or errs (inconclusive checks do not fail the run,
and are listed as such). A check that raises instead of concluding gets the verdict
``error`` with its message; the rest of the suite runs, the report is written, errors are
listed first, and the exit status is 1. With ``--out DIR`` every finished check — and every finished task of a
check still running — is stored at once under ``DIR``; running the same command again
resumes: finished checks are reused (and marked so), a check that was interrupted
continues from its stored tasks, damaged or foreign files are reported and recomputed.
One run at a time may write into ``DIR`` (a second is refused).
"""

from __future__ import annotations

import argparse
import sys
import time

EXAMPLES = """examples:
  stl verify --suite quick --out report          # the README's main job (a few minutes)
  stl verify --suite quick --out report          # again: resumes, reuses finished checks
  stl verify --suite phase-transition-gain --quiet
  stl verify --suite full --out full --workers 4
  stl verify --suite full --backend dask --address tcp://scheduler:8786
  stl verify --list                              # suites, checks, claims, expected runtimes
  stl verify --suite full --max-time 600         # only the checks expected to fit in 10 minutes
  stl verify --suite quick --out report --figure-format png,pdf
"""

FIGURE_FORMATS = ("png", "pdf", "svg")


def _figure_formats(text: str) -> tuple[str, ...]:
    parts = [p.strip().lower() for p in text.split(",")]
    if not text.strip() or any(p not in FIGURE_FORMATS for p in parts):
        raise argparse.ArgumentTypeError(f"got {text!r}; allowed: comma-separated png, pdf, svg")
    return tuple(dict.fromkeys(parts))


def register(subparsers) -> None:
    from stl.verify.cli import types as T
    from stl.verify.cli.common import add_parallel_options

    p = subparsers.add_parser(
        "verify", help="run verification checks and write a report",
        description=__doc__, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--suite", nargs="+", default=["quick"], metavar="NAME",
                   help="suite (smoke, quick, full) or check names; default quick")
    p.add_argument("--out", metavar="DIR", type=T.PATH, help="output directory (report.json, report.md, figures/, checks/)")
    p.add_argument("--seed", type=T.SEED, default=0, help="random seed (default 0)")
    add_parallel_options(p)
    p.add_argument("--no-figures", action="store_true", help="skip the figures")
    p.add_argument("--figure-format", type=_figure_formats, default=("png",), metavar="png,pdf,svg",
                   help="figure formats, comma-separated (default png; report.md shows the first)")
    p.add_argument("--list", action="store_true",
                   help="list suites and checks with their claims and expected runtimes, then exit")
    p.add_argument("--max-time", type=T.REAL(0.0, 1e9, allowed="a number of seconds in [0, 1e9]"), default=None,
                   metavar="S", help="run only the checks expected to fit in S seconds (in suite order; "
                   "stored results cost nothing); the others are skipped and listed")
    p.add_argument("--format", default="pretty", choices=("pretty", "json"),
                   help="stdout: a summary table (pretty) or the report JSON")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--self-test", action="store_true",
                   help="after the suite passes, run it again under each deliberate fault of the catalogue "
                        "(stl.verify.selftest) and print the kill rate; exit 0 only if the suite passes and "
                        "kills at least 90%% of the faults")
    p.set_defaults(handler=handler)


def _expected(factory) -> str:
    s = getattr(factory, "expected_s", None)
    if s is None:
        return "?"
    return f"~{s:.0f} s" if s >= 1 else "<1 s"


def _list(fmt: str) -> int:
    import textwrap

    from stl.verify.suites import SUITES

    if fmt == "json":
        from stl.kernel.jsonclean import to_json

        doc = {suite: [{"name": f.name, "claim": f.make().claim, "kind": f.make().kind,
                        "expected_s": getattr(f, "expected_s", None)} for f in factories]
               for suite, factories in SUITES.items()}
        sys.stdout.write(to_json({"suites": doc}))
        return 0
    for suite, factories in SUITES.items():
        known = [f.expected_s for f in factories if getattr(f, "expected_s", None) is not None]
        unknown = len(factories) - len(known)
        total = f"about {sum(known):.0f} s on one worker" + (f", {unknown} unknown" if unknown else "")
        print(f"{suite}: {len(factories)} checks, {total}")
        width = max(len(f.name) for f in factories)
        for f in factories:
            check = f.make()
            print(f"  {f.name:<{width}}  {_expected(f):>7}  {check.kind}")
            for line in textwrap.wrap(check.claim, 84):
                print(f"      {line}")
    print("expected runtimes: measured on two CPU cores, one worker; '?' = not measured")
    return 0


def select(checks, factories, budget_s: float | None, workers: int, stored: set[str]):
    """Checks that fit in ``budget_s`` in suite order, and ``(name, expected_s, why)`` skipped.

    A check with a stored result costs nothing; one without an expected runtime is run
    only if no budget is given. The expected time of a check is divided by the workers
    (its tasks spread over them).
    """
    if budget_s is None:
        return list(checks), []
    keep, skipped, used = [], [], 0.0
    for check in checks:
        if check.name in stored:
            keep.append(check)
            continue
        expected = getattr(factories.get(check.name), "expected_s", None)
        if expected is None:
            skipped.append((check.name, None, "no expected runtime recorded"))
            continue
        cost = float(expected) / max(workers, 1)
        if used + cost <= budget_s:
            keep.append(check)
            used += cost
        else:
            skipped.append((check.name, float(expected),
                            f"expected {cost:.3g} s, {max(budget_s - used, 0):.3g} s of --max-time {budget_s:g} left"))
    return keep, skipped


def handler(args: argparse.Namespace) -> int:
    from stl.verify.errors import InputError

    if args.list:
        return _list(args.format)
    from stl.verify.plumbing.backends import BACKENDS, MAX_WORKERS, make_backend

    if not 1 <= args.workers <= MAX_WORKERS:
        raise InputError("--workers", args.workers, f"an integer in [1, {MAX_WORKERS}]")
    if args.backend not in BACKENDS:
        raise InputError("--backend", args.backend, ", ".join(BACKENDS))
    from stl.verify.suites import all_factories, refuse_without_cuda, resolve

    refuse_without_cuda(args.suite)
    checks = resolve(args.suite)
    store = lock = None
    if args.out:
        from stl.verify.plumbing.lock import DirectoryLock
        from stl.verify.store import ResultStore

        store = ResultStore(args.out)
        store.prepare()
        lock = DirectoryLock(args.out, argument="--out").acquire()
    try:
        return _run(args, checks, store, all_factories(), make_backend)
    finally:
        if lock is not None:
            lock.release()


def _run(args, checks, store, factories, make_backend) -> int:
    stored: set[str] = set()
    if store is not None and args.max_time is not None:
        from stl.verify.store import fingerprint

        for c in checks:
            result, _ = store.lookup(c.name, fingerprint(c.name, c.kind, c.parameters, args.seed))
            if result is not None:
                stored.add(c.name)
    checks, skipped = select(checks, factories, args.max_time, args.workers, stored)
    for name, _, why in skipped:
        print(f"stl verify: skipped {name} ({why})", file=sys.stderr)
    suite_name = " ".join(args.suite)
    from stl.verify.cli.common import CheckProgress

    progress = CheckProgress(len(checks), quiet=args.quiet)
    from stl.verify.runner import run_checks

    start = time.perf_counter()
    with make_backend(args.backend, args.workers, args.address) as backend:
        run = run_checks(checks, args.seed, backend, store, on_event=progress)
        backend_text = backend.describe()
    wall = time.perf_counter() - start
    progress.close()
    for issue in run.issues:
        print(f"stl verify: warning: {issue.line()}", file=sys.stderr)

    from stl.verify.provenance import provenance
    from stl.verify.report import build_report, devices_used

    prov = provenance(device=devices_used(run.results), seed=args.seed, command=getattr(args, "command_line", None),
                      backend=backend_text)
    report = build_report(suite_name, args.seed, run.results, total_runtime_s=wall, backend=backend_text,
                          reused=list(run.reused), store_issues=[issue.line() for issue in run.issues],
                          resumed={k: {"tasks_reused": v[0], "tasks": v[1]} for k, v in run.resumed.items()},
                          skipped=[{"name": n, "expected_s": e, "reason": why} for n, e, why in skipped],
                          max_time_s=args.max_time, provenance=prov)
    if args.out:
        from stl.verify.report import write_report

        notes = [issue.line() for issue in run.issues]
        notes += [f"skipped {n} ({why})" for n, _, why in skipped]
        write_report(args.out, report, figures=not args.no_figures, notes=notes,
                     figure_formats=tuple(args.figure_format))
    if args.format == "json":
        from stl.verify.cli.common import to_json
        from stl.verify.report import contract_view

        sys.stdout.write(to_json(contract_view(report)))
    else:
        _print_table(report, args.out)
    for name in run.errors:
        result = next(r for r in run.results if r.name == name)
        print(f"stl verify: error: check {name} raised in {result.details.get('where')}: "
              f"{result.details.get('error')}", file=sys.stderr)
    if getattr(args, "self_test", False):
        return _self_test(args, checks, factories, report)
    return 1 if failing(report["summary"]) else 0


def failing(summary: dict) -> int:
    """How many checks make the run fail: failures and errors.

    >>> failing({"pass": 3, "fail": 0, "inconclusive": 1, "error": 1})
    1
    """
    return int(summary.get("fail", 0)) + int(summary.get("error", 0))


def _self_test(args, checks, factories, report) -> int:
    """The suite under each fault of :data:`stl.verify.selftest.CATALOGUE` (mutation testing)."""
    from stl.verify import selftest

    baseline_ok = failing(report["summary"]) == 0
    chosen = [factories[c.name] for c in checks]
    say = (lambda line: None) if args.quiet else (lambda line: print(f"self-test: {line}", file=sys.stderr))
    results = selftest.self_test(chosen, args.seed, progress=say)
    text = selftest.render(results, baseline_ok, " ".join(args.suite))
    doc = {"suite": " ".join(args.suite), "seed": args.seed, "baseline_passes": baseline_ok,
           "kill_rate": selftest.kill_rate(results), "required_kill_rate": selftest.REQUIRED_KILL_RATE,
           "faults": [r.to_dict() for r in results]}
    if args.out:
        from pathlib import Path

        from stl.kernel.atomic import write_text_atomic
        from stl.verify.cli.common import to_json

        write_text_atomic(Path(args.out) / "selftest.json", to_json(doc))
        write_text_atomic(Path(args.out) / "selftest.md", "```\n" + text + "```\n")
    sys.stderr.write(text) if args.format == "json" else sys.stdout.write(text)
    ok = baseline_ok and doc["kill_rate"] >= selftest.REQUIRED_KILL_RATE
    return 0 if ok else 1


def _print_table(report: dict, out: str | None) -> None:
    from stl.verify.report import attention_order

    rows = attention_order(report["checks"])
    reused = set(report.get("reused") or ())
    resumed = report.get("resumed") or {}
    width = max([len(r["name"]) for r in rows] + [5])
    for r in rows:
        m = r["measured"]
        pr = r["predicted"]
        mt = "—" if m is None else f"{m:.4g}"
        pt = "—" if pr is None else f"{pr:.4g}"
        if r["name"] in reused:
            when = "  reused"
        elif r["name"] in resumed:
            when = f"{r['runtime_s']:7.2f}s (resumed: {resumed[r['name']]['tasks_reused']} tasks stored)"
        else:
            when = f"{r['runtime_s']:7.2f}s"
        print(f"{r['name']:<{width}}  {r['verdict']:<12}  measured {mt:>10} {r.get('relation', ''):>4} "
              f"{pt:<10}  {when}")
    s = report["summary"]
    extra = f"; {len(reused)} reused" if reused else ""
    skipped = report.get("skipped") or []
    extra += f"; {len(skipped)} skipped by --max-time" if skipped else ""
    print(f"{s['pass']} pass, {s['fail']} fail, {s['inconclusive']} inconclusive, {s['error']} error "
          f"in {report['total_runtime_s']:.1f}s{extra}" + (f"; report in {out}/report.md" if out else ""))
