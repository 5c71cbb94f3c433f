"""Sweeps: the product grid of ``stl simulate`` runs, as one tidy table.

A :class:`Grid` is a model, the axes that vary (``scheme``, ``n``, ``lam``, ``seed`` and
any model parameter) and what stays fixed (generations, replicates, device, metrics).
Each :class:`Cell` of the grid is run by :func:`run_cell` *exactly as* ``stl simulate``
runs it (same model construction, scheme sizing and :func:`stl.numerics.loop.run_loop`
call), so a sweep cell and the corresponding ``simulate`` give identical records. Cells
are independent tasks: a backend (:mod:`stl.verify.plumbing.backends`) runs them on one worker,
a process pool or a Dask cluster, and because a cell's randomness comes only from its
seed, the table is bit-identical however the cells were spread.

The table is tidy: one row per (cell, generation, metric) with the cell's parameters as
columns, then ``generation, metric, mean, stderr, n_replicates`` (DESIGN.md records).
Finished cells are stored one file each in a :class:`CellStore` beside the output
(``grid.parquet.cells/``), so an interrupted sweep resumes cell by cell, and a grid
extended with new values computes only the new cells.

>>> grid = Grid.build("categorical", axes={"n": (20, 40), "lam": (0.5,), "k": ("3",)},
...                   generations=1, replicates=4)
>>> [c.label() for c in grid.cells()]
['n=20', 'n=40']
>>> rows = table_rows(grid, {c.fingerprint(): run_cell(**c.task_kwargs()) for c in grid.cells()})
>>> sorted({r["n"] for r in rows}), rows[0]["metric"]
([20, 40], 'heterozygosity')
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stl.verify.errors import CorruptResultError, InputError
from stl.verify.plumbing.frozen import FrozenDict

#: Axes a sweep can vary besides the model parameters, in the order cells are listed.
RUN_AXES: tuple[str, ...] = ("scheme", "n", "lam", "seed")
#: Record fields (DESIGN.md) that end every row; no cell column may take these names.
RECORD_FIELDS: tuple[str, ...] = ("generation", "metric", "mean", "stderr", "n_replicates")
#: Cell columns derived from the run (after the axes and parameters).
RUN_COLUMNS: tuple[str, ...] = ("model", "scheme", "n", "lam", "lam_effective", "n_r", "n_s", "seed",
                                "generations", "replicates", "device")
#: Most cells one sweep may have (a larger grid is almost certainly a typing mistake).
MAX_CELLS = 10_000
CELL_FORMAT = "stl-sweep-cell/1"


@dataclass(frozen=True)
class Cell:
    """One point of the grid: everything ``stl simulate`` needs for one run."""

    model: str
    params: Mapping[str, str]
    scheme: str
    n: int
    lam: float
    seed: int
    generations: int
    replicates: int
    device: str = "auto"
    metrics: tuple[str, ...] | None = None
    varying: tuple[str, ...] = ()
    pool_risk: str = "subsample"
    per_replicate: bool = False

    def __post_init__(self):
        object.__setattr__(self, "params", FrozenDict(self.params))

    def task_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`run_cell` (plain values: they pickle to any worker).

        ``pool_risk`` is there only for ``accumulate`` (the one scheme it changes) and
        ``per_replicate`` only when set, so other cells keep their fingerprints.
        """
        kwargs = {"model": self.model, "params": dict(self.params), "scheme": self.scheme, "n": self.n,
                  "lam": self.lam, "generations": self.generations, "replicates": self.replicates,
                  "seed": self.seed, "device": self.device,
                  "metrics": None if self.metrics is None else list(self.metrics)}
        if self.scheme == "accumulate":
            kwargs["pool_risk"] = self.pool_risk
        if self.per_replicate:
            kwargs["per_replicate"] = True
        return kwargs

    def fingerprint(self) -> str:
        """What identifies the cell's result (its run, and the toolkit version)."""
        from stl.verify import __version__
        from stl.verify.store import digest

        return digest({"format": CELL_FORMAT, "version": __version__, **self.task_kwargs()})

    def label(self) -> str:
        """The varying parameters, for progress lines and pretty output."""
        values = {**{a: getattr(self, a) for a in RUN_AXES}, **dict(self.params)}
        return " ".join(f"{k}={values[k]}" for k in self.varying) or "the one cell"


