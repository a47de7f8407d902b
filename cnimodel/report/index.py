"""``DIR/index.html`` (every run: parameters, status, link) and ``DIR/summary.json``
(machine-readable headline figures of every run), both written atomically."""
from __future__ import annotations

import datetime as _dt
import html
import json

from .._version import __version__
from ..jsonclean import jsonable
from .atomic import write_text

__all__ = ["summary_document", "write_summary", "render_index", "write_index"]

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
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #ccc;padding:.4em .6em;vertical-align:top;text-align:left}
th{background:#f3f3f3}td.ok{color:#0a6d2a;font-weight:600}td.failed{color:#b00020;font-weight:600}
td.pending,td.interrupted{color:#8a6d00;font-weight:600}code,pre{font-size:90%}pre{white-space:pre-wrap;margin:0}
ul{margin:0;padding-left:1.2em}.meta{color:#555}
"""


def _params_html(params: dict) -> str:
    if not params:
        return "<i>defaults</i>"
    return "<br>".join(f"<code>{html.escape(str(k))}</code> = <code>{html.escape(json.dumps(v, ensure_ascii=False))}</code>"
                       for k, v in params.items())


def render_index(doc: dict) -> str:
    """HTML of the index page for a ``summary.json`` document (every value escaped)."""
    e = html.escape
    rows = []
    for r in doc["runs"]:
        links = []
        if r.get("html"):
            links.append(f'<a href="{e(r["html"])}">report</a>')
        if r.get("notebook"):
            links.append(f'<a href="{e(r["notebook"])}">executed notebook</a>')
        detail = ""
        if r.get("error"):
            detail = f"<pre>{e(r['error'])}</pre>"
        else:
            lines = ((r.get("figures") or {}).get("headline") or [])
            if lines:
                detail = "<ul>" + "".join(f"<li>{e(str(s))}</li>" for s in lines) + "</ul>"
        wall = r.get("wall_time_s")
        rows.append(
            f"<tr><td>{e(r['id'])}</td><td><code>{e(str(r['dataset']))}</code></td>"
            f"<td>{_params_html(r.get('parameters') or {})}</td>"
            f"<td class=\"{e(r['status'])}\">{e(r['status'])}</td>"
            f"<td>{'' if wall is None else f'{wall:.1f}'}</td>"
            f"<td>{' | '.join(links)}</td><td>{detail}</td></tr>")
    state = "complete" if doc["complete"] else "INCOMPLETE (batch still running or interrupted)"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cnimodel reports: {e(doc['notebook'])}</title>
<style>{_CSS}</style></head><body>
<h1>cnimodel reports</h1>
<p class="meta">Notebook <code>{e(doc['notebook'])}</code>; {doc['n_runs']} run(s): {doc['n_ok']} ok,
{doc['n_failed']} failed{f", {doc['n_pending']} pending" if doc['n_pending'] else ""}{f", {doc['n_interrupted']} interrupted" if doc['n_interrupted'] else ""};
batch {e(state)}. Generated {e(doc['generated_utc'])} by {e(doc['generator'])}.
Machine-readable figures: <a href="summary.json">summary.json</a>.</p>
<table><thead><tr><th>run</th><th>dataset</th><th>parameters</th><th>status</th><th>wall time [s]</th>
<th>links</th><th>headline / error</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""


def write_index(out_dir, doc: dict):
    return write_text(f"{out_dir}/index.html", render_index(doc))
