"""The ``flow`` model: a small RealNVP normalizing flow on 2-D data from a ring of Gaussians.

The setting of Bertrand et al. (2024, iterative retraining of normalizing flows and
diffusion models) at toy scale. The real law ``D_0`` is known in closed form: ``modes``
equally weighted components ``N(m_c, scale² I)`` with means evenly spaced on a circle of
``radius`` (nothing is downloaded), so the fitted flow's risk, its TV to ``D_0`` and the
maximal coupling of two fits all use exact densities.

Learner ``A`` (one flow per replicate, all replicates trained as one batched torch
computation, :mod:`stl.numerics.models._neural`):

* the data are standardised by their own mean and standard deviation per coordinate
  (part of the fit, a deterministic function of the data);
* ``layers`` affine coupling layers alternate which coordinate they transform:
  ``u_j ← u_j · exp(s(u_c)) + t(u_c)``, with ``(s, t)`` from an MLP ``1 → hidden → hidden
  → 2`` (tanh units; ``s`` squashed as ``2 tanh(·/2)``); the last layer of every MLP
  starts at zero, so the untrained flow is the standardisation alone;
* full-batch Adam on the mean negative log-likelihood for ``steps`` steps, cosine-decayed
  from ``lr``. The hidden weights start from the replicate's ``"init"`` stream, so two
  fits given equal streams share every random choice (D2/D3 estimates need that).

Sampling is exact and pre-drawable: ``x = f⁻¹(z)`` with ``z ~ N(0, I)`` drawn in advance
(every coupling layer inverts in closed form). ``log p_θ(x)`` is exact (change of
variables), which gives the exact maximal coupling (:mod:`stl.numerics.models._density`).

Loss for ``gen_gap``: the negative log-density per dimension clipped to ``[0, 10]``
(``M = 10``); its risk is the mean loss on the run's real probe. Metrics: ``nll_real``
(that risk), ``tv_to_real`` (unbiased Monte Carlo ``E_P (1 − p_0/p_θ)_+``), ``variance``
(per-coordinate variance of ``probe_size`` draws from the flow), ``gen_gap``. torch is
imported when a model is fitted or sampled, never when it is only declared.

>>> from stl.numerics.rng import ReplicateStreams
>>> m = FlowModel({"steps": "5", "layers": "2", "hidden": "4"})
>>> st = ReplicateStreams(seed=0, replicates=2)
>>> th = m.fit(m.draw_real(st, 30), streams=st)
>>> m.sample(th, st, 7).shape, m.log_density(th, m.draw_real(st, 3)).shape
((2, 7, 2), (2, 3))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from stl.numerics.special import logsumexp

from stl.numerics.models._density import maximal_coupling
from stl.numerics.models.base import REAL, Model, ParamSpec, Verification, choice_of, float_in, int_in
from stl.numerics.rng import ReplicateStreams

LOG_2PI = math.log(2.0 * math.pi)
NLL_CLIP = 10.0
DIM = 2


@dataclass(frozen=True)
class FlowParams:
    """Standardisation ``shift``/``scale`` ``(R, 2)`` and the coupling weights (torch, ``(R, layers, ...)``)."""

    shift: np.ndarray
    scale: np.ndarray
    weights: dict


class FlowModel(Model):
    """RealNVP flow on 2-D data (batched over replicates); see the module docstring."""

    name = "flow"
    summary = "RealNVP normalizing flow on 2-D data from a ring of Gaussians (Bertrand et al. 2024; torch)"
    param_specs = (
        ParamSpec("modes", int_in(1, 64), "4", help="real law: Gaussians on the ring"),
        ParamSpec("radius", float_in(0.0), "1.5", help="real law: radius of the ring"),
        ParamSpec("scale", float_in(0.0, low_open=True), "0.5", help="real law: component standard deviation"),
        ParamSpec("layers", int_in(1, 64), "6", help="affine coupling layers"),
        ParamSpec("hidden", int_in(1, 1024), "16", help="hidden units of each coupling MLP"),
        ParamSpec("steps", int_in(0, 1_000_000), "300", help="Adam steps per fit (full batch)"),
        ParamSpec("lr", float_in(0.0, low_open=True), "0.01", help="peak Adam learning rate"),
        ParamSpec("warm_start", choice_of("0", "1"), "0", help="1: start from the parent's weights"),
    )
    metric_names = ("nll_real", "tv_to_real", "variance", "gen_gap")
    risk_metric = "nll_real"
    coupling = "maximal"
    requires = ("torch",)
    loss_bound = NLL_CLIP
    probe_size = 1000
    default_n = 500
    default_replicates = 16
    verification = Verification(
        atlas={"full": dict(params={"steps": "200"}, n=300, lams=(0.0, 0.5, 0.98, 0.995), generations=4, replicates=12,
                            tau_replicates=12, neighbours=2, block=12, locate_high=0.9, locate_steps=3)})

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.params
        self.modes, self.radius, self.sd = int(p["modes"]), float(p["radius"]), float(p["scale"])
        angle = 2.0 * math.pi * np.arange(self.modes) / self.modes
        self.centres = self.radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)     # (modes, 2)
        self.layers, self.hidden = int(p["layers"]), int(p["hidden"])
        self.steps, self.lr = int(p["steps"]), float(p["lr"])
        self.warm_start = p["warm_start"] == "1"

    # -- the real law ----------------------------------------------------------------------
    def draw_real(self, streams, count, purpose="real"):
        z = streams.normal(purpose, (count, DIM + 1))
        # The third normal picks the mode through its normal CDF (equal weights).
        from scipy.special import ndtr

        mode = np.minimum((ndtr(z[..., DIM]) * self.modes).astype(np.int64), self.modes - 1)
        return self.centres[mode] + self.sd * z[..., :DIM]

    def _real_log_density(self, x: np.ndarray) -> np.ndarray:
        diff = x[..., None, :] - self.centres                                           # (..., modes, 2)
        logc = -0.5 * (diff * diff).sum(-1) / self.sd ** 2 - DIM * math.log(self.sd) - LOG_2PI
        return logsumexp(logc, axis=-1) - math.log(self.modes)

    # -- the flow --------------------------------------------------------------------------
    def _shapes(self):
        L, H = self.layers, self.hidden
        shapes = {"w1": (L, 1, H), "b1": (L, H), "w2": (L, H, H), "b2": (L, H), "w3": (L, H, 2), "b3": (L, 2)}
        fan = {"w1": 1, "b1": None, "w2": H, "b2": None, "w3": None, "b3": None}
        return shapes, fan

    def _st(self, w, layer, cond):
        """``(s, t)`` of coupling ``layer`` from the conditioning coordinate ``(R, N, 1)``."""
        import torch

        h = torch.tanh(cond @ w["w1"][:, layer] + w["b1"][:, layer, None, :])
        h = torch.tanh(h @ w["w2"][:, layer] + w["b2"][:, layer, None, :])
        out = h @ w["w3"][:, layer] + w["b3"][:, layer, None, :]
        return 2.0 * torch.tanh(out[..., :1] / 2.0), out[..., 1:]

    def _forward(self, w, u):
        """Standardised data ``u`` ``(R, N, 2)`` → latent ``z`` and ``log |det ∂z/∂u|`` ``(R, N)``."""
        import torch

        logdet = torch.zeros(u.shape[:2], dtype=u.dtype)
        for layer in range(self.layers):
            c = layer % 2
            cond, moved = u[..., c:c + 1], u[..., 1 - c:2 - c]
            s, t = self._st(w, layer, cond)
            moved = moved * torch.exp(s) + t
            u = torch.cat([cond, moved], dim=-1) if c == 0 else torch.cat([moved, cond], dim=-1)
            logdet = logdet + s[..., 0]
        return u, logdet

    def _inverse(self, w, z):
        import torch

        for layer in reversed(range(self.layers)):
            c = layer % 2
            cond, moved = z[..., c:c + 1], z[..., 1 - c:2 - c]
            s, t = self._st(w, layer, cond)
            moved = (moved - t) * torch.exp(-s)
            z = torch.cat([cond, moved], dim=-1) if c == 0 else torch.cat([moved, cond], dim=-1)
        return z

    def _log_density_t(self, w, shift, scale, x):
        """``log p_θ(x)`` (torch) for standardisation tensors ``shift``/``scale`` ``(R, 1, 2)``."""
        import torch

        z, logdet = self._forward(w, (x - shift) / scale)
        base = -0.5 * (z * z).sum(-1) - LOG_2PI
        return base + logdet - torch.log(scale).sum(-1)

    def fit(self, data, *, streams=None, warm=None) -> FlowParams:
        from stl.numerics.models._neural import as_tensor, init_weights, train_adam
        from stl.numerics.threads import torch_threads

        x = np.asarray(data, dtype=np.float64)
        R = x.shape[0]
        if streams is None:
            # Without streams the fit is seeded by 0: still a deterministic function of the data.
            streams = ReplicateStreams(0, R)
        shapes, fan = self._shapes()
        w = init_weights(streams, shapes, fan)               # always drawn: keeps the stream aligned
        if self.warm_start and warm is not None:
            w = {k: v.clone() for k, v in warm.weights.items()}
        shift = x.mean(axis=1)
        scale = np.maximum(x.std(axis=1), 1e-6)              # a collapsed sample keeps a finite density
        xt, sh, sc = as_tensor(x), as_tensor(shift[:, None, :]), as_tensor(scale[:, None, :])
        with torch_threads():
            w = train_adam(w, lambda wt: -self._log_density_t(wt, sh, sc, xt).mean(dim=1) / DIM,
                           steps=self.steps, lr=self.lr)
        return FlowParams(shift, scale, w)

    def log_density(self, params, data):
        import torch

        from stl.numerics.models._neural import as_tensor, to_numpy
        from stl.numerics.threads import torch_threads

        if params is REAL:
            return self._real_log_density(np.asarray(data, dtype=np.float64))
        with torch_threads(), torch.no_grad():
            out = self._log_density_t(params.weights, as_tensor(params.shift[:, None, :]),
                                      as_tensor(params.scale[:, None, :]), as_tensor(data))
        return to_numpy(out)

    def draw_noise(self, streams, count, generations, purpose="synthetic"):
        return streams.normal(purpose, (generations, count, DIM))

    def sample(self, params: FlowParams, streams, count, *, noise=None, purpose="synthetic"):
        import torch

        from stl.numerics.models._neural import as_tensor, to_numpy
        from stl.numerics.threads import torch_threads

        z = noise if noise is not None else streams.normal(purpose, (count, DIM))
        with torch_threads(), torch.no_grad():
            u = to_numpy(self._inverse(params.weights, as_tensor(z)))
        return params.shift[:, None, :] + params.scale[:, None, :] * u

    # -- loss, metrics, coupling -----------------------------------------------------------
    def loss(self, params, data):
        return np.clip(-self.log_density(params, data) / DIM, 0.0, NLL_CLIP)

    def measure(self, params: FlowParams, streams, names):
        formulas = {"nll_real": lambda: self.risk(params, streams),
                    "tv_to_real": lambda: self.tv([(1.0, params)], [(1.0, REAL)], streams),
                    "variance": lambda: self.sample(params, streams, self.probe_size,
                                                    purpose="measure").var(axis=1).mean(axis=1)}
        return {m: formulas[m]() for m in names}

    def sample_coupled(self, params_a, params_b, streams, count, purpose="coupling"):
        return maximal_coupling(self, params_a, params_b, streams, count, purpose)
