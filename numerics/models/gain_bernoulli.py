"""The gain-c Bernoulli learner: a model whose TV-stability constant ``c`` is a knob.

The categorical MLE has ``τ_n = 1/n``, so ``ρ = (1 − λ) n τ_n = 1 − λ < 1``: it can never
show the unstable side of L2's phase transition. This learner can:

* real law ``D_0 = Bernoulli(p)`` (default ``p = 1/2``); a data point is 0 or 1;
* the learner maps the frequency ``f`` of ones in its training set to
  ``θ = clip(p + c (f − p), 0, 1)`` and ``P_θ = Bernoulli(θ)``;
* one changed point moves ``f`` by ``1/n``, hence ``θ`` by ``c/n`` away from the clip:
  ``τ_n = c/n`` (D2), so ``λ_c = 1 − 1/c`` (THEORY.md L2);
* two parents fed the same uniform draw ``1{u < θ}`` and ``1{u < θ'}``, which differ with
  probability ``|θ − θ'| = d_TV``: the synchronous coupling *is* the maximal one, and the
  chain with the larger ``θ`` always draws the ones the other draws, so differences add
  up coherently and L2 holds **with equality** until a chain reaches the clip
  (``E Δ_j = (c/n)(1 + n_s E Δ_{j−1})``; clipping only shrinks ``Δ``).

Loss for ``gen_gap``: the squared error ``(θ − z)² ∈ [0, 1]`` (``M = 1``), whose risk is
exact: ``p (1 − θ)² + (1 − p) θ²``. Metrics: ``theta``, ``tv_to_real`` (``|θ − p|``),
``at_clip`` (1 where ``θ`` is 0 or 1: where L2's equality may stop), ``gen_gap``.

>>> from stl.numerics.rng import ReplicateStreams
>>> m = GainBernoulliModel({"gain": "3"})
>>> st = ReplicateStreams(seed=0, replicates=4)
>>> th = m.fit(m.draw_real(st, 1000))
>>> th.theta.shape, bool(((th.theta >= 0) & (th.theta <= 1)).all())
((4,), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stl.numerics.models.base import REAL, Case, Mixture, Model, ParamSpec, Verification, float_in


@dataclass(frozen=True)
class GainParams:
    """Fitted probability of a one, ``theta`` ``(R,)``."""

    theta: np.ndarray


class GainBernoulliModel(Model):
    """Bernoulli learner with gain ``c`` (see the module docstring)."""

    name = "gain-bernoulli"
    summary = "Bernoulli learner theta = clip(p + c (f - p)): TV-stability c/n with c a knob (L2 phase transition)"
    param_specs = (
        ParamSpec("gain", float_in(0.0, 1000.0, low_open=True), "1", help="c: the learner's gain (tau_n = c/n)"),
        ParamSpec("p", float_in(0.0, 1.0, low_open=True, high_open=True), "0.5", help="real probability of a one"),
    )
    metric_names = ("theta", "tv_to_real", "at_clip", "gen_gap")
    risk_metric = "tv_to_real"
    coupling = "maximal"
    exact_risk = True
    loss_bound = 1.0
    tv_exact = True
    default_n = 1000
    verification = Verification(
        facts=(Case({"gain": "2"}, 200),),
        # G = 3: at small λ the learner's own θ runs to the clip within 4 generations, where
        # L2's recursion stops (the module docstring); 3 keeps every run off it.
        atlas={"quick": dict(params={"gain": "3"}, n=20000, lams=(0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9), generations=3,
                             replicates=200, tau_replicates=50, block=200),
               "full": dict(params={"gain": "3"}, n=20000, lams=(0.0, 0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9),
                            generations=3, replicates=400, tau_replicates=100, block=200)})

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self.c = float(self.params["gain"])
        self.p = float(self.params["p"])

    def _learn(self, ones: np.ndarray, count: np.ndarray) -> GainParams:
        f = ones / count
        return GainParams(np.clip(self.p + self.c * (f - self.p), 0.0, 1.0))

    def draw_real(self, streams, count, purpose="real"):
        return (streams.uniform(purpose, (count,)) < self.p).astype(np.int8)

    def fit(self, data, *, streams=None, warm=None) -> GainParams:
        return self._learn(data.sum(axis=1, dtype=np.int64).astype(float), np.full(data.shape[0], data.shape[1]))

    def suff_stats(self, data):
        return {"ones": data.sum(axis=1, dtype=np.int64).astype(float),
                "count": np.full(data.shape[0], float(data.shape[1]))}

    def fit_stats(self, stats, *, warm=None) -> GainParams:
        return self._learn(stats["ones"], stats["count"])

    def draw_noise(self, streams, count, generations, purpose="synthetic"):
        return streams.uniform(purpose, (generations, count))

    def sample(self, params: GainParams, streams, count, *, noise=None, purpose="synthetic"):
        u = noise if noise is not None else streams.uniform(purpose, (count,))
        return (u < params.theta[:, None]).astype(np.int8)

    def loss(self, params: GainParams, data):
        return (params.theta[:, None] - data) ** 2

    def risk_under(self, params: GainParams, law, streams=None):
        w = self.p if law is REAL else law.theta
        t = params.theta
        return w * (1.0 - t) ** 2 + (1.0 - w) * t * t

    def risk(self, params: GainParams, streams=None):
        return self.risk_under(params, REAL)

    def measure(self, params: GainParams, streams, names):
        t = params.theta
        values = {"theta": lambda: t, "tv_to_real": lambda: np.abs(t - self.p),
                  "at_clip": lambda: ((t <= 0.0) | (t >= 1.0)).astype(float)}
        return {m: values[m]() for m in names}

    def tv(self, p: Mixture, q: Mixture, streams=None, *, samples=None):
        def ones(mix):
            return sum(w * (self.p if c is REAL else c.theta) for w, c in mix)

        return np.atleast_1d(np.abs(np.asarray(ones(p) - ones(q), dtype=float)))
