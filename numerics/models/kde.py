"""Gaussian kernel density estimate with a fixed bandwidth (THEORY.md section 4; the
predecessor paper, Fu et al. ICML 2024, studies KDEs in self-consuming loops).

Real law ``D_0 = N(0, I_d)``. ``A(S)`` is the KDE ``p̂(x) = (1/n) Σ_i N(x; z_i, h² I)``:
its parameters are the training points themselves (so ``accumulate`` refits on the pool;
there are no smaller sufficient statistics). Sampling picks a centre uniformly and adds
``h z``; the pre-drawn noise is one standard-normal block ``(…, d + 1)`` whose last
column becomes the uniform ``Φ(z)`` that picks the centre.

Loss for ``gen_gap``: NLL per dimension clipped to ``[0, 5]``. In 1-D its population risk
``∫ φ(x) min(max(−log p̂(x), 0), 5) dx`` is computed by the trapezoid rule on the same
grid as the TV (spacing ``h/8``, covering ``D_0`` and every centre ± 8h), so no probe is
drawn; in more dimensions it is the mean loss on the run's real probe (common random
numbers across generations, ``probe_size`` points).
Metrics: ``tv_to_real`` (1-D: numerical integration of ``½∫|p̂ − φ|`` on a grid; more
dimensions: the unbiased Monte Carlo estimate), ``variance`` (per-dimension variance of
the KDE law: the points' variance plus ``h²``), ``gen_gap``.

The coupling of two KDEs is the synchronous proxy (same noise, different centres); it
is labelled as a proxy by ``estimate_gamma``.

>>> from stl.numerics.rng import ReplicateStreams
>>> m = KDEModel({"bandwidth": "0.5"})
>>> st = ReplicateStreams(seed=0, replicates=3)
>>> th = m.fit(m.draw_real(st, 40))
>>> m.sample(th, st, 7).shape
(3, 7, 1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from stl.numerics.special import ndtr

from stl.numerics.models.base import REAL, Case, Mixture, Model, ParamSpec, Verification, float_in, int_in

LOG_2PI = math.log(2.0 * math.pi)
NLL_CLIP = 5.0
GRID = 801  # 1-D TV grid points on [-GRID_HALF, GRID_HALF] around the data
GRID_HALF = 8.0
GRID_BLOCK_ELEMENTS = 4_000_000  # kernel-matrix entries held at once by the 1-D TV quadrature


@dataclass(frozen=True)
class KDEParams:
    """The KDE's centres ``(R, m, d)`` (its training points)."""

    centres: np.ndarray


