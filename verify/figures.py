"""Figures of a verification report, PNG, PDF or SVG (matplotlib, Agg backend, imported lazily).

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

Legibility rules, each from a figure that was hard to read: a series keeps one colour
for one role in every figure (measured, analytic constants, estimated constants,
closed form...: :func:`role_colour`); labels are typeset by matplotlib's mathtext from
their plain notation (``|E gen_i|``, ``γ̂_n^i``, ``E test_error``; :mod:`stl.verify.labels`),
and a spec's ``y_metric`` names a metric whose declared label is the y label; markers at (nearly) the same place share one
label (``sympy = scipy = cvxpy``); generations are integer ticks; a log axis over a few
sizes is ticked at those sizes; many cells of a ratios figure are grouped (a colour per
group, the last part of each label on the axis).

>>> spec = {"type": "series", "title": "t", "x": [0, 1], "series": [{"label": "a", "y": [1, 2]}]}
>>> import tempfile, pathlib
>>> made, problems = make_figures({"checks": [{"name": "c", "details": {"figures": [spec]}}]},
...                               pathlib.Path(tempfile.mkdtemp()))
>>> len(made), problems
(1, [])
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from stl.verify.labels import metric_label, renderable


def _num(v: Any) -> float:
    return math.nan if v is None else float(v)


def _arr(values: Sequence[Any] | None):
    import numpy as np

    return None if values is None else np.array([_num(v) for v in values], dtype=float)


#: Colours by the role a label names, first match wins (so "estimated constants" is the
#: same green in every figure, whether or not an analytic series comes before it).
ROLE_COLOURS: tuple[tuple[str, str], ...] = (
    ("estimated", "tab:green"),
    ("analytic", "tab:red"),
    ("closed form", "tab:orange"),
    ("theory", "tab:orange"),
    ("bound", "tab:red"),
    ("fit", "tab:purple"),
    ("measured", "tab:blue"),
)
#: Colours for labels that name no role, in order.
_OTHER_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown",
                  "tab:pink", "tab:gray", "tab:olive", "tab:cyan")


def role_colour(label: str | None) -> str | None:
    """The fixed colour of a series by its label's role (``None``: no role named).

    >>> role_colour("T1, estimated constants (upper CI)"), role_colour("|E gen_i| measured (CI)")
    ('tab:green', 'tab:blue')
    """
    text = (label or "").lower()
    for word, colour in ROLE_COLOURS:
        if word in text:
            return colour
    return None


def _merge_markers(markers: Sequence[Mapping], log: bool, span: tuple[float, float]) -> list[tuple[float, str, str]]:
    """Markers closer than 2 % of the axis share one line and one label ``a = b = c``."""
    lo, hi = span
    scale = (math.log10(hi) - math.log10(lo)) if log and lo > 0 and hi > lo else (hi - lo) or 1.0

    def pos(x: float) -> float:
        return math.log10(x) if log and x > 0 else x

    groups: list[list[Mapping]] = []
    for m in sorted(markers, key=lambda m: _num(m["x"])):
        x = _num(m["x"])
        if groups and math.isfinite(x) and abs(pos(x) - pos(_num(groups[-1][0]["x"]))) < 0.02 * scale:
            groups[-1].append(m)
        else:
            groups.append([m])
    return [(_num(g[0]["x"]), " = ".join(str(m.get("label", "")) for m in g), g[0].get("color", "gray"))
            for g in groups]


def _integer_ticks_if_integral(axis, values) -> None:
    """Integer ticks for an axis of integers (generations: no 0.5 ticks)."""
    from matplotlib.ticker import MaxNLocator

    v = [float(x) for x in values if x is not None and math.isfinite(float(x))]
    if v and all(x == int(x) for x in v):
        axis.set_major_locator(MaxNLocator(integer=True))


def _log_ticks_at(axis, values) -> None:
    """A log axis over a few sizes: ticks at exactly those sizes, plain numbers, no minor labels."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    v = sorted({float(x) for x in values if x is not None and math.isfinite(float(x)) and float(x) > 0})
    if 2 <= len(v) <= 10:
        axis.set_major_locator(FixedLocator(v))
        axis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
        axis.set_minor_formatter(NullFormatter())


