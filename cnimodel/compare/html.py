"""The comparison as one self-contained HTML page (and its figure): verdict counts, the method,
what differs between the runs, a plot of the changes with their CIs, and the cells as tables
in display units (:mod:`cnimodel.display`), paths in their fixed colours
(:mod:`cnimodel.plotting._style`).

Examples
--------
>>> import pandas as pd
>>> from cnimodel.compare import compare_frames
>>> b = pd.DataFrame({"path": ["host"] * 3, "test": "rr", "latency_mean_s": [60e-6, 61e-6, 59e-6]})
>>> page = to_html(compare_frames(b, b.assign(latency_mean_s=[150e-6, 152e-6, 149e-6])), figure=False)
>>> "regression" in page and "<svg" not in page
True
"""
from __future__ import annotations

import html
import io
import math
from pathlib import Path

from ..display import format_value, label
from ..plotting._style import get_ax, path_color
from ..report.atomic import write_text
from ..summary.rows import DEFAULT_METRICS
from .result import CompareResult

__all__ = ["plot_changes", "to_html", "write_html", "headline_cells"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#222;max-width:80em}
table{border-collapse:collapse;width:100%;font-size:92%}
th,td{border:1px solid #ccc;padding:.3em .5em;vertical-align:top;text-align:left}
td:first-child,td:nth-child(2){white-space:nowrap}
th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.regression{color:#b00020;font-weight:600}td.improvement{color:#0a6d2a;font-weight:600}
td.not_comparable{color:#8a6d00}td.no_change{color:#555}
.counts span{display:inline-block;margin-right:1.2em;font-weight:600}
.meta{color:#555}.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.3em;border-radius:2px}
details{margin:1em 0}summary{cursor:pointer;font-weight:600}
"""



def headline_cells(result: CompareResult):
    """Comparable cells of each test's headline metric (:data:`cnimodel.summary.rows.DEFAULT_METRICS`:
    throughput for stream tests, mean latency for request/response), in table order."""
    c = result.cells
    if not len(c):
        return c
    want = {t: m[0] for t, m in DEFAULT_METRICS.items()}
    keep = c.apply(lambda r: r["metric"] == want.get(str(r.get("test")), r["metric"]), axis=1)
    return c[keep & (c["verdict"] != "not_comparable")]


def _scenario_text(r, with_condition=True) -> str:
    parts = [str(r.get("path"))]
    for k in ("condition", "tool", "test", "protocol", "direction")[0 if with_condition else 1:]:
        v = r.get(k)
        if v is not None and v == v:
            parts.append(str(v))
    if r.get("msg_size_bytes") is not None and r["msg_size_bytes"] == r["msg_size_bytes"]:
        parts.append(f"{int(r['msg_size_bytes'])} B")
    if r.get("streams") is not None and r["streams"] == r["streams"] and int(r["streams"]) != 1:
        parts.append(f"x{int(r['streams'])}")
    return " ".join(parts)


def plot_changes(result: CompareResult, ax=None, cells=None):
    """Change of each cell with its CI, on a ratio axis, the practical threshold shaded.

    Parameters
    ----------
    result : CompareResult
    ax : matplotlib Axes, optional
    cells : pandas.DataFrame, optional
        Rows of ``result.cells`` to draw (default :func:`headline_cells`).

    Returns
    -------
    matplotlib Axes
    """
    ax = get_ax(ax)
    c = headline_cells(result) if cells is None else cells
    c = c[c["verdict"] != "not_comparable"]
    t = result.threshold_rel
    ax.axvspan(1 / (1 + t), 1 + t, color="#eeeeee", zorder=0, label=f"threshold +-{100 * t:g} %")
    ax.axvline(1.0, color="#999999", lw=0.8)
    names = list(dict.fromkeys(c["path"].astype(str))) if len(c) else []
    for i, r in enumerate(c.to_dict("records")):
        y = len(c) - 1 - i
        col = path_color(str(r["path"]), names.index(str(r["path"])))
        lo, hi, mid = (1 + r["ci_low_rel"], 1 + r["ci_high_rel"], 1 + r["change_rel"])
        if all(math.isfinite(v) and v > 0 for v in (lo, hi, mid)):
            ax.plot([lo, hi], [y, y], color=col, lw=1.5)
        flagged = r["verdict"] in ("regression", "improvement")
        ax.plot([mid], [y], marker="o" if flagged else ".", ms=7 if flagged else 5, color=col,
                mec="black" if flagged else col)
    ax.set_xscale("log")
    lo, hi = ax.get_xlim()
    ticks = [v for v in (0.01, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0, 100.0) if lo <= v <= hi]
    ax.set_xticks(ticks, [f"{100 * (v - 1):+.0f} %" if v != 1 else "0" for v in ticks])
    ax.minorticks_off()
    one = "condition" not in c or c["condition"].nunique(dropna=False) <= 1
    ax.set_yticks(range(len(c)))
    ax.set_yticklabels([f"{_scenario_text(r, not one)}: {label(r['metric'])}"
                        for r in c.to_dict("records")][::-1], fontsize=7)
    ax.set_ylim(-0.8, max(len(c) - 0.2, 0.2))
    ax.set_xlabel(f"change, new against baseline (ratio of geometric means; line: "
                  f"{100 * (1 - result.alpha):g} % CI; log scale)")
    ax.legend(loc="lower right", fontsize=7)
    return ax


def _figure_svg(result) -> str:
    from matplotlib.figure import Figure

    n = len(headline_cells(result))
    if n == 0:
        return ""
    fig = Figure(figsize=(9, 1.2 + 0.17 * n), layout="constrained")
    plot_changes(result, ax=fig.add_subplot())
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


def _num(v, fmt):
    return "n/a" if v is None or not math.isfinite(float(v)) else fmt.format(v)


def _text(v) -> str:
    return "" if v is None or v != v else html.escape(str(v))


def _int_text(v) -> str:
    return "" if v is None or v != v else str(int(v))


def _table(cells, reason: bool = True, relative_to: str | None = None) -> str:
    head = ["path", "condition", "test", "message [B]", "streams", "metric", "baseline", "new",
            "change", "CI of the change", "p", "n", "verdict"] + (["reason"] if reason else [])
    out = ["<table><thead><tr>" + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"]
    names = []
    for r in cells.to_dict("records"):
        p = str(r.get("path"))
        if p not in names:
            names.append(p)
        sw = f'<span class="swatch" style="background:{path_color(p, names.index(p))}"></span>'
        test = " ".join(_text(r.get(k)) for k in ("tool", "test", "protocol", "direction") if _text(r.get(k)))
        m = str(r["metric"])
        ci = ("n/a" if not math.isfinite(r["ci_low_rel"]) else
              f"{100 * r['ci_low_rel']:+.1f} .. {100 * r['ci_high_rel']:+.1f} %")
        v = str(r["verdict"])
        if relative_to:
            what, vals = f"{label(m)} / {relative_to}'s", [_num(r[k], "{:.3f}") for k in ("baseline", "new")]
        else:
            what, vals = label(m), [format_value(m, r[k]) for k in ("baseline", "new")]
        tds = [f"<td>{sw}{html.escape(p)}</td>", f"<td>{_text(r.get('condition'))}</td>", f"<td>{test}</td>",
               f'<td class="num">{_int_text(r.get("msg_size_bytes"))}</td>',
               f'<td class="num">{_int_text(r.get("streams"))}</td>', f"<td>{html.escape(what)}</td>",
               *(f'<td class="num">{html.escape(v)}</td>' for v in vals),
               f'<td class="num">{_num(100 * r["change_rel"], "{:+.1f} %")}</td>', f'<td class="num">{ci}</td>',
               f'<td class="num">{_num(r["p_value"], "{:.2g}")}</td>',
               f'<td class="num">{int(r["n_baseline"])}/{int(r["n_new"])}</td>',
               f'<td class="{v}">{v.replace("_", " ")}</td>']
        if reason:
            tds.append(f"<td>{_text(r.get('reason'))}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _diagnostics_html(result) -> str:
    d = result.diagnostics
    items = []
    if result.relative_to:
        items.append(f"values are ratios to the <code>{html.escape(result.relative_to)}</code> path in the same "
                     "scenario and repetition (a load change that moves every path alike cancels); "
                     f"{html.escape(result.relative_to)} itself is not compared")
        for side, miss in (d.get("no_reference") or {}).items():
            for scn in miss:
                items.append(f"no {html.escape(result.relative_to)} value in {html.escape(side)} for "
                             + html.escape(", ".join(f"{k}={v}" for k, v in scn.items() if v is not None)))
    if d.get("baseline_path_flagged"):
        items.append(f"<b>{int(d['baseline_path_flagged'])} cell(s) of the host path (node to node, no pod "
                     "networking) changed</b>: the machine, its load or its kernel differs between the runs, "
                     "and every pod path's change includes that; read pod-path changes against host's")
    for new, base in (d.get("conditions_paired") or {}).items():
        items.append(f"condition <code>{html.escape(str(new))}</code> of {html.escape(result.new_name)} "
                     f"compared with <code>{html.escape(str(base))}</code> of {html.escape(result.baseline_name)}")
    for col, (vb, vn) in (d.get("label_changes") or {}).items():
        items.append(f"label <code>{html.escape(col)}</code>: {html.escape(', '.join(vb) or 'unset')} "
                     f"&rarr; {html.escape(', '.join(vn) or 'unset')}")
    for side, skipped in (d.get("skipped") or {}).items():
        for path, reason in skipped:
            items.append(f"skipped in {html.escape(side)}: {html.escape(str(path))} ({html.escape(str(reason))})")
    if not items:
        return ""
    return "<h2>What differs besides the measurements</h2><ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def to_html(result: CompareResult, title: str | None = None, figure: bool = True) -> str:
    """The comparison as a self-contained HTML page (inline CSS and SVG, no external files)."""
    title = title or f"cnimodel compare: {result.baseline_name} \u2192 {result.new_name}"
    n = result.counts()
    counts = "".join(f'<span class="{k}">{n[k]} {k.replace("_", " ")}</span>' for k in n)
    flagged = result.flagged()
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
             f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>",
             f'<p class="counts">{counts}</p>',
             f"<p class=\"meta\">{len(result.cells)} cells (condition x path x test x message size x streams "
             f"x metric); {len(flagged)} flagged of "
             f"{n['regression'] + n['improvement'] + n['no_change']} comparable (between two runs of the same "
             f"setup, every flag is a false alarm).</p>",
             f"<p>{html.escape(result.method)}</p>", _diagnostics_html(result)]
    if figure:
        svg = _figure_svg(result)
        if svg:
            parts.append("<h2>Changes of the headline metric of each test</h2>"
                         "<p class=\"meta\">Dot: change (filled with a black edge when flagged); line: its "
                         "CI; grey band: within the practical threshold.</p>" + svg)
    parts.append("<h2>Regressions and improvements</h2>")
    parts.append(_table(flagged, reason=False, relative_to=result.relative_to) if len(flagged) else "<p>None: no cell changed beyond the threshold "
                 "with significance.</p>")
    nc = result.cells[result.cells["verdict"] == "not_comparable"]
    if len(nc):
        parts.append(f"<details><summary>Not comparable ({len(nc)} cells)</summary>{_table(nc, relative_to=result.relative_to)}</details>")
    parts.append(f"<details><summary>All cells ({len(result.cells)})</summary>{_table(result.cells, relative_to=result.relative_to)}</details>")
    parts.append("</body></html>\n")
    return "".join(parts)


def write_html(result: CompareResult, out_dir, title: str | None = None) -> Path:
    """Write ``OUT_DIR/compare.html`` atomically; returns its path."""
    return write_text(Path(out_dir) / "compare.html", to_html(result, title))
