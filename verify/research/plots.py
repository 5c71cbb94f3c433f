"""Figures of saved runs: a trajectory of ``stl simulate|stability|bound --out`` or a sweep table.

A saved table holds tidy records (``generation, metric, mean, stderr, n_replicates``)
and, for a sweep, the cell's parameters as further columns (:mod:`stl.verify.research.sweep`).
:func:`plot_table` draws one or several metrics in one figure:

* ``x="generation"``: each metric over generations, one line per cell, each with its
  95 % confidence band — ``mean ± t_{0.975, R−1} · stderr`` (the records' own ``ci_low``
  / ``ci_high`` where they have them, as ``stl stability`` writes);
* ``x="n"`` or ``x="lam"``: the metrics against ``n`` (log axis when it spans a decade
  or more) or ``λ`` at one generation (the last by default), one line per combination of
  the other varying parameters.

A table written by ``stl bound`` is drawn as the figure T1 calls for when no metric is
named: the measured ``E gen_i`` with its 95 % band against ``bound_analytic`` and
``bound_estimated`` (whichever the table has), and with ``stack_terms`` the bound's
terms stacked under the analytic bound (or the estimated one when theory has no
constants). A bound is a curve, not a mean: it has no band.

Labels come from :mod:`stl.verify.labels` (each metric's declared LaTeX, rendered by
matplotlib's mathtext); the title states the model, scheme, ``n``, ``λ`` and the
replicates; :data:`STYLES` sets the size and fonts (``paper``: one column wide, vector
output by default). The result, :class:`Plotted`, says what was drawn — series, labels,
file and notes (points a log axis cannot show) — for ``stl plot --format json``.

The figure is written atomically as PNG, PDF or SVG (matplotlib, Agg backend, imported
here only). Colours follow the order of the cells, so the same sweep always gets the same
colours; the bound figure uses the report's colours for its roles
(:func:`stl.verify.figures.role_colour`).

>>> rows = [{"generation": g, "metric": "m", "mean": 1.0 / (g + 1), "stderr": 0.01, "n_replicates": 50, "n": n}
...         for n in (10, 20) for g in range(3)]
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "m.svg"
>>> plot_table({}, rows, metrics=["m"], out=path).lines
2
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stl.verify.errors import InputError

#: Columns of a saved table that describe a record, not a cell.
RECORD_COLUMNS = ("generation", "metric", "mean", "stderr", "n_replicates", "ci_low", "ci_high",
                  "replicate", "value")
#: Cell columns that follow from others (the scheme's sizing of n and λ): never a line of their own.
DERIVED_COLUMNS = ("lam_effective", "n_r", "n_s")
X_AXES = ("generation", "n", "lam")
FORMATS = ("png", "pdf", "svg")
#: Coverage of the bands (two-sided 95 %, Student t with R − 1 degrees of freedom).
Z_95 = 1.959963984540054
#: The metrics of ``stl bound`` that are curves (plug-in values), not means with a band.
BOUND_CURVES = ("bound_analytic", "bound_estimated")
#: T1's terms as ``stl bound`` names them: (analytic, estimated) per term, stacking order.
BOUND_TERMS = (("term_stability", "term_stability_estimated"), ("term_shift", "term_shift_estimated"))


@dataclass(frozen=True)
class Style:
    """Size and type of a figure: ``screen`` for reading, ``paper`` for a journal column."""

    name: str
    size: tuple[float, float]      # inches
    font_size: float
    legend_size: float
    line_width: float
    dpi: int
    default_format: str
    serif: bool = False

    def rc(self) -> dict[str, Any]:
        """matplotlib settings, applied inside ``rc_context`` only (no global state)."""
        rc = {"font.size": self.font_size, "axes.titlesize": self.font_size, "axes.labelsize": self.font_size,
              "xtick.labelsize": self.font_size - 1, "ytick.labelsize": self.font_size - 1,
              "legend.fontsize": self.legend_size, "lines.linewidth": self.line_width,
              "savefig.dpi": self.dpi, "pdf.fonttype": 42, "svg.fonttype": "path"}
        if self.serif:
            rc.update({"font.family": "serif", "mathtext.fontset": "cm"})
        return rc


#: ``screen``: 6.4 × 4.4 in at 120 dpi, PNG. ``paper``: 3.4 in wide (one column of a
#: two-column paper), 8 pt serif type with Computer Modern math, PDF (vector) by default.
STYLES: Mapping[str, Style] = {
    "screen": Style("screen", (6.4, 4.4), 9.0, 7.0, 1.5, 120, "png"),
    "paper": Style("paper", (3.4, 2.6), 8.0, 6.0, 1.0, 300, "pdf", serif=True),
}


@dataclass(frozen=True)
class Series:
    """One drawn line: its label, metric, cell and points (``lo``/``hi``: the band)."""

    label: str
    metric: str
    kind: str                      # "measured", "bound" or "term"
    x: list
    y: list
    lo: list | None = None
    hi: list | None = None
    cell: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "metric": self.metric, "kind": self.kind, "cell": dict(self.cell),
                "x": list(self.x), "y": _nulls(self.y), "lo": None if self.lo is None else _nulls(self.lo),
                "hi": None if self.hi is None else _nulls(self.hi)}


@dataclass(frozen=True)
class Plotted:
    """What was drawn: the file, its format and style, the metrics, the x axis, every
    series with its points, the axis labels and title, and notes (points not shown)."""

    path: Path
    metrics: tuple[str, ...]
    x: str
    series: tuple[Series, ...]
    x_label: str
    y_label: str
    title: str
    style: str
    format: str
    notes: tuple[str, ...] = ()

    @property
    def metric(self) -> str:
        return self.metrics[0]

    @property
    def lines(self) -> int:
        return len(self.series)

    def to_dict(self) -> dict[str, Any]:
        """The ``stl plot --format json`` document."""
        return {"file": str(self.path), "format": self.format, "style": self.style, "x": self.x,
                "metrics": list(self.metrics), "title": self.title, "x_label": self.x_label,
                "y_label": self.y_label, "series": [s.to_dict() for s in self.series], "notes": list(self.notes)}


def _nulls(values: Sequence[Any]) -> list:
    return [float(v) if _finite(v) else None for v in values]


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
    from stl.kernel import student_t

    q = student_t.t_quantile(Z_95, k - 1)
    return float(m) - q * float(s), float(m) + q * float(s)


def _show(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _cell_label(key: tuple, names: Sequence[str]) -> str:
    return ", ".join(f"{'λ' if k == 'lam' else k}={_show(v)}" for k, v in zip(names, key))


def choose_format(out: str | Path | None, fmt: str | None, style: str = "screen") -> str:
    """The figure format from ``--format`` and/or the suffix of ``--out`` (they must agree);
    ``json`` (what was drawn, on stdout) leaves the figure's type to ``--out``'s suffix."""
    if out:
        from stl.kernel.atomic import check_path

        check_path(out, "--out")
    suffix = Path(out).suffix.lower().lstrip(".") if out else ""
    if fmt is not None and fmt not in (*FORMATS, "json"):
        raise InputError("--format", fmt, ", ".join((*FORMATS, "json")))
    if suffix and suffix not in FORMATS:
        raise InputError("--out", str(out), "a file ending in .png, .pdf or .svg")
    if fmt == "json":
        fmt = None
    if fmt and suffix and fmt != suffix:
        raise InputError("--format", fmt, f"the format of --out ({suffix}), json, or leave --format out")
    return fmt or suffix or STYLES[style].default_format


def is_bound_table(config: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> bool:
    """A table written by ``stl bound`` (its config says so, or it holds a bound)."""
    if config.get("command") == "bound":
        return True
    return any(r.get("metric") in BOUND_CURVES for r in rows)


def default_metrics(config: Mapping[str, Any], rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """What ``stl plot`` draws when no ``--metric`` is given: T1's figure for a bound table
    (``gen_gap`` and the bounds that have numbers), else the table's first metric."""
    present = list(dict.fromkeys(str(r["metric"]) for r in rows if r.get("metric") is not None))
    if is_bound_table(config, rows):
        with_numbers = {str(r["metric"]) for r in rows if _finite(r.get("mean"))}
        chosen = [m for m in ("gen_gap", *BOUND_CURVES) if m in with_numbers]
        if chosen:
            return chosen
    return present[:1]


