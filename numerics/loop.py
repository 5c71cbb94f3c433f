"""The self-consuming training loop, batched over replicates (THEORY.md section 0).

``S_0 ~ D_0^n``, ``θ_0 = A(S_0)``; for ``j ≥ 1`` the scheme builds ``S̃_j`` from
synthetic draws of ``P_{θ_{j−1}}`` (and real points), and ``θ_j = A(S̃_j)``. Every array
has a leading replicate axis; the sampling noise of several generations is drawn in one
block (it does not depend on the parameters), chunked to bound memory — block sizes
never change the numbers (see :mod:`stl.numerics.rng`).

``gen_gap`` under ``accumulate`` (:data:`POOL_RISKS`): the empirical risk on the pool,
which holds ``(j + 1) n`` points at generation ``j``, is by default the mean loss on a
uniform random subsample of ``n`` pool points drawn with replacement, per replicate and
generation, from the replicate's own stream ``"pool-risk"`` (:class:`PoolRiskSample`).
Given the pool, that mean is an unbiased estimate of the pool average, so ``E gen_i``
is unchanged; the subsample's variance is part of each replicate's value, so it enters
the standard error over replicates. It keeps the cost of ``gen_gap`` at ``O(n)`` a
generation, as under ``replace``, instead of ``O(j n)`` (``O(G² n)`` a run).
``pool_risk="exact"`` averages the loss over the whole pool.

>>> from stl.numerics.models.registry import get_model
>>> t = run_loop(get_model("categorical", {"k": "3"}), "replace", n=20, lam=0.0,
...              generations=3, replicates=8, seed=1)
>>> t.values["heterozygosity"].shape
(8, 4)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np

from stl.numerics.errors import InputError, check_int
from stl.numerics.models.base import Model
from stl.numerics.rng import ReplicateStreams
from stl.numerics.schemes import Scheme, SchemeState, get_scheme
from stl.numerics.trajectory import Trajectory

#: Upper bound on pre-drawn noise elements held at once (about 64 MB of float64).
NOISE_BUDGET = 8_000_000
#: How ``gen_gap`` measures the empirical risk on an ``accumulate`` pool (module docstring).
POOL_RISKS = ("subsample", "exact")


class PoolRiskSample:
    """Uniform indices into a growing pool: ``size`` per replicate and generation, with
    replacement, from each replicate's own stream ``purpose`` (drawn in chunks of
    generations: chunking never changes the numbers, see :mod:`stl.numerics.rng`).

    >>> streams = ReplicateStreams(seed=0, replicates=2)
    >>> pool = np.arange(12.0).reshape(2, 6)
    >>> sample = PoolRiskSample(streams, size=4, generations=3)
    >>> sub = sample.take(pool)
    >>> sub.shape, bool(np.isin(sub[1], pool[1]).all())
    ((2, 4), True)
    """

    def __init__(self, streams: ReplicateStreams, size: int, generations: int, purpose: str = "pool-risk"):
        self.streams, self.size, self.left, self.purpose = streams, int(size), int(generations), purpose
        self.block: np.ndarray | None = None
        self.pos = 0

    def _next(self) -> np.ndarray:
        if self.block is None or self.pos >= self.block.shape[1]:
            per_gen = max(1, self.size * self.streams.replicates)
            chunk = int(max(1, min(self.left, NOISE_BUDGET // per_gen)))
            self.block = self.streams.uniform(self.purpose, (chunk, self.size))
            self.pos = 0
        out = self.block[:, self.pos]
        self.pos += 1
        self.left -= 1
        return out

    def take(self, pool: np.ndarray) -> np.ndarray:
        """``size`` points of ``pool`` ``(R, m, ...)`` per replicate, uniform with replacement."""
        u = self._next()
        m = pool.shape[1]
        # u is a multiple of 2^-53 in [0, 1): floor(u m) is uniform on 0..m-1 up to 2^-53
        idx = np.minimum((u * m).astype(np.int64), m - 1)
        return np.take_along_axis(pool, idx.reshape(idx.shape + (1,) * (pool.ndim - 2)), axis=1)


class NoiseFeed:
    """Hands out one generation of pre-drawn noise at a time, refilling in chunks."""

    def __init__(self, model: Model, streams: ReplicateStreams, count: int, generations: int,
                 purpose: str = "synthetic"):
        self.model, self.streams, self.count, self.left = model, streams, count, generations
        self.purpose = purpose
        self.block: np.ndarray | None = None
        self.pos = 0
        self._per_gen: int | None = None

    def next(self) -> np.ndarray | None:
        if self.count == 0:
            return None
        if self.block is None or self.pos >= self.block.shape[1]:
            if self._per_gen is None:
                # A zero-generation draw reveals the per-generation noise shape without
                # consuming any random numbers (asked once: the shape does not change).
                empty = self.model.draw_noise(self.streams, self.count, 0, purpose=self.purpose)
                if empty is None:
                    self.count = 0
                    return None
                self._per_gen = max(1, int(np.prod(empty.shape[2:], dtype=np.int64)) * empty.shape[0])
            per_gen = self._per_gen
            chunk = int(max(1, min(self.left, NOISE_BUDGET // per_gen)))
            self.block = self.model.draw_noise(self.streams, self.count, chunk, purpose=self.purpose)
            self.pos = 0
        out = self.block[:, self.pos]
        self.pos += 1
        self.left -= 1
        return out


def iterate(model: Model, scheme: Scheme, generations: int, streams: ReplicateStreams,
            s0: np.ndarray | None = None, keep_train: bool = True) -> Iterator[tuple[int, object, np.ndarray, SchemeState]]:
    """Yield ``(j, θ_j, S̃_j, state)`` for ``j = 0 .. generations`` (one chain per replicate).

    The building block of :func:`run_loop` and the estimators; ``s0`` overrides the
    real sample (estimators pass neighbouring datasets); ``keep_train=False`` lets
    ``accumulate`` skip storing its pool (``S̃_j`` is then ``None`` for it).
    """
    if s0 is None:
        s0 = model.draw_real(streams, scheme.n, purpose="real")
    state = scheme.start(model, s0, streams, keep_train=keep_train, generations=generations)
    yield 0, state.params, state.train, state
    feed = NoiseFeed(model, streams, scheme.n_s, generations)
    for j in range(1, generations + 1):
        noise = feed.next()
        synthetic = model.sample(state.params, streams, scheme.n_s, noise=noise)
        real = model.draw_real(streams, scheme.fresh_real, purpose="real") if scheme.fresh_real else None
        params, train = state.step(synthetic, real)
        yield j, params, train, state


def run_loop(model: Model | str, scheme: Scheme | str, n: int, lam: float, generations: int,
             replicates: int, seed: int, first: int = 0,
             progress: Callable[[int, int], None] | None = None, *,
             metrics: Sequence[str] | None = None, pool_risk: str = "subsample") -> Trajectory:
    """Run the loop for replicates ``[first, first + replicates)``; every metric per generation.

    ``model`` is a :class:`Model` (or a registry name with default parameters);
    ``scheme`` a name of :data:`stl.numerics.schemes.SCHEMES` (sized with ``n`` and ``lam``)
    or a :class:`Scheme`. ``metrics`` restricts which of the model's metrics are kept
    (all by default). ``progress(done, total)`` is called after each generation.
    ``pool_risk`` (:data:`POOL_RISKS`) says how ``gen_gap`` averages the loss on an
    ``accumulate`` pool: on a subsample of ``n`` points (default, unbiased) or ``exact``ly.
    """
    if isinstance(model, str):
        from stl.numerics.models.registry import get_model
        model = get_model(model, {})
    generations = check_int("--generations", generations, 0)
    replicates = check_int("--replicates", replicates, 1)
    if not isinstance(scheme, Scheme):
        scheme = get_scheme(scheme, n, lam)
    if pool_risk not in POOL_RISKS:
        raise InputError("--pool-risk", pool_risk, " | ".join(POOL_RISKS))
    names = model.check_metrics(metrics)
    streams = ReplicateStreams(seed, replicates, first)
    total = generations + 1
    values = {m: np.empty((replicates, total)) for m in names}
    need_train = "gen_gap" in names
    sample = PoolRiskSample(streams, scheme.n, generations) \
        if need_train and scheme.name == "accumulate" and pool_risk == "subsample" else None
    for j, params, train, _ in iterate(model, scheme, generations, streams, keep_train=need_train):
        if sample is not None and j > 0:
            # one block per generation j >= 1 whatever the pool's size, so the stream's use
            # does not depend on n; the first pool (S_0, n points) is averaged exactly
            sub = sample.take(train)
            train = sub if train.shape[1] > scheme.n else train
        got = model.metrics(params, train if need_train else None, streams, names)
        for m in names:
            values[m][:, j] = got[m]
        if progress is not None:
            progress(j + 1, total)
    config = {**model.describe(), **scheme.describe(), "generations": generations,
              "replicates": replicates, "seed": seed, "first": first}
    if scheme.name == "accumulate" and need_train:
        config["pool_risk"] = pool_risk
    return Trajectory(values, streams.replicate_ids, config)