class KDEModel(Model):
    """Batched Gaussian KDE; see the module docstring."""

    name = "kde"
    summary = "Gaussian kernel density estimate with a fixed bandwidth (Fu et al., ICML 2024)"
    param_specs = (
        ParamSpec("bandwidth", float_in(0.0, low_open=True), "0.3", help="kernel bandwidth h"),
        ParamSpec("dim", int_in(1, 100), "1", help="dimension d"),
    )
    metric_names = ("tv_to_real", "variance", "gen_gap")
    risk_metric = "tv_to_real"
    exact_risk = True
    loss_bound = NLL_CLIP
    probe_size = 500
    verification = Verification(
        facts=(Case({"bandwidth": "0.3"}, 30),),
        # D3's coupling built from the density (its own coupling is synchronous)
        atlas={"quick": dict(params={"bandwidth": "0.3"}, n=100, lams=(0.0, 0.1, 0.3, 0.6, 0.9), generations=8,
                             replicates=100, tau_replicates=30, neighbours=8, block=100, locate_steps=6,
                             gamma_options={"coupling": "maximal-density"}),
               "full": dict(params={"bandwidth": "0.3"}, n=100, lams=(0.0, 0.1, 0.2, 0.4, 0.6, 0.9), generations=10,
                            replicates=200, tau_replicates=60, neighbours=8, block=100,
                            gamma_options={"coupling": "maximal-density"})})

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self.h = float(self.params["bandwidth"])
        self.d = int(self.params["dim"])

    @property
    def tv_exact(self) -> bool:
        return self.d == 1  # quadrature in 1-D, Monte Carlo otherwise

    def draw_real(self, streams, count, purpose="real"):
        return streams.normal(purpose, (count, self.d))

    def fit(self, data, *, streams=None, warm=None) -> KDEParams:
        return KDEParams(np.array(data, dtype=np.float64, copy=True))

    def draw_noise(self, streams, count, generations, purpose="synthetic"):
        return streams.normal(purpose, (generations, count, self.d + 1))

    def sample(self, params: KDEParams, streams, count, *, noise=None, purpose="synthetic"):
        block = noise if noise is not None else streams.normal(purpose, (count, self.d + 1))
        m = params.centres.shape[1]
        pick = np.minimum((ndtr(block[..., self.d]) * m).astype(np.int64), m - 1)
        centres = np.take_along_axis(params.centres, pick[..., None], axis=1)
        return centres + self.h * block[..., : self.d]

    def log_density(self, params, data):
        if params is REAL:
            return -0.5 * (self.d * LOG_2PI + (data * data).sum(axis=-1))
        c = params.centres
        # ‖x − c‖² = ‖x‖² − 2 x·c + ‖c‖², batched as one matrix product per replicate.
        sq = ((data * data).sum(-1)[:, :, None] - 2.0 * (data @ np.swapaxes(c, 1, 2))
              + (c * c).sum(-1)[:, None, :])
        logk = -0.5 * np.maximum(sq, 0.0) / self.h ** 2
        top = logk.max(axis=2, keepdims=True)
        np.exp(logk - top, out=logk)
        return np.log(logk.sum(axis=2)) + top[..., 0] - math.log(c.shape[1]) - 0.5 * self.d * (LOG_2PI + 2 * math.log(self.h))

    def loss(self, params, data):
        nll = -self.log_density(params, data) / self.d
        return np.clip(nll, 0.0, NLL_CLIP)

    def _grid_density(self, mix: Mixture, r: int, grid: np.ndarray) -> np.ndarray:
        # The kernel matrix is (R, grid, centres): evaluate it in grid blocks so that
        # memory stays near GRID_BLOCK_ELEMENTS floats whatever n and R are.
        centres = max([1] + [c.centres.shape[1] for _, c in mix if c is not REAL])
        step = max(1, GRID_BLOCK_ELEMENTS // (r * centres))
        out = np.empty((r, grid.size))
        for start in range(0, grid.size, step):
            part = grid[start:start + step]
            x = np.broadcast_to(part[None, :, None], (r, part.size, 1))
            dens = 0.0
            for w, c in mix:
                dens = dens + w * np.exp(self.log_density(c, x))
            out[:, start:start + part.size] = dens
        return out

    def _grid(self, components) -> np.ndarray:
        """A 1-D quadrature grid wide enough for ``D_0`` and every centre ± 8h."""
        cs = [c.centres for c in components if c is not REAL]
        lo = min([-GRID_HALF] + [float(c.min()) - 8 * self.h for c in cs])
        hi = max([GRID_HALF] + [float(c.max()) + 8 * self.h for c in cs])
        return np.linspace(lo, hi, max(GRID, int((hi - lo) / (self.h / 8)) + 1))

    def tv(self, p: Mixture, q: Mixture, streams=None, *, samples=None):
        if self.d == 1:
            r = next((c.centres.shape[0] for _, c in (*p, *q) if c is not REAL), 1)
            grid = self._grid([c for _, c in (*p, *q)])
            diff = np.abs(self._grid_density(p, r, grid) - self._grid_density(q, r, grid))
            return np.clip(0.5 * np.trapezoid(diff, grid, axis=1), 0.0, 1.0)
        return super().tv(p, q, streams, samples=samples)

    def risk(self, params: KDEParams, streams=None):
        if self.d > 1:
            return super().risk(params, streams)  # Monte Carlo on the run's common probe
        grid = self._grid([params])
        dens = self._grid_density([(1.0, params)], params.centres.shape[0], grid)
        with np.errstate(divide="ignore"):
            loss = np.clip(-np.log(dens), 0.0, NLL_CLIP)
        phi = np.exp(-0.5 * grid * grid) / math.sqrt(2.0 * math.pi)
        return np.trapezoid(loss * phi, grid, axis=1)

    def measure(self, params: KDEParams, streams, names):
        c = params.centres
        formulas = {"tv_to_real": lambda: self.tv([(1.0, params)], [(1.0, REAL)], streams),
                    "variance": lambda: c.var(axis=1).mean(axis=1) + self.h ** 2}
        return {m: formulas[m]() for m in names}
