"""Predicted seconds of the ``gpu`` suite's checks on one GPU, from measured step times.

A check of the ``gpu`` suite spends its time in batched trainings (``steps`` captured
steps each) and, between them, in writing synthetic prompts; its other work (measuring
risks on 1000 probes, ridge's baseline, coupled label draws) is small beside them. So

    seconds ≈ Σ_trainings steps × ms_per_step(R) / 1000  +  Σ_generations synthesis  +  start-up,

where ``R`` is the number of replicates a training stacks (every fit pending at once,
:mod:`stl.numerics.icl.deferred`). This module states what each check trains
(:func:`t2_learning_plan`, :func:`phase_plan`, :func:`depth_plan`, mirroring
``stl.verify.checks.icl``) and prices it with a step-time table:

* :data:`MEASURED`: the first GPU session (one NVIDIA H200, 2026-12-04, torch 2.11,
  fp32, CUDA graphs; ``docs/theory/theorem2.md``): ms per step of the ``learn-cpu``
  recipe's network (d 2, context 10, width 32, 2 layers, 64 prompts a step) at
  ``R = 8 … 1024``, and the ``learn-cuda`` network's at ``R = 64`` (its 64-replicate fit:
  17.3 s for 3000 steps, 5.76 ms a step). The ``learn-cuda`` step at other ``R`` is the
  ``learn-cpu`` curve times their ratio at 64 (1.89; the networks differ in prompt length,
  42 tokens against 22) — a *prediction*, until a session's ``bench.json`` with
  ``learn-cuda`` rows replaces it (``--bench FILE``);
* depth: a network of ``L`` layers costs ``flops(L) / flops(2)`` of the two-layer one,
  matrix-product FLOPs counted by torch's counter (the first session ran width 32 at
  4–10 % of the matmul rate, where time followed FLOPs from ``R = 64`` on);
* synthesis: a forward pass over a prompt costs a third of a training step's per prompt
  (forward and backward), at the step rate of the largest measured ``R``.

>>> round(step_ms(64), 2)
5.76
>>> step_ms(256) > 3 * step_ms(64)
True
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

#: ms per fp32 step of the learn-cpu network against R (first session, one H200).
MEASURED_LEARN = {8: 1.117, 16: 1.405, 32: 1.932, 64: 3.052, 128: 5.277, 256: 9.721, 512: 18.559, 1024: 36.007}
#: ms per step of the learn-cuda network at R = 64 (the same session's 64-replicate fit).
MEASURED_LEARN_CUDA_64 = 5.761
#: Seconds a check spends outside its trainings and synthesis (model set-up, first CUDA
#: kernels and captures, probes and ridge's baseline at every generation): what the one
#: check the first session finished took beyond this model's price of its trainings,
#: synthesis and noise draws (gpu-t2-transformer, 8 trainings of 32 and 64 replicates: 136 s
#: measured, 123 s priced). A ``stl verify`` process's start (imports, CUDA context) is guessed.
CHECK_START_S = 13.0
PROCESS_START_S = 10.0
#: Standard normals a second from the replicate streams on the host (numpy, one thread):
#: every synthetic or coupled prompt is drawn there from d + T·d + T normals (197 here).
HOST_NORMALS_PER_S = 5e7
NOISE_PER_PROMPT = 8 + 21 * 8 + 21
#: Training steps of the learn-cuda recipe.
STEPS = 3000
BATCH = 64


def _table(bench: dict | None = None) -> dict[int, float]:
    """learn-cuda ms/step by R: from a bench.json's ``learn-cuda`` rows when given, else
    the scaled learn-cpu curve (module docstring)."""
    if bench:
        rows = {r["replicates"]: r["ms_per_step"] for r in bench.get("steps", [])
                if r.get("model") == "learn-cuda" and r.get("precision") == "fp32" and "ms_per_step" in r
                and not r.get("compile")}  # the suite trains with the eager loss
        if len(rows) >= 2:
            return dict(sorted(rows.items()))
    ratio = MEASURED_LEARN_CUDA_64 / MEASURED_LEARN[64]
    return {R: ms * ratio for R, ms in MEASURED_LEARN.items()}


def step_ms(R: int, layers: int = 2, bench: dict | None = None) -> float:
    """Predicted ms per step of the learn-cuda network with ``layers`` layers at ``R``
    replicates (linear between measured ``R``; linear beyond the last two)."""
    table = _table(bench)
    rs = sorted(table)
    if R <= rs[0]:
        ms = table[rs[0]]
    else:
        lo = max((r for r in rs if r <= R), default=rs[0])
        hi = min((r for r in rs if r >= R), default=None)
        if hi is None:
            lo, hi = rs[-2], rs[-1]
        ms = table[lo] if hi == lo else table[lo] + (table[hi] - table[lo]) * (R - lo) / (hi - lo)
    return ms * depth_factor(layers)


@cache
def _flops(layers: int) -> float:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    from stl.numerics.icl import recipes
    from stl.numerics.icl.prompts import Prompts
    from stl.numerics.icl.training import TrainingPlan, TrainingRun
    from stl.numerics.icl.transformer import TransformerConfig, init_params, predictor
    from stl.numerics.rng import ReplicateStreams

    p = recipes.resolve("transformer", "learn-cuda", "cpu").params
    dim, context, width, heads = (int(p[k]) for k in ("dim", "context", "width", "heads"))
    cfg = TransformerConfig(dim, context + 1, layers, width, heads)
    g = torch.Generator().manual_seed(0)
    data = Prompts(torch.randn(1, 16, context + 1, dim, generator=g), torch.randn(1, 16, context + 1, generator=g))
    order = torch.zeros(1, 1, BATCH, dtype=torch.long)
    run = TrainingRun(init_params(cfg, ReplicateStreams(0, 1)), predictor(cfg), data, lr=1e-3, order=order,
                      plan=TrainingPlan(1, capture="eager"))
    counter = FlopCounterMode(display=False)
    with counter, torch.enable_grad():
        run.step()
    return float(counter.get_total_flops())


def depth_factor(layers: int) -> float:
    """Matrix-product FLOPs of a step at ``layers`` layers over those at 2 (counted)."""
    return 1.0 if layers == 2 else _flops(layers) / _flops(2)


def synthesis_s(prompts: int, bench: dict | None = None, *, length: int = 21, seed_labels: int = 2) -> float:
    """Seconds to label ``prompts`` synthetic prompts autoregressively (``length − seed_labels``
    forward passes over growing prefixes: ``Σ_k (k + 1)/length`` whole-prompt passes)."""
    if prompts <= 0:
        return 0.0
    passes = sum((k + 1) / length for k in range(seed_labels, length))
    table = _table(bench)
    R = max(table)
    per_prompt_forward_ms = table[R] / (3 * BATCH * R)
    return prompts * passes * per_prompt_forward_ms / 1000


@dataclass(frozen=True)
class Plan:
    """What a check trains: the stacked replicate count of each training run, and the
    synthetic prompts it writes (summed over replicates and generations)."""

    runs: tuple[tuple[int, int], ...]     # (replicates stacked, layers) per training run
    synthetic: int = 0                    # prompts labelled autoregressively by a parent
    seed_labels: int = 2
    coupled: int = 0                      # prompts drawn to measure a coupling (one pass per chain)

    def seconds(self, bench: dict | None = None, steps: int = STEPS) -> float:
        train = sum(steps * step_ms(R, L, bench) / 1000 for R, L in self.runs)
        write = synthesis_s(self.synthetic, bench, seed_labels=self.seed_labels)
        measure = 2 * synthesis_s(self.coupled, bench, seed_labels=20)
        host = (self.synthetic + self.coupled) * NOISE_PER_PROMPT / HOST_NORMALS_PER_S
        return train + write + measure + host + CHECK_START_S


def t2_learning_plan(n: int, n_small: int, lam: float, generations: int, replicates: int, **_) -> Plan:
    """``t2_learning_check``: three loops in lockstep, one training a generation (the λ = 0
    and λ > 0 loops share their generation-0 fit)."""
    R = replicates
    n_s = round((1 - lam) * n)
    n_s_small = round((1 - lam) * n_small)
    runs = ((2 * R, 2),) + ((3 * R, 2),) * generations
    return Plan(runs, synthetic=R * generations * (n + n_s + n_s_small))


def phase_plan(generations: int, replicates: int, c_replicates: int, measure_draws: int, **_) -> Plan:
    """``t2_adaptive_phase_check``: ĉ's two chains, then the loop below and the loop above,
    each generation one training of both coupled chains (the learner shares the first), and
    ``measure_draws`` coupled prompts per replicate at every generation of each. λ is close
    to 1 there, so the loops' own synthetic prompts are few."""
    R = replicates
    runs = ((2 * c_replicates, 2),) + ((2 * R, 2),) * (2 * (generations + 1))
    coupled = measure_draws * (c_replicates + 2 * (generations + 1) * R)
    return Plan(runs, seed_labels=20, coupled=coupled)


