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
    from stl.verify.run import RunSpec

    spec = RunSpec(model, params, scheme, n, lam, generations, count, seed, metrics, device="cpu")
    traj = spec.run(first=first)
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
        out.update(differ=np.asarray(est.details["synthetic_differ"]), coupling=m.effective_coupling,
                   maximal=m.effective_coupling == "maximal", tv_exact=bool(m.tv_exact))
    return out


# --------------------------------------------------------------------------------------
# validation before anything runs
# --------------------------------------------------------------------------------------

def _validate_run(model: str, params: Mapping[str, str], scheme: str, n: int, lam: float, generations: int,
                  seed: int, first: int, count: int, min_count: int = 1, models: dict | None = None):
    """The checks ``run_loop`` and the estimators make, without running: the model and its
    parameters, the scheme and its sizes, the generations, the seed and the replicate block."""
    from stl.numerics.errors import check_int
    from stl.numerics.schemes import get_scheme

    m = validate_model(model, params, models)
    get_scheme(scheme, n, lam)
    check_int("generations", generations, 0)
    check_int("seed", seed, 0)
    check_int("first replicate", first, 0)
    check_int("replicates of a block", count, min_count)
    return m


class _Declared:
    """A model checked against its declaration only (its class's ``param_specs`` and
    ``metric_names``): models that need torch are not built while a suite is built."""

    def __init__(self, cls, params: Mapping[str, str]):
        from stl.numerics.models.base import parse_params

        self.cls = cls
        self.params = parse_params(cls.name, cls.param_specs, {k: str(v) for k, v in dict(params).items()})

    def check_metrics(self, names):
        from stl.numerics.errors import InputError

        if names is None:
            return tuple(self.cls.metric_names)
        unknown = [m for m in names if m not in self.cls.metric_names]
        if unknown:
            raise InputError("--metric", ", ".join(unknown),
                             f"a metric of {self.cls.name}: " + ", ".join(self.cls.metric_names))
        return tuple(names)


def validate_model(model: str, params: Mapping[str, str], models: dict | None = None):
    """The model built from ``params`` (every value validated) — or, for a model that needs
    torch, checked against its declaration without importing torch.

    ``models``: a dictionary kept by the caller for one validation pass, so each distinct
    model and parameters are looked up and built once (finding a model's class reads the
    installed packages' entry points).
    """
    from stl.numerics.models.registry import model_class

    key = (model, tuple(sorted((str(k), str(v)) for k, v in dict(params).items())))
    if models is not None and key in models:
        return models[key]
    cls = model_class(model)
    built = _Declared(cls, params) if "torch" in tuple(getattr(cls, "requires", ())) else build_model(model, params)
    if models is not None:
        models[key] = built
    return built


def validate_loop_block(model: str, params: Mapping[str, str], scheme: str, n: int, lam: float,
                        generations: int, seed: int, first: int, count: int,
                        metrics: Sequence[str] | None = None, models: dict | None = None) -> None:
    """:func:`loop_block`'s arguments checked against the code it calls (nothing runs)."""
    m = _validate_run(model, params, scheme, n, lam, generations, seed, first, count, models=models)
    m.check_metrics(None if metrics is None else tuple(metrics))


def validate_estimator_block(estimator: str, model: str, params: Mapping[str, str], scheme: str, n: int,
                             lam: float, generations: int, seed: int, first: int, count: int,
                             options: Mapping | None = None, models: dict | None = None) -> None:
    """:func:`estimator_block`'s arguments checked against the estimator it calls.

    Every estimator needs two replicates per block (a standard error); its options must
    be keyword arguments it takes; ``pieces`` needs a scheme with a real and a synthetic
    part; ``gamma``'s ``neighbour`` is one the estimator knows.
    """
    import inspect

    from stl.numerics import estimators as E
    from stl.numerics.errors import InputError, check_int
    from stl.numerics.estimators.pieces import PIECE_SCHEMES
    from stl.numerics.estimators.recursive import NEIGHBOURS
    from stl.numerics.schemes import get_scheme

    functions = {"beta": E.estimate_beta, "tau": E.estimate_tau, "gamma": E.estimate_gamma,
                 "dtv": E.estimate_dtv, "pieces": E.estimate_t1_pieces}
    if estimator not in functions:
        raise InputError("estimator", estimator, ", ".join(ESTIMATORS))
    _validate_run(model, params, scheme, n, lam, generations, seed, first, count, min_count=2, models=models)
    opts = dict(options or {})
    parameters = inspect.signature(functions[estimator]).parameters.values()
    accepted = {par.name for par in parameters if par.kind is inspect.Parameter.KEYWORD_ONLY} - {"progress"}
    open_ended = any(par.kind is inspect.Parameter.VAR_KEYWORD for par in parameters)  # a wrapper
    unknown = [] if open_ended else sorted(set(opts) - accepted)
    if unknown:
        raise InputError(f"{estimator} options", ", ".join(unknown), ", ".join(sorted(accepted)))
    for key in ("neighbours", "probes", "measure_draws"):
        if key in opts:
            check_int(key, opts[key], 1)
    if estimator == "gamma" and opts.get("neighbour", "random") not in NEIGHBOURS:
        raise InputError("neighbour", opts["neighbour"], " | ".join(NEIGHBOURS))
    if estimator == "pieces" and get_scheme(scheme, n, lam).name not in PIECE_SCHEMES:
        raise InputError("scheme", scheme, " | ".join(PIECE_SCHEMES) + " (a real part and a synthetic part)")


#: The validator of each task function of this module (by the function itself, not a name).
_VALIDATORS = {loop_block: validate_loop_block, estimator_block: validate_estimator_block}


def validate_task(task, models: dict | None = None) -> None:
    """A task's arguments checked against what its function will call, without running it.

    :func:`loop_block` and :func:`estimator_block` have full validators; any other task
    function that names a ``model`` and its ``params`` has the model built (its
    parameters are validated against the model's declaration) and its replicate block
    checked. ``InputError`` on the first problem.
    """
    kwargs = dict(task.kwargs)
    validator = _VALIDATORS.get(task.fn)
    if validator is not None:
        validator(**kwargs, models=models)
        return
    if "model" in kwargs and "params" in kwargs:
        validate_model(kwargs["model"], kwargs["params"], models)
    from stl.numerics.errors import check_int

    for key, low in (("first", 0), ("count", 1), ("seed", 0)):
        if key in kwargs:
            check_int(key, kwargs[key], low)


def validate_tasks(tasks) -> None:
    """:func:`validate_task` for each task, once per distinct set of arguments (blocks of the
    same run differ only in ``first`` and ``count``; each distinct count is checked)."""
    from stl.verify.plumbing.frozen import thaw

    seen, models = set(), {}
    for task in tasks:
        signature = (task.fn, repr(sorted((k, thaw(v)) for k, v in task.kwargs.items() if k != "first")))
        if signature in seen:
            continue
        seen.add(signature)
        validate_task(task, models)


def pool_metric(outputs: Sequence[Mapping[str, np.ndarray]], metric: str) -> np.ndarray:
    """Rows of ``metric`` from several :func:`loop_block` outputs, in block order."""
    return pool_rows([o[metric] for o in outputs])


def pool_estimator(outputs: Sequence[Mapping]) -> tuple[np.ndarray, str, bool]:
    return pool_rows([o["values"] for o in outputs]), outputs[0]["method"], outputs[0]["proxy"]