@dataclass(frozen=True)
class Grid:
    """A model, the axes of its grid and what every cell shares."""

    model: str
    axes: Mapping[str, tuple]  # axis name -> values (RUN_AXES or a model parameter)
    generations: int
    replicates: int
    device: str = "auto"
    metrics: tuple[str, ...] | None = None
    fixed_params: Mapping[str, str] = field(default_factory=dict)
    pool_risk: str = "subsample"
    per_replicate: bool = False

    def __post_init__(self):
        object.__setattr__(self, "axes", FrozenDict({k: tuple(v) for k, v in self.axes.items()}))
        object.__setattr__(self, "fixed_params", FrozenDict(self.fixed_params))

    @classmethod
    def build(cls, model: str, axes: Mapping[str, Sequence], generations: int, replicates: int,
              device: str = "auto", metrics: Sequence[str] | None = None, *, pool_risk: str = "subsample",
              per_replicate: bool = False) -> Grid:
        """A grid from axis lists; ``scheme``, ``n``, ``lam``, ``seed`` default to mix, the
        model's ``default_n``, 0.5 and 0. Every other axis is a model parameter (strings)."""
        axes = {str(k): tuple(v) for k, v in axes.items()}
        for name, values in axes.items():
            if not values:
                raise InputError(_arg(name), "no values", "at least one value")
            if len(set(map(str, values))) != len(values):
                raise InputError(_arg(name), ",".join(map(str, values)), "each value once")
        fixed = {k: str(v[0]) for k, v in axes.items() if k not in RUN_AXES and len(v) == 1}
        size = math.prod(len(v) for v in axes.values())
        if size > MAX_CELLS:
            raise InputError("--n/--lam/--param", f"a grid of {size} cells", f"at most {MAX_CELLS} cells")
        return cls(model, axes, int(generations), int(replicates), device,
                   None if metrics is None else tuple(metrics), fixed, pool_risk, bool(per_replicate))

    def param_names(self) -> tuple[str, ...]:
        return tuple(k for k in self.axes if k not in RUN_AXES)

    def varying(self) -> tuple[str, ...]:
        return tuple(k for k in (*RUN_AXES, *self.param_names()) if len(self.axes.get(k, ())) > 1)

    def cells(self) -> tuple[Cell, ...]:
        """Every cell, in a fixed order: the run axes, then the parameters, last fastest."""
        from stl.numerics.models.registry import model_class

        names = [*(a for a in RUN_AXES), *self.param_names()]
        default_n = getattr(model_class(self.model), "default_n", 100)
        defaults = {"scheme": ("mix",), "n": (int(default_n),), "lam": (0.5,), "seed": (0,)}
        lists = [self.axes.get(k, defaults.get(k)) for k in names]
        varying = self.varying()
        out = []
        for combo in itertools.product(*lists):
            v = dict(zip(names, combo))
            params = {k: str(v[k]) for k in self.param_names()}
            out.append(Cell(self.model, params, str(v["scheme"]), int(v["n"]), float(v["lam"]), int(v["seed"]),
                            self.generations, self.replicates, self.device, self.metrics, varying,
                            self.pool_risk, self.per_replicate))
        return tuple(out)

    def describe(self) -> dict[str, Any]:
        return {"model": self.model, "axes": {k: list(v) for k, v in self.axes.items()},
                "generations": self.generations, "replicates": self.replicates, "device": self.device,
                "metrics": None if self.metrics is None else list(self.metrics),
                "cells": len(self.cells()), "varying": list(self.varying())}


def _arg(axis: str) -> str:
    return f"--{axis}" if axis in RUN_AXES else f"--param {axis}"


