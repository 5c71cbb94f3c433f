"""Splitting replicates into blocks, and pooling block outputs back in order.

Replicate ``r`` of any run draws from streams derived from ``(seed, r)``
(:mod:`stl.numerics.rng`), so a block ``[first, first + count)`` computed anywhere gives the
same rows as the corresponding rows of one big run. Pooling concatenates the blocks in
replicate order, so means and standard errors are bit-for-bit identical however the
work was split.

>>> replicate_blocks(10, 4)
((0, 4), (4, 4), (8, 2))
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def replicate_blocks(replicates: int, block: int) -> tuple[tuple[int, int], ...]:
    """``(first, count)`` pairs covering ``range(replicates)`` in blocks of ``block``."""
    replicates, block = int(replicates), max(int(block), 1)
    return tuple((f, min(block, replicates - f)) for f in range(0, replicates, block))


def pool_rows(blocks: Sequence[np.ndarray]) -> np.ndarray:
    """Concatenate per-block arrays (leading replicate axis) in block order."""
    return np.concatenate([np.asarray(b) for b in blocks], axis=0)
