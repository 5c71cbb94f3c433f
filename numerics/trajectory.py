"""The tidy result of a loop: per-replicate values and their per-generation summaries.

A :class:`Trajectory` keeps the raw values ``values[metric]`` of shape ``(R, G + 1)``
(replicate × generation) with the global replicate ids, so runs over replicate blocks
computed on different workers can be pooled *exactly* (:meth:`Trajectory.concat`).
Summaries are tidy records ``{generation, metric, mean, stderr, n_replicates}``
(DESIGN.md): ``stderr`` is the sample standard deviation (``ddof = 1``) over ``√R``.
Non-finite values (e.g. ``kl_to_real = inf`` for a singular fit) are kept in the raw
arrays; the summary then reports a non-finite mean (``null`` in JSON).

>>> import numpy as np
>>> t = Trajectory({"x": np.array([[1.0, 2.0], [3.0, 4.0]])}, np.arange(2))
>>> [(r["generation"], r["mean"]) for r in t.to_records()]
[(0, 2.0), (1, 3.0)]
>>> t2 = Trajectory.concat([t, Trajectory({"x": np.array([[5.0, 6.0]])}, np.array([2]))])
>>> t2.n_replicates, t2.to_records()[0]["mean"]
(3, 3.0)
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stl.kernel.jsonclean import clean as _clean

RECORD_FIELDS = ("generation", "metric", "mean", "stderr", "n_replicates")


def summarize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard error over axis 0 (``nan`` stderr for one replicate)."""
    r = values.shape[0]
    with np.errstate(invalid="ignore", over="ignore"):
        mean = values.mean(axis=0)
        se = values.std(axis=0, ddof=1) / math.sqrt(r) if r > 1 else np.full(values.shape[1:], np.nan)
    return mean, se


@dataclass
class Trajectory:
    """Raw ``values[metric] -> (R, G + 1)`` plus ``replicate_ids`` ``(R,)`` and ``config``."""

    values: dict[str, np.ndarray]
    replicate_ids: np.ndarray
    config: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        self.replicate_ids = np.asarray(self.replicate_ids, dtype=np.int64)
        shapes = {v.shape for v in self.values.values()}
        if len(shapes) > 1:
            raise ValueError(f"metrics have different shapes: {shapes}")
        for v in self.values.values():
            if v.ndim != 2 or v.shape[0] != self.replicate_ids.size:
                raise ValueError("values must be (replicates, generations + 1)")

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(self.values)

    @property
    def n_replicates(self) -> int:
        return int(self.replicate_ids.size)

    @property
    def generations(self) -> int:
        """``G``: generations after generation 0."""
        first = next(iter(self.values.values()))
        return first.shape[1] - 1

    def mean(self, metric: str) -> np.ndarray:
        return summarize(self.values[metric])[0]

    def stderr(self, metric: str) -> np.ndarray:
        return summarize(self.values[metric])[1]

    def to_records(self) -> list[dict[str, Any]]:
        """Tidy records, generation-major, metrics in insertion order."""
        summaries = {m: summarize(v) for m, v in self.values.items()}
        out = []
        for g in range(self.generations + 1):
            for m, (mean, se) in summaries.items():
                out.append({"generation": g, "metric": m, "mean": float(mean[g]),
                            "stderr": float(se[g]), "n_replicates": self.n_replicates})
        return out

    def replicate_records(self) -> list[dict[str, Any]]:
        """One record per ``(generation, replicate, metric)``: ``{generation, replicate,
        metric, value}`` (``value`` ``nan`` where the replicate has none), generation-major,
        then replicate id, then metric — what ``--per-replicate`` writes.

        >>> t = Trajectory({"x": np.array([[1.0, 2.0], [3.0, 4.0]])}, np.array([5, 6]))
        >>> [(r["generation"], r["replicate"], r["value"]) for r in t.replicate_records()][:3]
        [(0, 5, 1.0), (0, 6, 3.0), (1, 5, 2.0)]
        """
        out = []
        ids = self.replicate_ids.tolist()
        arrays = {m: v.tolist() for m, v in self.values.items()}
        for g in range(self.generations + 1):
            for k, rep in enumerate(ids):
                for m, rows in arrays.items():
                    out.append({"generation": g, "replicate": rep, "metric": m, "value": float(rows[k][g])})
        return out

    def to_frame(self, per_replicate: bool = False):
        """A pandas ``DataFrame`` of the tidy records (or, with ``per_replicate``, of
        :meth:`replicate_records`), the run's config in ``frame.attrs["config"]``.

        pandas is optional (``pip install pandas``); without it this raises ``ImportError``
        naming the package.

        >>> t = Trajectory({"x": np.array([[1.0, 2.0], [3.0, 4.0]])}, np.arange(2), {"seed": 0})
        >>> frame = t.to_frame()                            # doctest: +SKIP
        >>> list(frame.columns), frame.attrs["config"]       # doctest: +SKIP
        (['generation', 'metric', 'mean', 'stderr', 'n_replicates'], {'seed': 0})
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("Trajectory.to_frame needs pandas (pip install pandas)") from None
        rows = self.replicate_records() if per_replicate else self.to_records()
        columns = ["generation", "replicate", "metric", "value"] if per_replicate else list(RECORD_FIELDS)
        frame = pd.DataFrame(rows, columns=columns)
        frame.attrs["config"] = _clean(dict(self.config))
        return frame

    def to_dict(self, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``{"config": ..., "records": [...]}`` (DESIGN.md), non-finite numbers as ``None``."""
        cfg = dict(self.config if config is None else config)
        return _clean({"config": cfg, "records": self.to_records()})

    def to_json(self, config: Mapping[str, Any] | None = None) -> str:
        """Strict JSON text of :meth:`to_dict` with a trailing newline."""
        return json.dumps(self.to_dict(config), indent=2, allow_nan=False) + "\n"

    def to_csv(self, config: Mapping[str, Any] | None = None) -> str:
        """The records as CSV text: the config in ``# `` header lines (:func:`records_to_csv`),
        then ``generation,metric,mean,stderr,n_replicates``."""
        return records_to_csv(self.to_records(), self.config if config is None else config)

    def to_parquet(self, path=None) -> bytes:
        """The records as Parquet bytes (written to ``path`` too when given); needs pyarrow."""
        data = records_to_parquet(self.to_records(), self.config)
        if path is not None:
            from stl.kernel.atomic import write_bytes_atomic

            write_bytes_atomic(path, data)
        return data

    @staticmethod
    def concat(parts: Sequence[Trajectory]) -> Trajectory:
        """Pool replicate blocks (same metrics and generations), ordered by replicate id."""
        if not parts:
            raise ValueError("nothing to concatenate")
        metrics = parts[0].metrics
        for p in parts[1:]:
            if p.metrics != metrics or p.generations != parts[0].generations:
                raise ValueError("trajectories differ in metrics or generations")
        ids = np.concatenate([p.replicate_ids for p in parts])
        order = np.argsort(ids, kind="stable")
        if np.unique(ids).size != ids.size:
            raise ValueError("replicate ids overlap")
        values = {m: np.concatenate([p.values[m] for p in parts], axis=0)[order] for m in metrics}
        return Trajectory(values, ids[order], dict(parts[0].config))


