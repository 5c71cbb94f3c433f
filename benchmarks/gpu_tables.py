"""The numbers tables of a GPU session, ready for the docs (and pasted into them on request).

:mod:`benchmarks.gpu_session` writes its stages' results as JSON into one folder
(``session.json``, ``sanity.json``, ``bench.json``, ``pytest.txt``, ``verify.json``).
:func:`render` turns whatever of them exists into one Markdown block — where and when it
was measured, the stages (and which were cut), the step-time table, the precision
comparison, the default recipe's fit, the ``pytest -m gpu`` line and every ``gpu`` check's
verdict with its runtime beside the ``expected_s`` it ran with — so no number is copied by hand.
The session writes it as ``numbers.md`` after every stage. :func:`update_docs` replaces
the block between the markers ::

    <!-- gpu-session:begin -->
    ...
    <!-- gpu-session:end -->

in ``benchmarks/README.md`` and ``docs/theory/theorem2.md`` with it::

    python benchmarks/gpu_tables.py OUT_DIR --update-docs

A missing file leaves its table out (a cut session still yields the tables it measured).

>>> print(render_stages({"stages": {"verify": {"status": "timeout", "seconds": 300.2, "limit_s": 300}}}))
| stage | status | seconds | limit |
|---|---|---|---|
| verify | timeout (cut) | 300.2 | 300 |
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- gpu-session:begin -->", "<!-- gpu-session:end -->"
#: The files whose marked block :func:`update_docs` rewrites.
DOCS = (ROOT / "benchmarks" / "README.md", ROOT / "docs" / "theory" / "theorem2.md")
#: Stage statuses that mean the stage did not finish on its own.
CUT = ("timeout", "skipped")


def _load(folder: Path, name: str):
    path = folder / name
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def render_stages(session: dict) -> str:
    """The stage table; a stage stopped by its limit or never started is marked cut."""
    lines = ["| stage | status | seconds | limit |", "|---|---|---|---|"]
    for name, st in session.get("stages", {}).items():
        status = st.get("status", "?") + (" (cut)" if st.get("status") in CUT else "")
        lines.append(f"| {name} | {status} | {st.get('seconds', 0):.1f} | {st.get('limit_s', 0):.0f} |")
    return "\n".join(lines)


def render_steps(bench: dict) -> str:
    d = bench["device"]
    rates = ", ".join(f"{p} {v:.1f}" for p, v in d.get("matmul_tflops", {}).items())
    copy = f"; copy rate {d['copy_gbs']:.0f} GB/s" if "copy_gbs" in d else ""
    lines = [f"Measured matrix-product rate (TFLOP/s): {rates}{copy}.", ""]
    traffic = bench.get("traffic_per_step_per_replicate")
    if traffic:
        lines += ["Memory traffic of one replicate's step, operator by operator (unfused): " + ", ".join(
            f"{m} {(t['read_bytes'] + t['written_bytes']) / 1e6:.1f} MB in {t['kernels']} operators"
            for m, t in traffic.items()) + ".", ""]
    lines += ["| model | R | precision | loss | ms/step | mode | TFLOP/s | of matmul | unfused floor ms | peak MiB |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for r in bench.get("steps", []):
        loss = "compiled" if r.get("compile") else "eager"
        if "ms_per_step" not in r:
            lines.append(f"| {r['model']} | {r['replicates']} | {r['precision']} | {loss} "
                         f"| {r.get('error', '?')[:40]} | | | | | |")
            continue
        if r.get("loss", loss) != loss:
            loss = r["loss"][:40]  # a compilation that fell back says why
        peak = f"{r['peak_mib']:.0f}" if "peak_mib" in r else "–"
        frac = f"{100 * r['fraction_of_matmul']:.1f} %" if "fraction_of_matmul" in r else "–"
        floor = f"{r['unfused_floor_ms']:.3g}" if "unfused_floor_ms" in r else "–"
        lines.append(f"| {r['model']} | {r['replicates']} | {r['precision']} | {loss} | {r['ms_per_step']:.3g} "
                     f"| {r['mode']} | {r.get('achieved_tflops', float('nan')):.3g} | {frac} | {floor} | {peak} |")
    return "\n".join(lines)


def render_precision(prec: dict) -> str:
    lines = [f"Precision ({prec['recipe']}, {prec['replicates']} replicates, ridge {prec['ridge']:.4f}; "
             "differences paired per replicate):", "",
             "| precision | icl_risk | / ridge | − fp32 (± se) | within 5 % | ms/step |", "|---|---|---|---|---|---|"]
    for p, row in prec["by_precision"].items():
        diff = f"{row['diff_vs_fp32']:+.4f} ± {row['diff_se']:.4f}" if "diff_vs_fp32" in row else "—"
        within = row.get("within_5pct", "—")
        lines.append(f"| {p} | {row['icl_risk']:.4f} | {row['ratio_to_ridge']:.3f} | {diff} | {within} "
                     f"| {row['ms_per_step']:.3g} |")
    return "\n".join(lines)


def render_fit(fit: dict) -> str:
    keys = ("recipe", "replicates", "n", "steps", "seconds", "ms_per_step", "icl_risk", "ridge", "ratio_to_ridge")
    head = "| " + " | ".join(keys) + " |"
    cells = [f"{fit[k]:.4g}" if isinstance(fit.get(k), float) else str(fit.get(k, "–")) for k in keys]
    return "\n".join(["Default recipe, one fit:", "", head, "|" + "---|" * len(keys), "| " + " | ".join(cells) + " |"])


def pytest_line(text: str) -> str | None:
    """The summary line of a pytest run (``N passed, M failed in S s``)."""
    found = re.findall(r"^=*\s*(\d+ (?:passed|failed|error).*? in [\d.]+s.*?)\s*=*$", text, flags=re.M)
    return found[-1] if found else None


def render_verify(doc: dict) -> str:
    checks = list(doc.get("checks") or [])
    if not checks and doc.get("report"):
        checks = doc["report"].get("checks", [])
    if not checks:
        return f"`stl verify --suite gpu`: no check finished ({doc.get('status')}, {doc.get('seconds', 0):.0f} s)."
    expected = doc.get("expected_s") or {}
    lines = [f"`stl verify --suite gpu` ({doc.get('status')}, {doc.get('seconds', 0):.0f} s):", "",
             "| check | verdict | runtime s | expected s |", "|---|---|---|---|"]
    for c in checks:
        exp = expected.get(c["name"])
        lines.append(f"| {c['name']} | {c['verdict']} | {c.get('runtime_s', 0):.0f} | "
                     f"{'–' if exp is None else f'{exp:.0f}'} |")
    lines.append("")
    for c in checks:
        summary = (c.get("details") or {}).get("summary")
        if summary:
            lines.append(f"* `{c['name']}`: {summary}")
    return "\n".join(lines)


def render(folder: Path, *, date: str | None = None) -> str:
    """The Markdown block of the session in ``folder`` (see the module docstring)."""
    folder = Path(folder)
    session = _load(folder, "session.json") or {}
    sanity = _load(folder, "sanity.json") or {}
    bench = _load(folder, "bench.json")
    verify = _load(folder, "verify.json")
    device = sanity.get("name") or (bench or {}).get("device", {}).get("name") or session.get("device", "?")
    torch_version = sanity.get("torch") or (bench or {}).get("device", {}).get("torch") or "?"
    when = date or session.get("date") or "date not recorded"
    parts = [f"Measured on one {device} on {when}, torch {torch_version} "
             f"(`benchmarks/gpu_session.py`, {session.get('elapsed_s', 0):.0f} s of {session.get('total_s', 0):.0f}).",
             render_stages(session) if session.get("stages") else ""]
    if sanity.get("capture"):
        cap = sanity["capture"]
        parts.append(f"CUDA-graph capture: mode `{cap['mode']}`, captured − eager max abs difference "
                     f"{cap['max_abs_diff_vs_eager']:.3g}.")
    if bench and bench.get("steps"):
        parts.append(render_steps(bench))
        if "by_precision" in bench.get("precision", {}):
            parts.append(render_precision(bench["precision"]))
    if sanity.get("default_recipe_fit"):
        parts.append(render_fit(sanity["default_recipe_fit"]))
    pytest_txt = folder / "pytest.txt"
    if pytest_txt.exists():
        line = pytest_line(pytest_txt.read_text(encoding="utf-8", errors="replace"))
        failed = re.findall(r"^FAILED (\S+)", pytest_txt.read_text(encoding="utf-8", errors="replace"), flags=re.M)
        parts.append(f"`pytest -m gpu`: {line or 'no summary line (cut)'}"
                     + (f"; failed: {', '.join(f'`{f}`' for f in failed)}" if failed else "") + ".")
    if verify is not None:
        parts.append(render_verify(verify))
    return "\n\n".join(p for p in parts if p) + "\n"


def splice(text: str, block: str) -> str:
    """``text`` with the part between the markers replaced by ``block``."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"no {BEGIN} ... {END} block")
    return text[:start + len(BEGIN)] + "\n" + block.rstrip("\n") + "\n" + text[end:]


def update_docs(folder: Path, files=DOCS, *, date: str | None = None) -> list[Path]:
    """Rewrite the marked block of each of ``files`` with :func:`render` of ``folder``."""
    from stl.kernel.atomic import write_text_atomic

    block = render(folder, date=date)
    done = []
    for path in files:
        path = Path(path)
        write_text_atomic(path, splice(path.read_text(encoding="utf-8"), block))
        done.append(path)
    return done


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path, help="a gpu_session.py --out folder")
    ap.add_argument("--date", help="the measurement's date, when session.json lacks it")
    ap.add_argument("--update-docs", action="store_true", help="rewrite the marked blocks of the docs")
    args = ap.parse_args(argv)
    if args.update_docs:
        for path in update_docs(args.folder, date=args.date):
            print(f"updated {path.relative_to(ROOT)}")
    else:
        print(render(args.folder, date=args.date), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
