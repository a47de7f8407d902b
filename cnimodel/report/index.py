"""``DIR/index.html`` (one sortable table, a row per run: status, each path's headline change
against its baseline, links) and ``DIR/summary.json`` (machine-readable headline figures of
every run), both written atomically."""
from __future__ import annotations

import datetime as _dt
import html
import json

from .._version import __version__
from ..jsonclean import jsonable
from ..paths import PATH_NAMES
from ..summary.verdict_html import CSS as VERDICT_CSS
from ..summary.verdict_html import LEGEND, cell_html
from .atomic import write_text

__all__ = ["summary_document", "write_summary", "render_index", "write_index", "index_columns", "INDEX_HEADLINES"]

SUMMARY_FORMAT = 1


def summary_document(results, notebook: str, finished: bool = True) -> dict:
    """The ``summary.json`` document for a list of run results."""
    results = list(results)
    counts = {s: sum(r["status"] == s for r in results) for s in ("ok", "failed", "pending", "interrupted")}
    return jsonable({
        "format": SUMMARY_FORMAT,
        "generator": f"cnimodel {__version__}",
        "generated_utc": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "notebook": notebook,
        "complete": finished and counts["pending"] == 0 and counts["interrupted"] == 0,
        "n_runs": len(results),
        **{f"n_{k}": v for k, v in counts.items()},
        "runs": results,
    })