def _fixed_text(config: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], line_cols: Sequence[str]) -> str:
    """``model, scheme, n, λ, R replicates`` of what all lines share (from the rows of a sweep,
    else the run's config); what varies is in the legend instead."""
    def one(key: str):
        if key in line_cols:
            return None
        values = {repr(r.get(key)) for r in rows if key in r}
        if len(values) == 1:
            return rows[0].get(key) if key in rows[0] else next(r.get(key) for r in rows if key in r)
        return config.get(key)

    model = one("model")
    scheme = one("scheme")
    parts = [str(model)] if model else []
    if scheme:
        parts.append(str(scheme))
    n = one("n")
    if n is not None:
        parts.append(f"n={_show(n)}")
    if "lam" not in line_cols:
        effective = {repr(r.get("lam_effective")) for r in rows if "lam_effective" in r}
        eff = one("lam_effective")
        lam = one("lam")
        if str(scheme or "").startswith("accumulate"):
            parts.append("λ not used (S_0 in the pool)")
        elif len(effective) > 1:
            pass  # the schemes of the lines use λ differently: the legend's scheme says it
        elif eff is not None:
            parts.append(f"λ={_show(float(eff))}")
        elif lam is not None:
            parts.append(f"λ={_show(lam)}")
    reps = one("replicates")
    if reps is None:
        counts = {r.get("n_replicates") for r in rows if isinstance(r.get("n_replicates"), int)
                  and r.get("n_replicates", 0) > 1 and r.get("metric") not in (*BOUND_CURVES,)}
        reps = counts.pop() if len(counts) == 1 else None
    if reps is not None:
        parts.append(f"{reps} replicates")
    est = config.get("est_replicates")
    if est is not None and is_bound_table(config, rows):
        parts.append(f"constants on {est}")
    return ", ".join(parts)


