"""PNG figures of a verification report (matplotlib, Agg backend, imported lazily).

A check puts figure *specifications* (plain data) in ``details["figures"]``; this module
draws them, so a stored result can be re-plotted without re-running the check. Three
kinds of specification exist:

``series``
    lines over a shared x axis, each with an optional CI band (``lo``/``hi``) — bound
    vs measurement over generations, optimum curves, rates on log-log axes;
``ratios``
    one value with an interval per labelled cell — tightness ratios bound / measured;
``heatmap``
    values on a 2-D grid with an optional overlaid curve — the phase diagram in ``(λ, c)``
    with the critical line ``λ_c = 1 − 1/c`` (THEORY.md L2).

>>> spec = {"type": "series", "title": "t", "x": [0, 1], "series": [{"label": "a", "y": [1, 2]}]}
>>> import tempfile, pathlib
>>> made, problems = make_figures({"checks": [{"name": "c", "details": {"figures": [spec]}}]},
...                               pathlib.Path(tempfile.mkdtemp()))
>>> len(made), problems
(1, [])
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping, Sequence


def _num(v: Any) -> float:
    return math.nan if v is None else float(v)


def _arr(values: Sequence[Any] | None):
    import numpy as np

    return None if values is None else np.array([_num(v) for v in values], dtype=float)


def _series(ax, spec: Mapping) -> None:
    x = _arr(spec["x"])
    for s in spec.get("series", []):
        xs = _arr(s["x"]) if s.get("x") is not None else x
        y = _arr(s["y"])
        style = s.get("style", "line")
        kw = {"label": s.get("label")}
        if style == "bound":
            line, = ax.plot(xs, y, "--", linewidth=2, **kw)
        elif style == "points":
            line, = ax.plot(xs, y, "o", **kw)
        else:
            line, = ax.plot(xs, y, "o-", markersize=3, **kw)
        if s.get("lo") is not None and s.get("hi") is not None:
            ax.fill_between(xs, _arr(s["lo"]), _arr(s["hi"]), alpha=0.25, color=line.get_color(), linewidth=0)
    for m in spec.get("markers", []):
        ax.axvline(_num(m["x"]), linestyle=":", color=m.get("color", "gray"))
        ax.annotate(m.get("label", ""), (_num(m["x"]), 0.95), xycoords=("data", "axes fraction"),
                    rotation=90, va="top", fontsize=7)
    if spec.get("logx"):
        ax.set_xscale("log")
    if spec.get("logy"):
        ax.set_yscale("log")


def _ratios(ax, spec: Mapping) -> None:
    import numpy as np

    labels = list(spec["labels"])
    y = _arr(spec["values"])
    pos = np.arange(len(labels))
    lo = _arr(spec.get("lo")) if spec.get("lo") is not None else y
    hi = _arr(spec.get("hi")) if spec.get("hi") is not None else y
    finite_hi = np.where(np.isfinite(hi), hi, np.nanmax(np.where(np.isfinite(hi), hi, np.nan)) * 2 if np.any(np.isfinite(hi)) else 1)
    ax.errorbar(pos, y, yerr=[np.clip(y - lo, 0, None), np.clip(finite_hi - y, 0, None)], fmt="o", capsize=3)
    ax.axhline(spec.get("reference", 1.0), color="red", linestyle="--", linewidth=1,
               label=spec.get("reference_label", "ratio = 1"))
    ax.set_xticks(pos)
    ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=6)
    if spec.get("logy", True):
        ax.set_yscale("log")
    ax.legend(fontsize=7)


def _heatmap(fig, ax, spec: Mapping) -> None:
    import numpy as np

    x = _arr(spec["x"])
    y = _arr(spec["y"])
    z = np.array([[_num(v) for v in row] for row in spec["z"]], dtype=float)  # shape (len(y), len(x))
    mesh = ax.pcolormesh(x, y, z, shading="nearest", cmap=spec.get("cmap", "viridis"))
    fig.colorbar(mesh, ax=ax, label=spec.get("z_label", ""))
    curve = spec.get("curve")
    if curve:
        ax.plot(_arr(curve["x"]), _arr(curve["y"]), "w--", linewidth=2, label=curve.get("label"))
        ax.legend(fontsize=7, loc="lower right")
    ax.set_xlim(x.min(), x.max())
    ax.set_ylim(y.min(), y.max())


def _draw(spec: Mapping, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=100)
    try:
        kind = spec.get("type")
        if kind == "series":
            _series(ax, spec)
        elif kind == "ratios":
            _ratios(ax, spec)
        elif kind == "heatmap":
            _heatmap(fig, ax, spec)
        else:
            raise ValueError(f"unknown figure type {kind!r}")
        ax.set_title(spec.get("title", ""), fontsize=9)
        ax.set_xlabel(spec.get("x_label", ""))
        ax.set_ylabel(spec.get("y_label", ""))
        if kind == "series" and any(s.get("label") for s in spec.get("series", [])):
            ax.legend(fontsize=7)
        fig.tight_layout()
        tmp = path.with_name(f".{path.name}.tmp.png")
        fig.savefig(tmp)
        tmp.replace(path)
    finally:
        plt.close(fig)


def make_figures(report: Mapping, out_dir: Path) -> tuple[list[str], list[str]]:
    """Draw every figure spec of every check; return ``(paths made, problems)``.

    A figure that cannot be drawn is reported (one line), never fatal: the numbers in
    ``report.json`` are the result, the pictures a convenience.
    """
    out_dir = Path(out_dir)
    made: list[str] = []
    problems: list[str] = []
    for check in report.get("checks", []):
        specs = (check.get("details") or {}).get("figures") or []
        for k, spec in enumerate(specs):
            out_dir.mkdir(parents=True, exist_ok=True)
            # every file name starts with its check's name, so checks never overwrite each other
            name = str(spec.get("name") or k)
            stem = name if name.startswith(check["name"]) else f"{check['name']}-{name}"
            path = out_dir / f"{stem}.png"
            try:
                _draw(spec, path)
                made.append(str(path))
            except Exception as exc:  # a broken picture must not lose the report
                problems.append(f"figure {path.name} not drawn: {type(exc).__name__}: {exc}")
    return made, problems