#: The header line of a CSV table that holds its run's config as one line of JSON.
CSV_CONFIG_PREFIX = "# config: "
#: The first header line: what the file is and how to read it.
CSV_FIRST_LINE = "# stl-toolkit table; the config is the JSON after '# config: '; pandas: read_csv(path, comment='#')"


def records_to_csv(records: Iterable[Mapping[str, Any]], config: Mapping[str, Any] | None = None) -> str:
    """CSV text of tidy records (columns of the first record, in order).

    With ``config`` the text starts with two comment lines — :data:`CSV_FIRST_LINE` and
    :data:`CSV_CONFIG_PREFIX` followed by the config as one line of JSON — so the file
    keeps what was run; :func:`split_csv_config` reads them back, and any CSV reader that
    skips ``#`` comments (``pandas.read_csv(path, comment="#")``) reads the table.

    >>> text = records_to_csv([{"generation": 0, "metric": "m", "mean": 1.0}], {"seed": 3})
    >>> split_csv_config(text)[0], text.splitlines()[2]
    ({'seed': 3}, 'generation,metric,mean')
    """
    import csv

    records = list(records)
    fields = list(records[0]) if records else list(RECORD_FIELDS)
    buf = io.StringIO()
    if config is not None:
        buf.write(CSV_FIRST_LINE + "\n")
        buf.write(CSV_CONFIG_PREFIX + json.dumps(_clean(dict(config)), separators=(",", ":")) + "\n")
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for r in records:
        writer.writerow({k: ("" if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()})
    return buf.getvalue()


def split_csv_config(text: str) -> tuple[dict[str, Any], str]:
    """``(config, csv_text)`` of a table written by :func:`records_to_csv`: the leading
    ``#`` lines are read (the config from its ``# config:`` line, ``{}`` without one) and
    removed.

    >>> split_csv_config("generation,metric\\n0,m\\n")
    ({}, 'generation,metric\\n0,m\\n')
    """
    config: dict[str, Any] = {}
    lines = text.splitlines(keepends=True)
    k = 0
    while k < len(lines) and lines[k].startswith("#"):
        line = lines[k].rstrip("\r\n")
        if line.startswith(CSV_CONFIG_PREFIX):
            try:
                found = json.loads(line[len(CSV_CONFIG_PREFIX):])
            except (json.JSONDecodeError, RecursionError):
                found = None
            if isinstance(found, dict):
                config = found
        k += 1
    return config, "".join(lines[k:])


def records_to_parquet(records: Iterable[Mapping[str, Any]], config: Mapping[str, Any] | None = None) -> bytes:
    """Parquet bytes of tidy records, the config as JSON in the schema metadata."""
    import pyarrow as pa  # lazily: an optional dependency
    import pyarrow.parquet as pq

    records = list(records)
    fields = list(records[0]) if records else list(RECORD_FIELDS)
    table = pa.table({f: [r.get(f) for r in records] for f in fields})
    meta = {b"config": json.dumps(_clean(dict(config or {}))).encode("utf-8")}
    table = table.replace_schema_metadata(meta)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()
