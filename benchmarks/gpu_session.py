"""One GPU session for issue 19: sanity, ``stl verify --suite gpu``, ``pytest -m gpu``, benchmark.

Run on the GPU machine from the repository root, with the repository importable as ``stl``
and nothing installed::

    mkdir -p /tmp/p && ln -s "$PWD" /tmp/p/stl && PYTHONPATH=/tmp/p PYTHONUNBUFFERED=1 \\
        python3 -m stl.benchmarks.gpu_session --out "$OUT"

Each stage runs in its own subprocess (its own process group) under its own time limit,
inside a hard stop for the whole session (``--total``, default 470 s: a device command
may run about 8 minutes), so a stage that fails or hangs cannot lose the others'
results. The stages run in the order of what is least replaceable: the ``gpu`` suite
second (right after a sanity check of seconds), so a session cut short loses the
benchmark, whose rows an earlier session already measured, and never the suite. A stage
stopped by its limit or never started is reported as cut (printed as ``[session] CUT``,
and marked in ``session.md``). Stages and what they write under ``--out`` (flat, eight
files at most):

=========  ==========================================================================
sanity     ``sanity.json``: device, torch, one CUDA-graph-captured training run
           against the eager run of the same step (max abs difference)
verify     ``verify.json`` and ``verify.md``: ``stl verify --suite gpu`` — the report,
           or, when the stage is cut, every check that finished (the result store),
           with the ``expected_s`` each check ran with
pytest     ``pytest.txt``: ``pytest -m gpu`` output (tests/numerics/icl/test_gpu.py)
bench      ``bench.json`` and ``bench.md``: ``benchmarks/gpu.py`` (ms/step against R,
           TFLOP/s against the measured matmul rate, peak memory, the fp32 / tf32 /
           bf16 paired comparison); written row by row, so a cut run keeps its rows
=========  ==========================================================================

``session.json`` says, for every stage, its status (``ok``, ``failed``, ``timeout``,
``refused``, ``skipped``), exit code, seconds and the tail of its output. ``session.md``
is the numbers block of :mod:`benchmarks.gpu_tables` (the tables the docs carry, rendered
from these files; ``python benchmarks/gpu_tables.py OUT --update-docs`` pastes it into
``benchmarks/README.md`` and ``docs/theory/theorem2.md``) followed by the output tails.
Both are rewritten after every stage. ``--device cpu --quick`` runs the same stages at
CPU sizes (the ``verify`` stage is then refused in one line, as on any machine without
CUDA).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("sanity", "verify", "pytest", "bench")
#: Seconds each stage may take at most (the session's hard stop can cut them shorter).
#: Predicted on one H200 from the first session's measurements: sanity ≈ 20 s, the gpu
#: suite ≈ its checks' expected_s (stl.verify.suites.GPU), pytest -m gpu ≈ 100 s
#: (tests/numerics/icl/test_gpu.py), the benchmark ≈ 100 s; the limits leave each a margin
#: and the order leaves the benchmark whatever time is left.
LIMITS = {"sanity": 45, "verify": 350, "pytest": 150, "bench": 150}
TOTAL_S = 470.0
TAIL = 6000


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def run_stage(cmd: list[str], limit: float, env: dict) -> dict:
    """``cmd`` in its own process group, killed (with its children) after ``limit`` seconds."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=max(limit, 1))
        status = "ok" if proc.returncode == 0 else ("refused" if proc.returncode == 2 else "failed")
    except subprocess.TimeoutExpired:
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                out, _ = proc.communicate(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                out = ""
        status = "timeout"
    return {"cmd": cmd, "status": status, "returncode": proc.returncode, "seconds": time.perf_counter() - start,
            "limit_s": limit, "output": out or ""}


def sanity(device_name: str) -> dict:
    """The sanity stage's measurements (run inside its own subprocess)."""
    import torch

    from stl.numerics.icl._torch import resolve_device
    from stl.numerics.icl.prompts import sample_prompts
    from stl.numerics.icl.training import TrainingPlan, TrainingRun
    from stl.numerics.icl.transformer import TransformerConfig, init_params, predictor
    from stl.numerics.rng import ReplicateStreams

    device = resolve_device(device_name)
    if device.type == "cpu":
        torch.set_num_threads(1)   # the toolkit's CPU policy: idle threads spin on a busy machine
    doc = {"device": device.type, "torch": torch.__version__, "python": sys.version.split()[0]}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        doc.update(name=props.name, capability=list(torch.cuda.get_device_capability(device)),
                   memory_gib=props.total_memory / 2 ** 30, sm=props.multi_processor_count)

    def fit(capture):
        cfg = TransformerConfig(dim=4, length=9, layers=2, width=32, heads=4)
        s = ReplicateStreams(2, 6)
        data = sample_prompts(s, "train", 256, dim=4, context=8, noise=0.5, device=device)
        order = torch.as_tensor(s.integers("batches", 256, (60, 32)), device=device)
        plan = TrainingPlan(60, schedule="cosine", clip=1.0, curriculum=0.25, capture=capture)
        run = TrainingRun(init_params(cfg, s, device=device), predictor(cfg), data, lr=3e-3, order=order, plan=plan)
        report = run.run()
        return run.params(), report

    eager, _ = fit("eager")
    captured, report = fit("auto")
    doc["capture"] = {"mode": report.mode, "reason": report.reason,
                      "max_abs_diff_vs_eager": max(float((captured[k] - v).abs().max()) for k, v in eager.items())}
    return doc


def _commands(stage: str, out: Path, device: str, quick: bool, scratch: Path) -> list[str]:
    py = sys.executable
    if stage == "sanity":
        return [py, str(Path(__file__).resolve()), "--stage", "sanity", "--out", str(out), "--device", device] + \
            (["--quick"] if quick else [])
    if stage == "bench":
        return [py, str(ROOT / "benchmarks" / "gpu.py"), "--device", device, "--out", str(out / "bench.json")] + \
            (["--quick"] if quick else [])
    if stage == "pytest":
        return [py, "-m", "pytest", "-m", "gpu", "-p", "no:cacheprovider", "-q", "-rA",
                "tests/numerics/icl/test_gpu.py"]
    return [py, "-m", "stl.verify.cli.main", "verify", "--suite", "gpu", "--out", str(scratch), "--seed", "0",
            "--no-figures"]


def collect_verify(scratch: Path, out: Path, stage: dict) -> None:
    """``verify.json`` / ``verify.md``: the report if the suite finished, else the checks in
    its result store (each written when its check concluded)."""
    from stl.verify.suites import GPU

    doc: dict = {"status": stage["status"], "seconds": stage["seconds"],
                 "expected_s": {f.name: f.expected_s for f in GPU}}
    report = scratch / "report.json"
    if report.exists():
        doc["report"] = json.loads(report.read_text(encoding="utf-8"))
    checks = []
    for path in sorted((scratch / "checks").glob("*.json")) if (scratch / "checks").exists() else []:
        try:
            checks.append(json.loads(path.read_text(encoding="utf-8"))["result"])
        except (OSError, ValueError, KeyError):
            continue
    doc["checks"] = checks
    _write(out / "verify.json", json.dumps(doc, indent=2, default=str) + "\n")
    md = scratch / "report.md"
    if md.exists():
        text = md.read_text(encoding="utf-8")
    else:
        lines = [f"# stl verify --suite gpu ({stage['status']}, {stage['seconds']:.0f} s)", ""]
        for c in checks:
            details = c.get("details", {})
            lines += [f"## {c['name']}: {c['verdict']} ({c.get('runtime_s', 0):.1f} s)", "",
                      str(details.get("summary", "")), ""]
        if not checks:
            lines.append("No check finished.")
        text = "\n".join(lines) + "\n"
    _write(out / "verify.md", text)


def summary_md(session: dict, out: Path) -> str:
    """The numbers block (:func:`benchmarks.gpu_tables.render`), then each stage's output tail."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_tables", Path(__file__).with_name("gpu_tables.py"))
    tables = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tables)
    cut = cut_stages(session)
    lines = [f"# GPU session ({session['device']}, total {session['elapsed_s']:.0f} s of {session['total_s']:.0f})",
             "", f"Cut: {', '.join(cut) if cut else 'none'}.", "", tables.render(out)]
    for name, st in session["stages"].items():
        if st.get("output"):
            lines += ["", f"## {name} (output tail)", "", "```", st["output"][-2500:], "```"]
    return "\n".join(lines) + "\n"


def cut_stages(session: dict) -> list[str]:
    """Stages stopped by their limit or never started, with why."""
    out = []
    for name, st in session["stages"].items():
        if st.get("status") == "timeout":
            out.append(f"{name} (stopped at its {st.get('limit_s', 0):.0f} s limit)")
        elif st.get("status") == "skipped":
            out.append(f"{name} ({st.get('reason', 'not started')})")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for the session's files")
    ap.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    ap.add_argument("--quick", action="store_true", help="CPU-sized stages")
    ap.add_argument("--total", type=float, default=TOTAL_S, help="hard stop for the whole session, seconds")
    ap.add_argument("--stages", default=",".join(STAGES), help="comma-separated subset of " + ", ".join(STAGES))
    ap.add_argument("--stage", choices=("sanity",), help=argparse.SUPPRESS)   # inside the sanity subprocess
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.stage == "sanity":
        doc = sanity(args.device)
        _write(args.out / "sanity.json", json.dumps(doc, indent=2) + "\n")
        print(json.dumps(doc, indent=2))
        return 0

    start = time.perf_counter()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    session = {"device": args.device, "total_s": args.total, "stages": {}, "elapsed_s": 0.0,
               "date": datetime.now(timezone.utc).date().isoformat()}
    scratch = Path(tempfile.mkdtemp(prefix="stl-gpu-verify-"))
    wanted = [s.strip() for s in args.stages.split(",") if s.strip()]
    try:
        for stage in STAGES:
            if stage not in wanted:
                continue
            left = args.total - (time.perf_counter() - start) - 5
            if left < 10:
                session["stages"][stage] = {"status": "skipped", "reason": "no time left before the hard stop"}
                print(f"[session] CUT: {stage} not started (no time left before the hard stop)", flush=True)
                continue
            limit = min(LIMITS[stage], left)
            print(f"[session] {stage}: limit {limit:.0f} s", flush=True)
            st = run_stage(_commands(stage, args.out, args.device, args.quick, scratch), limit, env)
            print(st["output"][-TAIL:], flush=True)
            print(f"[session] {stage}: {st['status']} in {st['seconds']:.1f} s", flush=True)
            if st["status"] == "timeout":
                print(f"[session] CUT: {stage} stopped at its {limit:.0f} s limit", flush=True)
            if stage == "pytest":
                _write(args.out / "pytest.txt", st["output"][-1_000_000:])
            if stage == "verify":
                collect_verify(scratch, args.out, st)
            st["output"] = st["output"][-TAIL:]
            session["stages"][stage] = st
            session["elapsed_s"] = time.perf_counter() - start
            _write(args.out / "session.json", json.dumps(session, indent=2, default=str) + "\n")
            _write(args.out / "session.md", summary_md(session, args.out))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        session["elapsed_s"] = time.perf_counter() - start
        _write(args.out / "session.json", json.dumps(session, indent=2, default=str) + "\n")
        _write(args.out / "session.md", summary_md(session, args.out))
    print(summary_md(session, args.out))
    cut = cut_stages(session)
    print(f"[session] cut stages: {', '.join(cut) if cut else 'none'}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
