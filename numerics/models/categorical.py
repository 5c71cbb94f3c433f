"""Categorical model on ``k`` symbols, learned by maximum likelihood (frequencies).

THEORY.md section 4: loss is the Brier score ``ℓ(q, z) = ‖q − e_z‖² ∈ [0, 2]`` (``M = 2``);
TV-stability ``τ_n = 1/n`` (moving one of ``n`` points moves ``1/n`` of mass); with
``λ = 0`` the loop is the Wright–Fisher model (multinomial resampling of a population of
``n``). Everything here is exact: TV between fitted laws, the population risk and the
maximal coupling of categorical draws.

Metrics: ``heterozygosity`` ``1 − Σ q_s²``, ``tv_to_real`` ``½ Σ |q_s − p_s|``,
``support_size`` (symbols with ``q_s > 0``), ``gen_gap`` (Brier).

>>> from stl.numerics.rng import ReplicateStreams
>>> m = CategoricalModel({"k": "4"})
>>> st = ReplicateStreams(seed=1, replicates=3)
>>> q = m.fit(m.draw_real(st, 100))
>>> q.probs.shape, bool(np.allclose(q.probs.sum(axis=1), 1))
((3, 4), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stl.numerics.errors import InputError
from stl.numerics.models._batched import inverse_cdf, row_bincount
from stl.numerics.models.base import REAL, Case, ClosedFormRun, Mixture, Model, ParamSpec, Verification, int_in
from stl.numerics.rng import ReplicateStreams


def _parse_probs(text: str) -> np.ndarray:
    values = np.array([float(v) for v in str(text).split(",")], dtype=np.float64)
    if values.size < 2 or not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(text)
    total = values.sum()
    # Accept rounding in the user's numbers, not a different distribution.
    if abs(total - 1.0) > 1e-6:
        raise ValueError(text)
    return values / total


@dataclass(frozen=True)
class CategoricalParams:
    """Fitted probabilities ``probs`` ``(R, k)``."""

    probs: np.ndarray


class CategoricalModel(Model):
    """MLE frequencies on ``k`` symbols; real law ``probs`` (default Zipf: ``p_s ∝ 1/s``)."""

    name = "categorical"
    summary = "categorical law on k symbols fitted by its frequencies (MLE); Brier loss"
    param_specs = (
        ParamSpec("k", int_in(2, 100_000), "10", help="number of symbols"),
        ParamSpec("probs", _parse_probs, None,
                  "comma-separated probabilities >= 0 summing to 1 (at least 2)",
                  "real law (default: Zipf over k, p_s proportional to 1/s)"),
    )
    metric_names = ("heterozygosity", "tv_to_real", "support_size", "gen_gap")
    risk_metric = "tv_to_real"
    coupling = "maximal"
    exact_risk = True
    has_exact_loop = True
    loss_bound = 2.0
    tv_exact = True
    verification = Verification(
        facts=(Case({"k": "10"}, 30),),
        closed_forms=(
            ClosedFormRun("smoke-closed-form-wright-fisher", "smoke", "heterozygosity", {"k": "4"},
                          sizes=dict(n=50, generations=4, replicates=1000, block=500, margin=0.05), expected_s=0.048),
            ClosedFormRun("closed-form-wright-fisher", "quick", "heterozygosity", {"k": "10"},
                          sizes=dict(n=100, generations=10, replicates=2000, margin=0.03), expected_s=0.38),
            ClosedFormRun("closed-form-wright-fisher-long", "full", "heterozygosity", {"k": "5"},
                          sizes=dict(n=50, generations=50, replicates=20000, margin=0.05, block=5000),
                          expected_s=4.8),
        ),
        atlas={"quick": dict(params={"k": "10"}, n=100, replicates=400, tau_replicates=50, block=400),
               "full": dict(params={"k": "10"}, n=200, generations=16, replicates=1000, tau_replicates=100,
                            block=500)})

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        given = dict(params or {})
        probs = self.params["probs"]
        if probs is None:
            k = self.params["k"]
            zipf = 1.0 / np.arange(1, k + 1)
            probs = zipf / zipf.sum()
        elif "k" in given and self.params["k"] != probs.size:
            raise InputError("--param k", given["k"], f"the number of probabilities given ({probs.size})")
        self.params["k"] = int(probs.size)
        self.params["probs"] = probs
        self.k = int(probs.size)
        self.p = probs
        self._cdf = np.cumsum(probs)

    # -- protocol ------------------------------------------------------------------

    def law_facts(self) -> dict[str, float]:
        """The numeric parameters and the real law's heterozygosity ``1 − Σ p_s²`` (the
        Wright–Fisher closed form's ``H_0``)."""
        return {**super().law_facts(), "real_heterozygosity": 1.0 - float(np.sum(self.p ** 2))}
    def draw_real(self, streams: ReplicateStreams, count: int, purpose: str = "real") -> np.ndarray:
        u = streams.uniform(purpose, (count,))
        cdf = np.broadcast_to(self._cdf, (u.shape[0], self.k))
        return inverse_cdf(cdf, u)

    def fit(self, data, *, streams=None, warm=None) -> CategoricalParams:
        counts = row_bincount(data, self.k)
        return CategoricalParams(counts / data.shape[1])

    def suff_stats(self, data):
        return {"counts": row_bincount(data, self.k)}

    def fit_stats(self, stats, *, warm=None) -> CategoricalParams:
        counts = stats["counts"]
        return CategoricalParams(counts / counts.sum(axis=1, keepdims=True))

    def draw_noise(self, streams, count, generations, purpose="synthetic"):
        return streams.uniform(purpose, (generations, count))

    def sample(self, params: CategoricalParams, streams, count, *, noise=None, purpose="synthetic"):
        u = noise if noise is not None else streams.uniform(purpose, (count,))
        return inverse_cdf(np.cumsum(params.probs, axis=1), u)

    def loss(self, params: CategoricalParams, data):
        q = params.probs
        sq = (q * q).sum(axis=1, keepdims=True)
        return sq - 2.0 * np.take_along_axis(q, data, axis=1) + 1.0

    def risk(self, params: CategoricalParams, streams=None):
        # E_{z~p} ‖q − e_z‖² = Σq² − 2 p·q + 1, exactly. Row sums, not a matrix-vector
        # product: BLAS may block a product differently for different numbers of rows, and
        # then a replicate's value would depend (in the last bit) on how replicates are split.
        return self.risk_under(params, REAL)

    def risk_under(self, params: CategoricalParams, law, streams=None) -> np.ndarray:
        """``E_{z~law} ‖q − e_z‖² = Σq² − 2 law·q + 1`` exactly (``law``: fitted or ``REAL``)."""
        q = params.probs
        w = self.p if law is REAL else law.probs
        return (q * q).sum(axis=1) - 2.0 * (q * w).sum(axis=1) + 1.0

    def measure(self, params: CategoricalParams, streams, names):
        q = params.probs
        formulas = {
            "heterozygosity": lambda: 1.0 - (q * q).sum(axis=1),
            "tv_to_real": lambda: 0.5 * np.abs(q - self.p).sum(axis=1),
            "support_size": lambda: (q > 0).sum(axis=1).astype(np.float64),
        }
        return {m: formulas[m]() for m in names}

    def log_density(self, params, data):
        probs = np.broadcast_to(self.p, (data.shape[0], self.k)) if params is REAL else params.probs
        with np.errstate(divide="ignore"):
            return np.log(np.take_along_axis(probs, data, axis=1))

    # -- exact TV and maximal coupling ------------------------------------------------
    def _mixture_probs(self, mix: Mixture) -> np.ndarray:
        total = 0.0
        for w, c in mix:
            total = total + w * (self.p[None, :] if c is REAL else c.probs)
        return np.atleast_2d(total)

    def exact_loop(self, scheme: str, n: int, lam: float, generations: int):
        """The loop's exact law (:class:`stl.numerics.exact.CategoricalLoopExact`) for this real law."""
        from stl.numerics.exact import CategoricalLoopExact

        return CategoricalLoopExact.for_run(self.p, scheme, n, lam, generations)

    def tv(self, p: Mixture, q: Mixture, streams=None, *, samples=None) -> np.ndarray:
        return 0.5 * np.abs(self._mixture_probs(p) - self._mixture_probs(q)).sum(axis=1)

    def sample_coupled(self, params_a, params_b, streams, count, purpose="coupling"):
        """Maximal coupling per draw: with probability ``1 − TV`` both take one draw from
        ``min(a, b)/(1 − TV)``; otherwise ``x ~ (a − b)_+/TV`` and ``x' ~ (b − a)_+/TV``
        independently (their supports are disjoint, so they differ). Marginal of ``x``:
        ``min(a, b) + (a − b)_+ = a``. Four pre-drawn uniforms per draw."""
        a, b = params_a.probs, params_b.probs
        overlap = np.minimum(a, b)
        tv = 1.0 - overlap.sum(axis=1, keepdims=True)
        u = streams.uniform(purpose, (count, 4))
        # Where a law is degenerate (TV = 0 or 1) its branch is never taken; any cdf works.
        safe = lambda w, mass: np.where(mass > 1e-15, w / np.where(mass > 1e-15, mass, 1.0), 1.0 / self.k)
        same = inverse_cdf(np.cumsum(safe(overlap, 1.0 - tv), axis=1), u[..., 1])
        xa = inverse_cdf(np.cumsum(safe(a - overlap, tv), axis=1), u[..., 2])
        xb = inverse_cdf(np.cumsum(safe(b - overlap, tv), axis=1), u[..., 3])
        differ = u[..., 0] < tv
        return np.where(differ, xa, same), np.where(differ, xb, same), differ
