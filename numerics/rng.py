"""Per-replicate random streams that still feed batched (array-axis) computations.

Replicate ``r`` of a run with seed ``s`` draws from its own stream, derived from
``(s, r)`` and a *purpose* tag (real data, synthetic noise, coupling, training, ...).
Because a replicate's numbers depend only on ``(s, r, purpose)``, a run split over
workers (replicates 0..99 here, 100..199 there) reproduces the single-process run
exactly.

Streams are consumed in blocks: :meth:`ReplicateStreams.normal` draws one block of
shape ``shape`` for every replicate and stacks them on a leading replicate axis, so the
Python-level loop runs once per block, not once per sample; models draw the noise of
many generations in one block when the noise does not depend on the fitted parameters.
NumPy fills arrays in C order from the stream, so drawing ``(2, m)`` at once gives the
same numbers as drawing ``m`` twice: block sizes never change results.

>>> s = ReplicateStreams(seed=7, replicates=4)
>>> a = s.normal("noise", (3,))
>>> a.shape
(4, 3)
>>> b = ReplicateStreams(seed=7, replicates=2, first=2).normal("noise", (3,))
>>> bool((a[2:] == b).all())
True
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from stl.numerics.errors import InputError


def _purpose_key(purpose: str) -> int:
    # A stable 32-bit key per purpose name, so adding purposes never shifts others.
    return zlib.crc32(purpose.encode("utf-8"))


def replicate_generator(seed: int, replicate: int, purpose: str) -> np.random.Generator:
    """The generator of replicate ``replicate`` for ``purpose`` under ``seed``."""
    ss = np.random.SeedSequence(entropy=int(seed), spawn_key=(int(replicate), _purpose_key(purpose)))
    return np.random.Generator(np.random.PCG64(ss))


class ReplicateStreams:
    """Independent streams for replicates ``first .. first + replicates - 1``.

    Each ``(replicate, purpose)`` pair keeps its own generator, created on first use,
    so successive calls continue the stream.
    """

    def __init__(self, seed: int, replicates: int, first: int = 0):
        if not isinstance(seed, (int, np.integer)) or seed < 0:
            raise InputError("seed", seed, "an integer >= 0")
        if not isinstance(replicates, (int, np.integer)) or replicates < 1:
            raise InputError("replicates", replicates, "an integer >= 1")
        if not isinstance(first, (int, np.integer)) or first < 0:
            raise InputError("first", first, "an integer >= 0")
        self.seed = int(seed)
        self.replicates = int(replicates)
        self.first = int(first)
        self._generators: dict[str, list[np.random.Generator]] = {}
        self._memo: dict = {}

    @property
    def replicate_ids(self) -> np.ndarray:
        return np.arange(self.first, self.first + self.replicates)

    def generators(self, purpose: str) -> list[np.random.Generator]:
        """The per-replicate generators for ``purpose`` (created once, then continued)."""
        gens = self._generators.get(purpose)
        if gens is None:
            gens = [replicate_generator(self.seed, r, purpose) for r in self.replicate_ids]
            self._generators[purpose] = gens
        return gens

    def _stack(self, purpose: str, draw, shape: Sequence[int], dtype) -> np.ndarray:
        shape = tuple(int(s) for s in shape)
        out = np.empty((self.replicates, *shape), dtype=dtype)
        for k, g in enumerate(self.generators(purpose)):
            out[k] = draw(g, shape)
        return out

    def _fill(self, purpose: str, fill, shape: Sequence[int], dtype) -> np.ndarray:
        # Same numbers as _stack, written straight into the block (no temporary + copy).
        shape = tuple(int(s) for s in shape)
        if not shape:  # a scalar per replicate: out[k] would not be a view
            return self._stack(purpose, lambda g, s: fill(g, np.empty(1, dtype=dtype))[0], shape, dtype)
        out = np.empty((self.replicates, *shape), dtype=dtype)
        for k, g in enumerate(self.generators(purpose)):
            fill(g, out[k])
        return out

    def normal(self, purpose: str, shape: Sequence[int], dtype=np.float64) -> np.ndarray:
        """Standard normal block, shape ``(replicates, *shape)``."""
        return self._fill(purpose, lambda g, o: g.standard_normal(dtype=dtype, out=o), shape, dtype)

    def uniform(self, purpose: str, shape: Sequence[int], dtype=np.float64) -> np.ndarray:
        """Uniform [0, 1) block, shape ``(replicates, *shape)``."""
        return self._fill(purpose, lambda g, o: g.random(dtype=dtype, out=o), shape, dtype)

    def integers(self, purpose: str, high: int, shape: Sequence[int]) -> np.ndarray:
        """Integers in ``[0, high)``, shape ``(replicates, *shape)``."""
        return self._stack(purpose, lambda g, s: g.integers(0, high, size=s), shape, np.int64)

    def permutations(self, purpose: str, size: int, count: int = 1) -> np.ndarray:
        """``count`` random permutations of ``range(size)`` per replicate: ``(R, count, size)``."""
        def draw(g, s):
            return np.argsort(g.random(s), axis=-1)
        return self._stack(purpose, draw, (count, size), np.int64)

    def memo(self, key, make):
        """``make()`` computed on the first call with ``key`` and returned again after.

        For blocks a run shares across generations (common random numbers), such as the
        real probe sample of a Monte Carlo risk; ``key`` names what ``make`` draws.
        """
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def split(self, start: int, stop: int) -> ReplicateStreams:
        """Fresh streams for the replicate sub-range ``[start, stop)`` of this run."""
        if not 0 <= start < stop <= self.replicates:
            raise InputError("replicate range", (start, stop), f"0 <= start < stop <= {self.replicates}")
        return ReplicateStreams(self.seed, stop - start, self.first + start)
