"""Estimators of uniform stability ``β_n`` (D1) and TV-stability ``τ_n`` (D2).

Both are suprema over neighbouring datasets ``S ≃ S'``. The estimators draw ``R``
independent real datasets ``S ~ D_0^n`` and, for each, ``K`` neighbours ``S'`` obtained
by replacing point 0 by each of ``K`` fresh real points; per replicate they keep the
largest change over the ``K`` neighbours (and, for ``β_n``, over a probe set of loss
arguments). The reported value is the mean of these per-replicate maxima with its
normal CI: a *lower* estimate of the supremum that concentrates on it when the worst
case is reached by typical data (for the categorical model every neighbour with a
different symbol gives exactly ``d_TV = 1/n``).

>>> from stl.numerics.models.registry import get_model
>>> e = estimate_tau(get_model("categorical", {"k": "4"}), n=20, replicates=50, seed=0)
>>> round(e.value * 20, 2)
1.0
"""

from __future__ import annotations

import numpy as np

from stl.numerics.errors import check_int
from stl.numerics.estimators.estimate import Estimate
from stl.numerics.models.base import Model
from stl.numerics.rng import ReplicateStreams


def _check(n, replicates, neighbours):
    for name, v, low in (("--n", n, 1), ("--replicates", replicates, 2), ("--neighbours", neighbours, 1)):
        check_int(name, v, low)


def neighbour_pairs(model: Model, streams: ReplicateStreams, n: int, neighbours: int):
    """``(S, S', z_old, z_new)``, datasets stacked to ``R·K`` rows (row ``r·K + k``):
    ``S`` repeated ``K`` times and ``S'`` with point 0 replaced by the ``k``-th fresh point."""
    s = model.draw_real(streams, n, purpose="real")
    new = model.draw_real(streams, neighbours, purpose="neighbour")          # (R, K, ...)
    r = s.shape[0]
    s_rep = np.repeat(s, neighbours, axis=0)                                  # (R·K, n, ...)
    s_nb = s_rep.copy()
    s_nb[:, 0] = new.reshape((r * neighbours,) + new.shape[2:])
    return s_rep, s_nb, s_rep[:, :1], s_nb[:, :1]


def _row_streams(streams: ReplicateStreams, k: int) -> ReplicateStreams:
    # Streams for the R·K stacked rows: row r·K + j of replicate block [first, first + R)
    # is global row (first + r)·K + j, so splits over replicates stay exact.
    return ReplicateStreams(streams.seed, streams.replicates * k, streams.first * k)


def estimate_tau(model: Model, n: int, replicates: int, seed: int, first: int = 0, *,
                 neighbours: int = 16, confidence: float = 0.95) -> Estimate:
    """``τ̂_n``: mean over replicates of ``max_k d_TV(P_{A(S)}, P_{A(S'_k)})`` (THEORY.md D2)."""
    _check(n, replicates, neighbours)
    streams = ReplicateStreams(seed, replicates, first)
    s, s_nb, _, _ = neighbour_pairs(model, streams, n, neighbours)
    # Equal, separate streams for the two fits: a random learner (initialisation,
    # minibatches) then makes the same choices on S and S', so only the data differ.
    rows, twin = _row_streams(streams, neighbours), _row_streams(streams, neighbours)
    a, b = model.fit(s, streams=rows), model.fit(s_nb, streams=twin)
    tv = model.tv([(1.0, a)], [(1.0, b)], rows).reshape(replicates, neighbours)
    how = "exact TV (closed form or quadrature)" if model.tv_exact else f"Monte Carlo TV ({model.probe_size} draws)"
    method = (f"tau_n: mean over {replicates} real datasets of the largest {how} between the fits "
              f"on S and on S with point 0 replaced by each of {neighbours} fresh real points "
              f"(a lower estimate of the supremum in D2)")
    return Estimate.from_replicates("tau_n", tv.max(axis=1), streams.replicate_ids, method, confidence=confidence,
                                    bounds=(0.0, 1.0))


def estimate_beta(model: Model, n: int, replicates: int, seed: int, first: int = 0, *,
                  neighbours: int = 16, probes: int = 256, confidence: float = 0.95) -> Estimate:
    """``β̂_n``: mean over replicates of ``max_{k, z} |ℓ(A(S), z) − ℓ(A(S'_k), z)|`` (D1).

    The probe set of loss arguments ``z`` is ``probes`` fresh real points plus the removed
    and the inserted point (where a single swap changes the loss most).
    """
    _check(n, replicates, neighbours)
    check_int("--probes", probes, 1)
    streams = ReplicateStreams(seed, replicates, first)
    s, s_nb, old, new = neighbour_pairs(model, streams, n, neighbours)
    # Equal, separate streams for the two fits: a random learner (initialisation,
    # minibatches) then makes the same choices on S and S', so only the data differ.
    rows, twin = _row_streams(streams, neighbours), _row_streams(streams, neighbours)
    a, b = model.fit(s, streams=rows), model.fit(s_nb, streams=twin)
    z = model.draw_real(streams, probes, purpose="probe")
    z = np.repeat(z, neighbours, axis=0)
    z = np.concatenate([z, old, new], axis=1)
    change = np.abs(model.loss(a, z) - model.loss(b, z)).max(axis=1).reshape(replicates, neighbours)
    method = (f"beta_n: mean over {replicates} real datasets of the largest loss change over "
              f"{neighbours} neighbours (point 0 replaced by a fresh real point) and {probes} real "
              f"probe points plus the swapped points (a lower estimate of the supremum in D1)")
    return Estimate.from_replicates("beta_n", change.max(axis=1), streams.replicate_ids, method,
                                    confidence=confidence, bounds=(0.0, float(model.loss_bound)))
