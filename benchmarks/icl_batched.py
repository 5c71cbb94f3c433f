"""Benchmark: R small ICL transformers trained as one batched computation vs a loop.

Workload (THEORY.md T2 sizes, CPU-sized): ``R`` replicates, each a ``layers``-block
decoder of width ``width`` (the model's defaults: linear attention, width 32, 2 layers)
trained for ``steps`` Adam steps on its own ``n`` prompts (dim 5, context 10, minibatch
32) with the model's schedule (5 % warm-up, cosine decay, per-replicate clipping at 1). *Batched*: every weight has a leading replicate axis
and one training run handles all replicates (``stl.numerics.icl.training.train``). *Loop*:
the same code called once per replicate with ``R = 1`` slices — how per-model training
scripts are usually written. Both runs start from identical weights and minibatch
orders; the benchmark checks the results agree before reporting the time ratio.

Single-threaded (``torch.set_num_threads(1)``) so the comparison is not a comparison of
thread pools. What to expect: batching removes the per-replicate Python and dispatch
overhead, not arithmetic. On one CPU thread the default-size decoder (width 32, 2
layers, 32 prompts of 22 tokens per step) is compute-bound (batched matmuls and GELU are
~60 % of the time), so batched ≈ loop (measured ×1.0 at ``R = 16``); a small decoder
(``--width 8 --layers 1``) is overhead-bound and gains ×2.6; on a GPU every replicate's
kernels run as one launch, which is where the batched form pays most. Run::

    python benchmarks/icl_batched.py --replicates 16 --steps 100
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from stl.numerics.icl import lsa
from stl.numerics.icl.prompts import Prompts, sample_prompts
from stl.numerics.icl.training import train
from stl.numerics.icl.transformer import TransformerConfig, init_params, predictor
from stl.numerics.rng import ReplicateStreams


def _slice(params, r):
    return {k: v[r:r + 1] for k, v in params.items()}


def bench_transformer(R, steps, layers, width, n=512, batch=32, dim=5, context=10):
    s = ReplicateStreams(0, R)
    cfg = TransformerConfig(dim, context + 1, layers=layers, width=width, heads=2)
    f = predictor(cfg)
    params = init_params(cfg, s)
    data = sample_prompts(s, "real", n, dim, context, 0.1)
    order = torch.as_tensor(s.integers("batches", n, (steps, batch)))
    t0 = time.perf_counter()
    kw = {"lr": 3e-3, "order": order, "schedule": "cosine", "clip": 1.0}
    together = train(params, f, data, steps=steps, **kw)
    t_batched = time.perf_counter() - t0
    t0 = time.perf_counter()
    alone = [train(_slice(params, r), f, Prompts(data.x[r:r + 1], data.y[r:r + 1]), steps=steps,
                   **{**kw, "order": order[r:r + 1]}) for r in range(R)]
    t_loop = time.perf_counter() - t0
    err = max(float((together[k][r] - alone[r][k][0]).abs().max()) for r in range(R) for k in together)
    return {"workload": f"transformer L={layers} width={width} steps={steps} n={n} batch={batch}",
            "replicates": R, "batched_s": t_batched, "loop_s": t_loop, "speedup": t_loop / t_batched,
            "max_abs_param_diff": err}


def bench_lsa(R, steps, n=2000, dim=5, context=10):
    s = ReplicateStreams(0, R)
    data = sample_prompts(s, "real", n, dim, context, 0.1, dtype=torch.float64)
    t0 = time.perf_counter()
    g = lsa.train_lsa(data, steps=steps, lr=1.0)
    t_batched = time.perf_counter() - t0
    t0 = time.perf_counter()
    alone = [lsa.train_lsa(Prompts(data.x[r:r + 1], data.y[r:r + 1]), steps=steps, lr=1.0) for r in range(R)]
    t_loop = time.perf_counter() - t0
    err = max(float((g[r] - alone[r][0]).abs().max()) for r in range(R))
    return {"workload": f"lsa full-batch GD steps={steps} n={n}", "replicates": R, "batched_s": t_batched,
            "loop_s": t_loop, "speedup": t_loop / t_batched, "max_abs_param_diff": err}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=16)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--width", type=int, default=32)
    ap.add_argument("--json", action="store_true", help="print JSON only")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    results = [bench_transformer(args.replicates, args.steps, args.layers, args.width),
               bench_lsa(args.replicates, args.steps)]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for r in results:
        print(f"{r['workload']}, R={r['replicates']}: batched {r['batched_s']:.2f} s, "
              f"loop {r['loop_s']:.2f} s, speedup x{r['speedup']:.1f} "
              f"(max |Δθ| {r['max_abs_param_diff']:.1e})")


if __name__ == "__main__":
    main()
