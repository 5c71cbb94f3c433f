"""Training curves of a transformer recipe, replicate by replicate: does every replicate learn?

Trains the ``transformer`` model's replicates ``[first, first + count)`` of ``--seed`` exactly
as a fit does (the model's data, initial weights, minibatch order and training step,
:class:`stl.numerics.icl.training.TrainingRun`), and every ``--every`` steps scores each
replicate's query risk on its own fresh real probe prompts against ridge's (the Bayes
risk) on the same prompts. The ratio risk / ridge is printed per replicate, so a replicate
that stays on a plateau while the mean looks fine is seen (issue 19: about one replicate in
seven of ``learn-cuda`` at GPT-2's initial scale stayed at 2.7–3.2× ridge, the risk of
predicting 0, while the others reached 1.2–1.6×). ``--stop S`` ends after ``S`` of the
plan's steps (the schedule is the full run's, so the first ``S`` steps are those of a full
fit: enough to see which replicates left the plateau). JSON with ``--json``.

Measured with it (one CPU thread each, 2 shared cores; ``docs/theory/theorem2.md``)::

    python benchmarks/icl_curves.py --count 16 --param init_scale=8
    python benchmarks/icl_curves.py --first 8 --count 32 --stop 1250 --param init_scale=1

>>> main(["--count", "2", "--n", "64", "--every", "2", "--param", "steps=4", "--param", "width=8",
...       "--param", "dim=2", "--param", "context=3", "--probes", "50", "--quiet"])
0
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def curves(params: dict, *, seed: int = 0, first: int = 0, count: int = 8, n: int | None = None,
           every: int = 250, stop: int | None = None, probes: int = 500, emit=print) -> dict:
    """Per-replicate ratio to ridge every ``every`` steps (module docstring)."""
    import torch

    from stl.numerics.icl.baselines import baseline_risks
    from stl.numerics.icl.prompts import Prompts, sample_prompts
    from stl.numerics.icl.training import TrainingPlan, TrainingRun
    from stl.numerics.models.registry import get_model
    from stl.numerics.rng import ReplicateStreams
    from stl.numerics.threads import torch_threads

    m = get_model("transformer", {k: str(v) for k, v in params.items()}, device="cpu")
    n = n or m.default_n
    s = ReplicateStreams(seed, count, first)
    # The fit's own draws, in the fit's order (data, then initial weights, then minibatches).
    data = m._prompts(m.draw_real(s, n))
    init = m.init_tensors(count, s)
    order = torch.as_tensor(s.integers("batches", n, (m.steps, m.batch)), dtype=torch.int32) if m.batch else None
    probe = sample_prompts(s, "curve-probe", probes, m.dim, m.context, m.noise)
    ridge = baseline_risks(Prompts(probe.x.double(), probe.y.double()), m.noise)["ridge"].numpy()
    plan = TrainingPlan(m.steps, m.optimizer(), m.loss_from, m.schedule, clip=m.grad_clip,
                        weight_decay=m.weight_decay, curriculum=m.curriculum, capture="eager")
    run = TrainingRun(init, m.predict_fn, data, lr=m.lr, order=order, plan=plan)

    def ratio():
        with torch.no_grad():
            pred = m.predict_fn(run.unflatten(run.flat.detach()), probe.x, probe.y)[..., -1]
        return (((pred - probe.y[..., -1]) ** 2).mean(-1).double().numpy() / ridge).round(4).tolist()

    history, t0 = [], time.perf_counter()
    last = min(stop or m.steps, m.steps)
    with torch_threads(), torch.enable_grad():
        for step in range(1, last + 1):
            run.step()
            if step % every == 0 or step == last:
                history.append({"step": step, "ratio": ratio(), "seconds": time.perf_counter() - t0})
                emit(f"{step:>6} " + " ".join(f"{x:.2f}" for x in history[-1]["ratio"])
                     + f"  ({history[-1]['seconds']:.0f} s)")
    final = history[-1]["ratio"]
    return {"params": dict(m.params), "seed": seed, "first": first, "count": count, "n": n, "probes": probes,
            "ridge": ridge.tolist(), "history": history, "final_ratio": final,
            "mean_ratio": sum(final) / len(final), "max_ratio": max(final)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--param", action="append", default=[], metavar="K=V",
                    help="transformer parameters (default recipe learn-cuda)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--first", type=int, default=0)
    ap.add_argument("--count", type=int, default=8)
    ap.add_argument("--n", type=int, default=None, help="prompts (default: the recipe's n)")
    ap.add_argument("--every", type=int, default=250)
    ap.add_argument("--stop", type=int, default=None)
    ap.add_argument("--probes", type=int, default=500)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    params = {"recipe": "learn-cuda", **dict(kv.split("=", 1) for kv in args.param)}
    doc = curves(params, seed=args.seed, first=args.first, count=args.count, n=args.n, every=args.every,
                 stop=args.stop, probes=args.probes, emit=(lambda t: None) if args.quiet or args.json else print)
    if args.json:
        print(json.dumps(doc))
    elif not args.quiet:
        print(f"mean {doc['mean_ratio']:.3f}, max {doc['max_ratio']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
