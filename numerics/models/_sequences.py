"""Text from a known Markov source, and the exact law of a sequence model (``ngram``, ``charlm``).

The data of the language-model settings of the atlas are strings of ``length`` letters
over an alphabet of ``alphabet`` letters (a dataset is an ``(R, n, length)`` integer
array). The real law ``D_0`` is a first-order Markov chain, generated, not downloaded:

* the first letter is uniform;
* a letter repeats with probability ``stay``; otherwise the next letter is ``s + m``
  (mod ``alphabet``) with probability proportional to ``1/m`` (a Zipf law over the
  offsets ``m = 1 .. alphabet − 1``), so some transitions are rare — the "tails" that
  Shumailov et al. (2024) see disappear first under recursive training.

Because ``alphabet ** length`` is small (at most :data:`ENUMERATION_LIMIT`), every law —
``D_0`` and each fitted model — is held as its full probability table over all strings.
Everything is then exact, as for the categorical model: sampling (inverse CDF of the
table, one uniform per string: pre-drawable noise), total variation, the maximal
coupling, the population risk and the KL divergence to ``D_0``.

Loss for ``gen_gap``: the per-letter negative log-likelihood of a string, clipped to
``[0, clip]`` (``M = clip``); its population risk ``Σ_x p_0(x) ℓ(θ, x)`` is a finite sum.
Metrics shared by both models: ``cross_entropy`` (that risk, in nats per letter),
``kl_to_real`` (``KL(D_0 ‖ P_θ)`` per letter), ``tv_to_real``, ``entropy`` (of ``P_θ``,
per letter: collapse lowers it) and ``gen_gap``.

>>> src = MarkovSource(alphabet=3, length=4, stay=0.5)
>>> table = src.table()
>>> table.shape, bool(abs(table.sum() - 1) < 1e-12)
((81,), True)
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from stl.numerics.errors import InputError
from stl.numerics.models._batched import inverse_cdf
from stl.numerics.models.base import REAL, Mixture, Model, ParamSpec, float_in, int_in

#: Largest number of strings ``alphabet ** length`` whose laws are held as full tables.
ENUMERATION_LIMIT = 1 << 14


def all_strings(alphabet: int, length: int) -> np.ndarray:
    """Every string, in the order of its index ``Σ_t x_t · alphabet^(length−1−t)``: ``(S, L)``.

    >>> all_strings(2, 2).tolist()
    [[0, 0], [0, 1], [1, 0], [1, 1]]
    """
    idx = np.arange(alphabet ** length)
    powers = alphabet ** np.arange(length - 1, -1, -1)
    return (idx[:, None] // powers[None, :]) % alphabet


def string_index(data: np.ndarray, alphabet: int) -> np.ndarray:
    """The index of each string of ``data`` ``(..., L)`` → ``(...)`` (inverse of :func:`all_strings`)."""
    length = data.shape[-1]
    powers = alphabet ** np.arange(length - 1, -1, -1)
    return (np.asarray(data, dtype=np.int64) * powers).sum(axis=-1)


@dataclass(frozen=True)
class MarkovSource:
    """The real law ``D_0`` (see the module docstring)."""

    alphabet: int
    length: int
    stay: float

    @cached_property
    def transitions(self) -> np.ndarray:
        """``T[s, s']`` = P(next letter ``s'`` | letter ``s``) ``(k, k)``."""
        k = self.alphabet
        w = 1.0 / np.arange(1, k)
        w = (1.0 - self.stay) * w / w.sum()
        T = np.zeros((k, k))
        for s in range(k):
            T[s, s] = self.stay
            for m in range(1, k):
                T[s, (s + m) % k] = w[m - 1]
        return T

    def table(self) -> np.ndarray:
        """``p_0(x)`` for every string ``x`` (order of :func:`all_strings`) ``(S,)``."""
        x = all_strings(self.alphabet, self.length)
        logp = np.full(x.shape[0], -math.log(self.alphabet))
        logT = np.log(self.transitions)
        for t in range(1, self.length):
            logp += logT[x[:, t - 1], x[:, t]]
        return np.exp(logp)

    def entropy_rate(self) -> float:
        """Entropy of ``D_0`` per letter (nats), from the table."""
        p = self.table()
        return float(-(p * np.log(p)).sum() / self.length)


@dataclass(frozen=True)
class SequenceParams:
    """A fitted law as its log-probability table ``logp`` ``(R, S)``, plus the learner's own
    parameters ``weights`` (counts or network tensors; opaque to the engine)."""

    logp: np.ndarray
    weights: Any = None

    @cached_property
    def probs(self) -> np.ndarray:
        return np.exp(self.logp)

    @cached_property
    def cdf(self) -> np.ndarray:
        return np.cumsum(self.probs, axis=1)


def sequence_specs() -> tuple[ParamSpec, ...]:
    """The ``--param`` keys of the source and the loss, shared by ``ngram`` and ``charlm``."""
    return (
        ParamSpec("alphabet", int_in(2, 64), "4", help="letters of the alphabet"),
        ParamSpec("length", int_in(1, 64).where(f"with alphabet**length <= {ENUMERATION_LIMIT}"), "5",
                  help="letters per string"),
        ParamSpec("stay", float_in(0.0, 1.0, low_open=True, high_open=True), "0.5", help="real law: probability that a letter repeats"),
        ParamSpec("clip", float_in(0.0, low_open=True), "10", help="M: clip of the per-letter negative log-likelihood"),
    )


class SequenceLawModel(Model):
    """A learner of strings whose fitted law is an exact table (see the module docstring).

    Subclasses implement :meth:`fit` and return :class:`SequenceParams` built from
    :meth:`table_from_log_conditionals` or their own table of ``log P_θ(x)``.
    """

    metric_names = ("cross_entropy", "kl_to_real", "tv_to_real", "entropy", "gen_gap")
    risk_metric = "cross_entropy"
    coupling = "maximal"
    exact_risk = True
    tv_exact = True

    def __init__(self, params=None, *, device="auto"):
        super().__init__(params, device=device)
        p = self.params
        self.k, self.length = int(p["alphabet"]), int(p["length"])
        if self.k ** self.length > ENUMERATION_LIMIT:
            raise InputError("--param length", self.length,
                             f"an integer with alphabet**length <= {ENUMERATION_LIMIT} "
                             f"(alphabet {self.k}: length <= {int(math.log(ENUMERATION_LIMIT, self.k))})")
        self.source = MarkovSource(self.k, self.length, float(p["stay"]))
        self.loss_bound = float(p["clip"])
        self.strings = all_strings(self.k, self.length)
        self.p0 = self.source.table()
        self.cdf0 = np.cumsum(self.p0)

    # -- the real law ------------------------------------------------------------------
    def draw_real(self, streams, count, purpose="real"):
        u = streams.uniform(purpose, (count,))
        idx = np.minimum(np.searchsorted(self.cdf0, u, side="right"), self.p0.size - 1)
        return self.strings[idx].astype(np.int64)

    # -- sampling from a table (pre-drawable: one uniform per string) --------------------
    def draw_noise(self, streams, count, generations, purpose="synthetic"):
        return streams.uniform(purpose, (generations, count))

    def sample(self, params: SequenceParams, streams, count, *, noise=None, purpose="synthetic"):
        u = noise if noise is not None else streams.uniform(purpose, (count,))
        return self.strings[inverse_cdf(params.cdf, u)]

    # -- loss, risk and metrics --------------------------------------------------------
    def _nll(self, logp: np.ndarray) -> np.ndarray:
        return np.clip(-logp / self.length, 0.0, self.loss_bound)

    def loss(self, params: SequenceParams, data):
        idx = string_index(data, self.k)
        return self._nll(np.take_along_axis(params.logp, idx, axis=1))

    def risk(self, params: SequenceParams, streams=None):
        return self.risk_under(params, REAL)

    def risk_under(self, params: SequenceParams, law, streams=None):
        """``E_{x ~ law} ℓ(θ, x)`` exactly, as a finite sum over every string."""
        w = self.p0[None, :] if law is REAL else law.probs
        return (w * self._nll(params.logp)).sum(axis=1)

    def log_density(self, params, data):
        idx = string_index(data, self.k)
        if params is REAL:
            return np.log(self.p0)[idx]
        return np.take_along_axis(params.logp, idx, axis=1)

    def measure(self, params: SequenceParams, streams, names):
        logp, q = params.logp, params.probs
        L = self.length
        formulas = {
            "cross_entropy": lambda: self.risk(params),
            "kl_to_real": lambda: (self.p0 * (np.log(self.p0) - logp)).sum(axis=1) / L,
            "tv_to_real": lambda: 0.5 * np.abs(q - self.p0).sum(axis=1),
            "entropy": lambda: -(q * logp).sum(axis=1) / L,
        }
        return {m: formulas[m]() for m in names}

    # -- exact TV and the maximal coupling (as for the categorical model) ---------------
    def _mixture_probs(self, mix: Mixture) -> np.ndarray:
        total = 0.0
        for w, c in mix:
            total = total + w * (self.p0[None, :] if c is REAL else c.probs)
        return np.atleast_2d(total)

    def tv(self, p: Mixture, q: Mixture, streams=None, *, samples=None):
        return 0.5 * np.abs(self._mixture_probs(p) - self._mixture_probs(q)).sum(axis=1)

    def sample_coupled(self, params_a, params_b, streams, count, purpose="coupling"):
        """Maximal coupling of each pair of strings: with probability ``1 − TV`` one common
        draw from ``min(a, b)/(1 − TV)``, otherwise independent draws from the disjoint
        residuals ``(a − b)_+/TV`` and ``(b − a)_+/TV`` (four pre-drawn uniforms per pair)."""
        a, b = params_a.probs, params_b.probs
        overlap = np.minimum(a, b)
        tv = 1.0 - overlap.sum(axis=1, keepdims=True)
        u = streams.uniform(purpose, (count, 4))

        def cdf(w, mass):
            # A branch of zero mass is never taken; any cdf will do there.
            ok = mass > 1e-15
            return np.cumsum(np.where(ok, w / np.where(ok, mass, 1.0), 1.0 / w.shape[1]), axis=1)

        same = inverse_cdf(cdf(overlap, 1.0 - tv), u[..., 1])
        xa = inverse_cdf(cdf(a - overlap, tv), u[..., 2])
        xb = inverse_cdf(cdf(b - overlap, tv), u[..., 3])
        differ = u[..., 0] < tv
        ia, ib = np.where(differ, xa, same), np.where(differ, xb, same)
        return self.strings[ia], self.strings[ib], differ

    # -- helpers for subclasses --------------------------------------------------------
    def table_from_log_conditionals(self, log_cond: np.ndarray, context_ids: np.ndarray) -> np.ndarray:
        """``log P(x) = Σ_t log_cond[r, ctx_t(x), x_t]`` for every string: ``(R, S)``.

        ``log_cond`` ``(R, C, k)`` are the learner's log-conditionals and ``context_ids``
        ``(S, L)`` the context index of every position of every string.
        """
        R, C, k = log_cond.shape
        flat = log_cond.reshape(R, C * k)
        cols = (context_ids * k + self.strings).ravel()
        return flat[:, cols].reshape(R, self.strings.shape[0], self.length).sum(axis=2)

    @abc.abstractmethod
    def fit(self, data, *, streams=None, warm=None) -> SequenceParams:
        """The fitted law's table (and the learner's own parameters)."""
