"""Reports of a verification run: ``report.json`` for machines, ``report.md`` for people.

``report.json`` follows the DESIGN.md contract::

    {"suite": ..., "seed": ..., "checks": [{"name", "kind", "claim", "verdict",
     "measured", "predicted", "runtime_s", ...}], "summary": {"pass", "fail", "inconclusive", "error"}}

``error`` is the verdict of a check that raised instead of concluding (its message is in
the entry's ``details.error``); it counts as failing. ``checks`` keeps the suite's order;
``report.md`` lists the errors first, then the failures.

Each check entry carries extra fields (``relation``, ``measured_ci``, ``parameters``,
``details``...) after the contract ones; the top level has exactly the four contract
fields. What describes the run rather than the results (wall time, backend, reused
checks, store issues, figure paths) goes to ``run.json`` beside it and into
``report.md``. Figures come from :mod:`stl.verify.figures`.

>>> from stl.verify.checks.check import CheckResult
>>> from stl.verify.checks.measurement import Measurement
>>> r = CheckResult("c", "validity", "E gen ≤ B", "", {}, Measurement.exact(0.1), 0.2, "<=", "pass", 0.5, 0)
>>> build_report("quick", 0, [r])["summary"]
{'pass': 1, 'fail': 0, 'inconclusive': 0, 'error': 0}
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

from stl.kernel.atomic import write_text_atomic
from stl.verify.checks.check import VERDICTS, CheckResult
from stl.kernel.jsonclean import to_json

#: The fields every entry of ``report.json``'s ``checks`` must have (DESIGN.md).
CHECK_FIELDS: tuple[str, ...] = ("name", "kind", "claim", "verdict", "measured", "predicted", "runtime_s")
TOP_FIELDS: tuple[str, ...] = ("suite", "seed", "checks", "summary")


def summarize(results: Sequence[CheckResult]) -> dict[str, int]:
    counts = {v: 0 for v in VERDICTS}
    for r in results:
        counts[r.verdict] += 1
    return counts


def devices_used(results: Sequence[CheckResult]) -> str:
    """The devices the checks ran on, for the report's provenance: a check that names a
    ``device`` parameter (the ``gpu`` suite) ran there; every other check builds its models
    on the CPU.

    >>> devices_used([])
    'cpu'
    """
    used = {str(r.parameters.get("device", "cpu")) for r in results} or {"cpu"}
    return ", ".join(sorted(used))


def build_report(suite: str, seed: int, results: Sequence[CheckResult], **extra: Any) -> dict:
    """The report in memory: the contract fields, then ``extra`` run information
    (``total_runtime_s``, ``backend``, ...). :func:`contract_view` is what ``report.json`` holds."""
    report = {
        "suite": suite,
        "seed": int(seed),
        "checks": [r.to_dict() for r in results],
        "summary": summarize(results),
    }
    report.update(extra)
    return report


def contract_view(report: dict) -> dict:
    """The ``report.json`` document: exactly the DESIGN.md top-level fields."""
    return {key: report[key] for key in TOP_FIELDS}


def run_view(report: dict) -> dict:
    """Everything else in an in-memory report (written to ``run.json``)."""
    return {key: value for key, value in report.items() if key not in TOP_FIELDS}


def validate_report(report: Any, strict: bool = False) -> list[str]:
    """Problems with a ``report.json`` document (empty list when it follows the contract).

    ``strict``: the top level must hold the contract fields and nothing else, and the
    summary exactly the four verdict counts (what :func:`write_report` writes). Otherwise
    a summary without ``error`` (a report written before that verdict existed) is read
    as having none.
    """
    problems: list[str] = []
    if not isinstance(report, dict):
        return ["report is not a JSON object"]
    for key in TOP_FIELDS:
        if key not in report:
            problems.append(f"missing top-level field {key!r}")
    if strict:
        problems += [f"unexpected top-level field {key!r}" for key in report if key not in TOP_FIELDS]
    checks = report.get("checks", [])
    if not isinstance(checks, list):
        problems.append("'checks' is not a list")
        checks = []
    counts = {v: 0 for v in VERDICTS}
    for i, entry in enumerate(checks):
        if not isinstance(entry, dict):
            problems.append(f"checks[{i}] is not an object")
            continue
        for key in CHECK_FIELDS:
            if key not in entry:
                problems.append(f"checks[{i}] misses {key!r}")
        verdict = entry.get("verdict")
        if verdict not in VERDICTS:
            problems.append(f"checks[{i}] has verdict {verdict!r}")
        else:
            counts[verdict] += 1
        for key in ("measured", "predicted", "runtime_s"):
            v = entry.get(key)
            if v is not None and not isinstance(v, (int, float)):
                problems.append(f"checks[{i}].{key} is not a number or null")
    summary = report.get("summary")
    if strict and not (isinstance(summary, dict) and list(summary) == list(VERDICTS)):
        problems.append(f"summary must have exactly the fields {list(VERDICTS)}")
    if isinstance(summary, dict) and not strict and "error" not in summary:
        summary = {**summary, "error": 0}
    if isinstance(summary, dict) and summary != counts:
        problems.append(f"summary {summary} does not match the verdicts {counts}")
    return problems


def _fmt(x: Any, digits: int = 4) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        if not math.isfinite(x):
            return "∞" if x > 0 else ("−∞" if x < 0 else "nan")
        return f"{x:.{digits}g}"
    return str(x)


_MARK = {"pass": "✅ pass", "fail": "❌ FAIL", "inconclusive": "❔ inconclusive", "error": "💥 ERROR"}

#: The order report.md lists checks in: what needs attention first, suite order within.
_ORDER = {"error": 0, "fail": 1, "inconclusive": 2, "pass": 3}


def attention_order(checks: Sequence[dict]) -> list[dict]:
    """Report entries with errors first, then failures, inconclusive, passes (stable).

    >>> [c["name"] for c in attention_order([{"name": "a", "verdict": "pass"},
    ...                                      {"name": "b", "verdict": "error"}])]
    ['b', 'a']
    """
    return sorted(checks, key=lambda c: _ORDER.get(c.get("verdict"), 0))


def render_markdown(report: dict, figures: Sequence[str] = (), notes: Sequence[str] = ()) -> str:
    s = report["summary"]
    ordered = attention_order(report["checks"])
    lines = [
        f"# Verification report — suite `{report['suite']}`, seed {report['seed']}",
        "",
        f"**{s['pass']} pass, {s['fail']} fail, {s['inconclusive']} inconclusive, {s.get('error', 0)} error** "
        f"out of {len(report['checks'])} checks. A check passes when the whole confidence "
        "interval of the measurement is on the side the theory predicts, fails when the whole "
        "interval is on the other side, and is inconclusive when the interval straddles the "
        "line (docs/tutorials/03-verifying-theorem-1.md); it is an error when it raised "
        "instead of concluding (listed first; an error counts as failing).",
        "",
    ]
    errors = [c for c in ordered if c["verdict"] == "error"]
    if errors:
        lines += ["## Errors", ""]
        for c in errors:
            d = c.get("details") or {}
            lines.append(f"- `{c['name']}` raised in {d.get('where', '?')}: {d.get('error', '?')}")
        lines += ["", "A resumed run (`--out` the same directory) re-runs only these checks, from the "
                      "tasks they had finished.", ""]
    reused = set(report.get("reused") or ())
    resumed = report.get("resumed") or {}
    if "total_runtime_s" in report:
        lines += [f"Wall time: {_fmt(report['total_runtime_s'], 3)} s"
                  f" (backend: {report.get('backend', 'local')})"
                  + (f"; {len(reused)} check(s) reused from an earlier run, not recomputed" if reused else "")
                  + ".", ""]
    prov = report.get("provenance")
    if prov:
        commit = prov.get("git_commit")
        lines += [f"Produced by stl-toolkit {prov.get('version')}"
                  + (f" at commit `{commit[:12]}`" + (" (with local changes)" if prov.get("git_dirty") else "")
                     if commit else "")
                  + f"; Python {prov.get('python')}, numpy {prov.get('numpy')}, sympy {prov.get('sympy')}, "
                  f"torch {prov.get('torch') or 'not installed'}; device {prov.get('device')}. "
                  "Full provenance in `run.json`.", ""]
    lines += ["| check | kind | verdict | measured [CI] | relation | predicted | runtime (s) |",
              "|---|---|---|---|---|---|---|"]
    for c in ordered:
        ci = c.get("measured_ci")
        ci_text = f" [{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else ""
        # a reused check was not run now: say so instead of showing its old runtime as new
        runtime = _fmt(c["runtime_s"], 3)
        if c["name"] in reused:
            runtime = f"reused ({runtime} when computed)"
        elif c["name"] in resumed:
            r = resumed[c["name"]]
            runtime = f"{runtime} (resumed: {r['tasks_reused']} of {r['tasks']} tasks stored)"
        lines.append(
            f"| `{c['name']}` | {c['kind']} | {_MARK.get(c['verdict'], c['verdict'])} | "
            f"{_fmt(c['measured'])}{ci_text} | {c.get('relation', '')} | {_fmt(c['predicted'])} | "
            f"{runtime} |")
    lines.append("")
    for c in ordered:
        lines += [f"## `{c['name']}` — {c['verdict']}", "", f"**Claim.** {c['claim']}", ""]
        if c.get("claim_latex"):
            lines += [f"$$ {c['claim_latex']} $$", ""]
        summary = (c.get("details") or {}).get("summary")
        if summary:
            lines += [str(summary), ""]
        trace = (c.get("details") or {}).get("traceback") if c["verdict"] == "error" else None
        if trace:
            lines += ["```text"] + str(trace).rstrip().splitlines()[-20:] + ["```", ""]
        params = c.get("parameters") or {}
        if params:
            shown = ", ".join(f"{k}={_fmt(v) if not isinstance(v, (list, dict)) else v}" for k, v in params.items())
            lines += [f"Parameters: {shown}; seed {c.get('seed')}.", ""]
    if figures:
        lines += ["## Figures", ""]
        for f in figures:
            lines += [f"![{Path(f).stem}]({f})", ""]
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(lines)


def write_report(out: str | Path, report: dict, figures: bool = True,
                 notes: Sequence[str] = (), figure_formats: Sequence[str] = ("png",)) -> list[str]:
    """Write ``report.json``, the figures and ``report.md`` under ``out``; return figure paths.

    ``figure_formats``: ``png``, ``pdf``, ``svg``; report.md shows the first, run.json lists all."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    made: list[str] = []
    fig_notes = list(notes)
    if figures:
        from stl.verify.figures import make_figures

        made, problems = make_figures(report, out / "figures", formats=tuple(figure_formats))
        fig_notes += problems
        made = [str(Path("figures") / Path(p).name) for p in made]
        first = f".{tuple(figure_formats)[0]}"
        report = {**report, "figure_files": made}
        made = [p for p in made if p.endswith(first)]
    report = dict(report)
    report["figures"] = made
    write_text_atomic(out / "report.json", to_json(contract_view(report)))
    write_text_atomic(out / "run.json", to_json(run_view(report)))
    write_text_atomic(out / "report.md", render_markdown(report, made, fig_notes))
    return made