def _series(ax, spec: Mapping) -> None:
    x = _arr(spec["x"])
    others = iter(c for c in _OTHER_COLOURS)
    used: set[str] = set()
    all_x: list[float] = []
    for s in spec.get("series", []):
        xs = _arr(s["x"]) if s.get("x") is not None else x
        all_x += list(xs)
        y = _arr(s["y"])
        style = s.get("style", "line")
        colour = s.get("color") or role_colour(s.get("label"))
        if colour is None or colour in used and not role_colour(s.get("label")):
            colour = next((c for c in others if c not in used), None)
        used.add(colour)
        kw = {"label": renderable(s.get("label")) or None, "color": colour}
        if style == "bound":
            line, = ax.plot(xs, y, "--", linewidth=2, **kw)
        elif style == "points":
            line, = ax.plot(xs, y, "o", **kw)
        else:
            line, = ax.plot(xs, y, "o-", markersize=3, **kw)
        if s.get("lo") is not None and s.get("hi") is not None:
            ax.fill_between(xs, _arr(s["lo"]), _arr(s["hi"]), alpha=0.25, color=line.get_color(), linewidth=0)
    if spec.get("logx"):
        ax.set_xscale("log")
    if spec.get("logy"):
        ax.set_yscale("log")
    markers = spec.get("markers", [])
    if markers:
        finite = [v for v in all_x if math.isfinite(v)] + [_num(m["x"]) for m in markers]
        span = (min(finite), max(finite)) if finite else (0.0, 1.0)
        for mx, label, colour in _merge_markers(markers, bool(spec.get("logx")), span):
            ax.axvline(mx, linestyle=":", color=colour)
            ax.annotate(renderable(label), (mx, 0.97), xycoords=("data", "axes fraction"), rotation=90, va="top",
                        ha="right", fontsize=7, xytext=(-2, 0), textcoords="offset points")
    if spec.get("logx"):
        _log_ticks_at(ax.xaxis, all_x)
    else:
        _integer_ticks_if_integral(ax.xaxis, all_x)


#: Above this many cells a ratios figure groups its labels.
_GROUP_ABOVE = 12


def _groups(labels: Sequence[str]) -> list[tuple[str, str]] | None:
    """``"n=50,λ=0.2,i=3"`` -> ``("n=50, λ=0.2", "3")`` for every label, when all split so."""
    out = []
    for label in labels:
        head, sep, tail = str(label).rpartition(",")
        if not sep:
            return None
        out.append((head.replace(",", ", "), tail.split("=", 1)[-1]))
    return out


def _ratios(ax, spec: Mapping) -> None:
    import numpy as np

    labels = list(spec["labels"])
    y = _arr(spec["values"])
    pos = np.arange(len(labels), dtype=float)
    lo = _arr(spec.get("lo")) if spec.get("lo") is not None else y
    hi = _arr(spec.get("hi")) if spec.get("hi") is not None else y
    finite_hi = np.where(np.isfinite(hi), hi, np.nanmax(np.where(np.isfinite(hi), hi, np.nan)) * 2 if np.any(np.isfinite(hi)) else 1)
    err = [np.clip(y - lo, 0, None), np.clip(finite_hi - y, 0, None)]
    groups = _groups(labels) if len(labels) > _GROUP_ABOVE else None
    ax.axhline(spec.get("reference", 1.0), color="red", linestyle="--", linewidth=1,
               label=renderable(spec.get("reference_label", "ratio = 1")))
    if groups is None:
        ax.errorbar(pos, y, yerr=err, fmt="o", capsize=3)
        ax.set_xticks(pos)
        ax.set_xticklabels([renderable(str(label)) for label in labels], rotation=60 if len(labels) > 6 else 0, ha="right" if len(labels) > 6 else "center",
                           fontsize=7)
    else:
        # one colour per group (a legend entry each); the axis shows only the last part
        names = list(dict.fromkeys(g for g, _ in groups))
        member = str(labels[0]).rpartition(",")[2].split("=", 1)[0]  # "i" of "…,i=3"
        for k, name in enumerate(names):
            idx = np.array([i for i, (g, _) in enumerate(groups) if g == name])
            ax.errorbar(pos[idx], y[idx], yerr=[err[0][idx], err[1][idx]], fmt="o", capsize=2, markersize=4,
                        color=_OTHER_COLOURS[k % len(_OTHER_COLOURS)], label=renderable(name))
            if k:
                ax.axvline(pos[idx[0]] - 0.5, color="0.85", linewidth=0.8)
        ax.set_xticks(pos)
        ax.set_xticklabels([m for _, m in groups], fontsize=7)
        if member and not spec.get("x_label"):
            ax.set_xlabel(renderable(f"{member} within each cell"))
    if spec.get("logy", True):
        ax.set_yscale("log")
    ax.legend(fontsize=7, ncol=2 if groups and len(groups) > 4 else 1)


