"""The ``gmm`` model: a Gaussian mixture with ``k`` components in ``dim`` dimensions, fitted by EM.

The setting of Shumailov et al. (2024, the Gaussian-mixture experiments): fit a mixture by
expectation–maximisation, sample from the fit, refit, and watch the components narrow.

Real law ``D_0``: ``k`` equally weighted components ``N(m_c, scale² I)``. In one dimension
the means are ``separation · (c − (k − 1)/2)``; in two or more they lie on a circle of
diameter ``separation`` in the first two coordinates (zero in the others).

Learner ``A``: a deterministic function of the data and the replicate's ``"init"`` stream
(so two fits given equal streams make the same random choices, as D2/D3 estimates need):

* seeded k-means++ initialisation — the first centre is the data point that a uniform of
  the ``"init"`` stream picks, each next one is picked with probability proportional to the
  squared distance to the nearest chosen centre; every component starts with the data's
  covariance and weight ``1/k``;
* then exactly ``iters`` EM iterations (no convergence test, so the fit has no
  data-dependent stopping time), full covariances with a floor ``reg · I`` (``reg =``
  :data:`COVARIANCE_FLOOR`) that keeps every component non-singular.

Sampling: one pre-drawn standard-normal block ``(…, d + 1)`` per draw; the last column,
through ``Φ``, picks the component by the inverse CDF of the weights, the first ``d`` are
``z`` in ``x = m̂_c + L_c z``. The coupling of two fits is the exact maximal coupling
(:mod:`stl.numerics.models._density`).

Loss for ``gen_gap``: the negative log-density per dimension clipped to ``[0, 10]``
(``M = 10``). In one dimension its population risk, ``tv_to_real`` and every TV between
fits are computed by the trapezoid rule on a grid of :data:`GRID` points per replicate
covering every component ± 8 standard deviations (``tv_exact``); in more dimensions the
risk is the mean loss on the run's real probe and TV the unbiased Monte Carlo estimate.

Metrics: ``nll_real`` (the risk on real data), ``tv_to_real``, ``variance`` (per-dimension
variance of the fitted mixture), ``component_variance`` (weighted mean within-component
variance per dimension: what collapses first), ``gen_gap``.

>>> from stl.numerics.rng import ReplicateStreams
>>> m = GMMModel({"k": "2"})
>>> st = ReplicateStreams(seed=0, replicates=3)
>>> th = m.fit(m.draw_real(st, 200), streams=st)
>>> th.means.shape, th.root.shape
((3, 2, 1), (3, 2, 1, 1))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from stl.numerics.special import logsumexp, ndtr

from stl.numerics.models._batched import inverse_cdf
from stl.numerics.models._density import maximal_coupling
from stl.numerics.models.base import REAL, Mixture, Model, ParamSpec, Verification, float_in, int_in
from stl.numerics.rng import ReplicateStreams

LOG_2PI = math.log(2.0 * math.pi)
NLL_CLIP = 10.0
#: Covariance floor added at every M-step (in units of the data; D_0 has scale ~ 1).
COVARIANCE_FLOOR = 1e-6
#: Quadrature points per replicate for one-dimensional TV and risk.
GRID = 2001
#: Half-width of the quadrature range in component standard deviations.
GRID_SDS = 8.0


@dataclass(frozen=True)
class GMMParams:
    """Fitted ``weights`` ``(R, k)``, ``means`` ``(R, k, d)`` and Cholesky factors ``root``
    ``(R, k, d, d)`` of the component covariances."""

    weights: np.ndarray
    means: np.ndarray
    root: np.ndarray


def _gauss_logpdf(x: np.ndarray, means: np.ndarray, root: np.ndarray) -> np.ndarray:
    """``log N(x_j; m_c, L_c L_cᵀ)`` for points ``(R, n, d)``: ``(R, n, k)``."""
    d = x.shape[-1]
    diff = x[:, None, :, :] - means[:, :, None, :]                       # (R, k, n, d)
    if d == 1:
        sd = root[..., 0, 0][:, :, None]                                   # (R, k, 1)
        q = (diff[..., 0] / sd) ** 2
        logdet = 2.0 * np.log(sd)
    else:
        sol = np.linalg.solve(root, np.swapaxes(diff, 2, 3))               # (R, k, d, n)
        q = (sol * sol).sum(axis=2)
        logdet = 2.0 * np.log(np.diagonal(root, axis1=2, axis2=3)).sum(axis=2)[:, :, None]
    return np.swapaxes(-0.5 * (q + logdet + d * LOG_2PI), 1, 2)


class GMMModel(Model):
    """Gaussian mixture fitted by a fixed number of EM iterations; see the module docstring."""

    name = "gmm"
    summary = "Gaussian mixture (k components, dim dimensions) fitted by seeded EM (Shumailov et al. 2024)"
    param_specs = (
        ParamSpec("k", int_in(1, 64), "2", help="mixture components (real and fitted)"),
        ParamSpec("dim", int_in(1, 64), "1", help="dimension d"),
        ParamSpec("separation", float_in(0.0), "4", help="real law: distance between component means"),
        ParamSpec("scale", float_in(0.0, low_open=True), "1", help="real law: component standard deviation"),
        ParamSpec("iters", int_in(0, 100_000), "30", help="EM iterations per fit"),
    )
    metric_names = ("nll_real", "tv_to_real", "variance", "component_variance", "gen_gap")
    risk_metric = "nll_real"
    coupling = "maximal"
    loss_bound = NLL_CLIP
    probe_size = 1000
    verification = Verification(
        atlas={"quick": dict(params={"k": "2"}, n=100, replicates=100, tau_replicates=50, neighbours=8, block=100,
                             locate_steps=6),
               "full": dict(params={"k": "2"}, n=200, lams=(0.0, 0.05, 0.1, 0.2, 0.4, 0.7, 0.9, 0.97, 0.99),
                            generations=12, replicates=300, tau_replicates=100, neighbours=8, block=100,
                            locate_high=0.9)})

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.params
        self.k, self.d = int(p["k"]), int(p["dim"])
        self.sep, self.scale, self.iters = float(p["separation"]), float(p["scale"]), int(p["iters"])
        c = np.arange(self.k)
        mu = np.zeros((self.k, self.d))
        if self.d == 1:
            mu[:, 0] = self.sep * (c - (self.k - 1) / 2.0)
        elif self.k > 1:
            angle = 2.0 * math.pi * c / self.k
            mu[:, 0], mu[:, 1] = 0.5 * self.sep * np.cos(angle), 0.5 * self.sep * np.sin(angle)
        self.real = GMMParams(np.full((1, self.k), 1.0 / self.k), mu[None],
                              np.broadcast_to(self.scale * np.eye(self.d), (1, self.k, self.d, self.d)).copy())

    @property
    def tv_exact(self) -> bool:
        return self.d == 1  # quadrature in one dimension, Monte Carlo otherwise

    # -- the real law and sampling -------------------------------------------------------
    def _broadcast_real(self, r: int) -> GMMParams:
        g = self.real
        return GMMParams(np.repeat(g.weights, r, 0), np.repeat(g.means, r, 0), np.repeat(g.root, r, 0))

    def draw_real(self, streams, count, purpose="real"):
        return self._sample_from(self._broadcast_real(streams.replicates),
                                 streams.normal(purpose, (count, self.d + 1)))

    def draw_noise(self, streams, count, generations, purpose="synthetic"):
        return streams.normal(purpose, (generations, count, self.d + 1))

    def sample(self, params: GMMParams, streams, count, *, noise=None, purpose="synthetic"):
        block = noise if noise is not None else streams.normal(purpose, (count, self.d + 1))
        return self._sample_from(params, block)

    def _sample_from(self, params: GMMParams, block: np.ndarray) -> np.ndarray:
        comp = inverse_cdf(np.cumsum(params.weights, axis=1), ndtr(block[..., self.d]))    # (R, m)
        mean = np.take_along_axis(params.means, comp[..., None], axis=1)                   # (R, m, d)
        if self.d == 1:
            sd = np.take_along_axis(params.root[..., 0, 0], comp, axis=1)
            return mean + sd[..., None] * block[..., :1]
        root = np.take_along_axis(params.root, comp[..., None, None], axis=1)             # (R, m, d, d)
        return mean + (root @ block[..., : self.d, None])[..., 0]

    # -- EM ----------------------------------------------------------------------------
    def fit(self, data, *, streams=None, warm=None) -> GMMParams:
        x = np.asarray(data, dtype=np.float64)
        R, n, d = x.shape
        if streams is None:
            # A learner with randomness needs a stream; without one it is seeded by 0 so
            # that the fit stays a deterministic function of the data.
            streams = ReplicateStreams(0, R)
        u = streams.uniform("init", (self.k,))                 # always drawn: keeps the stream aligned
        means = self._kmeanspp(x, u)
        centred = x - x.mean(axis=1, keepdims=True)
        cov = np.swapaxes(centred, 1, 2) @ centred / n + COVARIANCE_FLOOR * np.eye(d)
        covs = np.repeat(cov[:, None], self.k, axis=1)
        weights = np.full((R, self.k), 1.0 / self.k)
        root = np.linalg.cholesky(covs)
        for _ in range(self.iters):
            # E-step: responsibilities (R, n, k).
            logr = np.log(weights)[:, None, :] + _gauss_logpdf(x, means, root)
            resp = np.exp(logr - logsumexp(logr, axis=2, keepdims=True))
            # M-step (a component that lost every point keeps a tiny weight and the floor).
            nk = resp.sum(axis=1) + 1e-12                                     # (R, k)
            weights = nk / nk.sum(axis=1, keepdims=True)
            means = np.swapaxes(resp, 1, 2) @ x / nk[..., None]               # (R, k, d)
            diff = x[:, None, :, :] - means[:, :, None, :]                    # (R, k, n, d)
            w = np.swapaxes(resp, 1, 2)[..., None]                            # (R, k, n, 1)
            covs = np.swapaxes(diff * w, 2, 3) @ diff / nk[..., None, None] + COVARIANCE_FLOOR * np.eye(d)
            root = np.linalg.cholesky(covs)
        return GMMParams(weights, means, root)

    def _kmeanspp(self, x: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Seeded k-means++ centres ``(R, k, d)`` from uniforms ``u`` ``(R, k)``."""
        R, n, _ = x.shape
        pick = np.minimum((u[:, 0] * n).astype(np.int64), n - 1)
        centres = [x[np.arange(R), pick]]
        best = ((x - centres[0][:, None]) ** 2).sum(axis=2)                     # (R, n)
        for c in range(1, self.k):
            total = best.sum(axis=1, keepdims=True)
            # All points on the chosen centres (a degenerate sample): pick uniformly.
            w = np.where(total > 0, best / np.where(total > 0, total, 1.0), 1.0 / n)
            pick = inverse_cdf(np.cumsum(w, axis=1), u[:, c:c + 1])[:, 0]
            centres.append(x[np.arange(R), pick])
            best = np.minimum(best, ((x - centres[-1][:, None]) ** 2).sum(axis=2))
        return np.stack(centres, axis=1)

    # -- densities, loss, risk ---------------------------------------------------------
    def log_density(self, params, data):
        g = self._broadcast_real(data.shape[0]) if params is REAL else params
        return logsumexp(np.log(g.weights)[:, None, :] + _gauss_logpdf(data, g.means, g.root), axis=2)

    def loss(self, params, data):
        return np.clip(-self.log_density(params, data) / self.d, 0.0, NLL_CLIP)

    def _grid(self, components: list, r: int) -> np.ndarray:
        """Per-replicate 1-D quadrature grids ``(r, GRID)`` covering every component ± 8 sd."""
        lo, hi = np.full(r, np.inf), np.full(r, -np.inf)
        for c in components:
            g = self.real if c is REAL else c
            sd = g.root[..., 0, 0]
            lo = np.minimum(lo, (g.means[..., 0] - GRID_SDS * sd).min(axis=1))
            hi = np.maximum(hi, (g.means[..., 0] + GRID_SDS * sd).max(axis=1))
        return lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, GRID)[None, :]

    def _density_on(self, mix: Mixture, grid: np.ndarray) -> np.ndarray:
        x = grid[..., None]
        return sum(w * np.exp(self.log_density(c, x)) for w, c in mix)

    def _rows(self, mix: Mixture) -> int:
        return max([1] + [c.weights.shape[0] for _, c in mix if c is not REAL])

    def tv(self, p: Mixture, q: Mixture, streams=None, *, samples=None):
        if self.d > 1:
            return super().tv(p, q, streams, samples=samples)
        r = max(self._rows(p), self._rows(q))
        grid = self._grid([c for _, c in (*p, *q)], r)
        diff = np.abs(self._density_on(p, grid) - self._density_on(q, grid))
        return np.clip(0.5 * np.trapezoid(diff, grid, axis=1), 0.0, 1.0)

    def risk(self, params: GMMParams, streams=None):
        if self.d > 1:
            return super().risk(params, streams)    # Monte Carlo on the run's common probe
        r = params.weights.shape[0]
        grid = self._grid([REAL], r)
        real = self._density_on([(1.0, REAL)], grid)
        loss = self.loss(params, grid[..., None])
        return np.trapezoid(real * loss, grid, axis=1)

    def measure(self, params: GMMParams, streams, names):
        w, mu = params.weights, params.means
        cov = params.root @ np.swapaxes(params.root, 2, 3)
        within = (w * np.trace(cov, axis1=2, axis2=3)).sum(axis=1) / self.d

        def total_variance():
            centre = (w[..., None] * mu).sum(axis=1, keepdims=True)
            between = (w * ((mu - centre) ** 2).sum(axis=2)).sum(axis=1) / self.d
            return within + between

        formulas = {"nll_real": lambda: self.risk(params, streams),
                    "tv_to_real": lambda: self.tv([(1.0, params)], [(1.0, REAL)], streams),
                    "variance": total_variance,
                    "component_variance": lambda: within}
        return {m: formulas[m]() for m in names}

    # -- coupling ----------------------------------------------------------------------
    def sample_coupled(self, params_a, params_b, streams, count, purpose="coupling"):
        return maximal_coupling(self, params_a, params_b, streams, count, purpose)
