"""Mixing schemes: how each generation's training set is built (THEORY.md section 0).

A :class:`Scheme` fixes the sizes; :meth:`Scheme.start` returns a :class:`SchemeState`
for one chain (holding the kept real subset, the accumulated pool or its running
sufficient statistics). ``state.step(model, synthetic, real)`` fits generation ``j``
from the synthetic set drawn from the parent and, for ``fresh``, the new real points;
the caller draws both, so two coupled chains (``estimate_gamma``) can share them.

=========================  =====================================================
``mix``                    kept real subset ``S_0[:, :n_r]`` (``n_r = round(λn)``,
                           ``λ := n_r/n``) plus ``n_s = n − n_r`` synthetic points
``replace``                ``n`` synthetic points (``λ = 0``)
``fresh``                  ``n_r`` *new* real points plus ``n_s`` synthetic points
``accumulate``             ``S_0`` plus every synthetic set so far (``n`` each),
                           so generation ``j`` trains on ``(j + 1) n`` points;
                           ``λ`` is not used. Fitted from running sufficient
                           statistics when the model has them.
``accumulate-subsample``   the accumulated pool, subsampled uniformly without
                           replacement to ``n`` points each generation
=========================  =====================================================

``round`` is half-up on the decimal value the user gave: ``n_r = floor(λn + 1/2)``
computed exactly from ``repr(λ)`` (``λ = 0.29``, ``n = 50`` gives ``n_r = 15``; the
binary float product ``0.29 * 50 = 14.499999999999998`` would give 14).

>>> s = get_scheme("mix", n=10, lam=0.25)
>>> (s.n_r, s.n_s, s.lam)
(3, 7, 0.3)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from stl.numerics.errors import InputError, check_int
from stl.numerics.models.base import REAL, Model
from stl.numerics.rng import ReplicateStreams

SCHEMES = ("mix", "replace", "fresh", "accumulate", "accumulate-subsample")


class _Pool:
    """A growing dataset along axis 1 with amortised doubling (no quadratic re-copying)."""

    def __init__(self, first: np.ndarray, capacity: int | None = None):
        # with the final size known (a run's generations), one allocation and no copies
        cap = max(int(capacity or 0), first.shape[1])
        self.buf = np.empty((first.shape[0], cap) + first.shape[2:], dtype=first.dtype)
        self.buf[:, : first.shape[1]] = first
        self.size = first.shape[1]

    def append(self, part: np.ndarray) -> None:
        need = self.size + part.shape[1]
        if need > self.buf.shape[1]:
            grown = np.empty((self.buf.shape[0], max(need, 2 * self.buf.shape[1])) + self.buf.shape[2:],
                             dtype=self.buf.dtype)
            grown[:, : self.size] = self.buf[:, : self.size]
            self.buf = grown
        self.buf[:, self.size : need] = part
        self.size = need

    @property
    def data(self) -> np.ndarray:
        return self.buf[:, : self.size]


def _concat(parts):
    parts = [p for p in parts if p is not None and p.shape[1] > 0]
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)


@dataclass(frozen=True)
class Scheme:
    """Sizes of one scheme: ``n`` per generation, ``n_r`` real, ``n_s`` synthetic drawn."""

    name: str
    n: int
    lam: float          # effective real proportion n_r / n (0 for replace; given λ unused by accumulate*)
    n_r: int            # real points in the training set (kept or fresh)
    n_s: int            # synthetic points drawn from the parent each generation

    @property
    def fresh_real(self) -> int:
        """New real points needed each generation (only ``fresh``)."""
        return self.n_r if self.name == "fresh" else 0

    def start(self, model: Model, s0: np.ndarray, streams: ReplicateStreams | None = None,
              subsample_purpose: str = "subsample", keep_train: bool = True,
              generations: int | None = None) -> SchemeState:
        """State of one chain after generation 0 (which is ``fit(S_0)``).

        With ``keep_train=False`` the ``accumulate`` scheme on a model with sufficient
        statistics keeps no pool at all and ``step`` returns ``train=None``. ``generations``
        (when known) sizes the pool once for the whole run.
        """
        return SchemeState(self, model, s0, streams, subsample_purpose, keep_train, generations)

    def describe(self) -> dict[str, Any]:
        return {"scheme": self.name, "n": self.n, "lam": self.lam, "n_r": self.n_r, "n_s": self.n_s}


def get_scheme(name: str, n: int, lam: float) -> Scheme:
    """Validate and size a scheme (``InputError`` for bad names or values)."""
    if name not in SCHEMES:
        raise InputError("--scheme", repr(name), " | ".join(SCHEMES))
    check_int("--n", n, 1)
    if not isinstance(lam, (int, float, np.floating)) or not math.isfinite(lam) or not 0.0 <= lam <= 1.0:
        raise InputError("--lam", lam, "a number in [0, 1]")
    n = int(n)
    if name in ("mix", "fresh"):
        n_r = real_count(lam, n)
        return Scheme(name, n, n_r / n, n_r, n - n_r)
    if name == "replace":
        return Scheme(name, n, 0.0, 0, n)
    # accumulate: S_0 stays, each generation adds n synthetic points.
    return Scheme(name, n, float(lam), n, n)


def real_count(lam: float, n: int) -> int:
    """``n_r = round(λn)``, half-up, exact for the decimal ``λ`` as written.

    ``Fraction(repr(λ))`` is the shortest decimal that round-trips to the float, i.e. the
    number the user typed; multiplying the binary float instead loses ties
    (``0.29 * 50 = 14.499999999999998``).

    >>> real_count(0.29, 50), real_count(0.25, 10), real_count(4 / 7, 7)
    (15, 3, 4)
    """
    exact = Fraction(repr(float(lam))) * int(n)
    return math.floor(exact + Fraction(1, 2))


class SchemeState:
    """One chain's training-set state; see the module docstring for each scheme."""

    def __init__(self, scheme: Scheme, model: Model, s0: np.ndarray, streams, subsample_purpose: str,
                 keep_train: bool = True, generations: int | None = None):
        self.scheme = scheme
        self.model = model
        self.streams = streams
        self.subsample_purpose = subsample_purpose
        self.generation = 0
        self.real = s0[:, : scheme.n_r] if scheme.name == "mix" else None
        self.stats = model.suff_stats(s0) if scheme.name == "accumulate" else None
        needs_pool = scheme.name == "accumulate-subsample" or (
            scheme.name == "accumulate" and (keep_train or self.stats is None))
        capacity = s0.shape[1] + scheme.n * generations if generations is not None else None
        self._pool = _Pool(s0, capacity) if needs_pool else None
        self.params = model.fit(s0, streams=streams)
        self.train = s0

    def step(self, synthetic: np.ndarray, real: np.ndarray | None = None):
        """Fit generation ``j + 1`` from its synthetic set (and fresh real points)."""
        sch, model = self.scheme, self.model
        warm = self.params
        if sch.name == "mix":
            train = _concat([self.real, synthetic])
        elif sch.name == "replace":
            train = synthetic
        elif sch.name == "fresh":
            if sch.n_r and (real is None or real.shape[1] != sch.n_r):
                raise ValueError("fresh scheme needs n_r new real points each generation")
            train = _concat([real, synthetic])
        else:
            if self._pool is not None:
                self._pool.append(synthetic)
            if sch.name == "accumulate":
                train = self._pool.data if self._pool is not None else None
                if self.stats is not None:
                    # Running sums: O(n) per generation instead of refitting the pool.
                    self.stats = model.add_stats(self.stats, model.suff_stats(synthetic))
                    self.params = model.fit_stats(self.stats, warm=warm)
                    self.train = train
                    self.generation += 1
                    return self.params, train
            else:
                pool = self._pool.data
                keys = self.streams.uniform(self.subsample_purpose, (pool.shape[1],))
                idx = np.argsort(keys, axis=1, kind="stable")[:, : sch.n]
                idx = idx.reshape(idx.shape + (1,) * (pool.ndim - 2))
                train = np.take_along_axis(pool, idx, axis=1)
        self.params = model.fit(train, streams=self.streams, warm=warm)
        self.train = train
        self.generation += 1
        return self.params, train

    @property
    def pool(self) -> np.ndarray | None:
        """The accumulated pool (``None`` for other schemes or when not kept)."""
        return None if self._pool is None else self._pool.data

    def mixture(self, history: list) -> list[tuple[float, Any]]:
        """``D̃_j``: the law a point of the next training set is drawn from, given the
        chain's parameter ``history`` (``history[-1]`` is the parent), as
        ``[(weight, params_or_REAL)]`` (THEORY.md section 0 and D4)."""
        sch = self.scheme
        if sch.name in ("mix", "fresh", "replace"):
            parts = [(sch.lam, REAL), (1.0 - sch.lam, history[-1])]
        else:
            # Pool after generation j: S_0 (n points) and one synthetic set of n per parent.
            j = len(history)
            parts = [(1.0 / (j + 1), REAL)] + [(1.0 / (j + 1), h) for h in history]
        return [(w, c) for w, c in parts if w > 0]
