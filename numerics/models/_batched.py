"""Small batched kernels shared by the models (no Python loop over replicates).

>>> import numpy as np
>>> cdf = np.array([[0.2, 0.5, 1.0], [1.0, 1.0, 1.0]])
>>> inverse_cdf(cdf, np.array([[0.1, 0.3, 0.99], [0.1, 0.5, 0.9]])).tolist()
[[0, 1, 2], [0, 0, 0]]
"""

from __future__ import annotations

import numpy as np


def inverse_cdf(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Per-row inverse CDF: for ``cdf`` ``(R, k)`` and uniforms ``u`` ``(R, m)``, the
    smallest ``s`` with ``u < cdf[r, s]`` (symbols of zero probability are never chosen).

    A vectorised binary search (``ceil(log2 k)`` steps of ``take_along_axis``), so the
    result is exact and does not depend on which other rows are in the batch (adding row
    offsets and one flat ``searchsorted`` would round differently per batch).
    """
    k = cdf.shape[-1]
    if k <= 32:
        # Few symbols: counting the cdf values <= u is the same index and faster than
        # a search (one pass of k comparisons per draw).
        # Accumulating in uint8 (k <= 32 fits) keeps the passes memory-light.
        idx = np.zeros(u.shape, dtype=np.uint8)
        cols = cdf.reshape(cdf.shape[:1] + (1,) * (u.ndim - 2) + cdf.shape[1:])
        for s in range(k - 1):
            np.add(idx, u >= cols[..., s : s + 1], out=idx, casting="unsafe")
        return idx.astype(np.int64)
    lo = np.zeros(u.shape, dtype=np.int64)
    hi = np.full(u.shape, k - 1, dtype=np.int64)
    while True:
        active = lo < hi
        if not active.any():
            return lo
        mid = (lo + hi) // 2
        right = u >= np.take_along_axis(cdf, mid, axis=-1)
        lo = np.where(active & right, mid + 1, lo)
        hi = np.where(active & ~right, mid, hi)


def row_bincount(symbols: np.ndarray, k: int) -> np.ndarray:
    """Counts of each symbol per row: ``(R, m)`` ints in ``[0, k)`` → ``(R, k)`` floats."""
    r = symbols.shape[0]
    flat = (symbols + (np.arange(r, dtype=np.int64) * k)[:, None]).ravel()
    return np.bincount(flat, minlength=r * k).reshape(r, k).astype(np.float64)


def ragged_draws(streams, purpose: str, sizes: np.ndarray, draw) -> list:
    """One block per replicate of replicate-specific size ``sizes[r]`` from its own stream.

    This is a block draw like :meth:`ReplicateStreams.normal` (one Python iteration per
    replicate per block, never per sample); it exists for rejection samplers whose
    number of candidates differs between replicates. Each replicate's numbers depend only
    on its own stream, so the replicate-split invariance is kept.
    """
    gens = streams.generators(purpose)
    return [draw(g, int(s)) for g, s in zip(gens, sizes)]
