"""HTML and SVG text of the planner's outputs (pure functions of a result).

The dashboard shows these strings in ``ipywidgets.HTML`` widgets: one message
per update, no figure object to rebuild, a few kilobytes.  Every number cell
carries ``data-path``, ``data-metric`` and ``data-value`` (the SI value, full
precision) so a browser test reads exactly what the library computed; every
root element carries ``data-version`` (the update counter).

Examples
--------
>>> from cnimodel.widgets.model import PlannerModel
>>> from cnimodel.widgets import render
>>> m = PlannerModel()
>>> "data-metric=\\"latency_p99_s\\"" in render.table_html(m.result, version=1)
True
>>> render.curve_svg(m.result, version=1).count("<polyline")
10
"""
from __future__ import annotations

import html
import math

import numpy as np

from ..display import PATH_COLORS, path_color
from .model import METRICS, QUANTILE, PlannerResult, format_value

__all__ = ["PATH_COLORS", "table_html", "curve_svg", "status_html", "warnings_html"]

# Path colours are cnimodel.display's (PATH_COLORS re-exported here), the same as in every plot.

_CSS = """<style>
.cnimodel-planner-table{border-collapse:collapse;font:13px/1.35 system-ui,sans-serif}
.cnimodel-planner-table th,.cnimodel-planner-table td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}
.cnimodel-planner-table th:first-child{text-align:left;font-weight:normal}
.cnimodel-planner-table td.unit{color:#666;text-align:left}
.cnimodel-planner-table tr.limit td{white-space:normal;max-width:9em;font-size:12px}
.cnimodel-planner-table td.bad{background:#fde2e1;color:#a00}
.cnimodel-planner-table td.warn{background:#fff4d6}
.cnimodel-planner-status{font:13px/1.4 system-ui,sans-serif;padding:4px 8px;min-height:1.4em;border-radius:3px}
.cnimodel-planner-status[data-kind=error]{background:#fde2e1;color:#900;border:1px solid #e99}
.cnimodel-planner-status[data-kind=warning]{background:#fff4d6;color:#7a5500;border:1px solid #e8c66a}
.cnimodel-planner-status[data-kind=ok]{color:#2a6b2a}
.cnimodel-planner-warnings{font:12px/1.4 system-ui,sans-serif;color:#7a5500;margin:4px 0 0 0;padding-left:18px}
</style>"""


def _e(s) -> str:
    return html.escape(str(s), quote=True)


def _label(result: PlannerResult, column: str, label: str) -> str:
    i = result.inputs
    if column == "nodes_needed":
        if i.sizing == "demand":
            return f"nodes needed for {i.total_demand_bps / 1e9:g} Gbit/s"
        return f"nodes needed for {i.node_count} nodes x {i.pods_per_node} pods"
    if column == "max_demand_bps":
        return f"max demand on {i.node_count} nodes"
    if column.startswith("latency_") and column.endswith("_s"):
        return label
    if column == "max_pods_per_node":
        return f"max pods per node (p99 <= {i.latency_target_p99_s * 1e6:g} us)"
    if column == "max_nodes":
        target = f"{i.node_count} nodes" if i.sizing == "nodes" else "nodes needed"
        return f"max nodes (addresses, routes); target: {target}"
    return label


def _text(column, v) -> str:
    """Display text of a cell: :func:`format_value`, with the cluster rows' own words."""
    if column == "max_nodes" and not isinstance(v, str) and math.isinf(float(v)):
        return "no limit"
    if column in ("addresses_per_node", "max_nodes") and not isinstance(v, str) and float(v) >= 1e9:
        return f"{float(v):.3g}"
    return format_value(column, v)


_NODE_ROWS = ("max_nodes", "nodes_limit")
_POD_ROWS = ("cluster_pods_per_node", "pods_limit")


def _cell_class(row, column) -> str:
    if column in _NODE_ROWS:
        return "bad" if not bool(row["nodes_fit"]) else ""
    if column in _POD_ROWS:
        return "bad" if not bool(row["pods_fit"]) else ""
    if bool(row["mtu_misconfigured"]):
        return "bad"
    if column in ("latency_mean_s", "latency_p99_s", "utilisation") and bool(row["saturated"]):
        return "bad"
    return ""