def build_cell_model(cell: Cell):
    """The model and scheme of a cell, built as ``stl simulate`` builds them."""
    from stl.verify.run import RunSpec

    spec = RunSpec(cell.model, cell.params, cell.scheme, cell.n, cell.lam, device=cell.device)
    return spec.model_built, spec.scheme_built


def run_cell(model: str, params: Mapping[str, str], scheme: str, n: int, lam: float, generations: int,
             replicates: int, seed: int, device: str = "auto", metrics: Sequence[str] | None = None,
             pool_risk: str = "subsample", per_replicate: bool = False) -> dict:
    """One cell, exactly as ``stl simulate`` runs it: ``{"records": [...], "run": {...}}``
    (and ``"replicates"``, one row per generation, replicate and metric, with ``per_replicate``).

    ``run`` holds what the scheme and the model made of the cell (effective λ, ``n_r``,
    ``n_s``, the device used, the typed parameters).
    """
    from stl.verify.run import RunSpec

    spec = RunSpec(model, params, scheme, n, lam, generations, replicates, seed, metrics, pool_risk, device)
    traj = spec.run()
    config = spec.config()
    run = {k: config[k] for k in ("lam_effective", "n_r", "n_s", "device", "params")}
    out = {"records": traj.to_records(), "run": run}
    if per_replicate:
        out["replicates"] = traj.replicate_records()
    return out


# --------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------

def _typed(values: Sequence[str]) -> list:
    """A parameter column with one type: all integers, else all numbers, else text."""
    for convert in (int, float):
        try:
            return [convert(v) for v in values]
        except (TypeError, ValueError):
            continue
    return [str(v) for v in values]


def column_names(grid: Grid) -> dict[str, str]:
    """Parameter name -> column name (``param_K`` where ``K`` is a run or record column)."""
    taken = set(RUN_COLUMNS) | set(RECORD_FIELDS)
    return {k: (f"param_{k}" if k in taken else k) for k in grid.param_names()}


def table_rows(grid: Grid, outputs: Mapping[str, Mapping], per_replicate: bool = False) -> list[dict[str, Any]]:
    """The tidy table: for each cell (grid order) and each of its records, one row; with
    ``per_replicate``, one row per generation, replicate and metric (``value``)."""
    cells = grid.cells()
    cols = column_names(grid)
    typed = {k: _typed([c.params[k] for c in cells]) for k in grid.param_names()}
    rows = []
    for index, cell in enumerate(cells):
        out = outputs[cell.fingerprint()]
        run = out["run"]
        base = {"model": cell.model, "scheme": cell.scheme, "n": cell.n, "lam": cell.lam,
                "lam_effective": run["lam_effective"], "n_r": run["n_r"], "n_s": run["n_s"], "seed": cell.seed,
                "generations": cell.generations, "replicates": cell.replicates, "device": run["device"]}
        for k in grid.param_names():
            base[cols[k]] = typed[k][index]
        if per_replicate:
            rows += [{**base, **r} for r in out["replicates"]]
            continue
        for r in out["records"]:
            rows.append({**base, **{f: r[f] for f in RECORD_FIELDS}})
    return rows


