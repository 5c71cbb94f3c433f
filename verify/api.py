"""The Python API behind ``stl.derive``, ``stl.simulate``, ``stl.bound`` and ``stl.verify``.

Each function does what the command of the same name does, with the same defaults and
the same numbers for the same seed, and returns an object instead of printing:

* :func:`derive` — the derivation (``Derivation``: steps and result), or its result as a
  :class:`~stl.theory.bound.Bound` after ``subs``/``limit`` (values parsed by the safe
  parser, as ``--subs`` is);
* :func:`simulate` — a :class:`~stl.numerics.trajectory.Trajectory` (``to_records()``,
  ``to_frame()`` with pandas, raw ``values[metric]`` of shape ``(R, G + 1)``);
* :func:`bound` — a :class:`Table` of ``gen_gap``, both T1 bounds and the terms, which
  also draws T1's figure (:meth:`Table.plot`);
* :func:`verify` — the report of a suite (the ``report.json`` document), written to
  ``out`` with its figures when given.

A ``lam`` the scheme does not use raises a :class:`UserWarning` (the command prints the
same line on stderr).

>>> import stl
>>> traj = stl.simulate("categorical", n=20, generations=2, replicates=10, params={"k": 3})
>>> traj.values["heterozygosity"].shape, traj.config["model"]
((10, 3), 'categorical')
>>> str(stl.derive("shift", subs={"lam": "1/2"}, limit={"i": "oo"}).expr)
'2*d_tv'
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _texts(params: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(k): v if isinstance(v, str) else str(v) for k, v in dict(params or {}).items()}


def derive(name: str, *, subs: Mapping[str, Any] | None = None, limit: Mapping[str, Any] | None = None):
    """The derivation ``name`` (as ``stl derive NAME``); with ``subs`` or ``limit`` its result
    (a ``Bound``) after substituting and taking the limits in order."""
    from stl.theory import results

    deriv = results.get(name)
    if not subs and not limit:
        return deriv
    bound = deriv.result
    if subs:
        bound = bound.subs({k: v if isinstance(v, str) else str(v) for k, v in subs.items()})
    for symbol, value in dict(limit or {}).items():
        bound = bound.limit(symbol, value if isinstance(value, str) else str(value))
    return bound


def _warn_lam(scheme: str, lam: float | None) -> None:
    from stl.verify.cli.common import ignored_lam_warning

    text = ignored_lam_warning(scheme, lam)
    if text:
        warnings.warn(text, UserWarning, stacklevel=3)


def simulate(model: str, *, scheme: str = "mix", n: int | None = None, lam: float | None = None,
             generations: int = 10, replicates: int | None = None, seed: int = 0,
             params: Mapping[str, Any] | None = None, metrics: Sequence[str] | None = None,
             device: str = "auto", pool_risk: str = "subsample"):
    """Run a loop as ``stl simulate`` does; ``n``/``replicates`` default to the model's own,
    ``lam`` to 0.5. Returns the :class:`~stl.numerics.trajectory.Trajectory`, its
    ``config`` holding what ``stl simulate`` records (with provenance)."""
    from stl.verify.provenance import provenance
    from stl.verify.run import RunSpec

    spec = RunSpec(model, _texts(params), scheme, n, lam, generations, replicates, seed, metrics,
                   pool_risk, device)
    s = spec.scheme_built
    _warn_lam(s.name, lam)
    traj = spec.run()
    traj.config.update({"command": "simulate", "lam_effective": None if s.name.startswith("accumulate") else s.lam,
                        "provenance": provenance(device=spec.model_built.device, seed=seed, command=None)})
    return traj


@dataclass(frozen=True)
class Table:
    """Tidy records with their config — what a command's ``--format json`` prints —
    plus per-replicate rows where the command has them."""

    config: Mapping[str, Any]
    records: list[dict[str, Any]]
    replicate_rows: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"config": ..., "records": [...]}`` (DESIGN.md)."""
        return {"config": dict(self.config), "records": list(self.records)}

    def to_frame(self, per_replicate: bool = False):
        """A pandas ``DataFrame`` of the records (or the per-replicate rows), the config in
        ``frame.attrs["config"]``; needs pandas."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Table.to_frame needs pandas (pip install pandas)") from None
        frame = pd.DataFrame(self.replicate_rows if per_replicate else self.records)
        frame.attrs["config"] = dict(self.config)
        return frame

    def plot(self, out: str | Path, **options: Any):
        """Draw the table as ``stl plot`` does (:func:`stl.verify.research.plots.plot_table`; for a
        bound, measured ``E gen_i`` against the T1 bounds); returns what was drawn."""
        from stl.verify.research.plots import plot_table

        return plot_table(self.config, self.records, out=out, **options)


def bound(model: str, *, n: int | None = None, lam: float | None = None, generations: int = 10,
          replicates: int | None = None, seed: int = 0, params: Mapping[str, Any] | None = None,
          scheme: str = "mix", est_replicates: int | None = None, metrics: Sequence[str] | None = None) -> Table:
    """Measured ``E gen_i`` beside the T1 bound, as ``stl bound`` computes it.

    >>> import stl, tempfile, pathlib
    >>> t = stl.bound("categorical", n=20, generations=2, replicates=20, est_replicates=5, params={"k": 3})
    >>> sorted({r["metric"] for r in t.records})[:3]
    ['bound_analytic', 'bound_estimated', 'gen_gap']
    >>> t.plot(pathlib.Path(tempfile.mkdtemp()) / "t1.png").metrics
    ('gen_gap', 'bound_analytic', 'bound_estimated')
    """
    from stl.verify.cli.cmd_bound import T1_SCHEMES, bound_records
    from stl.verify.errors import InputError
    from stl.verify.provenance import provenance
    from stl.verify.run import RunSpec

    if scheme not in T1_SCHEMES:
        raise InputError("--scheme", scheme, "mix or replace (T1 is stated for these schemes)")
    texts = _texts(params)
    spec = RunSpec(model, texts, scheme, n, lam, generations, replicates, seed)
    m, s = spec.model_built, spec.scheme_built
    _warn_lam(s.name, lam)
    est = int(est_replicates or min(spec.replicates_resolved, 200))
    from stl.verify.checks.loops import param_texts

    records, extra = bound_records(spec, {**param_texts(m), **texts}, est,
                                   metrics=None if metrics is None else tuple(metrics))
    rows = extra.pop("replicate_rows")
    config = {**spec.config(command="bound", device_requested=False), "est_replicates": est, **extra,
              "provenance": provenance(device=m.device, seed=seed, command=None)}
    return Table(config, records, rows)


def verify(suite: str | Sequence[str] = "quick", *, seed: int = 0, out: str | Path | None = None,
           workers: int = 1, figures: bool = True) -> dict[str, Any]:
    """Run a suite (or check names) as ``stl verify`` does and return its report
    (``suite``, ``seed``, ``checks``, ``summary`` and how the run went); with ``out``, write
    ``report.json``, ``report.md`` and the figures there."""
    import time

    from stl.verify.plumbing.backends import make_backend
    from stl.verify.provenance import provenance
    from stl.verify.report import build_report, devices_used
    from stl.verify.runner import run_checks
    from stl.verify.suites import refuse_without_cuda, resolve

    names = [suite] if isinstance(suite, str) else list(suite)
    refuse_without_cuda(names)
    checks = resolve(names)
    start = time.perf_counter()
    with make_backend("local", workers) as backend:
        run = run_checks(checks, seed, backend)
        backend_text = backend.describe()
    report = build_report(" ".join(names), seed, run.results, total_runtime_s=time.perf_counter() - start,
                          backend=backend_text, provenance=provenance(device=devices_used(run.results), seed=seed,
                                                                    command=None))
    if out is not None:
        from stl.verify.report import write_report

        write_report(out, report, figures=figures)
    return report
