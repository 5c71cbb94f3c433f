"""One GPU session for issue 19: sanity, benchmark, ``pytest -m gpu``, ``stl verify --suite gpu``.

Run on the GPU machine from the repository root, with the repository importable as ``stl``
and nothing installed::

    mkdir -p /tmp/p && ln -s "$PWD" /tmp/p/stl && PYTHONPATH=/tmp/p PYTHONUNBUFFERED=1 \\
        python3 -m stl.benchmarks.gpu_session --out "$OUT"

Each stage runs in its own subprocess (its own process group) under its own time limit,
inside a hard stop for the whole session (``--total``, default 450 s = 7.5 minutes), so a
stage that fails or hangs cannot lose the others' results. Stages and what they write
under ``--out`` (flat, eight files at most):

=========  ==========================================================================
sanity     ``sanity.json``: device, torch, one CUDA-graph-captured training run
           against the eager run of the same step (max abs difference), the time of
           one ``learn-cuda`` fit at 64 replicates
bench      ``bench.json`` and ``bench.md``: ``benchmarks/gpu.py`` (ms/step against R,
           TFLOP/s against the measured matmul rate, peak memory, the fp32 / tf32 /
           bf16 paired comparison); written row by row, so a cut run keeps its rows
pytest     ``pytest.txt``: ``pytest -m gpu`` output (tests/numerics/icl/test_gpu.py)
verify     ``verify.json`` and ``verify.md``: ``stl verify --suite gpu`` — the report,
           or, when the stage is cut, every check that finished (the result store)
=========  ==========================================================================

``session.json`` and ``session.md`` say, for every stage, its status (``ok``, ``failed``,
``timeout``, ``refused``, ``skipped``), exit code, seconds, and the tail of its output;
they are rewritten after every stage. ``--device cpu --quick`` runs the same stages at
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("sanity", "bench", "pytest", "verify")
#: Seconds each stage may take at most (the session's hard stop can cut them shorter).
LIMITS = {"sanity": 60, "bench": 120, "pytest": 100, "verify": 400}
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


def sanity(device_name: str, quick: bool) -> dict:
    """The sanity stage's measurements (run inside its own subprocess)."""
    import torch

    from stl.numerics.icl._torch import resolve_device
    from stl.numerics.icl.prompts import sample_prompts
    from stl.numerics.icl.training import TrainingPlan, TrainingRun
    from stl.numerics.icl.transformer import TransformerConfig, init_params, predictor
    from stl.numerics.models.registry import get_model
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
    m = get_model("transformer", {"recipe": "learn-cuda" if not quick else "learn-cpu", "probes": "1000",
                                  **({"steps": "100"} if quick else {})}, device=device.type)
    R = 64 if device.type == "cuda" else 2
    s = ReplicateStreams(0, R)
    data = m.draw_real(s, m.default_n)
    t0 = time.perf_counter()
    theta = m.fit(data, streams=s)
    theta.tensors
    if device.type == "cuda":
        torch.cuda.synchronize()
    fit_s = time.perf_counter() - t0
    got = m.measure(theta, s, ["icl_risk", "icl_risk_ridge"])
    doc["default_recipe_fit"] = {"recipe": m.params["recipe"], "replicates": R, "n": m.default_n,
                                 "steps": m.params["steps"], "seconds": fit_s,
                                 "ms_per_step": 1000 * fit_s / max(1, m.params["steps"]),
                                 "icl_risk": float(got["icl_risk"].mean()),
                                 "ridge": float(got["icl_risk_ridge"].mean()),
                                 "ratio_to_ridge": float(got["icl_risk"].mean() / got["icl_risk_ridge"].mean())}
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
    doc: dict = {"status": stage["status"], "seconds": stage["seconds"]}
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


def summary_md(session: dict) -> str:
    lines = [f"# GPU session ({session['device']}, total {session['elapsed_s']:.0f} s of {session['total_s']:.0f})", "",
             "| stage | status | seconds | limit | exit |", "|---|---|---|---|---|"]
    for name, st in session["stages"].items():
        lines.append(f"| {name} | {st['status']} | {st.get('seconds', 0):.1f} | {st.get('limit_s', 0):.0f} | "
                     f"{st.get('returncode')} |")
    for name, st in session["stages"].items():
        if st.get("output"):
            lines += ["", f"## {name} (output tail)", "", "```", st["output"][-2500:], "```"]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True, help="folder for the session's files")
    ap.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    ap.add_argument("--quick", action="store_true", help="CPU-sized stages")
    ap.add_argument("--total", type=float, default=450.0, help="hard stop for the whole session, seconds")
    ap.add_argument("--stages", default=",".join(STAGES), help="comma-separated subset of " + ", ".join(STAGES))
    ap.add_argument("--stage", choices=("sanity",), help=argparse.SUPPRESS)   # inside the sanity subprocess
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.stage == "sanity":
        doc = sanity(args.device, args.quick)
        _write(args.out / "sanity.json", json.dumps(doc, indent=2) + "\n")
        print(json.dumps(doc, indent=2))
        return 0

    start = time.perf_counter()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    session = {"device": args.device, "total_s": args.total, "stages": {}, "elapsed_s": 0.0}
    scratch = Path(tempfile.mkdtemp(prefix="stl-gpu-verify-"))
    wanted = [s.strip() for s in args.stages.split(",") if s.strip()]
    try:
        for stage in STAGES:
            if stage not in wanted:
                continue
            left = args.total - (time.perf_counter() - start) - 5
            if left < 10:
                session["stages"][stage] = {"status": "skipped", "reason": "no time left before the hard stop"}
                continue
            limit = min(LIMITS[stage], left)
            print(f"[session] {stage}: limit {limit:.0f} s", flush=True)
            st = run_stage(_commands(stage, args.out, args.device, args.quick, scratch), limit, env)
            print(st["output"][-TAIL:], flush=True)
            print(f"[session] {stage}: {st['status']} in {st['seconds']:.1f} s", flush=True)
            if stage == "pytest":
                _write(args.out / "pytest.txt", st["output"][-1_000_000:])
            if stage == "verify":
                collect_verify(scratch, args.out, st)
            st["output"] = st["output"][-TAIL:]
            session["stages"][stage] = st
            session["elapsed_s"] = time.perf_counter() - start
            _write(args.out / "session.json", json.dumps(session, indent=2, default=str) + "\n")
            _write(args.out / "session.md", summary_md(session))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        session["elapsed_s"] = time.perf_counter() - start
        _write(args.out / "session.json", json.dumps(session, indent=2, default=str) + "\n")
        _write(args.out / "session.md", summary_md(session))
    print(summary_md(session))
    return 0


if __name__ == "__main__":
    sys.exit(main())
