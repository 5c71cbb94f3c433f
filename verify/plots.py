"""Figures of saved runs: a trajectory of ``stl simulate|stability|bound --out`` or a sweep table.

A saved table holds tidy records (``generation, metric, mean, stderr, n_replicates``)
and, for a sweep, the cell's parameters as further columns (:mod:`stl.verify.sweep`).
:func:`plot_table` draws one metric:

* ``x="generation"``: the metric over generations, one line per cell, each with its 95 %
  confidence band — ``mean ± t_{0.975, R−1} · stderr`` (the records' own ``ci_low`` /
  ``ci_high`` where they have them, as ``stl stability`` writes);
* ``x="n"`` or ``x="lam"``: the metric against ``n`` (log axis when it spans a decade or
  more) or ``λ`` at one generation (the last by default), one line per combination of
  the other varying parameters.

The figure is written atomically as PNG, PDF or SVG (matplotlib, Agg backend, imported
here only). Colours follow the order of the cells, so the same sweep always gets the same
colours.

>>> rows = [{"generation": g, "metric": "m", "mean": 1.0 / (g + 1), "stderr": 0.01, "n_replicates": 50, "n": n}
...         for n in (10, 20) for g in range(3)]
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "m.svg"
>>> plot_table({}, rows, metric="m", out=path).lines
2
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stl.verify.errors import InputError

#: Columns of a saved table that describe a record, not a cell.
RECORD_COLUMNS = ("generation", "metric", "mean", "stderr", "n_replicates", "ci_low", "ci_high")
#: Cell columns that follow from others (the scheme's sizing of n and λ): never a line of their own.
DERIVED_COLUMNS = ("lam_effective", "n_r", "n_s")
X_AXES = ("generation", "n", "lam")
FORMATS = ("png", "pdf", "svg")
#: Coverage of the bands (two-sided 95 %, Student t with R − 1 degrees of freedom).
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Plotted:
    """What was drawn: the file, the metric, the x axis and how many lines."""

    path: Path
    metric: str
    x: str
    lines: int


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def varying_columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Cell columns whose value differs between rows, in column order."""
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in RECORD_COLUMNS and k not in DERIVED_COLUMNS and k not in cols:
                cols.append(k)
    return [k for k in cols if len({repr(r.get(k)) for r in rows}) > 1]


def _band(r: Mapping[str, Any]) -> tuple[float, float]:
    if _finite(r.get("ci_low")) and _finite(r.get("ci_high")):
        return float(r["ci_low"]), float(r["ci_high"])
    m, s, k = r.get("mean"), r.get("stderr"), r.get("n_replicates")
    if not (_finite(m) and _finite(s)) or not isinstance(k, int) or k < 2:
        return math.nan, math.nan
    from stl.verify.checks.measurement import t_quantile

    q = t_quantile(Z_95, k - 1)
    return float(m) - q * float(s), float(m) + q * float(s)


def _label(key: tuple, names: Sequence[str]) -> str:
    def show(v):
        return f"{v:g}" if isinstance(v, float) else str(v)

    return ", ".join(f"{'λ' if k == 'lam' else k}={show(v)}" for k, v in zip(names, key)) or "run"


def choose_format(out: str | Path | None, fmt: str | None) -> str:
    """The figure format from ``--format`` and/or the suffix of ``--out`` (they must agree)."""
    if out:
        from stl.verify.atomic import check_path

        check_path(out, "--out")
    suffix = Path(out).suffix.lower().lstrip(".") if out else ""
    if fmt is not None and fmt not in FORMATS:
        raise InputError("--format", fmt, ", ".join(FORMATS))
    if suffix and suffix not in FORMATS:
        raise InputError("--out", str(out), "a file ending in .png, .pdf or .svg")
    if fmt and suffix and fmt != suffix:
        raise InputError("--format", fmt, f"the format of --out ({suffix}), or leave --format out")
    return fmt or suffix or "png"


