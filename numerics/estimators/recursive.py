"""``γ̂_n^i``: recursive stability under the recursive maximal coupling (THEORY.md D3).

Two chains run side by side from neighbouring real samples ``S_0`` and ``S_0'`` (point 0
replaced by a fresh real point; point 0 is in the kept real subset whenever ``n_r ≥ 1``,
the worst case). They share every random choice that is not a synthetic draw — the kept
real indices, fresh real points, subsampling keys, a learner's own randomness — and at
each generation the two synthetic sets are drawn from ``model.sample_coupled``, which
for models with ``coupling = "maximal"`` is the exact maximal coupling, so
``P(x ≠ x') = d_TV(P_{θ_{j−1}}, P_{θ'_{j−1}})``.

The neighbour is a *random* one (a fresh real point replaces point 0), not the worst:
the estimate is the expectation over neighbours that T1's proof (a) needs, and a lower
estimate of D3's supremum over ``S_0 ≃ S_0'`` (for the categorical model it is smaller
by the factor ``1 − Σp²``, the chance that the fresh point has another symbol).

``γ̂_n^i`` is the mean over replicates of ``d_TV(P_{θ_i}, P_{θ'_i})``: computed exactly
(closed form or quadrature) when the model has it, otherwise estimated without bias as
the fraction of differing pairs in a separate maximally coupled sample. Models without
a maximal coupling get the synchronous coupling instead; the result is then marked as
a **proxy** (``Estimate.proxy``) and its method text says so (D3: for continuous data
almost every synchronously coupled draw differs).

``details["synthetic_differ"]`` holds, per replicate and generation ``j ≥ 1``, the
fraction of differing synthetic draws actually used (the quantity T1 needs).

Two options make the estimate comparable with ``τ̂_n`` for a model whose own coupling is
not maximal (the in-context learners' label-by-label coupling, ``coupling = "upper"``):
``coupling="maximal-density"`` draws the synthetic pairs from the maximal coupling built
from the model's sampler and exact density (:func:`stl.numerics.models._density.maximal_coupling`),
and ``measure="tv"`` measures every generation with the model's own TV estimator
(``Model.tv``, the one :func:`stl.numerics.estimators.estimate_tau` uses) instead of the
fraction of differing coupled draws. With both, ``γ̂_n^i`` and ``τ̂_n`` are the same
kind of number (D2 and D3 with one estimator), which L2 relates.

>>> from stl.numerics.models.registry import get_model
>>> e = estimate_gamma(get_model("categorical", {"k": "3"}), "mix", n=20, lam=0.5,
...                    generations=2, replicates=50, seed=0)
>>> e.value.shape, e.proxy
((3,), False)
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from stl.numerics.errors import InputError, check_int
from stl.numerics.estimators.estimate import Estimate
from stl.numerics.models.base import Model
from stl.numerics.rng import ReplicateStreams
from stl.numerics.schemes import Scheme, get_scheme

MEASURE_DRAWS = 256
NEIGHBOURS = ("random", "distinct")
#: ``coupling``: the model's own ``sample_coupled``, or the maximal coupling from its density.
COUPLINGS = ("model", "maximal-density")
#: ``measure``: the model's choice (exact TV where it has one, else the coupled fraction), or its TV estimator.
MEASURES = ("auto", "tv")
#: Fresh real points tried per replicate for a distinct neighbour.
DISTINCT_TRIES = 64


def _replacement(model: Model, streams: ReplicateStreams, old: np.ndarray, neighbour: str) -> np.ndarray:
    """The point that replaces point 0 of ``S_0`` (see :func:`estimate_gamma`)."""
    if neighbour == "random":
        return model.draw_real(streams, 1, purpose="neighbour")[:, 0]
    # The first try is the random neighbour's point, so the two options share their draws.
    tries = model.draw_real(streams, DISTINCT_TRIES, purpose="neighbour")
    same = (tries == old[:, None]).reshape(tries.shape[0], DISTINCT_TRIES, -1).all(axis=2)
    if same.all(axis=1).any():
        raise InputError("neighbour", "distinct", f"a real law where {DISTINCT_TRIES} draws are not all equal "
                                                  "to the point they replace")
    first = np.argmax(~same, axis=1)
    return np.take_along_axis(tries, first.reshape((-1, 1) + (1,) * (tries.ndim - 2)), axis=1)[:, 0]


def estimate_gamma(model: Model, scheme: Scheme | str, n: int, lam: float, generations: int,
                   replicates: int, seed: int, first: int = 0, *, confidence: float = 0.95,
                   measure_draws: int = MEASURE_DRAWS, neighbour: str = "random",
                   coupling: str = "model", measure: str = "auto",
                   progress: Callable[[int, int], None] | None = None) -> Estimate:
    """``γ̂_n^i`` for ``i = 0 .. generations`` (arrays), with per-generation CIs.

    ``neighbour="random"``: point 0 is replaced by a fresh real point (the expectation over
    neighbours that T1's proof uses); ``"distinct"``: by the first of up to
    :data:`DISTINCT_TRIES` fresh real points that differs from it (for discrete data a
    random replacement can coincide with the point it replaces and then changes nothing;
    D3's supremum is over neighbours that differ).

    ``coupling`` and ``measure``: see the module docstring (``"model"`` and ``"auto"``
    keep the model's own coupling and measurement).
    """
    if neighbour not in NEIGHBOURS:
        raise InputError("neighbour", neighbour, " | ".join(NEIGHBOURS))
    if coupling not in COUPLINGS:
        raise InputError("coupling", coupling, " | ".join(COUPLINGS))
    if measure not in MEASURES:
        raise InputError("measure", measure, " | ".join(MEASURES))
    if not isinstance(scheme, Scheme):
        scheme = get_scheme(scheme, n, lam)
    check_int("--generations", generations, 0)
    check_int("--replicates", replicates, 2)
    streams = ReplicateStreams(seed, replicates, first)
    # Chain B gets its own copy of the streams: every purpose it reads (subsampling keys,
    # a learner's randomness) then yields the same numbers as for chain A.
    twin = ReplicateStreams(seed, replicates, first)
    s0 = model.draw_real(streams, scheme.n, purpose="real")
    s0b = s0.copy()
    s0b[:, 0] = _replacement(model, streams, s0[:, 0], neighbour)
    a = scheme.start(model, s0, streams)
    b = scheme.start(model, s0b, twin)

    by_density = coupling == "maximal-density"
    if by_density:
        from stl.numerics.models._density import maximal_coupling

        def couple(pa, pb, count, purpose):
            return maximal_coupling(model, pa, pb, streams, count, purpose)
        coupling = "maximal"
    else:
        couple = functools.partial(model.sample_coupled, streams=streams)
        coupling = model.effective_coupling
    exact = model.tv_exact or measure == "tv"
    total = generations + 1
    gamma = np.empty((replicates, total))
    differ = np.full((replicates, total), np.nan)

    def measure_at(j):
        if exact:
            gamma[:, j] = model.tv([(1.0, a.params)], [(1.0, b.params)], streams)
        else:
            _, _, d = couple(a.params, b.params, count=measure_draws, purpose="coupling-measure")
            gamma[:, j] = d.mean(axis=1)

    measure_at(0)
    if progress:
        progress(1, total)
    for j in range(1, total):
        if scheme.n_s:
            xa, xb, d = couple(a.params, b.params, count=scheme.n_s, purpose="coupling")
            differ[:, j] = d.mean(axis=1)
        else:
            xa = xb = model.sample(a.params, streams, 0)
            differ[:, j] = 0.0
        real = model.draw_real(streams, scheme.fresh_real, purpose="real") if scheme.fresh_real else None
        a.step(xa, real)
        b.step(xb, real)
        measure_at(j)
        if progress:
            progress(j + 1, total)

    if measure == "tv" and not model.tv_exact:
        how = (f"the model's TV estimator (Monte Carlo, {model.probe_size} draws; the one tau_n uses) "
               "between the two chains' fitted laws")
    elif exact:
        how = "exact d_TV (closed form or quadrature) between the two chains' fitted laws"
    elif coupling == "maximal":
        how = f"fraction of differing pairs in {measure_draws} maximally coupled draws (unbiased for E d_TV)"
    elif coupling == "upper":
        how = (f"fraction of differing pairs in {measure_draws} draws of a valid non-maximal coupling "
               "(an UPPER estimate of E d_TV)")
    else:
        how = f"fraction of differing pairs in {measure_draws} synchronously coupled draws"
    coupling_text = {"maximal": ("recursive maximal coupling" + (" (built from the model's sampler and exact "
                                                                 "density by rejection)" if by_density else "")),
                     "upper": ("recursive coupling, each synthetic draw coupled part by part (valid for T1; "
                               "its differing fraction is an upper estimate of the maximal coupling's)"),
                     "synchronous": "PROXY: synchronous coupling (same noise), not the maximal coupling of D3",
                     }[coupling]
    replaced = ("a fresh real point" if neighbour == "random"
                else "the first fresh real point that differs from it")
    method = (f"gamma: {how}, chains from S_0 and S_0 with point 0 replaced by {replaced}, "
              f"{coupling_text}, scheme {scheme.name}, n={scheme.n}, n_s={scheme.n_s}; "
              + ("the neighbour is random, so this is the expectation over neighbours that T1's proof uses "
                 "and a lower estimate of the supremum over S_0 ~ S_0' in D3" if neighbour == "random" else
                 "the expectation over distinct neighbours, a lower estimate of the supremum in D3 (equal "
                 "to it where every distinct neighbour is a worst case, as for the categorical MLE)"))
    return Estimate.from_replicates("gamma", gamma, streams.replicate_ids, method, confidence=confidence,
                                    proxy=coupling == "synchronous", details={"synthetic_differ": differ},
                                    bounds=(0.0, 1.0))
