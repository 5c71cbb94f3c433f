"""Gaussian model in ``dim`` dimensions: fitted mean and covariance (MLE or unbiased).

Real law ``D_0 = N(mean, scale² I)`` (default ``N(0, I)``). Fitting is the sample mean
and the covariance divided by ``n`` (``estimator=mle``) or ``n − 1`` (``unbiased``);
sampling is ``μ̂ + L z`` with ``L Lᵀ = Σ̂`` and pre-drawn standard normals ``z``.
THEORY.md section 4: variance collapse under ``replace``; exact TV in 1-D.

Square roots, by design for every rank (:func:`fit_root`): a fit to ``m ≤ d`` points is
singular (its points span at most ``m − 1`` directions), and then ``L = Cᵀ/√(m − ddof)``
with ``C`` the centred data — exact, with no factorization at all, sampling from the
first ``m`` of the ``d`` pre-drawn normals. Otherwise ``L`` is the Cholesky factor, or the
rank-revealing pivoted Cholesky factor where the covariance is singular anyway (under
``accumulate`` with ``d ≥ n`` the synthetic points never leave the span of ``S_0``).

Loss for ``gen_gap``: the **Welsch (Gaussian-kernel) loss of the Mahalanobis residual**,
a bounded proxy for the log-likelihood chosen because its population risk has a closed
form in every dimension (THEORY.md T1 needs ``ℓ ∈ [0, M]``; the Gaussian NLL is unbounded):

    ℓ(θ, z) = 1 − exp(−Q_θ(z) / (2d)),   Q_θ(z) = (z − μ̂)ᵀ Σ̂⁻¹ (z − μ̂),   M = 1,

with ``Q = ∞`` off the range of a singular ``Σ̂`` (``Σ̂⁺`` on it). Under ``D_0``, with
``m = μ − μ̂`` and ``A = d Σ̂ + s² I`` (Gaussian integral of ``exp(−½ xᵀ(Σ̂⁻¹/d) x)``):

    R_{D_0}(θ) = 1 − sqrt(det(d Σ̂) / det A) · exp(−½ mᵀ A⁻¹ m),

which is 1 for a singular fit (the real law puts no mass on its range). The per-dimension
``1/(2d)`` keeps the loss of order one in every dimension (for a good fit ``Q ≈ d``).

Metrics: ``variance`` (trace of the fitted covariance / d), ``mean_error`` (‖μ̂ − μ‖²),
``kl_to_real`` (``KL(N(μ̂, Σ̂) ‖ D_0)`` in closed form; ``inf`` for a singular fit),
``tv_to_real`` (exact, only when ``dim = 1``), ``gen_gap`` (exact risk minus the mean
loss on the training set). No metric draws a Monte Carlo probe.

>>> from stl.numerics.rng import ReplicateStreams
>>> m = GaussianModel({"dim": "2"})
>>> st = ReplicateStreams(seed=0, replicates=5)
>>> th = m.fit(m.draw_real(st, 50))
>>> th.mean.shape, th.cov.shape, th.root.shape
((5, 2), (5, 2, 2), (5, 2, 2))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from stl.numerics.special import ndtr

from stl.numerics.errors import InputError
from stl.numerics.models._batched import psd_root, ragged_draws
from stl.numerics.models.base import (
    REAL,
    Case,
    ClosedFormRun,
    MetricInfo,
    Mixture,
    Model,
    ParamSpec,
    Verification,
    choice_of,
    float_in,
    int_in,
)

LOG_2PI = math.log(2.0 * math.pi)
#: Most residual candidates one replicate draws per round of the maximal coupling.
RESIDUAL_BLOCK = 1 << 14
#: Relative size of an off-range component above which a point is off a singular fit's range.
RANGE_TOLERANCE = 1e-9


def _parse_vector(text: str) -> np.ndarray:
    values = np.array([float(v) for v in str(text).split(",")], dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError(text)
    return values


@dataclass(frozen=True)
class GaussianParams:
    """Fitted ``mean`` ``(R, d)`` and a square root ``root`` ``(R, d, k)`` of the covariance
    (``root rootᵀ = Σ̂``; ``k = d``, or ``k = m ≤ d`` for a fit to ``m`` points), with
    ``logdet`` ``(R,)`` (``-inf`` where singular). ``cov`` is formed when first needed."""

    mean: np.ndarray
    root: np.ndarray
    logdet: np.ndarray

    @cached_property
    def cov(self) -> np.ndarray:
        return self.root @ np.swapaxes(self.root, 1, 2)

    @property
    def singular(self) -> np.ndarray:
        return ~np.isfinite(self.logdet)

    @property
    def std(self) -> np.ndarray:
        """The standard deviation of a one-dimensional fit ``(R,)``."""
        return np.sqrt(self.cov[:, 0, 0])


def _take(params: GaussianParams, rows: np.ndarray) -> GaussianParams:
    """The replicates ``rows`` of batched parameters."""
    return GaussianParams(params.mean[rows], params.root[rows], params.logdet[rows])


def fit_root(centred: np.ndarray, divisor: float) -> tuple[np.ndarray, np.ndarray]:
    """``(root, logdet)`` of ``Σ̂ = CᵀC/divisor`` for centred data ``C`` ``(R, m, d)``.

    With ``m ≤ d`` the covariance has rank at most ``m − 1 < d``: the root is the data
    itself, ``Cᵀ/√divisor`` ``(R, d, m)``, exact and free of any factorization.
    Otherwise the (pivoted) Cholesky factor of the scatter matrix.
    """
    m, d = centred.shape[1], centred.shape[2]
    if m <= d:
        root = np.swapaxes(centred, 1, 2) / math.sqrt(divisor)
        return root, np.full(centred.shape[0], -np.inf)
    # Batched matmul (BLAS) rather than einsum: the scatter matrix is the hot spot.
    return psd_root((np.swapaxes(centred, 1, 2) @ centred) / divisor)


def gaussian_tv_1d(m1, s1, m2, s2) -> np.ndarray:
    """Exact ``d_TV(N(m1, s1²), N(m2, s2²))`` (arrays broadcast).

    ``p − q`` changes sign at the roots of ``log p = log q`` (a quadratic, or a linear
    equation when ``s1 = s2``); since ``∫(p − q) = 0``, TV is the mass difference on the
    interval between the roots: ``|P(I) − Q(I)|``.

    >>> round(float(gaussian_tv_1d(0.0, 1.0, 1.0, 1.0)), 6)  # 2Φ(1/2) − 1
    0.382925
    """
    m1, s1, m2, s2 = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (m1, s1, m2, s2)))
    v1, v2 = s1 * s1, s2 * s2
    equal = np.isclose(v1, v2, rtol=1e-12, atol=0.0)
    # log p − log q = A x² + B x + C
    A = 0.5 / np.where(equal, 1.0, v2) - 0.5 / np.where(equal, 1.0, v1)
    B = m1 / v1 - m2 / v2
    C = 0.5 * (m2 * m2 / v2 - m1 * m1 / v1) + np.log(s2 / s1)
    disc = np.maximum(B * B - 4 * A * C, 0.0)
    sq = np.sqrt(disc)
    Asafe = np.where(equal, 1.0, A)
    r1 = (-B - sq) / (2 * Asafe)
    r2 = (-B + sq) / (2 * Asafe)
    lo, hi = np.minimum(r1, r2), np.maximum(r1, r2)
    with np.errstate(divide="ignore", invalid="ignore"):
        mass = lambda m, s, a, b: ndtr((b - m) / s) - ndtr((a - m) / s)
        tv_quad = np.abs(mass(m1, s1, lo, hi) - mass(m2, s2, lo, hi))
        x0 = 0.5 * (m1 + m2)  # equal variances: one crossing at the midpoint
        tv_lin = np.abs(ndtr((x0 - m1) / s1) - ndtr((x0 - m2) / s2))
    return np.clip(np.where(equal, tv_lin, tv_quad), 0.0, 1.0)


class GaussianModel(Model):
    """Batched Gaussian fit/sample; see the module docstring for the roots, loss and metrics."""

    name = "gaussian"
    summary = "Gaussian in dim dimensions fitted by its mean and covariance (MLE or unbiased)"
    param_specs = (
        ParamSpec("dim", int_in(1, 10_000), "1", help="dimension d"),
        ParamSpec("estimator", choice_of("mle", "unbiased"), "mle", help="covariance divided by n (mle) or n-1 (unbiased)"),
        ParamSpec("mean", _parse_vector, "0", "a number or dim comma-separated numbers", "real mean"),
        ParamSpec("scale", float_in(0.0, low_open=True), "1", help="real standard deviation"),
    )
    metric_names = ("variance", "mean_error", "kl_to_real", "tv_to_real", "gen_gap")
    risk_metric = "kl_to_real"
    metric_latex = {"kl_to_real": MetricInfo("KL to the real law", r"\mathrm{KL}(P_{\hat{\theta}_i} \,\|\, D_0)")}
    coupling = "maximal"
    exact_risk = True
    loss_bound = 1.0
    verification = Verification(
        facts=(Case({"dim": "1"}, 20), Case({"dim": "4"}, 30)),
        closed_forms=(
            ClosedFormRun("closed-form-gaussian-variance", "quick", "variance", {"dim": "1"},
                          sizes=dict(n=100, generations=10, replicates=4000, margin=0.05), expected_s=0.47),
            ClosedFormRun("closed-form-gaussian-unbiased-variance", "full", "variance",
                          {"dim": "1", "estimator": "unbiased"},
                          sizes=dict(n=100, generations=10, replicates=20000, margin=0.05, block=5000), expected_s=3.5),
            ClosedFormRun("closed-form-gaussian-mean-error", "full", "mean_error", {"dim": "2"},
                          sizes=dict(n=100, generations=10, replicates=20000, margin=0.05, block=5000), expected_s=6.4),
        ),
        atlas={"quick": dict(params={"dim": "1"}, n=100, replicates=400, tau_replicates=100, block=400),
               "full": dict(params={"dim": "1"}, n=200, lams=(0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9),
                            generations=16, replicates=1000, tau_replicates=200, block=500)})

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        d = self.params["dim"]
        mean = self.params["mean"]
        if mean.size == 1:
            mean = np.full(d, float(mean[0]))
        elif mean.size != d:
            raise InputError("--param mean", ",".join(map(str, mean)), f"one number or {d} numbers (dim)")
        self.params["mean"] = mean
        self.d = d
        self.mu = mean
        self.scale = float(self.params["scale"])
        self.ddof = 1 if self.params["estimator"] == "unbiased" else 0

    @property
    def tv_exact(self) -> bool:
        return self.d == 1  # closed form in one dimension; Monte Carlo otherwise

    def available_metrics(self):
        # tv_to_real is reported in one dimension, where it is exact (DESIGN.md)
        return tuple(m for m in self.metric_names if m != "tv_to_real" or self.d == 1)

    def _check_n(self, n):
        if n - self.ddof < 1:
            raise InputError("n", n, f"an integer >= {1 + self.ddof} for the {self.params['estimator']} estimator")

    # -- protocol ------------------------------------------------------------------
    def draw_real(self, streams, count, purpose="real"):
        return self.mu + self.scale * streams.normal(purpose, (count, self.d))

    def fit(self, data, *, streams=None, warm=None) -> GaussianParams:
        n = data.shape[1]
        self._check_n(n)
        mean = data.mean(axis=1)
        root, logdet = fit_root(data - mean[:, None, :], n - self.ddof)
        return GaussianParams(mean, root, logdet)

    def suff_stats(self, data):
        return {
            "count": np.full((data.shape[0],), float(data.shape[1])),
            "sum": data.sum(axis=1),
            "outer": np.swapaxes(data, 1, 2) @ data,
        }

    def fit_stats(self, stats, *, warm=None) -> GaussianParams:
        n = stats["count"]
        self._check_n(int(n[0]))
        mean = stats["sum"] / n[:, None]
        scatter = stats["outer"] - n[:, None, None] * mean[:, :, None] * mean[:, None, :]
        scatter = 0.5 * (scatter + np.swapaxes(scatter, 1, 2))  # exactly symmetric for the factorization
        root, logdet = psd_root(scatter / (n - self.ddof)[:, None, None])
        return GaussianParams(mean, root, logdet)

    def draw_noise(self, streams, count, generations, purpose="synthetic"):
        return streams.normal(purpose, (generations, count, self.d))

    def sample(self, params: GaussianParams, streams, count, *, noise=None, purpose="synthetic"):
        z = noise if noise is not None else streams.normal(purpose, (count, self.d))
        k = params.root.shape[2]
        if self.d == 1:
            return params.mean[:, None, :] + z * params.root[:, None, :, 0]
        # A root with k < d columns (a fit to k ≤ d points) needs k normals per draw.
        x = z[..., :k] @ np.swapaxes(params.root, 1, 2)
        x += params.mean[:, None, :]  # in place: one (R, count, d) allocation, not two
        return x

    def mahalanobis(self, params: GaussianParams, x: np.ndarray) -> np.ndarray:
        """``Q_θ(x) = (x − μ̂)ᵀ Σ̂⁻¹ (x − μ̂)`` per point ``(R, n)``; off the range of a
        singular ``Σ̂`` it is ``inf``, on it ``Σ̂⁺`` is used."""
        if self.d == 1:
            # In place: the accumulate pool makes these the largest arrays of a 1-D run.
            q = x[..., 0] - params.mean[:, None, 0]
            var = params.root[:, None, 0, 0] ** 2
            if (var > 0).all():
                q *= q
                q /= var
                return q
            with np.errstate(divide="ignore", invalid="ignore"):
                zero = q == 0
                q = q * q / var
            return np.where(var > 0, q, np.where(zero, 0.0, np.inf))
        diff = x - params.mean[:, None, :]
        out = np.empty(diff.shape[:2])
        regular = ~params.singular
        if regular.any():
            rows = np.nonzero(regular)[0]
            # ‖L⁻¹(x − μ̂)‖² with L⁻¹ formed once per replicate (d × d) and applied to all
            # points as one batched matrix product: 5× faster than a solve per replicate
            # (numpy's solve gufunc copies the right-hand sides), equal to ~1e-13.
            inv_t = np.swapaxes(np.linalg.inv(params.root[rows]), 1, 2)
            sol = diff[rows] @ inv_t                                       # (r, n, d)
            sol *= sol
            out[rows] = sol.sum(axis=-1)
        if (~regular).any():
            rows = np.nonzero(~regular)[0]
            root = params.root[rows]
            pinv = np.linalg.pinv(root)                                  # (r, k, d)
            coef = pinv @ np.swapaxes(diff[rows], 1, 2)                   # (r, k, n)
            back = root @ coef                                            # projection on the range
            off = ((np.swapaxes(diff[rows], 1, 2) - back) ** 2).sum(axis=1)
            size = 1.0 + (diff[rows] ** 2).sum(axis=-1)
            q = (coef * coef).sum(axis=1)
            out[rows] = np.where(off > RANGE_TOLERANCE * size, np.inf, q)
        return out

    def _logpdf(self, params: GaussianParams, x):
        """Gaussian log-density per point; a singular fit has density ``+inf`` on its range
        and ``0`` off it (its law lives on the range)."""
        q = self.mahalanobis(params, x)
        singular = params.singular[:, None]
        regular = -0.5 * (self.d * LOG_2PI + np.where(singular, 0.0, params.logdet[:, None]) + q)
        return np.where(singular, np.where(np.isfinite(q), np.inf, -np.inf), regular)

    def log_density(self, params, data):
        if params is REAL:
            diff = data - self.mu
            return -0.5 * (self.d * LOG_2PI + 2 * self.d * math.log(self.scale)
                           + (diff * diff).sum(axis=-1) / self.scale ** 2)
        return self._logpdf(params, data)

    def loss(self, params: GaussianParams, data):
        """Welsch loss ``1 − exp(−Q/(2d))`` of each point (module docstring), in ``[0, 1]``."""
        q = self.mahalanobis(params, data)
        q *= -1.0 / (2.0 * self.d)  # in place: q is a fresh array
        np.expm1(q, out=q)
        q *= -1.0
        return q

    def risk(self, params: GaussianParams, streams=None):
        """Exact ``E_{z~D_0} ℓ(θ, z)`` (module docstring); no probe is drawn."""
        return self.risk_under(params, REAL)

    def risk_under(self, params: GaussianParams, law, streams=None):
        """Exact ``E_{z~N(μ_l, Σ_l)} ℓ(θ, z) = 1 − sqrt(det(dΣ̂)/det(dΣ̂ + Σ_l))
        · exp(−½ mᵀ(dΣ̂ + Σ_l)⁻¹ m)``, ``m = μ_l − μ̂`` (``law=REAL``: ``N(μ, s²I)``)."""
        d = self.d
        if law is REAL:
            m, spread = self.mu - params.mean, self.scale ** 2 * np.eye(d)
        else:
            m, spread = law.mean - params.mean, law.cov
        out = np.ones(params.mean.shape[0])
        regular = ~params.singular
        if regular.any():
            rows = np.nonzero(regular)[0]
            a = d * params.cov[rows] + (spread if law is REAL else spread[rows])
            chol, logdet_a = psd_root(a)       # positive definite unless the law is singular too
            w = np.linalg.solve(chol, m[rows, :, None])[..., 0]           # ‖L_A⁻¹ m‖² = mᵀA⁻¹m
            log_ratio = 0.5 * (d * math.log(d) + params.logdet[rows] - logdet_a)
            out[rows] = -np.expm1(log_ratio - 0.5 * (w * w).sum(axis=1))
        return out

    def measure(self, params: GaussianParams, streams, names):
        d, s2 = self.d, self.scale ** 2
        want = set(names)
        tr = (params.root ** 2).sum(axis=(1, 2))   # trace of root rootᵀ, without forming Σ̂
        err = ((params.mean - self.mu) ** 2).sum(axis=1)
        out = {"variance": tr / d, "mean_error": err}
        if "kl_to_real" in want:
            # KL(N(μ̂, Σ̂) ‖ N(μ, s²I)) = ½[tr Σ̂/s² + ‖μ − μ̂‖²/s² − d + d log s² − log det Σ̂]
            out["kl_to_real"] = 0.5 * (tr / s2 + err / s2 - d + d * math.log(s2) - params.logdet)
        if d == 1 and "tv_to_real" in want:
            out["tv_to_real"] = gaussian_tv_1d(params.mean[:, 0], params.std, self.mu[0], self.scale)
        return {k: out[k] for k in names}

    # -- TV and maximal coupling ------------------------------------------------------
    def tv(self, p: Mixture, q: Mixture, streams=None, *, samples=None):
        if self.d == 1 and len(p) == 1 and len(q) == 1:
            (_, a), (_, b) = p[0], q[0]
            ma, sa = (self.mu[0], self.scale) if a is REAL else (a.mean[:, 0], a.std)
            mb, sb = (self.mu[0], self.scale) if b is REAL else (b.mean[:, 0], b.std)
            return np.atleast_1d(gaussian_tv_1d(ma, sa, mb, sb))
        return super().tv(p, q, streams, samples=samples)

    def sample_coupled(self, params_a, params_b, streams, count, purpose="coupling"):
        """Exact maximal coupling by the accept/reject construction (Thorisson 2000;
        see also Jacob et al. 2020, "Unbiased MCMC with couplings", Alg. 1):

        1. ``x ~ P_a``; with ``u ~ U(0,1)``, if ``u p_a(x) ≤ p_b(x)`` set ``x' = x``;
        2. otherwise draw ``y ~ P_b``, ``w ~ U(0,1)`` until ``w p_b(y) > p_a(y)`` and set
           ``x' = y``.
        Step 1 keeps ``x = x'`` with probability ``∫ min(p_a, p_b) = 1 − TV``; step 2
        draws from the residual ``(p_b − p_a)_+ / TV``, so ``x'`` has law ``P_b``.
        Step 2's candidates come in replicate-sized blocks from a separate stream
        (``purpose + "-residual"``), so a replicate's numbers depend only on its stream.
        """
        r = params_a.mean.shape[0]
        x = self.sample(params_a, streams, count, purpose=purpose)
        u = streams.uniform(purpose, (count,))
        la, lb = self.log_density(params_a, x), self.log_density(params_b, x)
        same = np.log(u) + la <= lb
        y = x.copy()
        pending = ~same
        need = pending.sum(axis=1)
        if need.any():
            tv = np.clip(self._coupling_tv(params_a, params_b, la, lb), 1e-6, 1.0)
            filled = np.zeros(r, dtype=np.int64)
            order = np.argsort(~pending, axis=1, kind="stable")  # pending slots first, in order
            while np.any(filled < need):
                left = np.where(filled < need, need - filled, 0)
                # Expected acceptances per candidate are TV; ask for twice what is needed.
                # A replicate's block size depends only on its own state (split invariance)
                # and is capped, so a tiny TV costs rounds, not memory.
                sizes = np.where(left > 0, np.ceil(2.0 * left / tv + 8).astype(np.int64), 0)
                sizes = np.minimum(sizes, RESIDUAL_BLOCK)
                blocks = ragged_draws(streams, purpose + "-residual", sizes,
                                      lambda g, m: (g.standard_normal((m, self.d)), g.random(m)))
                rows_on = np.nonzero(sizes > 0)[0]  # only replicates still filling
                cap = int(sizes.max())
                z = np.zeros((rows_on.size, cap, self.d))
                w = np.ones((rows_on.size, cap))  # padding; masked out by `valid`
                valid = np.arange(cap)[None, :] < sizes[rows_on, None]
                for k, row in enumerate(rows_on):  # part of the block draw: pad to one array
                    zk, wk = blocks[row]
                    z[k, : zk.shape[0]] = zk
                    w[k, : wk.shape[0]] = wk
                sub_a, sub_b = _take(params_a, rows_on), _take(params_b, rows_on)
                cand = self.sample(sub_b, streams, cap, noise=z)
                lb_c, la_c = self.log_density(sub_b, cand), self.log_density(sub_a, cand)
                with np.errstate(divide="ignore", invalid="ignore"):
                    accept = valid & (np.log(w) + lb_c > la_c)
                got = filled[rows_on]
                rank = np.cumsum(accept, axis=1) - 1 + got[:, None]
                use = accept & (rank < need[rows_on, None])
                sub_rows, cols = np.nonzero(use)
                rows = rows_on[sub_rows]
                targets = order[rows, rank[sub_rows, cols]]
                y[rows, targets] = cand[sub_rows, cols]
                filled[rows_on] = got + use.sum(axis=1)
        return x, y, pending

    def _coupling_tv(self, a, b, la, lb):
        if self.d == 1:
            return gaussian_tv_1d(a.mean[:, 0], a.std, b.mean[:, 0], b.std)
        # Plug-in estimate from the step-1 points, used only to size candidate blocks.
        return np.clip(1.0 - np.exp(np.minimum(lb - la, 0.0)), 0.0, 1.0).mean(axis=1) + 1e-3
