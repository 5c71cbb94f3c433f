"""Benchmark: the ICL training step at device speed (issue 19), on CUDA or a CPU.

What it measures, each into one JSON document (``--out FILE``; a Markdown table is
written beside it, ``FILE`` with the suffix ``.md``):

* ``device``: the device's name, torch version, and the *measured* matrix-product rate
  of one large square product in each precision (the ceiling the step's achieved rate is
  set against; on a CPU only float32);
* ``steps``: milliseconds per training step against the replicate count ``R`` for three
  models — ``learn-cuda`` and ``learn`` (the networks of the ``learn-cuda`` and
  ``learn-cpu`` recipes, shapes read from :mod:`stl.numerics.icl.recipes`) and ``garg``
  (Garg et al.'s sizes: d 20, context 40, width 256, 8 layers, 8 heads, minibatch 64) —
  with how the steps ran (``graph``: one captured step
  replayed; ``eager``), the matrix-product FLOPs of a step (counted by torch's FLOP
  counter on one replicate, times ``R``), the achieved TFLOP/s and its fraction of the
  measured rate, and the peak device memory. ``garg`` is also timed in ``tf32`` and
  ``bf16`` at the smallest ``R`` (the issue's 15 ms target is below the float32 FLOP floor
  of an H200: 1.6 TFLOP a step at 67 TFLOP/s is 24 ms);
* ``precision``: the ``learn-cuda`` recipe trained in ``fp32``, ``tf32`` and ``bf16`` on the
  same data, initial weights and minibatches, scored on the same real probe prompts: the
  paired per-replicate difference of ``icl_risk`` against fp32 with its standard error,
  each precision's risk over ridge's (the Bayes risk), and its ms per step (CUDA only).

* ``traffic_per_step_per_replicate``: the bytes one replicate's step reads and writes,
  counted operator by operator (a view moves nothing; every other operator reads its
  tensor arguments and writes its results), and the number of such operators (the
  kernels a graph replays). With the measured copy rate (``device.copy_gbs``) it gives
  each row's ``unfused_floor_ms``: the time the eager kernel sequence needs for its
  memory traffic alone, which graph replay cannot beat and only fused kernels can;
* rows with ``compile: true`` (on CUDA, or ``--compiled on``): the same step with the
  loss compiled into fused kernels (``--param compile=on``,
  :mod:`stl.numerics.icl.fusion`) at the sizes of :data:`COMPILED`, and ``loss`` says
  whether it compiled or fell back.

Timing (``steps``): the run takes its warm-up steps and capture first, then ``repeats``
blocks of ``timed`` steps between CUDA events (a host clock on a CPU); the median block
is reported. Data are random prompts made on the device (their values do not change
the step's cost).

Run on a GPU (about 1–2 minutes)::

    python benchmarks/gpu.py --out gpu.json

and the small CPU version that the tests run (seconds)::

    python benchmarks/gpu.py --device cpu --quick --out gpu-cpu.json
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from stl.numerics.icl import recipes
from stl.numerics.icl.capture import prepare_steps
from stl.numerics.icl.prompts import Prompts
from stl.numerics.icl.training import TrainingPlan, TrainingRun
from stl.numerics.icl.transformer import TransformerConfig, init_params, predictor
from stl.numerics.rng import ReplicateStreams



def _recipe_shape(name: str) -> tuple[int, ...]:
    """``(dim, context, width, layers, heads, batch)`` of a transformer recipe, read from
    the recipe itself (so the benchmark times the network the recipe trains)."""
    p = recipes.resolve("transformer", name, "cpu").params
    return tuple(int(p[k]) for k in ("dim", "context", "width", "layers", "heads", "batch"))


#: name -> (dim, context, width, layers, heads, batch)
MODELS = {
    "learn-cuda": _recipe_shape("learn-cuda"),
    "learn": _recipe_shape("learn-cpu"),
    "garg": (20, 40, 256, 8, 8, 64),
    # the CPU's stand-in for garg (--quick on a CPU): the same shape of network, smaller
    "garg-cpu": (8, 20, 64, 2, 4, 16),
}
#: Replicate counts per model; the CUDA default's network first (what the suite's cost
#: model needs), then two rows of the learn-cpu network and one Garg-size row beside the
#: first session's, whose full grids are in docs/theory/theorem2.md.
FULL_R = {"learn-cuda": (8, 16, 32, 64, 128, 256, 512, 1024), "learn": (8, 256), "garg": (8,)}
QUICK_R = {"learn": (1, 2, 4), "garg-cpu": (1, 2)}
PRECISIONS = ("fp32", "tf32", "bf16")


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_tflops(device: torch.device, precision: str, size: int, repeats: int = 10) -> float:
    """Measured TFLOP/s of a ``size``³ product in ``precision`` (random inputs)."""
    from stl.numerics.icl.precision import training_precision

    g = torch.Generator(device=device).manual_seed(0)
    a = torch.randn(size, size, device=device, generator=g)
    b = torch.randn(size, size, device=device, generator=g)
    with training_precision(precision, device):
        for _ in range(3):
            a @ b
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(repeats):
            a @ b
        _sync(device)
    return 2 * size ** 3 * repeats / (time.perf_counter() - t0) / 1e12


def _random_prompts(R, n, dim, context, device, seed=0) -> Prompts:
    g = torch.Generator(device=device).manual_seed(seed)
    x = torch.randn(R, n, context + 1, dim, device=device, generator=g)
    w = torch.randn(R, n, dim, device=device, generator=g) / math.sqrt(dim)
    y = torch.einsum("rntd,rnd->rnt", x, w) + 0.5 * torch.randn(R, n, context + 1, device=device, generator=g)
    return Prompts(x, y)


def build_run(model: str, R: int, steps: int, device: torch.device, precision: str = "fp32",
              capture: str = "auto", n: int = 1024, compile: bool = False) -> TrainingRun:
    dim, context, width, layers, heads, batch = MODELS[model]
    cfg = TransformerConfig(dim, context + 1, layers, width, heads)
    params = init_params(cfg, ReplicateStreams(0, R), device=device)
    data = _random_prompts(R, n, dim, context, device)
    g = torch.Generator(device=device).manual_seed(1)
    order = torch.randint(0, n, (R, steps, batch), device=device, generator=g)
    plan = TrainingPlan(steps, schedule="cosine", clip=1.0, curriculum=0.25, precision=precision, capture=capture,
                        compile=compile)
    return TrainingRun(params, predictor(cfg), data, lr=1e-3, order=order, plan=plan)


def step_flops(model: str) -> float:
    """Matrix-product FLOPs of one training step of one replicate (forward and backward)."""
    from torch.utils.flop_counter import FlopCounterMode

    run = build_run(model, 1, 4, torch.device("cpu"), capture="eager", n=64)
    counter = FlopCounterMode(display=False)
    with counter, torch.enable_grad():
        run.step()
    return float(counter.get_total_flops())


class _Traffic:
    """Bytes that one step's operators read and write in device memory, counted operator by
    operator as the eager step (and its CUDA-graph replay, which runs the same kernels)
    executes them: a view reads and writes nothing; any other operator reads its tensor
    arguments and writes its tensor results. No operator is assumed fused and no cache
    reuse is assumed, so ``(read + written) / bandwidth`` is the time the step's
    operators need at the device's copy rate: the memory floor of this sequence of
    kernels, which only fusing kernels (fewer intermediate tensors) can lower."""

    def __init__(self):
        from torch.utils._python_dispatch import TorchDispatchMode

        counter = self

        class Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                out = func(*args, **(kwargs or {}))
                counter.add(func, (args, kwargs or {}), out)
                return out

        self.mode = Mode()
        self.read = self.written = 0
        self.kernels = 0

    @staticmethod
    def _tensors(tree):
        return [t for t in torch.utils._pytree.tree_leaves(tree) if isinstance(t, torch.Tensor)]

    def add(self, func, inputs, out) -> None:
        ins, outs = self._tensors(inputs), self._tensors(out)
        storages = {t.untyped_storage().data_ptr() for t in ins}
        mutates = func._schema.is_mutable
        if outs and not mutates and all(o.untyped_storage().data_ptr() in storages for o in outs):
            return  # a view: no memory traffic
        if not outs and not mutates:
            return
        self.kernels += 1
        self.read += sum(t.numel() * t.element_size() for t in ins)
        self.written += sum(o.numel() * o.element_size() for o in outs)


def step_traffic(model: str) -> dict:
    """Bytes read and written by one training step of one replicate (:class:`_Traffic`),
    and the number of operators that touch memory (the kernels a CUDA graph replays)."""
    run = build_run(model, 1, 4, torch.device("cpu"), capture="eager", n=64)
    with torch.enable_grad():
        run.step()
        counter = _Traffic()
        with counter.mode:
            run.step()
    return {"read_bytes": counter.read, "written_bytes": counter.written, "kernels": counter.kernels}


def copy_gbs(device: torch.device, mib: int = 512, repeats: int = 10) -> float:
    """Measured device-memory rate (GB/s) of copying a ``mib`` MiB tensor (read + write)."""
    a = torch.empty(mib * 2 ** 18, device=device)
    b = torch.empty_like(a)
    for _ in range(3):
        b.copy_(a)
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(repeats):
        b.copy_(a)
    _sync(device)
    return 2 * a.numel() * 4 * repeats / (time.perf_counter() - t0) / 1e9


def time_steps(model: str, R: int, device: torch.device, *, precision: str = "fp32", timed: int = 20,
               repeats: int = 3, compile: bool = False) -> dict:
    """ms per step of ``model`` at ``R`` replicates (module docstring), and how it ran."""
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)
    steps = 8 + timed * repeats
    run = build_run(model, R, steps, device, precision=precision, compile=compile)
    t0 = time.perf_counter()
    with torch.enable_grad():
        advance, taken, report = prepare_steps(run.step, steps, device)
    _sync(device)
    setup_s = time.perf_counter() - t0
    blocks = []
    with torch.enable_grad():
        for _ in range(repeats):
            if device.type == "cuda":
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                for _ in range(timed):
                    advance()
                end.record()
                end.synchronize()
                blocks.append(start.elapsed_time(end) / timed)
            else:
                t1 = time.perf_counter()
                for _ in range(timed):
                    advance()
                blocks.append(1000 * (time.perf_counter() - t1) / timed)
    finite = bool(torch.isfinite(run.flat).all())
    out = {"model": model, "replicates": R, "precision": precision, "ms_per_step": statistics.median(blocks),
           "ms_blocks": blocks, "mode": report.mode, "capture_note": report.reason,
           "warmup_and_capture_s": setup_s, "finite": finite, "compile": compile, "loss": run.loss.note}
    if device.type == "cuda":
        out["peak_mib"] = torch.cuda.max_memory_allocated(device) / 2 ** 20
    del run, advance
    return out


def precision_comparison(device: torch.device, *, replicates: int, steps: int | None, n: int | None,
                         probes: int = 2000, seed: int = 0) -> dict:
    """The ``learn-cuda`` recipe trained in each precision on identical data, initial weights
    and minibatches; paired differences of ``icl_risk`` against fp32 (module docstring)."""
    from stl.numerics.models.registry import get_model

    rows, risks = {}, {}
    ridge = None
    for precision in PRECISIONS:
        params = {"recipe": "learn-cuda", "precision": precision, "probes": str(probes)}
        if steps:
            params["steps"] = str(steps)
        m = get_model("transformer", params, device=device.type)
        size = n or m.default_n
        s = ReplicateStreams(seed, replicates)
        data = m.draw_real(s, size)
        _sync(device)
        t0 = time.perf_counter()
        theta = m.fit(data, streams=s)
        theta.tensors
        _sync(device)
        fit_s = time.perf_counter() - t0
        got = m.measure(theta, s, ["icl_risk", "icl_risk_ridge"])
        risks[precision] = np.asarray(got["icl_risk"], dtype=float)
        ridge = np.asarray(got["icl_risk_ridge"], dtype=float)
        ratios = risks[precision] / ridge
        rows[precision] = {"fit_s": fit_s, "ms_per_step": 1000 * fit_s / int(m.params["steps"]),
                           "icl_risk": float(risks[precision].mean()),
                           "icl_risk_se": float(risks[precision].std(ddof=1) / math.sqrt(replicates)),
                           "ratio_to_ridge": float(risks[precision].mean() / ridge.mean()),
                           # every replicate, not the mean: the recipe must learn on each
                           "replicate_ratio_max": float(ratios.max()),
                           "replicates_over_1p5": int((ratios > 1.5).sum())}
    for precision in PRECISIONS[1:]:
        d = risks[precision] - risks["fp32"]
        se = float(d.std(ddof=1) / math.sqrt(len(d)))
        level = float(risks["fp32"].mean())
        rows[precision].update(diff_vs_fp32=float(d.mean()), diff_se=se,
                               diff_ci95=[float(d.mean() - 1.96 * se), float(d.mean() + 1.96 * se)],
                               within_5pct=bool(abs(d.mean()) + 1.96 * se <= 0.05 * level))
    return {"recipe": "learn-cuda", "replicates": replicates, "n": n, "steps": steps, "probes": probes,
            "ridge": float(ridge.mean()), "by_precision": rows}


#: Rows timed with the compiled loss (``compile=True``) on CUDA: the learning recipe's
#: network at the issue's R = 256 and the CUDA default's, before the precision comparison;
#: Garg's size in bf16 last (its compilation is the longest).
COMPILED = (("learn", 256, "fp32"), ("learn-cuda", 256, "fp32"))
COMPILED_LAST = (("garg", 8, "bf16"),)


def run(device: torch.device, quick: bool, *, precision_replicates: int = 32, precision_steps: int | None = None,
        precision_n: int | None = None, compiled: bool | None = None, emit=print, checkpoint=None) -> dict:
    """Every measurement of the module docstring; ``checkpoint(doc)`` after each row (so a run
    cut short keeps what it measured). ``compiled`` (default: on CUDA) adds the rows of
    :data:`COMPILED` and :data:`COMPILED_LAST`."""
    t_start = time.perf_counter()
    doc: dict = {"device": {"type": device.type, "torch": torch.__version__}, "steps": [], "quick": quick}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        doc["device"].update(name=props.name, sm=props.multi_processor_count,
                             memory_gib=props.total_memory / 2 ** 30, capability=list(torch.cuda.get_device_capability()))
        size = 4096 if quick else 8192
        doc["device"]["matmul_tflops"] = {p: matmul_tflops(device, p, size) for p in PRECISIONS}
        doc["device"]["copy_gbs"] = copy_gbs(device, 1024)
    else:
        doc["device"]["name"] = "cpu"
        doc["device"]["threads"] = torch.get_num_threads()
        doc["device"]["matmul_tflops"] = {"fp32": matmul_tflops(device, "fp32", 512)}
        doc["device"]["copy_gbs"] = copy_gbs(device, 256)
    emit(f"device: {doc['device']}")
    grid = QUICK_R if device.type == "cpu" else FULL_R
    if compiled is None:
        compiled = device.type == "cuda"
    models = list(dict.fromkeys([*grid, *(m for m, _, _ in (COMPILED + COMPILED_LAST if compiled else ()))]))
    flops = {model: step_flops(model) for model in models}
    doc["flops_per_step_per_replicate"] = flops
    traffic = {model: step_traffic(model) for model in models}
    doc["traffic_per_step_per_replicate"] = traffic
    timed, repeats = (5, 2) if device.type == "cpu" else (20, 3)

    def measure(model, R, precision, compile=False):
        try:
            # garg's steps are 10-100 times longer: fewer of them time it as well
            t = max(2, timed // 2) if model == "garg" else timed
            row = time_steps(model, R, device, precision=precision, timed=t, repeats=repeats, compile=compile)
        except torch.OutOfMemoryError as exc:
            row = {"model": model, "replicates": R, "precision": precision, "compile": compile,
                   "error": f"out of memory: {exc}"[:300]}
        if "ms_per_step" in row:
            seconds = row["ms_per_step"] / 1000
            tflops = flops[model] * R / seconds / 1e12
            rate = doc["device"]["matmul_tflops"].get(precision, doc["device"]["matmul_tflops"]["fp32"])
            moved = (traffic[model]["read_bytes"] + traffic[model]["written_bytes"]) * R
            # The unfused sequence's traffic at the measured copy rate (float32 bytes; a
            # bf16 step moves fewer): what graph replay of the eager kernels cannot beat.
            floor_ms = 1000 * moved / (doc["device"]["copy_gbs"] * 1e9)
            row.update(achieved_tflops=tflops, fraction_of_matmul=tflops / rate, unfused_floor_ms=floor_ms)
        doc["steps"].append(row)
        emit(_row_text(row))
        if checkpoint:
            checkpoint(doc)

    extra = [("garg", 8, p) for p in PRECISIONS[1:]] if device.type == "cuda" else []
    for model, R, precision in [(model, R, "fp32") for model, rs in grid.items() for R in rs] + extra:
        measure(model, R, precision)
    if compiled:
        for model, R, precision in COMPILED:
            measure(model, R, precision, compile=True)
    if device.type == "cuda":
        doc["precision"] = precision_comparison(device, replicates=precision_replicates, steps=precision_steps,
                                                n=precision_n)
        emit(f"precision: {json.dumps(doc['precision'])}")
    else:
        doc["precision"] = {"skipped": "tf32 and bf16 need CUDA"}
    if compiled:
        for model, R, precision in COMPILED_LAST:
            measure(model, R, precision, compile=True)
    doc["targets"] = targets(doc)
    doc["total_s"] = time.perf_counter() - t_start
    if checkpoint:
        checkpoint(doc)
    return doc


def targets(doc: dict) -> dict:
    """The issue's targets read off the rows (``None`` where the row is missing)."""
    def row(model, R, precision="fp32", compile=False):
        for r in doc["steps"]:
            if (r["model"], r["replicates"], r["precision"], r.get("compile", False)) == (model, R, precision, compile) \
                    and "ms_per_step" in r:
                return r
        return None

    def ms(model, R, precision="fp32", compile=False):
        r = row(model, R, precision, compile)
        return None if r is None else r["ms_per_step"]

    out = {}
    if doc["device"]["type"] == "cuda":
        l8, l256 = ms("learn", 8), ms("learn", 256)
        out["learn_R256_ms"] = l256
        out["learn_R256_le_1.5ms"] = None if l256 is None else l256 <= 1.5
        out["learn_R256_over_R8"] = None if (l8 is None or l256 is None) else l256 / l8
        out["learn_cuda_R64_ms"] = ms("learn-cuda", 64)
        out["learn_cuda_R256_ms"] = ms("learn-cuda", 256)
        out["garg_R8_ms"] = {p: ms("garg", 8, p) for p in PRECISIONS}
        out["garg_R8_le_15ms"] = {p: (None if v is None else v <= 15.0) for p, v in out["garg_R8_ms"].items()}
        r256 = row("learn", 256)
        out["learn_R256_unfused_floor_ms"] = None if r256 is None else r256["unfused_floor_ms"]
        out["compiled_ms"] = {f"{m} R={R} {p}": ms(m, R, p, True) for m, R, p in COMPILED + COMPILED_LAST}
        c256 = ms("learn", 256, compile=True)
        out["learn_R256_compiled_le_1.5ms"] = None if c256 is None else c256 <= 1.5
    else:
        out["learn_R2_ms"] = ms("learn", 2)
    return out