def _heatmap(fig, ax, spec: Mapping) -> None:
    import numpy as np

    x = _arr(spec["x"])
    y = _arr(spec["y"])
    z = np.array([[_num(v) for v in row] for row in spec["z"]], dtype=float)  # shape (len(y), len(x))
    mesh = ax.pcolormesh(x, y, z, shading="nearest", cmap=spec.get("cmap", "viridis"))
    fig.colorbar(mesh, ax=ax, label=renderable(spec.get("z_label", "")))
    curve = spec.get("curve")
    if curve:
        ax.plot(_arr(curve["x"]), _arr(curve["y"]), "w--", linewidth=2, label=renderable(curve.get("label")) or None)
        ax.legend(fontsize=7, loc="lower right")
    ax.set_xlim(x.min(), x.max())
    ax.set_ylim(y.min(), y.max())


def y_label(spec: Mapping) -> str:
    """The y label of a spec: its ``y_metric``'s declared label (:mod:`stl.verify.labels`)
    when it names one, else its ``y_label`` text typeset by :func:`renderable`.

    >>> y_label({"y_metric": "gen_gap", "y_label": "E gen_i"})
    'generalization error $\\\\mathbb{E}\\\\,\\\\mathrm{gen}_{i}$'
    """
    if spec.get("y_metric"):
        return metric_label(str(spec["y_metric"]), spec.get("model")).text()
    return renderable(spec.get("y_label", ""))


def _draw(spec: Mapping, paths: Sequence[Path]) -> None:
    """Draw ``spec`` once and save it to each of ``paths`` (format from the suffix), atomically."""
    import io

    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt
    from stl.kernel.atomic import write_bytes_atomic

    wide = spec.get("type") == "ratios" and len(spec.get("labels", ())) > _GROUP_ABOVE
    fig, ax = plt.subplots(figsize=(8.0 if wide else 6.4, 4.4 if wide else 4.2), dpi=100)
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
        ax.set_title(renderable(spec.get("title", "")), fontsize=9)
        if spec.get("x_label") or not ax.get_xlabel():
            ax.set_xlabel(renderable(spec.get("x_label", "")))
        ax.set_ylabel(y_label(spec))
        if kind == "series" and any(s.get("label") for s in spec.get("series", [])):
            ax.legend(fontsize=7)
        fig.tight_layout()
        for path in paths:
            buf = io.BytesIO()
            fig.savefig(buf, format=path.suffix.lstrip("."))
            write_bytes_atomic(path, buf.getvalue())
    finally:
        plt.close(fig)


FORMATS: tuple[str, ...] = ("png", "pdf", "svg")


def make_figures(report: Mapping, out_dir: Path, formats: Sequence[str] = ("png",)) -> tuple[list[str], list[str]]:
    """Draw every figure spec of every check in each of ``formats``; return ``(paths made, problems)``.

    A figure that cannot be drawn is reported (one line), never fatal: the numbers in
    ``report.json`` are the result, the pictures a convenience.
    """
    formats = tuple(dict.fromkeys(formats)) or ("png",)
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"figure formats must be among {FORMATS}, got {bad}")
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
            paths = [out_dir / f"{stem}.{fmt}" for fmt in formats]
            try:
                _draw(spec, paths)
                made += [str(p) for p in paths]
            except Exception as exc:  # a broken picture must not lose the report
                problems.append(f"figure {paths[0].stem} not drawn: {type(exc).__name__}: {exc}")
    return made, problems


# ======================================================================================
# The atlas figure (stl atlas): both predictions of λ_c against the observed boundary
# ======================================================================================

#: Offsets tried for a label, in points: rings of growing radius, eight directions each.
_LABEL_RADII = (7, 12, 18, 26, 36, 48, 62, 80, 100, 125, 150)
_LABEL_ANGLES = (45, 135, 315, 225, 0, 180, 90, 270, 22.5, 67.5, 112.5, 157.5, 202.5, 247.5, 292.5, 337.5)


def _overlaps(a, b, pad: float = 1.5) -> bool:
    return not (a.x1 + pad <= b.x0 or b.x1 + pad <= a.x0 or a.y1 + pad <= b.y0 or b.y1 + pad <= a.y0)