def table_html(result: PlannerResult, version: int = 0) -> str:
    """The per-path table: one row per metric, one column per path, units in a column."""
    t = result.table
    paths = list(t.index)
    cols = {c: t[c].to_numpy() for c in t.columns}
    recs = {p: {c: v[k] for c, v in cols.items()} for k, p in enumerate(paths)}
    head = "".join(
        f'<th data-path="{_e(p)}" style="color:{path_color(p)}">{_e(p)}</th>'
        for p in paths)
    rows = []
    for col, label, unit in METRICS:
        if col == "max_demand_bps" and result.inputs.sizing != "nodes":
            continue
        cells = []
        for p in paths:
            r = recs[p]
            v = r[col]
            raw = v if isinstance(v, str) else repr(float(v))
            cls = _cell_class(r, col)
            cells.append(f'<td data-path="{_e(p)}" data-metric="{col}" data-value="{_e(raw)}"'
                         f'{f" class={chr(34)}{cls}{chr(34)}" if cls else ""}>'
                         f"{_e(_text(col, v))}</td>")
        rc = ' class="limit"' if col in ("nodes_limit", "pods_limit") else ""
        rows.append(f'<tr data-metric="{col}"{rc}><th>{_e(_label(result, col, label))}</th>'
                    f'<td class="unit">{_e(unit)}</td>{"".join(cells)}</tr>')
    return (f'<div class="cnimodel-planner-results" data-version="{int(version)}">{_CSS}'
            f'<table class="cnimodel-planner-table"><thead><tr><th>quantity</th><th>unit</th>'
            f'{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            f"{warnings_html(result)}</div>")


def warnings_html(result: PlannerResult) -> str:
    """The warnings of a result as a list (empty string when there are none)."""
    if not result.warnings:
        return ""
    items = "".join(f"<li>{_e(w)}</li>" for w in result.warnings)
    return f'<ul class="cnimodel-planner-warnings">{items}</ul>'


def status_html(message: str, kind: str = "ok", version: int = 0, kernel_s: float = float("nan")) -> str:
    """The one-line status bar: an error (inputs rejected), a warning summary, or "up to date".

    ``kernel_s`` (time the kernel spent on the update [s]) is kept in ``data-kernel-ms``.
    """
    text = message or "up to date"
    ms = "" if kernel_s != kernel_s else f"{kernel_s * 1e3:.2f}"
    return (f'<div class="cnimodel-planner-status" data-version="{int(version)}" '
            f'data-kind="{_e(kind)}" data-kernel-ms="{ms}" role="status">{_e(text)}</div>')


def _nice_ticks_log(lo, hi):
    out = []
    for d in range(int(math.floor(math.log10(lo))), int(math.ceil(math.log10(hi))) + 1):
        for m in (1, 2, 5):
            v = m * 10.0 ** d
            if lo <= v <= hi:
                out.append(v)
    return out


def _nice_ticks_lin(hi, n=5):
    if hi <= 0:
        return [0.0]
    raw = hi / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw), default=10 * mag)
    return [i * step for i in range(int(hi / step) + 1)]


_LINES_CACHE: dict = {}


