"""The maximal coupling of two laws known by a sampler and an exact density (``gmm``, ``flow``).

THEORY.md D3 needs, at every generation, synthetic draws of two parents coupled so that
``P(x ≠ x') = d_TV(P_a, P_b)``. For laws with an exact density this is the classical
construction (Thorisson 2000, ch. 1; the "γ-coupling" of Lindvall):

1. draw ``x ~ P_a`` and a uniform ``u``; if ``u · p_a(x) ≤ p_b(x)`` keep ``x' = x``;
2. otherwise draw ``x'`` from the residual ``(p_b − p_a)_+ / d_TV`` by rejection:
   candidates ``y ~ P_b`` with uniforms ``v``, accepted when ``v · p_b(y) > p_a(y)``.

Step 1 keeps ``x`` with probability ``∫ min(p_a, p_b) = 1 − d_TV``, and step 2 makes the
marginal of ``x'`` exactly ``P_b``. A pair differs exactly when step 2 was taken.

Rejection rounds are batched: each round draws a block of candidates for every
replicate under a purpose of its own (``<purpose>-residual-<call>-<round>``), the same
block size for every replicate, and a replicate takes its first accepted candidates
in stream order. So a replicate's pairs depend only on its own streams, and results do
not depend on how replicates are split (:mod:`stl.numerics.rng`).

>>> from stl.numerics.models.registry import get_model
>>> from stl.numerics.rng import ReplicateStreams
>>> m = get_model("gmm", {})
>>> st = ReplicateStreams(seed=0, replicates=3)
>>> a, b = m.fit(m.draw_real(st, 50)), m.fit(m.draw_real(st, 50))
>>> x, y, differ = maximal_coupling(m, a, b, st, 100, "coupling")
>>> x.shape, differ.shape, bool(((x != y).any(axis=2) == differ).all())
((3, 100, 1), (3, 100), True)
"""

from __future__ import annotations

import numpy as np

#: Smallest candidate block per rejection round (per replicate).
MIN_BLOCK = 512
#: Rounds after which the residual draw gives up (acceptance is ``d_TV`` per candidate).
MAX_ROUNDS = 10_000


def maximal_coupling(model, params_a, params_b, streams, count: int, purpose: str):
    """``(x, x', differ)``: ``count`` maximally coupled pairs per replicate (see the module)."""
    x = model.sample(params_a, streams, count, purpose=purpose)
    r = x.shape[0]
    u = streams.uniform(purpose + "-accept", (count,))
    with np.errstate(divide="ignore"):
        keep = np.log(u) + model.log_density(params_a, x) <= model.log_density(params_b, x)
    y = x.copy()
    need = ~keep
    if not need.any():
        return x, y, need
    calls = streams.memo(("maximal-coupling-calls", purpose), lambda: [0])
    call = calls[0]
    calls[0] += 1
    block = max(MIN_BLOCK, count)
    filled = np.zeros(r, dtype=np.int64)
    wanted = need.sum(axis=1)
    # Row i of `order` lists first the positions of replicate i that wait for a residual draw.
    order = np.argsort(~need, axis=1, kind="stable")
    for rnd in range(MAX_ROUNDS):
        if (filled >= wanted).all():
            return x, y, need
        tag = f"{purpose}-residual-{call}-{rnd}"
        cand = model.sample(params_b, streams, block, purpose=tag)
        v = streams.uniform(tag + "-accept", (block,))
        with np.errstate(divide="ignore"):
            ok = np.log(v) + model.log_density(params_b, cand) > model.log_density(params_a, cand)
        # Each replicate takes its first accepted candidates, as many as it still waits for.
        rank = np.cumsum(ok, axis=1)
        take = ok & (rank <= (wanted - filled)[:, None])
        rows, cols = np.nonzero(take)
        y[rows, order[rows, filled[rows] + rank[rows, cols] - 1]] = cand[rows, cols]
        filled += take.sum(axis=1)
    raise RuntimeError(f"{model.name}: the residual of the maximal coupling was not reached in "
                       f"{MAX_ROUNDS} rounds of {block} candidates (d_TV below {1 / (MAX_ROUNDS * block):.1e})")