def _text_box(art, renderer):
    """The box of an annotation's text alone (``Annotation.get_window_extent`` adds its arrow)."""
    from matplotlib.text import Text

    art.update_positions(renderer)  # the annotation's text is moved to its offset here
    return Text.get_window_extent(art, renderer)


def place_labels(ax, anchors: Sequence[tuple[float, float]], texts: Sequence[str], obstacles=(), soft=(),
                 fontsize: float = 8) -> list:
    """Text labels next to data ``anchors`` so that no two overlap and none covers an obstacle.

    ``obstacles`` are display-space boxes (``matplotlib.transforms.Bbox``) a label must
    avoid (the markers), ``soft`` ones it avoids if it can (error bars). Each label tries
    offsets on rings of growing radius around its anchor and keeps the first free one
    inside the axes — first avoiding both kinds, then only the hard ones; beyond the
    first ring a thin leader line joins it to its point. A label that finds no free place
    inside the axes goes to a column right of the axes. Returns the text artists.
    """
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    inside = ax.get_window_extent(renderer)
    placed_boxes = list(obstacles)
    artists = []
    column_y = inside.y1
    for (x, y), text in zip(anchors, texts):
        chosen = None
        for avoid in (placed_boxes + list(soft), placed_boxes):
            chosen = _free_spot(ax, renderer, inside, (x, y), text, avoid, fontsize)
            if chosen:
                break
        if chosen is None:
            # A column right of the axes: stacked from the top, so these never meet either.
            width, height = fig.bbox.width, fig.bbox.height
            art = ax.annotate(text, (x, y), xycoords="data", xytext=((inside.x1 + 8) / width, column_y / height),
                              textcoords="figure fraction", ha="left", va="top", fontsize=fontsize,
                              annotation_clip=False,
                              arrowprops=dict(arrowstyle="-", color="0.5", lw=0.6, shrinkA=0, shrinkB=2))
            box = _text_box(art, renderer)
            column_y = box.y0 - 3
            chosen = (art, box)
        artists.append(chosen[0])
        placed_boxes.append(chosen[1])
    return artists


def _free_spot(ax, renderer, inside, anchor, text: str, avoid, fontsize: float):
    """The first offset on the rings around ``anchor`` where ``text`` fits inside the axes
    and meets none of the ``avoid`` boxes: ``(artist, box)``, or ``None``."""
    for radius in _LABEL_RADII:
        for angle in _LABEL_ANGLES:
            dx = radius * math.cos(math.radians(angle))
            dy = radius * math.sin(math.radians(angle))
            ha = "left" if dx > 1 else ("right" if dx < -1 else "center")
            va = "bottom" if dy > 1 else ("top" if dy < -1 else "center")
            art = ax.annotate(text, anchor, xytext=(dx, dy), textcoords="offset points", ha=ha, va=va,
                              fontsize=fontsize, annotation_clip=False,
                              arrowprops=(dict(arrowstyle="-", color="0.5", lw=0.6, shrinkA=0, shrinkB=2)
                                          if radius > _LABEL_RADII[0] else None))
            box = _text_box(art, renderer)
            if (box.x0 >= inside.x0 and box.x1 <= inside.x1 and box.y0 >= inside.y0 and box.y1 <= inside.y1
                    and not any(_overlaps(box, other) for other in avoid)):
                return art, box
            art.remove()
    return None