def sweep_config(grid: Grid, provenance: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The table's ``config``: the grid, which columns are cell parameters, provenance."""
    cols = column_names(grid)
    config = {"command": "sweep", **grid.describe(),
              "cell_columns": [*RUN_COLUMNS, *cols.values()],
              "param_columns": cols}
    if provenance is not None:
        config["provenance"] = dict(provenance)
    return config


def write_table(out: str | Path, config: Mapping[str, Any], rows: list[dict[str, Any]]) -> None:
    """Write the table atomically as ``.json`` (``{"config", "records"}``), ``.csv`` or ``.parquet``."""
    from stl.kernel.atomic import write_bytes_atomic, write_text_atomic
    from stl.kernel.jsonclean import to_json

    out = Path(out)
    suffix = out.suffix.lower()
    try:
        if suffix == ".json":
            write_text_atomic(out, to_json({"config": dict(config), "records": rows}))
        elif suffix == ".csv":
            from stl.numerics.trajectory import records_to_csv

            write_text_atomic(out, records_to_csv(rows, dict(config)))
        elif suffix == ".parquet":
            from stl.numerics.trajectory import records_to_parquet

            write_bytes_atomic(out, records_to_parquet(rows, dict(config)))
        else:
            raise InputError("--out", str(out), "a file ending in .json, .csv or .parquet")
    except OSError as exc:
        raise InputError("--out", str(out), f"a writable file path ({exc.strerror or exc})") from None


def read_table(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``(config, rows)`` of a saved trajectory (``simulate|stability|bound --out``) or sweep.

    A CSV keeps its config in ``# `` header lines
    (:func:`stl.numerics.trajectory.records_to_csv`); one without them (written by
    another tool) has the config ``{}``. Every CSV column that is not a record field is
    read as a cell column (numbers where they parse).
    """
    from stl.kernel.atomic import check_path

    path = check_path(path, "FILE")
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError("FILE", str(path), "an existing .json, .csv or .parquet file")
    try:
        if suffix == ".json":
            text = path.read_text(encoding="utf-8")
            try:
                doc = json.loads(text)
            except (json.JSONDecodeError, RecursionError) as exc:
                raise InputError("FILE", f"{path} ({type(exc).__name__})", "a JSON file written by stl") from None
            if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
                raise InputError("FILE", str(path), 'a JSON document {"config": ..., "records": [...]}')
            config = doc.get("config") if isinstance(doc.get("config"), dict) else {}
            return config, [r for r in doc["records"] if isinstance(r, dict)]
        if suffix == ".csv":
            import csv
            import io

            from stl.numerics.trajectory import split_csv_config

            config, body = split_csv_config(path.read_text(encoding="utf-8"))
            rows = list(csv.DictReader(io.StringIO(body, newline="")))
            return config, [{k: _cell_value(v) for k, v in r.items() if k is not None} for r in rows]
        if suffix == ".parquet":
            try:
                import pyarrow.parquet as pq
            except ImportError:
                raise InputError("FILE", str(path), "a .json or .csv file (pyarrow is not installed)") from None
            try:
                table = pq.read_table(path)
            except Exception as exc:  # noqa: BLE001 - pyarrow raises many types for a bad file
                raise InputError("FILE", f"{path} ({type(exc).__name__})", "a Parquet file written by stl") from None
            meta = (table.schema.metadata or {}).get(b"config")
            try:
                config = json.loads(meta) if meta else {}
            except (json.JSONDecodeError, RecursionError):
                config = {}
            return config if isinstance(config, dict) else {}, table.to_pylist()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("FILE", str(path), f"a readable file ({exc})") from None
    raise InputError("FILE", str(path), "a file ending in .json, .csv or .parquet")


def _cell_value(text: str | None) -> Any:
    if text is None or text == "":
        return None
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            continue
    return text


# --------------------------------------------------------------------------------------
# the store of finished cells
# --------------------------------------------------------------------------------------

class CellStore:
    """One atomic JSON file per finished cell in ``folder`` (``OUT.cells/``).

    A file is reused only if its format marker, checksum and fingerprint match; anything
    else (truncated, edited, a directory in its place, nested too deeply) is reported and
    the cell recomputed.
    """

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    @classmethod
    def beside(cls, out: str | Path) -> CellStore:
        out = Path(out)
        return cls(out.with_name(out.name + ".cells"))

    def path(self, fp: str) -> Path:
        return self.folder / f"{fp[:32]}.json"

    def save(self, cell: Cell, output: Mapping) -> None:
        from stl.kernel.atomic import write_text_atomic
        from stl.verify.store import _clear_for_file, digest

        payload = {"cell": cell.task_kwargs(), **output}
        doc = {"format": CELL_FORMAT, "fingerprint": cell.fingerprint(), "sha256": digest(payload),
               "payload": payload}
        path = self.path(cell.fingerprint())
        _clear_for_file(path)
        # allow_nan: a stderr of one replicate is NaN, kept exactly (Python's JSON reads it back)
        write_text_atomic(path, json.dumps(doc, allow_nan=True) + "\n")

    def load(self, cell: Cell) -> dict | None:
        """The stored output of ``cell``; ``None`` if absent; ``CorruptResultError`` if untrusted."""
        from stl.verify.store import _read_text, digest

        fp = cell.fingerprint()
        path = self.path(fp)
        if not path.exists() and not path.is_symlink():
            return None
        text = _read_text(path)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CorruptResultError(f"corrupt: not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise CorruptResultError("corrupt: JSON nested too deeply to be a stored cell") from None
        if not isinstance(doc, dict) or doc.get("format") != CELL_FORMAT:
            raise CorruptResultError("foreign: not a stored sweep cell")
        payload = doc.get("payload")
        try:
            ok = isinstance(payload, dict) and doc.get("sha256") == digest(payload)
        except (TypeError, ValueError, RecursionError):
            ok = False
        if not ok:
            raise CorruptResultError("corrupt: checksum does not match the content")
        if doc.get("fingerprint") != fp:
            raise CorruptResultError("stale: written for another cell")
        if not isinstance(payload.get("records"), list) or not isinstance(payload.get("run"), dict):
            raise CorruptResultError("corrupt: no records")
        out = {"records": payload["records"], "run": payload["run"]}
        if cell.per_replicate:
            if not isinstance(payload.get("replicates"), list):
                raise CorruptResultError("corrupt: no per-replicate rows")
            out["replicates"] = payload["replicates"]
        return out

    def sweep_temps(self) -> list[Path]:
        from stl.kernel.atomic import remove_stale_temps

        return remove_stale_temps(self.folder) if self.folder.is_dir() else []


@dataclass(frozen=True)
class SweepRun:
    """Outputs by cell fingerprint, which cells were reused, and stored files not trusted."""

    outputs: Mapping[str, Mapping]
    reused: tuple[str, ...]
    issues: tuple[str, ...]


def run_sweep(grid: Grid, backend=None, store: CellStore | None = None, progress=None) -> SweepRun:
    """Run every cell not already in ``store`` through ``backend``; store each as it finishes.

    ``progress(done, total, label)`` is called after each cell.
    """
    from stl.verify.plumbing.backends import LocalBackend
    from stl.verify.checks.task import Task

    backend = backend or LocalBackend(1)
    cells = grid.cells()
    outputs: dict[str, Mapping] = {}
    reused: list[str] = []
    issues: list[str] = []
    todo: list[Cell] = []
    for cell in cells:
        fp = cell.fingerprint()
        if fp in outputs:
            continue
        if store is not None:
            try:
                got = store.load(cell)
            except CorruptResultError as exc:
                issues.append(f"{store.path(fp)}: {exc}; recomputing")
                got = None
            if got is not None:
                outputs[fp] = got
                reused.append(cell.label())
                continue
        todo.append(cell)
    tasks = [Task(run_cell, c.task_kwargs(), ("cell", i)) for i, c in enumerate(todo)]
    done = 0
    for index, (out, _secs) in backend.imap_unordered(tasks):
        cell = todo[index]
        if store is not None:
            store.save(cell, out)
        outputs[cell.fingerprint()] = out
        done += 1
        if progress is not None:
            progress(done, len(tasks), cell.label())
    return SweepRun(outputs, tuple(reused), tuple(issues))


def split_values(text: str) -> list[str]:
    """``"a,b,c"`` -> ``["a", "b", "c"]``; with a ``;`` anywhere the values are split on
    ``;`` instead, so a value may hold commas (``probs=0.5,0.5;0.2,0.8``)."""
    sep = ";" if ";" in text else ","
    return [part.strip() for part in text.split(sep)]
