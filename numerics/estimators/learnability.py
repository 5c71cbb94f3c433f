"""``d̂_TV(n)``: learnability per generation (THEORY.md D4).

Runs the loop and measures, per replicate and generation ``j``, ``d_TV(P_{θ_j}, D̃_j)``
where ``D̃_j`` is the law of a point of generation ``j``'s training set given the past:
``D_0`` at ``j = 0``; ``λ D_0 + (1 − λ) P_{θ_{j−1}}`` for ``mix``/``fresh``/``replace``;
the pool's mixture (``D_0`` and every earlier ``P_{θ_k}``, weight ``1/(j + 1)`` each) for the
``accumulate`` schemes. TV is exact where the model has a closed form, otherwise the
unbiased Monte Carlo estimate of :meth:`Model.tv`.

>>> from stl.numerics.models.registry import get_model
>>> e = estimate_dtv(get_model("categorical", {"k": "3"}), "replace", n=30, lam=0.0,
...                  generations=2, replicates=20, seed=0)
>>> e.value.shape
(3,)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from stl.numerics.errors import check_int
from stl.numerics.estimators.estimate import Estimate
from stl.numerics.loop import iterate
from stl.numerics.models.base import REAL, Model
from stl.numerics.rng import ReplicateStreams
from stl.numerics.schemes import Scheme, get_scheme


def estimate_dtv(model: Model, scheme: Scheme | str, n: int, lam: float, generations: int,
                 replicates: int, seed: int, first: int = 0, *, confidence: float = 0.95,
                 progress: Callable[[int, int], None] | None = None) -> Estimate:
    """``d̂_TV(n)`` at generations ``0 .. generations`` (arrays), with per-generation CIs."""
    if not isinstance(scheme, Scheme):
        scheme = get_scheme(scheme, n, lam)
    check_int("--replicates", replicates, 2)
    check_int("--generations", generations, 0)
    streams = ReplicateStreams(seed, replicates, first)
    out = np.empty((replicates, generations + 1))
    history: list = []
    for j, params, _, state in iterate(model, scheme, generations, streams):
        target = [(1.0, REAL)] if j == 0 else state.mixture(history)
        out[:, j] = model.tv([(1.0, params)], target, streams)
        history.append(params)
        if progress:
            progress(j + 1, generations + 1)
    how = "exact TV (closed form or quadrature)" if model.tv_exact else f"Monte Carlo TV ({model.probe_size} draws)"
    method = (f"d_tv: {how} between the fit of generation j and the law of its training points "
              f"(D_0 at j=0, then the scheme's mixture of D_0 and the parents), scheme {scheme.name}")
    return Estimate.from_replicates("d_tv", out, streams.replicate_ids, method, confidence=confidence,
                                    bounds=(0.0, 1.0))