def curve_svg(result: PlannerResult, version: int = 0, width: int = 640, height: int = 320) -> str:
    """Latency-vs-load plot: p99 (solid) and mean (dashed) latency against offered load per node.

    Log latency axis [us], linear load axis [Gbit/s]; the p99 target is a
    horizontal line, the offered load a vertical one, each path's operating
    point a dot.  Saturated or misconfigured paths have no operating point.
    """
    c = result.curve
    t = result.table
    i = result.inputs
    ml, mr, mt, mb = 62, 110, 14, 42
    pw, ph = width - ml - mr, height - mt - mb
    lat = np.concatenate([c["latency_p99_s"].to_numpy(float), c["latency_mean_s"].to_numpy(float),
                          [i.latency_target_p99_s]])
    lat = lat[np.isfinite(lat) & (lat > 0)]
    ylo, yhi = (lat.min() / 1.15, lat.max() * 1.15) if lat.size else (1e-6, 1e-3)
    xs = c["offered_bps"].to_numpy(float)
    off = float(t["offered_bps"].to_numpy()[0])
    xmax = max(float(np.nanmax(xs)) if np.isfinite(xs).any() else 0.0, off)
    xmax = xmax * 1.05 if xmax > 0 else 1e9

    def X(v):
        return ml + pw * (np.asarray(v, float) / xmax)

    def Y(v):
        v = np.clip(np.asarray(v, float), ylo, yhi)
        return mt + ph * (1 - (np.log10(v) - math.log10(ylo)) / (math.log10(yhi) - math.log10(ylo)))

    parts = [f'<svg class="cnimodel-planner-curve" data-version="{int(version)}" '
             f'xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="system-ui,sans-serif" font-size="11">',
             f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="#fff" stroke="#999"/>']
    for v in _nice_ticks_log(ylo, yhi):
        y = float(Y(v))
        parts.append(f'<line x1="{ml}" x2="{ml + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{ml - 4}" y="{y + 4:.1f}" text-anchor="end">{v * 1e6:g}</text>')
    for v in _nice_ticks_lin(xmax / 1e9):
        x = float(X(v * 1e9))
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{mt}" y2="{mt + ph}" stroke="#eee"/>'
                     f'<text x="{x:.1f}" y="{mt + ph + 14}" text-anchor="middle">{v:g}</text>')
    parts.append(f'<text x="{ml + pw / 2}" y="{height - 6}" text-anchor="middle">offered load per node '
                 f'[Gbit/s]</text><text transform="translate(14,{mt + ph / 2}) rotate(-90)" '
                 f'text-anchor="middle">latency [us] (log)</text>')
    # target and operating load
    yt = float(Y(i.latency_target_p99_s))
    parts.append(f'<line class="target" x1="{ml}" x2="{ml + pw}" y1="{yt:.1f}" y2="{yt:.1f}" '
                 f'stroke="#000" stroke-dasharray="2,3"/><text x="{ml + pw - 4}" y="{yt - 4:.1f}" '
                 f'text-anchor="end">p99 target {i.latency_target_p99_s * 1e6:g} us</text>')
    if off <= xmax:
        xo = float(X(off))
        parts.append(f'<line class="offered" x1="{xo:.1f}" x2="{xo:.1f}" y1="{mt}" y2="{mt + ph}" '
                     f'stroke="#888" stroke-dasharray="4,3"/>')
    names = c["path"].to_numpy(object)
    starts = np.flatnonzero(np.r_[True, names[1:] != names[:-1]])
    ends = np.r_[starts[1:], len(names)]
    # The curves change only with the network inputs and the axes: reuse their text otherwise.
    key = (id(c), xmax, ylo, yhi, width, height)
    if _LINES_CACHE.get("key") == key and _LINES_CACHE.get("curve") is c:
        lines = _LINES_CACHE["lines"]
    else:
        lines = []
        xa = X(xs)
        lat_cols = {q: c[q].to_numpy(float) for q in ("latency_p99_s", "latency_mean_s")}
        for a, b in zip(starts, ends):
            p = names[a]
            col = path_color(p)
            x = xa[a:b]
            for q, dash in (("latency_p99_s", ""), ("latency_mean_s", ' stroke-dasharray="5,3"')):
                y = lat_cols[q][a:b]
                ok = np.isfinite(y) & np.isfinite(x)
                xy = np.round(np.column_stack([x[ok], Y(y[ok])]), 1)
                pts = " ".join(map("{0[0]:.1f},{0[1]:.1f}".format, xy.tolist()))
                lines.append(f'<polyline data-path="{_e(p)}" data-quantity="{q}" points="{pts}" '
                             f'fill="none" stroke="{col}" stroke-width="1.6"{dash}/>')
        _LINES_CACHE.update(key=key, curve=c, lines=lines)
    p99_all = dict(zip(t.index, t["latency_p99_s"].to_numpy(float)))
    for k, (a, b) in enumerate(zip(starts, ends)):
        p = names[a]
        col = path_color(p)
        parts.extend(lines[2 * k: 2 * k + 2])
        p99 = p99_all.get(p, float("nan"))
        if np.isfinite(p99):
            parts.append(f'<circle cx="{float(X(off)):.1f}" cy="{float(Y(p99)):.1f}" r="3.5" '
                         f'fill="{col}"/>')
        ly = mt + 14 + 16 * k
        parts.append(f'<line x1="{ml + pw + 10}" x2="{ml + pw + 30}" y1="{ly - 4}" y2="{ly - 4}" '
                     f'stroke="{col}" stroke-width="2"/><text x="{ml + pw + 34}" y="{ly}">{_e(p)}</text>')
    ly = mt + 14 + 16 * (len(starts) + 0.5)
    parts.append(f'<text x="{ml + pw + 10}" y="{ly}" fill="#555">solid: p{QUANTILE * 100:g}</text>'
                 f'<text x="{ml + pw + 10}" y="{ly + 14}" fill="#555">dashed: mean</text>'
                 f'<text x="{ml + pw + 10}" y="{ly + 28}" fill="#555">dot: offered</text>')
    parts.append("</svg>")
    return "".join(parts)
