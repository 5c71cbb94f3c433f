"""Task functions that run the numeric layer on one replicate block.

Each function takes only plain values (model name, ``--param`` strings, sizes, seed,
replicate block) so it pickles to any worker, builds the model there, and returns plain
NumPy arrays with a leading replicate axis. Because :mod:`stl.numerics` derives replicate
``r``'s randomness from ``(seed, r)``, the rows do not depend on the block split.

>>> out = loop_block("categorical", {"k": "3"}, "mix", 20, 0.5, 2, seed=0, first=0, count=4,
...                  metrics=("gen_gap",))
>>> out["gen_gap"].shape
(4, 3)
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from stl.verify.checks.blocks import pool_rows

#: Which estimator functions :func:`estimator_block` may call (name → numerics function).
ESTIMATORS: tuple[str, ...] = ("beta", "tau", "gamma", "dtv", "pieces")


def build_model(model: str, params: Mapping[str, str]):
    from stl.numerics.models.registry import get_model

    return get_model(model, {k: str(v) for k, v in dict(params).items()}, device="cpu")


def param_texts(model) -> dict[str, str]:
    """A built model's scalar parameters as ``--param`` strings (defaults included).

    Arrays (e.g. the categorical ``probs``) and unset values are left out: theory's
    constants take the scalar parameters (``k``, ``dim``, ...).
    """
    out = {}
    for key, value in model.params.items():
        if value is None or isinstance(value, (np.ndarray, list, tuple)):
            continue
        out[key] = str(value)
    return out


def loop_block(model: str, params: Mapping[str, str], scheme: str, n: int, lam: float,
               generations: int, seed: int, first: int, count: int,
               metrics: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """``run_loop`` on replicates ``[first, first + count)``: ``metric → (count, G + 1)``."""
    from stl.numerics.loop import run_loop

    traj = run_loop(build_model(model, params), scheme, n=n, lam=lam, generations=generations,
                    replicates=count, seed=seed, first=first,
                    metrics=None if metrics is None else tuple(metrics))
    return {m: np.asarray(v) for m, v in traj.values.items()}


def estimator_block(estimator: str, model: str, params: Mapping[str, str], scheme: str, n: int,
                    lam: float, generations: int, seed: int, first: int, count: int,
                    options: Mapping | None = None) -> dict:
    """One numerics estimator on a replicate block: ``{"values": per-replicate array, "method", "proxy"}``.

    For ``gamma`` also ``differ`` (the per-generation fraction of differing synthetic
    draws, which T1 accepts in place of γ — D3) and whether the model has a maximal
    coupling and exact TV (then ``values`` is the exact coupled TV).
    """
    from stl.numerics import estimators as E

    m = build_model(model, params)
    opts = dict(options or {})
    if estimator == "beta":
        est = E.estimate_beta(m, n, count, seed, first, **opts)
    elif estimator == "tau":
        est = E.estimate_tau(m, n, count, seed, first, **opts)
    elif estimator == "gamma":
        est = E.estimate_gamma(m, scheme, n, lam, generations, count, seed, first, **opts)
    elif estimator == "dtv":
        est = E.estimate_dtv(m, scheme, n, lam, generations, count, seed, first, **opts)
    elif estimator == "pieces":
        pieces = E.estimate_t1_pieces(m, scheme, n, lam, generations, count, seed, first, **opts)
        return {key: np.asarray(e.per_replicate) for key, e in pieces.items()} | {
            "method": pieces["a"].method}
    else:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}")
    out = {"values": np.asarray(est.per_replicate), "method": est.method, "proxy": bool(est.proxy)}
    if estimator == "gamma":
        out.update(differ=np.asarray(est.details["synthetic_differ"]), coupling=m.coupling,
                   maximal=m.coupling == "maximal", tv_exact=bool(m.tv_exact))
    return out


def pool_metric(outputs: Sequence[Mapping[str, np.ndarray]], metric: str) -> np.ndarray:
    """Rows of ``metric`` from several :func:`loop_block` outputs, in block order."""
    return pool_rows([o[metric] for o in outputs])


def pool_estimator(outputs: Sequence[Mapping]) -> tuple[np.ndarray, str, bool]:
    return pool_rows([o["values"] for o in outputs]), outputs[0]["method"], outputs[0]["proxy"]