def _series_kind(metric: str) -> str:
    if metric in BOUND_CURVES:
        return "bound"
    if any(metric in pair for pair in BOUND_TERMS):
        return "term"
    return "measured"


def plot_table(config: Mapping[str, Any], rows: Sequence[Mapping[str, Any]], *,
               metrics: Sequence[str] | None = None, x: str = "generation", generation: int | None = None,
               out: str | Path, fmt: str | None = None, title: str | None = None, logx: bool = False,
               logy: bool = False, style: str = "screen", stack_terms: bool = False,
               metric: str | None = None) -> Plotted:
    """Draw ``metrics`` of a saved table into ``out`` (see the module docstring).

    ``metric`` (one name) is kept for callers of the one-metric version.
    """
    if style not in STYLES:
        raise InputError("--style", style, ", ".join(STYLES))
    st = STYLES[style]
    fmt = choose_format(out, fmt, style)
    if x not in X_AXES:
        raise InputError("--x", x, ", ".join(X_AXES))
    rows = summarize_replicates(rows)
    present = list(dict.fromkeys(str(r.get("metric")) for r in rows if r.get("metric") is not None))
    if not present:
        raise InputError("FILE", "a table without records", "a trajectory or sweep written by stl")
    wanted = list(dict.fromkeys([*(metrics or ()), *([metric] if metric else [])]))
    chosen = wanted or default_metrics(config, rows)
    unknown = [m for m in chosen if m not in present]
    if unknown:
        raise InputError("--metric", ", ".join(unknown), ", ".join(present))
    bound_figure = is_bound_table(config, rows) and x == "generation"
    terms: list[str] = []
    if stack_terms:
        if not bound_figure:
            raise InputError("--stack-terms", "a table without T1's terms", "a table written by stl bound")
        analytic = any(r.get("metric") == "bound_analytic" and _finite(r.get("mean")) for r in rows)
        pick = 0 if analytic and config.get("terms_from", "analytic") == "analytic" else 1
        terms = [pair[pick] if pair[pick] in present else pair[0] for pair in BOUND_TERMS]
        terms = [t for t in terms if t in present]
        if len(terms) != len(BOUND_TERMS):
            raise InputError("--stack-terms", "a bound table without both terms",
                             "a table written by stl bound with term_stability and term_shift")
        chosen = [m for m in chosen if m not in terms]
    drawn_metrics = [*chosen, *terms]
    mine = [r for r in rows if r.get("metric") in drawn_metrics and isinstance(r.get("generation"), int)
            and not isinstance(r.get("generation"), bool)]
    if not any(r.get("metric") in chosen for r in mine):
        raise InputError("FILE", f"no record of {', '.join(chosen)} with a whole-number generation",
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

    from stl.verify.labels import metric_label

    model = config.get("model") or next((r.get("model") for r in mine if r.get("model")), None)
    labels = {m: metric_label(m, model if isinstance(model, str) else None) for m in drawn_metrics}
    groups: dict[tuple, dict[str, list[Mapping[str, Any]]]] = {}
    for r in mine:
        key = tuple(r.get(c) for c in line_cols)
        groups.setdefault(key, {}).setdefault(r["metric"], []).append(r)

    notes: list[str] = []
    series: list[Series] = []
    for key, by_metric in groups.items():
        cell = dict(zip(line_cols, key))
        for m in drawn_metrics:
            pts = by_metric.get(m)
            if not pts:
                continue
            pts = sorted(pts, key=lambda r: r["generation"] if x == "generation" else r[x])
            xs = [r["generation"] if x == "generation" else r[x] for r in pts]
            ys = [float(r["mean"]) if _finite(r.get("mean")) else math.nan for r in pts]
            kind = _series_kind(m)
            lo = hi = None
            if kind == "measured":
                lo_, hi_ = zip(*(_band(r) for r in pts))
                if any(math.isfinite(v) for v in lo_):
                    lo, hi = list(lo_), list(hi_)
            if not any(math.isfinite(v) for v in ys):
                notes.append(f"{m}{' (' + _cell_label(key, line_cols) + ')' if line_cols else ''} has no "
                             f"finite value: not drawn")
                continue
            name = _legend(labels[m], kind, bound_figure)
            cell_text = _cell_label(key, line_cols)
            if len(drawn_metrics) == 1 and cell_text:
                text = cell_text
            elif cell_text:
                text = f"{name} — {cell_text}"
            else:
                text = name
            series.append(Series(text, m, kind, xs, ys, lo, hi, cell))

    x_label = {"generation": "generation $i$", "n": "training-set size $n$",
               "lam": r"proportion of real data $\lambda$"}[x]
    if bound_figure and "gen_gap" in chosen:
        y_label = f"{labels['gen_gap'].symbol()} and its T1 bound"
    elif len(chosen) == 1:
        y_label = labels[chosen[0]].text()
    else:
        y_label = "value"
    where = f" at generation {generation}" if x != "generation" else ""
    if bound_figure and "gen_gap" in chosen:
        what = "measured vs T1 bound"
    elif len(chosen) == 1:
        what = labels[chosen[0]].text()
    else:
        what = ", ".join(labels[m].symbol() if labels[m].latex else m for m in chosen)
    fixed = _fixed_text(config, mine, line_cols)
    band_note = "mean, 95% CI bands" if any(s.lo is not None for s in series) else "mean"
    shown_title = title if title is not None else f"{what}{where}\n{fixed} ({band_note})" if fixed else \
        f"{what}{where} ({band_note})"
    if title is None and style == "paper":  # one column: about 60 characters of 8 pt type a line
        import textwrap

        shown_title = "\n".join(textwrap.fill(line, 62) for line in shown_title.split("\n"))

    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    from stl.verify.figures import role_colour

    many = len(groups) > 10
    size = st.size if not (many and style == "screen") else (7.4, st.size[1])
    if terms and style == "paper":  # the legend below needs room of its own
        size = (size[0], size[1] + 0.4)
    with matplotlib.rc_context(st.rc()):
        fig, ax = plt.subplots(figsize=size, dpi=st.dpi if fmt == "png" else 100)
        try:
            cmap = plt.get_cmap("viridis" if many else "tab10")
            cell_keys = list(groups)
            dashes = {m: ls for m, ls in zip(chosen, ("-", "--", ":", "-.") * 4)}
            stack_base = None
            for s in series:
                k = cell_keys.index(tuple(s.cell.get(c) for c in line_cols))
                if len(groups) == 1:  # one cell: the metrics tell the lines apart, by colour too
                    k = chosen.index(s.metric) if s.metric in chosen else k
                colour = cmap(k / max(len(groups) - 1, 1)) if many else cmap(k % 10)
                if bound_figure and len(groups) == 1:
                    colour = role_colour(_role(s.metric)) or colour
                xs, ys = list(s.x), list(s.y)
                lo, hi = s.lo, s.hi
                if logy and s.kind != "term":  # a stacked term is drawn from its cumulative sum
                    ys, hidden = _positive(ys)
                    if hidden:
                        notes.append(f"{hidden} point{'s' if hidden > 1 else ''} of {s.label} ≤ 0 not shown "
                                     f"on the log y axis")
                    if lo is not None:
                        lo = [v if math.isfinite(v) and v > 0 else math.nan for v in lo]
                if s.kind == "term":
                    base = stack_base or [0.0] * len(ys)
                    top = [b + (v if math.isfinite(v) else 0.0) for b, v in zip(base, s.y)]
                    ax.fill_between(xs, base, top, alpha=0.3, linewidth=0, label=s.label, zorder=0,
                                    color="tab:orange" if s.metric.startswith("term_stability") else "tab:purple")
                    stack_base = top
                    continue
                if s.kind == "bound":
                    ax.plot(xs, ys, "--", linewidth=st.line_width * 1.3, color=colour, label=s.label)
                else:
                    ax.plot(xs, ys, "o" + dashes.get(s.metric, "-"), markersize=2.5 if style == "paper" else 3,
                            color=colour, label=s.label)
                if lo is not None:
                    ax.fill_between(xs, lo, hi, color=colour, alpha=0.2, linewidth=0)
            if x == "generation":
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if logx or (x == "n" and _spans_decade([r["n"] for r in mine if _finite(r.get("n"))])):
                if logx and x == "generation" and min(gens) <= 0:
                    notes.append("generation 0 is not shown on the log x axis")
                ax.set_xscale("log")
            if logy:
                ax.set_yscale("log")
            ax.set_xlabel(x_label)
            ax.set_ylabel(y_label)
            ax.set_title(shown_title)
            if len(series) > 1 or line_cols:
                if terms:  # the stacked areas fill the axes: the legend goes below the x label
                    from matplotlib.transforms import offset_copy

                    below = offset_copy(ax.transAxes, fig=fig, y=-3.4 * st.font_size, units="points")
                    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=below,
                              ncol=1 if style == "paper" else 2)
                elif many:
                    ax.legend(ncol=1 + len(series) // 20, loc="center left", bbox_to_anchor=(1.01, 0.5))
                else:
                    ax.legend(frameon=False)
            ax.grid(alpha=0.3)
            fig.tight_layout()
            buf = io.BytesIO()
            fig.savefig(buf, format=fmt, bbox_inches="tight")
        finally:
            plt.close(fig)
    from stl.kernel.atomic import write_bytes_atomic

    path = Path(out)
    try:
        write_bytes_atomic(path, buf.getvalue())
    except OSError as exc:
        raise InputError("--out", str(path), f"a writable file path ({exc.strerror or exc})") from None
    return Plotted(path, tuple(drawn_metrics), x, tuple(series), x_label, y_label, shown_title, style, fmt,
                   tuple(dict.fromkeys(notes)))


def summarize_replicates(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Rows of a ``--per-replicate`` table (``replicate``, ``value``) as tidy records: the
    mean and standard error over replicates per cell, generation and metric (the same
    numbers ``stl`` prints without ``--per-replicate``); rows with a ``mean`` pass through.

    >>> rows = [{"generation": 0, "metric": "m", "replicate": r, "value": float(r)} for r in range(3)]
    >>> [(r["mean"], round(r["stderr"], 12), r["n_replicates"]) for r in summarize_replicates(rows)]
    [(1.0, 0.57735026919, 3)]
    """
    if not any("value" in r and "mean" not in r for r in rows):
        return list(rows)
    groups: dict[tuple, list[Mapping[str, Any]]] = {}
    for r in rows:
        if "mean" in r:
            groups.setdefault(("__record__", id(r)), []).append(r)
            continue
        key = tuple((k, repr(v)) for k, v in r.items() if k not in ("replicate", "value"))
        groups.setdefault(key, []).append(r)
    out: list[Mapping[str, Any]] = []
    for key, members in groups.items():
        if key[0] == "__record__":
            out.extend(members)
            continue
        first = {k: v for k, v in members[0].items() if k not in ("replicate", "value")}
        vals = [float(m["value"]) for m in members if _finite(m.get("value"))]
        if members[0].get("replicate") is None:  # a per-generation value (a bound): not a sample
            out.append({**first, "mean": vals[0] if vals else math.nan, "stderr": math.nan, "n_replicates": 0})
            continue
        k = len(vals)
        mean = sum(vals) / k if k else math.nan
        se = math.sqrt(sum((v - mean) ** 2 for v in vals) / (k - 1) / k) if k > 1 else math.nan
        out.append({**first, "mean": mean, "stderr": se, "n_replicates": k})
    return out


def _role(metric: str) -> str:
    return {"gen_gap": "measured", "bound_analytic": "analytic", "bound_estimated": "estimated"}.get(metric, "")


def _legend(label, kind: str, bound_figure: bool) -> str:
    if kind == "bound":
        return label.words
    if kind == "term":
        return label.text()
    if bound_figure:
        return f"measured {label.symbol()} (95% CI)"
    return label.text()


def _positive(values: Sequence[float]) -> tuple[list[float], int]:
    out, hidden = [], 0
    for v in values:
        if math.isfinite(v) and v <= 0:
            hidden += 1
            out.append(math.nan)
        else:
            out.append(v)
    return out, hidden


def _spans_decade(values: Sequence[float]) -> bool:
    v = [float(a) for a in values if a > 0]
    return bool(v) and max(v) / min(v) >= 10
