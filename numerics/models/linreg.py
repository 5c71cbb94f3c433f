"""Linear regression refitted on its own labels (the regression model-collapse setting).

Real law ``D_0``: ``x ~ N(0, I_d)``, ``y = xᵀθ* + σ ε`` with ``θ* = 1/√d · (1, …, 1)``
(so ``‖θ*‖ = 1``) and ``ε ~ N(0, 1)``. A data point is the row ``(x, y)`` of length
``d + 1``. Generation ``j``'s synthetic points have fresh inputs ``x ~ N(0, I_d)`` and
labels ``y = xᵀθ_{j−1} + σ ε`` (Dohmatob, Feng, Kempe 2024, "Model collapse demystified";
Gerstgrasser et al. 2024, "Is model collapse inevitable?").

Fit: ridge ``θ̂ = (XᵀX + n·ridge·I)⁻¹ Xᵀy`` (``ridge = 0`` is OLS, needs ``n ≥ d``).

Metrics: ``test_error`` — the excess risk on fresh real inputs, which for isotropic
inputs is exactly ``E_x (xᵀθ̂ − xᵀθ*)² = ‖θ̂ − θ*‖²``; ``gen_gap`` with the clipped squared
error ``ℓ(θ, (x, y)) = min((xᵀθ − y)², M)``, ``M = 4 (‖θ*‖² + σ²)`` (four times the
variance of a real label). Its population risk is exact: the residual of a real point is
``r = xᵀ(θ − θ*) − σε ~ N(0, v)`` with ``v = ‖θ − θ*‖² + σ²``, so with ``t = √(M/v)``

    E min(r², M) = v [2Φ(t) − 1 − 2tφ(t)] + 2M (1 − Φ(t))

(the truncated second moment of a normal plus the clipped tail); no probe is drawn.

Exact TV: two laws share the input law, so
``d_TV(P_a, P_b) = E_x[2Φ(|xᵀΔ|/(2σ)) − 1] = (2/π) arctan(‖Δ‖/(2σ))`` with
``Δ = θ_a − θ_b`` (``xᵀΔ ~ N(0, ‖Δ‖²)`` and ``P(|g'| ≤ a|g|) = (2/π) arctan a`` for two
independent standard normals, as ``g'/g`` is Cauchy). The maximal coupling shares ``x``
and reflection-couples the labels (equal variances), which is maximal for the joint law.

>>> from stl.numerics.rng import ReplicateStreams
>>> m = LinRegModel({"dim": "3"})
>>> st = ReplicateStreams(seed=0, replicates=2)
>>> m.draw_real(st, 10).shape
(2, 10, 4)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from stl.numerics.models.base import REAL, Case, ClosedFormRun, Mixture, Model, ParamSpec, Verification, float_in, int_in

LOG_2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class LinRegParams:
    """Fitted coefficients ``theta`` ``(R, d)``."""

    theta: np.ndarray


class LinRegModel(Model):
    """Batched OLS/ridge on ``(x, y)`` rows; see the module docstring."""

    name = "linreg"
    summary = "linear regression refitted (OLS or ridge) on labels written by its parent"
    param_specs = (
        ParamSpec("dim", int_in(1, 10_000), "5", help="input dimension d"),
        ParamSpec("noise", float_in(0.0, low_open=True), "1", help="label noise sigma of real and synthetic labels"),
        ParamSpec("ridge", float_in(0.0), "0", help="ridge penalty (0 = OLS)"),
    )
    metric_names = ("test_error", "gen_gap")
    risk_metric = "test_error"
    coupling = "maximal"
    exact_risk = True
    tv_exact = True
    verification = Verification(
        facts=(Case({"dim": "3"}, 20),),
        closed_forms=(
            ClosedFormRun("closed-form-linreg-replace", "quick", "test_error", {"dim": "5"},
                          sizes=dict(n=50, generations=10, replicates=6500, block=3250, margin=0.05), expected_s=0.83),
            ClosedFormRun("closed-form-linreg-accumulate", "quick", "test_error", {"dim": "5"}, scheme="accumulate",
                          sizes=dict(n=50, generations=10, replicates=6500, block=3250, margin=0.05), expected_s=1.2),
        ),
        atlas={"quick": dict(params={"dim": "5"}, n=100, replicates=400, tau_replicates=100, block=400),
               "full": dict(params={"dim": "5"}, n=200, lams=(0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9),
                            generations=16, replicates=1000, tau_replicates=200, block=500)})

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        self.d = self.params["dim"]
        self.sigma = float(self.params["noise"])
        self.ridge = float(self.params["ridge"])
        self.theta_star = np.full(self.d, 1.0 / math.sqrt(self.d))
        self.loss_bound = 4.0 * (1.0 + self.sigma ** 2)

    def _label(self, theta: np.ndarray, block: np.ndarray) -> np.ndarray:
        """Rows ``(x, xᵀθ + σ ε)`` from a standard-normal block ``(R, m, d + 1)``."""
        x = block[..., : self.d]
        y = np.einsum("rmi,ri->rm", x, theta) + self.sigma * block[..., self.d]
        return np.concatenate([x, y[..., None]], axis=-1)

    def draw_real(self, streams, count, purpose="real"):
        block = streams.normal(purpose, (count, self.d + 1))
        return self._label(np.broadcast_to(self.theta_star, (block.shape[0], self.d)), block)

    def _solve(self, xtx, xty, n):
        if self.ridge > 0:
            xtx = xtx + (n * self.ridge)[:, None, None] * np.eye(self.d)
        try:
            return np.linalg.solve(xtx, xty[..., None])[..., 0]
        except np.linalg.LinAlgError:
            # n < d without ridge: the minimum-norm least-squares solution.
            return np.einsum("rij,rj->ri", np.linalg.pinv(xtx, hermitian=True), xty)

    def fit(self, data, *, streams=None, warm=None) -> LinRegParams:
        x, y = data[..., : self.d], data[..., self.d]
        n = np.full(data.shape[0], float(data.shape[1]))
        return LinRegParams(self._solve((np.swapaxes(x, 1, 2) @ x), np.einsum("rni,rn->ri", x, y), n))

    def suff_stats(self, data):
        x, y = data[..., : self.d], data[..., self.d]
        return {"count": np.full(data.shape[0], float(data.shape[1])),
                "xtx": (np.swapaxes(x, 1, 2) @ x), "xty": np.einsum("rni,rn->ri", x, y)}

    def fit_stats(self, stats, *, warm=None) -> LinRegParams:
        return LinRegParams(self._solve(stats["xtx"], stats["xty"], stats["count"]))

    def draw_noise(self, streams, count, generations, purpose="synthetic"):
        return streams.normal(purpose, (generations, count, self.d + 1))

    def sample(self, params: LinRegParams, streams, count, *, noise=None, purpose="synthetic"):
        block = noise if noise is not None else streams.normal(purpose, (count, self.d + 1))
        return self._label(params.theta, block)

    def loss(self, params: LinRegParams, data):
        resid = np.einsum("rni,ri->rn", data[..., : self.d], params.theta) - data[..., self.d]
        return np.minimum(resid * resid, self.loss_bound)

    def risk(self, params: LinRegParams, streams=None):
        """Exact ``E min(r², M)`` under ``D_0`` (module docstring)."""
        return self.risk_under(params, REAL)

    def risk_under(self, params: LinRegParams, law, streams=None):
        """Exact ``E min(r², M)`` under a law with the same inputs and labels
        ``xᵀθ_l + σε`` (``law=REAL``: ``θ_l = θ*``): the residual is ``N(0, ‖θ − θ_l‖² + σ²)``."""
        from scipy.special import ndtr

        target = self.theta_star if law is REAL else law.theta
        v = ((params.theta - target) ** 2).sum(axis=1) + self.sigma ** 2
        t = np.sqrt(self.loss_bound / v)
        phi = np.exp(-0.5 * t * t) / math.sqrt(2.0 * math.pi)
        return v * (2.0 * ndtr(t) - 1.0 - 2.0 * t * phi) + 2.0 * self.loss_bound * ndtr(-t)

    def measure(self, params: LinRegParams, streams, names):
        return {"test_error": ((params.theta - self.theta_star) ** 2).sum(axis=1)} if names else {}

    def log_density(self, params, data):
        theta = np.broadcast_to(self.theta_star, (data.shape[0], self.d)) if params is REAL else params.theta
        x, y = data[..., : self.d], data[..., self.d]
        r = y - np.einsum("rni,ri->rn", x, theta)
        return (-0.5 * (self.d * LOG_2PI + (x * x).sum(axis=-1))
                - 0.5 * (LOG_2PI + 2 * math.log(self.sigma) + r * r / self.sigma ** 2))

    def _theta(self, c, r):
        return np.broadcast_to(self.theta_star, (r, self.d)) if c is REAL else c.theta

    def tv(self, p: Mixture, q: Mixture, streams=None, *, samples=None):
        if len(p) == 1 and len(q) == 1:
            r = next((c.theta.shape[0] for _, c in (*p, *q) if c is not REAL), 1)
            delta = self._theta(p[0][1], r) - self._theta(q[0][1], r)
            return (2.0 / math.pi) * np.arctan(np.linalg.norm(delta, axis=1) / (2.0 * self.sigma))
        return super().tv(p, q, streams, samples=samples)

    def sample_coupled(self, params_a, params_b, streams, count, purpose="coupling"):
        """Shared inputs; labels by the reflection maximal coupling of ``N(m_a, σ²)`` and
        ``N(m_b, σ²)`` (Lindvall & Rogers 1986): ``y = m_a + σ z``; keep ``y' = y`` when
        ``u φ(z) ≤ φ(z + δ)``, ``δ = (m_a − m_b)/σ``, else ``y' = m_b − σ z``."""
        block = streams.normal(purpose, (count, self.d + 1))
        u = streams.uniform(purpose, (count,))
        x, z = block[..., : self.d], block[..., self.d]
        ma = np.einsum("rmi,ri->rm", x, params_a.theta)
        mb = np.einsum("rmi,ri->rm", x, params_b.theta)
        delta = (ma - mb) / self.sigma
        # log φ(z + δ) − log φ(z) = −zδ − δ²/2
        same = np.log(u) <= -z * delta - 0.5 * delta * delta
        ya = ma + self.sigma * z
        yb = np.where(same, ya, mb - self.sigma * z)
        a = np.concatenate([x, ya[..., None]], axis=-1)
        b = np.concatenate([x, yb[..., None]], axis=-1)
        return a, b, ~same
