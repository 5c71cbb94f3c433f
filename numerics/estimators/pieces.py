"""The three pieces of T1's proof, measured separately on the loop (THEORY.md T1).

For generation ``i ≥ 1`` the training set ``S̃_i`` is ``n_r`` real points ``R`` and ``n_s``
synthetic points drawn from the parent ``P_{θ_{i−1}}``, so (``λ = n_r/n``)

    gen_i = λ (R_{D_0} − R̂_R) + (1 − λ)(R_{D_0} − R_P) + (1 − λ)(R_P − R̂_syn)
          =        (a)        +         (b)            +          (c)

with every risk taken at ``θ_i`` and ``R_P`` the risk under the parent's law. T1 bounds
each expectation on its own: (a) by ``λ β_n (1 + n_s γ_n^{i−1})``, (b) by
``(1 − λ) M E d_TV(P_{θ_{i−1}}, D_0)`` (and L1), (c) by ``(1 − λ) β_n``. This estimator
measures the three per replicate — ``R_{D_0}`` by :meth:`Model.risk`, ``R_P`` by
:meth:`Model.risk_under` (both exact for the classical models), the empirical risks on
the real and the synthetic part of the training set — and also ``a_{i−1} = d_TV(P_{θ_{i−1}},
D_0)`` for piece (b)'s bound. The three pieces add up to the loop's ``gen_gap`` exactly.

>>> from stl.numerics.models.registry import get_model
>>> est = estimate_t1_pieces(get_model("categorical", {"k": "3"}), "mix", n=20, lam=0.5,
...                          generations=2, replicates=50, seed=0)
>>> sorted(est), est["a"].value.shape
(['a', 'b', 'c', 'shift_tv'], (3,))
"""

from __future__ import annotations

import numpy as np

from stl.numerics.errors import InputError, check_int
from stl.numerics.estimators.estimate import Estimate
from stl.numerics.loop import iterate
from stl.numerics.models.base import REAL, Model
from stl.numerics.rng import ReplicateStreams
from stl.numerics.schemes import Scheme, get_scheme

#: Schemes whose training set is ``n_r`` real points followed by ``n_s`` synthetic ones.
PIECE_SCHEMES = ("mix", "replace", "fresh")


def estimate_t1_pieces(model: Model, scheme: Scheme | str, n: int, lam: float, generations: int,
                       replicates: int, seed: int, first: int = 0, *,
                       confidence: float = 0.95) -> dict[str, Estimate]:
    """Per generation ``i = 0..generations``: pieces ``a``, ``b``, ``c`` (``nan`` at ``i = 0``)
    and ``shift_tv`` (``d_TV(P_{θ_{i−1}}, D_0)``, ``nan`` at ``i = 0``), each an :class:`Estimate`."""
    if not isinstance(scheme, Scheme):
        scheme = get_scheme(scheme, n, lam)
    if scheme.name not in PIECE_SCHEMES:
        raise InputError("--scheme", scheme.name, " | ".join(PIECE_SCHEMES) + " (a real part and a synthetic part)")
    check_int("--generations", generations, 0)
    check_int("--replicates", replicates, 2)
    streams = ReplicateStreams(seed, replicates, first)
    lam_eff, n_r = scheme.lam, scheme.n_r
    total = generations + 1
    out = {key: np.full((replicates, total), np.nan) for key in ("a", "b", "c", "shift_tv")}
    parent = None
    for j, params, train, _ in iterate(model, scheme, generations, streams):
        if j >= 1:
            risk = model.risk(params, streams)
            risk_parent = model.risk_under(params, parent, streams)
            real_part = model.loss(params, train[:, :n_r]).mean(axis=1) if n_r else risk
            synthetic = model.loss(params, train[:, n_r:]).mean(axis=1)
            out["a"][:, j] = lam_eff * (risk - real_part)
            out["b"][:, j] = (1.0 - lam_eff) * (risk - risk_parent)
            out["c"][:, j] = (1.0 - lam_eff) * (risk_parent - synthetic)
            out["shift_tv"][:, j] = model.tv([(1.0, parent)], [(1.0, REAL)], streams)
        parent = params
    texts = {
        "a": "lambda (R_D0 - Rhat_R) at theta_i: the real-subset piece (a) of T1's proof",
        "b": "(1 - lambda)(R_D0 - R_P) at theta_i, R_P the risk under the parent's law: the shift piece (b)",
        "c": "(1 - lambda)(R_P - Rhat_syn) at theta_i: the synthetic piece (c)",
        "shift_tv": "d_TV(P_theta_{i-1}, D_0), the parent's distance to the real law (bounds piece (b) with M)",
    }
    bounds = {"shift_tv": (0.0, 1.0)}
    return {key: Estimate.from_replicates(key, values, streams.replicate_ids,
                                          f"{texts[key]}; scheme {scheme.name}, n={scheme.n}, n_r={n_r}",
                                          confidence=confidence, bounds=bounds.get(key))
            for key, values in out.items()}
