"""The verdict as HTML: one matrix (a block of rows per comparable group, the baseline's
medians on its own row, every other cell the change with its CI, a mark and a colour), the
sentences, and what could not be compared.  Self-contained markup and CSS (no script, no
external resource); every value escaped.  Cell rendering is shared with the batch index.

>>> from cnimodel.summary.verdict_html import cell_html
>>> cell_html({"relative": -0.0344, "relative_ci_low": -0.035, "relative_ci_high": -0.034,
...            "significant": True, "worse": True, "p_value": 1e-6, "metric": "throughput_bps",
...            "median": 1.847e9, "baseline_median": 1.913e9, "baseline": "host"})[:46]
'<td class="cnm-c cnm-worse" data-sort="-3.44" '
"""
from __future__ import annotations

import html

import numpy as np

from ..display import format_value
from .rows import missing
from .verdict import metric_unit

__all__ = ["CSS", "LEGEND", "cell_class", "cell_html", "value_text", "verdict_html"]

#: Styles of the matrix and of the index (one visual language for both).
CSS = """
.cnm-verdict{font-size:14px;line-height:1.35}
.cnm-verdict p.cnm-s{margin:.25em 0}
table.cnm-m{border-collapse:collapse;margin:.5em 0;font-size:13px;table-layout:auto}
table.cnm-m th,table.cnm-m td{border:1px solid #d0d0d0;padding:1px 5px;text-align:right;white-space:nowrap}
table.cnm-m th{white-space:normal;max-width:9em}
table.cnm-m th{background:#f3f3f3;font-weight:600;text-align:center}
table.cnm-m td.cnm-p,table.cnm-m th.cnm-p{text-align:left}
table.cnm-m tr.cnm-g th{text-align:left;background:#e8ecf3;font-weight:600}
table.cnm-m tr.cnm-b td{color:#333;background:#fafafa}
table.cnm-m td.cnm-worse{background:#f6cccc;color:#7a0010;font-weight:600}
table.cnm-m td.cnm-better{background:#cfe9d6;color:#0b5321;font-weight:600}
table.cnm-m td.cnm-ns{color:#666}
table.cnm-m td.cnm-c small{display:block;color:inherit;opacity:.75;font-weight:400;font-size:11px;line-height:1.05}
.cnm-dot{display:inline-block;width:.7em;height:.7em;border-radius:50%;margin-right:.35em;vertical-align:baseline}
.cnm-legend{color:#555;font-size:12px;margin:.2em 0 .6em}
"""

#: What the marks and colours mean.
LEGEND = ("\u25cf significant change, \u25cb not significant ({level} level, {test}); red: worse than the "
          "baseline, green: better; [a, b]: {level} bootstrap interval of the change; baseline rows show "
          "its medians.")

_MINUS = "-"


def _pct(x) -> str:
    if missing(x) or not np.isfinite(x):
        return "n/a"
    return f"{100 * x:+.2f} %" if abs(x) < 1e-3 else f"{100 * x:+.1f} %"


def _ci(lo, hi) -> str:
    d = 2 if max(abs(lo), abs(hi)) < 1e-3 else 1
    return f"[{100 * lo:+.{d}f}, {100 * hi:+.{d}f}]"


def value_text(metric: str, x) -> str:
    """A median in the metric's display unit: ``1.913 Gbit/s``, ``31 us``."""
    if missing(x) or not np.isfinite(x):
        return "n/a"
    return f"{format_value(metric, x)} {metric_unit(metric).unit}"


def cell_class(c: dict) -> str:
    """``cnm-worse`` / ``cnm-better`` (significant) or ``cnm-ns``."""
    if not c.get("significant"):
        return "cnm-ns"
    return "cnm-worse" if c.get("worse") else "cnm-better"


def cell_html(c: dict, extra_title: str = "", ci: bool = True) -> str:
    """One ``<td>``: relative change, its CI, the significance mark; details in ``title``;
    ``data-sort`` holds the change in percent for sorting."""
    e = html.escape
    rel = c.get("relative")
    sort = "" if missing(rel) or not np.isfinite(rel) else f"{100 * rel:.6g}"
    mark = "\u25cf" if c.get("significant") else "\u25cb"
    lo, hi = c.get("relative_ci_low"), c.get("relative_ci_high")
    ci_txt = "" if not ci or missing(lo) else f"<small>{_ci(lo, hi)}</small>"
    p = c.get("p_value")
    title = (f"{value_text(c['metric'], c.get('median'))} against {c.get('baseline')} "
             f"{value_text(c['metric'], c.get('baseline_median'))}"
             + ("" if missing(p) else f"; p = {p:.2g}") + (f"; {extra_title}" if extra_title else ""))
    return (f'<td class="cnm-c {cell_class(c)}" data-sort="{sort}" title="{e(title)}">'
            f"{e(_pct(rel))} {mark}{ci_txt}</td>")