def depth_plan(layers, replicates: int, **_) -> Plan:
    """``t2_depth_learning_check``: per depth one training of the τ̂ pair (the learner
    shares the fit on S)."""
    return Plan(tuple((2 * replicates, int(L)) for L in layers))


PLANS = {"t2_learning_check": t2_learning_plan, "t2_adaptive_phase_check": phase_plan,
         "t2_depth_learning_check": depth_plan}


def suite_seconds(bench: dict | None = None) -> dict[str, float]:
    """Predicted seconds of every check of the ``gpu`` suite (by name)."""
    from stl.verify.suites import GPU

    out = {}
    for f in GPU:
        plan = PLANS[f.build.__name__](**dict(f.kwargs))
        params = dict(f.kwargs).get("params", {})
        out[f.name] = plan.seconds(bench, steps=int(params.get("steps", STEPS)))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", type=Path, help="a bench.json with learn-cuda rows (else the first session's)")
    args = ap.parse_args(argv)
    bench = json.loads(args.bench.read_text()) if args.bench else None
    from stl.verify.suites import GPU

    expected = {f.name: f.expected_s for f in GPU}
    got = suite_seconds(bench)
    print("| check | predicted s | expected_s |\n|---|---|---|")
    for name, s in got.items():
        print(f"| {name} | {s:.0f} | {expected[name]} |")
    print(f"| total (with {PROCESS_START_S:.0f} s process start) | {sum(got.values()) + PROCESS_START_S:.0f} | "
          f"{sum(v or 0 for v in expected.values()):.0f} |")
    return 0 if all(math.isfinite(v) for v in got.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