def write_summary(out_dir, doc: dict):
    return write_text(f"{out_dir}/summary.json",
                      json.dumps(doc, indent=2, allow_nan=False, ensure_ascii=False) + "\n")


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:1.5em;color:#222}
table.cnm-m{width:auto}table.cnm-m th{cursor:pointer;user-select:none}
table.cnm-m th[aria-sort=ascending]::after{content:" \\25B2"}table.cnm-m th[aria-sort=descending]::after{content:" \\25BC"}
td.ok{color:#0a6d2a;font-weight:600}td.failed{color:#b00020;font-weight:600}
td.pending,td.interrupted{color:#8a6d00;font-weight:600}
table.cnm-m td.err{max-width:24em;overflow:hidden;text-overflow:ellipsis;white-space:normal}
code{font-size:90%}.meta{color:#555}table.cnm-m td.prm{font-size:11px;text-align:left;white-space:normal;max-width:16em}
"""

#: Headline metrics of the index, per path: (verdict headline key, column label).
INDEX_HEADLINES = (("tput_1", "throughput"), ("rr_small_p50", "RR p50"))

# Sort on click: numbers by value (data-sort, else the text), text alphabetically; empty last.
_JS = """
document.querySelectorAll("table.cnm-m thead th").forEach(function(th, col){
 th.addEventListener("click", function(){
  var tb = th.closest("table").tBodies[0], asc = th.getAttribute("aria-sort") !== "ascending";
  th.closest("tr").querySelectorAll("th").forEach(function(h){h.removeAttribute("aria-sort");});
  th.setAttribute("aria-sort", asc ? "ascending" : "descending");
  var key = function(tr){var c = tr.cells[col], v = c.getAttribute("data-sort"); v = v === null ? c.textContent.trim() : v;
   var n = parseFloat(v); return v === "" ? null : (isNaN(n) || !/^[-+]?[0-9.]/.test(v) ? v.toLowerCase() : n);};
  var rows = Array.prototype.slice.call(tb.rows).map(function(r){return [key(r), r];});
  rows.sort(function(a, b){ if (a[0] === null) return 1; if (b[0] === null) return -1;
   if (typeof a[0] !== typeof b[0]) return typeof a[0] === "number" ? -1 : 1;
   return (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0) * (asc ? 1 : -1);});
  rows.forEach(function(r){tb.appendChild(r[1]);});
 });
});
"""


def _params_html(params: dict) -> str:
    if not params:
        return "<i>defaults</i>"
    return "<br>".join(f"<code>{html.escape(str(k))}</code>=<code>{html.escape(json.dumps(v, ensure_ascii=False))}</code>"
                       for k, v in params.items())


def _worst(cells, key):
    """The most adverse cell of ``key`` (significant ones first) across a run's groups."""
    c = [x for x in cells if x["headline"] == key and x.get("relative") is not None]
    if not c:
        return None
    return max(c, key=lambda x: (bool(x.get("significant") and x.get("worse")),
                                 abs(x["relative"]) if x.get("worse") else -abs(x["relative"])))


def index_columns(doc: dict) -> list:
    """The paths the index shows a column block for: every non-baseline path of any run's
    verdict, in catalogue order (then by name)."""
    seen = {}
    for r in doc["runs"]:
        for c in (((r.get("figures") or {}).get("verdict") or {}).get("cells") or []):
            seen[c["path"]] = True
    rank = {n: i for i, n in enumerate(PATH_NAMES)}
    return sorted(seen, key=lambda n: (rank.get(n, len(rank)), n))


def _path_cells(r, paths) -> str:
    v = (r.get("figures") or {}).get("verdict") or {}
    groups = {g["id"]: g for g in v.get("groups", [])}
    tds = []
    for p in paths:
        cells = [c for c in v.get("cells", []) if c["path"] == p]
        for key, _ in INDEX_HEADLINES:
            c = _worst(cells, key)
            if c is None:
                tds.append('<td data-sort="" title="not measured or not compared">\u2013</td>')
                continue
            g = groups.get(c["group"], {})
            tds.append(cell_html(c, f"worst of {sum(x['headline'] == key for x in cells)} group(s): "
                                    f"{g.get('label', '')}", ci=False))
    return "".join(tds)


def render_index(doc: dict) -> str:
    """HTML of the index page for a ``summary.json`` document: one sortable table, one row per
    run (status, wall time, links, each path's most adverse headline change against its
    baseline, colour-coded); every value escaped; inline script and CSS only."""
    e = html.escape
    paths = index_columns(doc)
    any_error = any(r.get("error") for r in doc["runs"])
    rows = []
    for r in doc["runs"]:
        links = []
        if r.get("html"):
            links.append(f'<a href="{e(r["html"])}">report</a>')
        if r.get("notebook"):
            links.append(f'<a href="{e(r["notebook"])}">notebook</a>')
        err = r.get("error") or ""
        wall = r.get("wall_time_s")
        rid = f'<a href="{e(r["html"])}">{e(r["id"])}</a>' if r.get("html") else e(r["id"])
        rows.append(
            f'<tr><td class="cnm-p" data-sort="{e(r["id"])}">{rid}</td><td class="cnm-p"><code>{e(str(r["dataset"]))}</code></td>'
            f'<td class="prm">{_params_html(r.get("parameters") or {})}</td>'
            f'<td class="{e(r["status"])}">{e(r["status"])}</td>'
            f'{_path_cells(r, paths)}'
            f'<td data-sort="{"" if wall is None else wall}">{"" if wall is None else f"{wall:.1f}"}</td>'
            f'<td class="cnm-p">{" | ".join(links)}</td>'
            + (f'<td class="cnm-p err" title="{e(err)}">{e(err.splitlines()[0][:120] if err else "")}</td>'
               if any_error else "") + "</tr>")
    heads = "".join(f'<th title="{e(lab)} of {e(p)}: its most adverse change against its baseline in any '
                    f'condition">{e(p)}<br>{e(lab)}</th>' for p in paths for _, lab in INDEX_HEADLINES)
    state = "complete" if doc["complete"] else "INCOMPLETE (batch still running or interrupted)"
    level = next((((r.get("figures") or {}).get("verdict") or {}).get("confidence") for r in doc["runs"]
                  if ((r.get("figures") or {}).get("verdict") or {}).get("confidence")), 0.95)
    legend = LEGEND.format(level=f"{100 * level:g} %", test="per run").split("; [a, b]")[0]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cnimodel reports: {e(doc['notebook'])}</title>
<style>{_CSS}{VERDICT_CSS}</style></head><body>
<h1>cnimodel reports</h1>
<p class="meta">Notebook <code>{e(doc['notebook'])}</code>; {doc['n_runs']} run(s): {doc['n_ok']} ok,
{doc['n_failed']} failed{f", {doc['n_pending']} pending" if doc['n_pending'] else ""}{f", {doc['n_interrupted']} interrupted" if doc['n_interrupted'] else ""};
batch {e(state)}. Generated {e(doc['generated_utc'])} by {e(doc['generator'])}.
Machine-readable figures: <a href="summary.json">summary.json</a>. Click a column to sort.</p>
<p class="cnm-legend">Per path: its most adverse change against its like-for-like baseline over the run's
conditions (hover for which and the medians); {e(legend)}. The sentences are in each run's report.</p>
<table class="cnm-m" id="runs"><thead><tr><th class="cnm-p">run</th><th class="cnm-p">dataset</th><th>parameters</th>
<th>status</th>{heads}<th>wall time [s]</th><th class="cnm-p">links</th>{'<th class="cnm-p">error</th>' if any_error else ''}</tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
<script>{_JS}</script></body></html>
"""


def write_index(out_dir, doc: dict):
    return write_text(f"{out_dir}/index.html", render_index(doc))