def plot_table(config: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], *, metric: str | None = None,
               x: str = "generation", generation: int | None = None, out: str | Path,
               fmt: str | None = None, title: str | None = None) -> Plotted:
    """Draw ``metric`` of a saved table into ``out`` (see the module docstring)."""
    fmt = choose_format(out, fmt)
    if x not in X_AXES:
        raise InputError("--x", x, ", ".join(X_AXES))
    metrics = list(dict.fromkeys(str(r.get("metric")) for r in rows if r.get("metric") is not None))
    if not metrics:
        raise InputError("FILE", "a table without records", "a trajectory or sweep written by stl")
    metric = metric or metrics[0]
    if metric not in metrics:
        raise InputError("--metric", metric, ", ".join(metrics))
    mine = [r for r in rows if r.get("metric") == metric and isinstance(r.get("generation"), int)
            and not isinstance(r.get("generation"), bool)]
    if not mine:
        raise InputError("FILE", f"no record of {metric} with a whole-number generation",
                         "a trajectory or sweep written by stl")
    varying = varying_columns(mine)
    gens = sorted({r["generation"] for r in mine})
    if x == "generation":
        line_cols = varying
    else:
        if x not in varying:
            have = [c for c in ("n", "lam") if c in varying]
            raise InputError("--x", x, ", ".join(["generation", *have]) + f" ({x} does not vary in this table)")
        if generation is None:
            generation = gens[-1]
        if generation not in gens:
            raise InputError("--generation", generation, f"a generation of the table (0 to {gens[-1]})")
        mine = [r for r in mine if r["generation"] == generation]
        line_cols = [c for c in varying if c != x]
    lines: dict[tuple, list[Mapping[str, Any]]] = {}
    for r in mine:
        lines.setdefault(tuple(r.get(c) for c in line_cols), []).append(r)

    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    many = len(lines) > 10
    fig, ax = plt.subplots(figsize=(7.2 if many else 6.4, 4.4), dpi=120)
    try:
        cmap = plt.get_cmap("viridis" if many else "tab10")
        for k, (key, pts) in enumerate(lines.items()):
            pts = sorted(pts, key=lambda r: r[x] if x != "generation" else r["generation"])
            xs = [r["generation"] if x == "generation" else r[x] for r in pts]
            ys = [r["mean"] if _finite(r.get("mean")) else math.nan for r in pts]
            lo, hi = zip(*(_band(r) for r in pts)) if pts else ((), ())
            colour = cmap(k / max(len(lines) - 1, 1)) if many else cmap(k % 10)
            ax.plot(xs, ys, "o-", markersize=3, color=colour, label=_label(key, line_cols))
            if any(math.isfinite(v) for v in lo):
                ax.fill_between(xs, lo, hi, color=colour, alpha=0.2, linewidth=0)
        if x == "generation":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("generation i")
        elif x == "n":
            ns = [r["n"] for r in mine if _finite(r.get("n")) and r["n"] > 0]
            if ns and max(ns) / min(ns) >= 10:
                ax.set_xscale("log")
            ax.set_xlabel("n (training-set size)")
        else:
            ax.set_xlabel("λ (proportion of real data)")
        ax.set_ylabel(metric)
        model = config.get("model") or next((r.get("model") for r in mine if r.get("model")), None)
        where = f" at generation {generation}" if x != "generation" else ""
        ax.set_title(title or f"{metric}{where}" + (f" — {model}" if model else "") + " (95% CI bands)", fontsize=9)
        if len(lines) > 1 or line_cols:
            if many:
                ax.legend(fontsize=6, ncol=1 + len(lines) // 20, loc="center left", bbox_to_anchor=(1.01, 0.5))
            else:
                ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, bbox_inches="tight")
    finally:
        plt.close(fig)
    from stl.verify.atomic import write_bytes_atomic

    path = Path(out)
    try:
        write_bytes_atomic(path, buf.getvalue())
    except OSError as exc:
        raise InputError("--out", str(path), f"a writable file path ({exc.strerror or exc})") from None
    return Plotted(path, metric, x, len(lines))