def _scenario_words(s: dict) -> str:
    parts = [str(s[k]) for k in ("tool",) if not missing(s.get(k))]
    if not missing(s.get("protocol")):
        parts.append(str(s["protocol"]).upper())
    if not missing(s.get("streams")) and int(s["streams"]) != 1:
        parts.append(f"x{int(s['streams'])}")
    if not missing(s.get("msg_size_bytes")):
        m = float(s["msg_size_bytes"])
        parts.append(f"{m / 1024:g} KiB" if m >= 1024 and m % 1024 == 0 else f"{m:g} B")
    return " ".join(parts)


def _model_title(c) -> str:
    m = c.get("model") or {}
    if "relative" not in m:
        return ""
    share = "" if m.get("explained") is None else f", explains {100 * m['explained']:.0f} %"
    return f"model ({m['source']}) {_pct(m['relative'])}{share}"


def verdict_html(v: dict, sentences=(), path_color=None) -> str:
    """HTML of the verdict ``v`` (:func:`cnimodel.summary.verdict.verdict`, optionally
    explained), with ``sentences`` above the matrix; ``path_color(name, i)`` colours the
    path names (the plots' colours)."""
    e = html.escape
    used = {c["headline"] for c in v["cells"]} | {k for g in v["groups"] for k in g["baseline_values"]}
    heads = [h for h in v["headlines"] if h["key"] in used]
    level = f"{100 * v['confidence']:g} %"
    out = [f"<div class=\"cnm-verdict\"><style>{CSS}</style>"]
    # "Not compared" has its own list under the matrix and "Model figures" belongs to the
    # legend: in the page each is said once, after the matrix, not before it
    below = [s for s in sentences if s.startswith("Model figures: ")]
    if v.get("not_comparable"):
        sentences = [s for s in sentences if not s.startswith("Not compared: ")]
    sentences = [s for s in sentences if s not in below]
    for s in sentences:  # the subject (before the first colon) in bold
        head, sep, rest = s.partition(": ")
        out.append(f'<p class="cnm-s"><b>{e(head)}</b>: {e(rest)}</p>' if sep and len(head) < 60 else
                   f'<p class="cnm-s">{e(s)}</p>')
    if not v["groups"]:
        out.append("<p>No group has its baseline and another path: nothing to compare.</p>")
    else:
        out.append('<table class="cnm-m"><thead><tr><th class="cnm-p">path</th>'
                   + "".join(f"<th>{e(h['label'])}</th>" for h in heads) + "</tr></thead><tbody>")
        cells = {(c["group"], c["path"], c["headline"]): c for c in v["cells"]}
        for g in v["groups"]:
            desc = " \u00b7 ".join(x for x in (g.get("label"), g.get("setting"), f"baseline {g['baseline']}") if x)
            out.append(f'<tr class="cnm-g"><th colspan="{len(heads) + 1}">{e(desc)}</th></tr>')
            for i, p in enumerate(g["paths"]):
                dot = ""
                if path_color is not None:
                    dot = f'<span class="cnm-dot" style="background:{e(path_color(p, i))}"></span>'
                if p == g["baseline"]:
                    tds = []
                    for h in heads:
                        b = g["baseline_values"].get(h["key"])
                        tds.append("<td>\u2013</td>" if b is None else
                                   f'<td title="median of {b["n"]}">{e(value_text(b["metric"], b["median"]))}</td>')
                    out.append(f'<tr class="cnm-b"><td class="cnm-p">{dot}{e(p)} (baseline)</td>{"".join(tds)}</tr>')
                    continue
                tds = []
                for h in heads:
                    c = cells.get((g["id"], p, h["key"]))
                    if c is None:
                        tds.append('<td title="not measured">\u2013</td>')
                        continue
                    extra = "; ".join(x for x in (_scenario_words(c.get("scenario") or {}), _model_title(c)) if x)
                    tds.append(cell_html(c, extra))
                out.append(f'<tr><td class="cnm-p">{dot}{e(p)}</td>{"".join(tds)}</tr>')
        out.append("</tbody></table>")
        out.append(f'<p class="cnm-legend">{e(LEGEND.format(level=level, test=v["test"]))}'
                   + "".join(f" {e(s)}" for s in below) + "</p>")
    nc = v.get("not_comparable") or []
    if nc:
        out.append('<p class="cnm-legend"><b>Not compared</b> (each once):</p><ul class="cnm-legend">')
        out += [f"<li><b>{e(x['what'])}</b>: {e(x['reason'])} ({e(', '.join(x['groups']))})</li>" for x in nc]
        out.append("</ul>")
    out.append("</div>")
    return "\n".join(out)