def draw_atlas(rows: Sequence[Mapping], path, *, return_artists: bool = False):
    """L2's and the typical prediction of ``λ_c`` against the observed boundary, error bars on
    all three, one label per architecture that no other label or marker covers.

    ``rows`` are ``stl atlas`` rows (``lambda_c_observed``, ``lambda_c_predicted``,
    ``lambda_c_typical`` and their ``_ci`` pairs, ``architecture``).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.transforms import Bbox

    fig, ax = plt.subplots(figsize=(7.0, 6.6))
    fig.subplots_adjust(left=0.11, right=0.86, top=0.92, bottom=0.17)
    diagonal = [k / 200 for k in range(207)]
    ax.plot(diagonal, diagonal, color="grey", lw=1, ls="--")
    ax.fill_between(diagonal, diagonal, [1.03] * len(diagonal), color="tab:green", alpha=0.06, linewidth=0)
    styles = (("lambda_c_predicted", "s", "tab:red", r"L2: $\lambda_c = 1 - 1/\hat c$ (sufficient)"),
              ("lambda_c_typical", "o", "tab:purple", r"typical: $\lambda_c^{\mathrm{typ}} = 1 - 1/c_{\mathrm{typ}}$"))
    markers, segments = [], []
    for r in rows:
        x = _num(r["lambda_c_observed"])
        xl, xh = (_num(v) for v in r["lambda_c_observed_ci"])
        ys = [_num(r[key]) for key, *_ in styles]
        ax.plot([x, x], [min(ys), max(ys)], color="0.75", lw=0.8, zorder=1)
        segments.append(((x, min(ys)), (x, max(ys))))
        for key, marker, colour, _ in styles:
            y = _num(r[key])
            yl, yh = (_num(v) for v in r[key + "_ci"])
            segments += [((xl, y), (xh, y)), ((x, yl), (x, yh))]
            ax.errorbar([x], [y], xerr=[[max(x - xl, 0)], [max(xh - x, 0)]], yerr=[[max(y - yl, 0)], [max(yh - y, 0)]],
                        fmt=marker, color=colour, ms=6, capsize=2.5, lw=1, zorder=3)
            markers.append((x, y))
    for key, marker, colour, label in styles:
        ax.plot([], [], marker, color=colour, label=label)
    ax.plot([], [], color="grey", lw=1, ls="--", label="prediction = observed")
    # Most boundaries are small: a square-root scale on both axes spreads them and keeps
    # the diagonal straight.
    import numpy as np

    def forward(v):
        return np.sign(v) * np.sqrt(np.abs(v))

    def inverse(v):
        return np.sign(v) * np.square(v)

    for axis in ("x", "y"):
        getattr(ax, f"set_{axis}scale")("function", functions=(forward, inverse))
    ticks = [0, 0.01, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
    ax.set_xlim(-0.0008, 1.03)        # a margin of 0.03 on the square-root axis
    ax.set_ylim(-0.0008, 1.03)
    ax.set_xlabel(r"observed boundary $\lambda_c$ (where $\hat\gamma_n^G/\hat\gamma_n^0 = G + 1$)")
    ax.set_ylabel(r"predicted $\lambda_c$")
    ax.set_title("How much real data each architecture needs")
    ax.fill_between([], [], [], color="tab:green", alpha=0.15, label="above the diagonal: the prediction is safe")
    fig.legend(loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    half = 4.5 * fig.dpi / 72.0           # half a marker, in pixels
    obstacles = [Bbox.from_extents(px - half, py - half, px + half, py + half)
                 for px, py in (ax.transData.transform(m) for m in markers)]
    # Error bars and connectors: a label avoids sitting on a line where it can (2 pixels either side).
    lines = []
    for a, b in segments:
        (x0, y0), (x1, y1) = ax.transData.transform(a), ax.transData.transform(b)
        if all(map(math.isfinite, (x0, y0, x1, y1))):
            lines.append(Bbox.from_extents(min(x0, x1) - 2, min(y0, y1) - 2, max(x0, x1) + 2, max(y0, y1) + 2))
    # Architectures at (nearly) the same place share one label, "a, b".
    anchors, texts = [], []
    for r in rows:
        point = (_num(r["lambda_c_observed"]), _num(r["lambda_c_typical"]))
        px = ax.transData.transform(point)
        for k, other in enumerate(anchors):
            if math.dist(px, ax.transData.transform(other)) < 4.0:
                texts[k] += ("\n" if texts[k].count(",") or "\n" in texts[k] else ", ") + str(r["architecture"])
                break
        else:
            anchors.append(point)
            texts.append(str(r["architecture"]))
    # Place the most crowded labels first: anchors with many neighbours get the near rings.
    order = sorted(range(len(anchors)), key=lambda k: -sum(math.hypot(anchors[k][0] - a[0], anchors[k][1] - a[1]) < 0.1
                                                         for a in anchors))
    # Three or more names at one place stack on lines of their own (a narrow block).
    texts = [t.replace(", ", "\n") if "\n" in t else t for t in texts]
    placed = place_labels(ax, [anchors[k] for k in order], [texts[k] for k in order], obstacles, lines)
    boxes = [_text_box(a, renderer) for a in placed]
    fig.savefig(path, dpi=120)
    plt.close(fig)
    if return_artists:
        return boxes, obstacles
    return None