def _row_text(r: dict) -> str:
    if "error" in r:
        return f"{r['model']:>8} R={r['replicates']:<5} {r['precision']}: {r['error']}"
    peak = f", peak {r['peak_mib']:.0f} MiB" if "peak_mib" in r else ""
    frac = f" ({100 * r['fraction_of_matmul']:.1f}% of matmul)" if "fraction_of_matmul" in r else ""
    floor = f", unfused floor {r['unfused_floor_ms']:.3f} ms" if "unfused_floor_ms" in r else ""
    return (f"{r['model']:>8} R={r['replicates']:<5} {r['precision']}{' compiled' if r.get('compile') else ''}: "
            f"{r['ms_per_step']:.3f} ms/step [{r['mode']}, loss {r.get('loss', 'eager')}], "
            f"{r.get('achieved_tflops', 0):.2f} TFLOP/s{frac}{floor}{peak}")


def _tables():
    """:mod:`benchmarks.gpu_tables` (the one renderer of the step and precision tables),
    loaded from beside this file as :mod:`benchmarks.gpu_session` loads it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gpu_tables", Path(__file__).with_name("gpu_tables.py"))
    tables = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tables)
    return tables


def markdown(doc: dict) -> str:
    tables = _tables()
    lines = [f"# ICL training step: {doc['device'].get('name')} (torch {doc['device']['torch']})", "",
             tables.render_steps(doc)]
    if "by_precision" in doc.get("precision", {}):
        lines += ["", tables.render_precision(doc["precision"])]
    lines += ["", f"Targets: `{json.dumps(doc.get('targets', {}))}`", "", f"Total {doc.get('total_s', 0):.1f} s."]
    return "\n".join(lines) + "\n"


def write(doc: dict, out: Path) -> None:
    from stl.kernel.atomic import write_text_atomic

    write_text_atomic(out, json.dumps(doc, indent=2, default=float) + "\n")
    write_text_atomic(out.with_suffix(".md"), markdown(doc))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    ap.add_argument("--quick", action="store_true", help="small sizes (a CPU smoke run in seconds)")
    ap.add_argument("--out", type=Path, default=None, help="JSON file (a .md table is written beside it)")
    ap.add_argument("--precision-replicates", type=int, default=32)
    ap.add_argument("--precision-steps", type=int, default=None, help="default: the recipe's")
    ap.add_argument("--precision-n", type=int, default=None, help="default: the recipe's n")
    ap.add_argument("--compiled", choices=("auto", "on", "off"), default="auto",
                    help="also time the compiled loss (--param compile=on) at the sizes of COMPILED (auto: on CUDA)")
    args = ap.parse_args(argv)
    from stl.numerics.icl._torch import resolve_device

    device = resolve_device(args.device)
    if device.type == "cpu":
        torch.set_num_threads(1)
    compiled = None if args.compiled == "auto" else args.compiled == "on"
    doc = run(device, args.quick, precision_replicates=args.precision_replicates, compiled=compiled,
              precision_steps=args.precision_steps, precision_n=args.precision_n,
              emit=lambda text: print(text, flush=True),
              checkpoint=(lambda d: write(d, args.out)) if args.out else None)
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
