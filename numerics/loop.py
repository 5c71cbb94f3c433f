"""The self-consuming training loop, batched over replicates (THEORY.md section 0).

``S_0 ~ D_0^n``, ``θ_0 = A(S_0)``; for ``j ≥ 1`` the scheme builds ``S̃_j`` from
synthetic draws of ``P_{θ_{j−1}}`` (and real points), and ``θ_j = A(S̃_j)``. Every array
has a leading replicate axis; the sampling noise of several generations is drawn in one
block (it does not depend on the parameters), chunked to bound memory — block sizes
never change the numbers (see :mod:`stl.numerics.rng`).

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


class NoiseFeed:
    """Hands out one generation of pre-drawn noise at a time, refilling in chunks."""

    def __init__(self, model: Model, streams: ReplicateStreams, count: int, generations: int,
                 purpose: str = "synthetic"):
        self.model, self.streams, self.count, self.left = model, streams, count, generations
        self.purpose = purpose
        self.block: np.ndarray | None = None
        self.pos = 0

    def next(self) -> np.ndarray | None:
        if self.count == 0:
            return None
        if self.block is None or self.pos >= self.block.shape[1]:
            # A zero-generation draw reveals the per-generation noise shape without
            # consuming any random numbers.
            empty = self.model.draw_noise(self.streams, self.count, 0, purpose=self.purpose)
            if empty is None:
                return None
            per_gen = max(1, int(np.prod(empty.shape[2:], dtype=np.int64)) * empty.shape[0])
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
    state = scheme.start(model, s0, streams, keep_train=keep_train)
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
             metrics: Sequence[str] | None = None) -> Trajectory:
    """Run the loop for replicates ``[first, first + replicates)``; every metric per generation.

    ``model`` is a :class:`Model` (or a registry name with default parameters);
    ``scheme`` a name of :data:`stl.numerics.schemes.SCHEMES` (sized with ``n`` and ``lam``)
    or a :class:`Scheme`. ``metrics`` restricts which of the model's metrics are kept
    (all by default). ``progress(done, total)`` is called after each generation.
    """
    if isinstance(model, str):
        from stl.numerics.models.registry import get_model
        model = get_model(model, {})
    generations = check_int("--generations", generations, 0)
    replicates = check_int("--replicates", replicates, 1)
    if not isinstance(scheme, Scheme):
        scheme = get_scheme(scheme, n, lam)
    names = model.check_metrics(metrics)
    streams = ReplicateStreams(seed, replicates, first)
    total = generations + 1
    values = {m: np.empty((replicates, total)) for m in names}
    need_train = "gen_gap" in names
    for j, params, train, _ in iterate(model, scheme, generations, streams, keep_train=need_train):
        got = model.metrics(params, train if need_train else None, streams, names)
        for m in names:
            values[m][:, j] = got[m]
        if progress is not None:
            progress(j + 1, total)
    config = {**model.describe(), **scheme.describe(), "generations": generations,
              "replicates": replicates, "seed": seed, "first": first}
    return Trajectory(values, streams.replicate_ids, config)
