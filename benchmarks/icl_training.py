"""Benchmark: how well the ``transformer`` model learns ICL regression on a CPU budget.

Trains the model of ``stl simulate transformer`` on one generation's fixed training set
(``n`` real prompts per replicate, the same seed for every configuration) and reports
its query risk on fresh real prompts beside the least-squares, ridge (Bayes-optimal)
and averaging baselines on the same prompts, plus the training time. Two
configurations by default:

* ``before``: the first version's defaults — softmax attention, width 16, 400 Adam
  steps at a constant learning rate 0.003, no gradient clipping;
* ``after``: the ``small`` recipe (the defaults that replaced them) — linear attention,
  width 32, 800 steps with a 5 % warm-up and cosine decay, per-replicate gradient
  clipping at norm 1.

Single-threaded (``torch.set_num_threads(1)``). Run::

    python benchmarks/icl_training.py --n 2000 --replicates 2
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from stl.numerics.models.registry import get_model
from stl.numerics.rng import ReplicateStreams

# Both on the ``small`` recipe: the model's defaults when this benchmark was written (the
# command line's default is now the device's learning recipe, stl.numerics.icl.recipes).
CONFIGS = {
    "before": ({"recipe": "small", "attention": "softmax", "width": "16", "steps": "400"},
               {"schedule": "constant", "grad_clip": None}),
    "after": ({"recipe": "small"}, {}),
}


def measure(name: str, n: int, replicates: int, seed: int, extra: dict[str, str]) -> dict:
    params, overrides = CONFIGS[name]
    m = get_model("transformer", {"probes": "2000", **params, **extra}, device="cpu")
    for k, v in overrides.items():
        setattr(m, k, v)
    s = ReplicateStreams(seed, replicates)
    data = m.draw_real(s, n)
    t0 = time.perf_counter()
    theta = m.fit(data, streams=s)
    fit_s = time.perf_counter() - t0
    met = m.metrics(theta, data, s)
    out = {"config": name, "n": n, "replicates": replicates, "seed": seed, "fit_s": round(fit_s, 2),
           "params": {k: v for k, v in m.params.items() if k in ("attention", "width", "layers", "steps", "lr", "batch")}}
    for k in ("icl_risk", "icl_risk_ls", "icl_risk_ridge", "icl_risk_avg", "gen_gap"):
        v = np.asarray(met[k], dtype=float)
        out[k] = round(float(v.mean()), 4)
        out[k + "_per_replicate"] = [round(float(x), 4) for x in v]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--replicates", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--configs", default="before,after")
    ap.add_argument("--param", action="append", default=[], metavar="K=V", help="extra model parameter")
    ap.add_argument("--json", action="store_true", help="print JSON only")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    extra = dict(p.split("=", 1) for p in args.param)
    results = [measure(c, args.n, args.replicates, args.seed, extra) for c in args.configs.split(",")]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for r in results:
        print(f"{r['config']:>6} n={r['n']} R={r['replicates']}: icl_risk {r['icl_risk']:.3f} "
              f"{r['icl_risk_per_replicate']} (ls {r['icl_risk_ls']:.3f}, ridge {r['icl_risk_ridge']:.3f}, "
              f"avg {r['icl_risk_avg']:.3f}), gen_gap {r['gen_gap']:.3f}, fit {r['fit_s']:.1f} s")


if __name__ == "__main__":
    main()
