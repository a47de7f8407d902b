"""The "why" of a verdict: how much of each measured overhead the model explains, and by
what, and the few sentences that say what matters.

- Throughput: the byte model (:func:`cnimodel.overhead.summarize`): the ratio of goodput
  bounds of the two paths at the group's underlay MTU (payload bytes per wire packet).  It is
  the whole story when the wire binds (a shaped link) and a lower bound of the loss when
  the CPU binds.
- Latency and CPU: the attribution of :mod:`cnimodel.explain` with the given parameters (the
  calibrated ones in the report): the model's difference between the two paths, split into
  its terms (hop kinds, per-byte copies, serialization, ...).

``explained`` is the model's change divided by the measured one (1 = all of it).

Examples
--------
>>> import pandas as pd
>>> from cnimodel.summary.verdict import verdict
>>> df = pd.DataFrame({"path": ["host"] * 3 + ["overlay"] * 3, "tool": "iperf3", "test": "stream",
...                    "protocol": "tcp", "streams": 1, "condition": "shaped", "underlay_mtu_bytes": 1500.0,
...                    "link_rate_bps": 2e9,
...                    "throughput_bps": [1.913e9, 1.912e9, 1.914e9, 1.847e9, 1.846e9, 1.848e9]})
>>> v = explain_verdict(verdict(df, n_boot=200), df)
>>> m = v["cells"][0]["model"]
>>> m["source"], round(100 * m["relative"], 2), round(m["explained"], 2)
('byte model', -3.45, 1.0)
>>> verdict_sentences(v)[0][:60]
'overlay against host: throughput, 1 stream -3.5 % on shaped '
"""
from __future__ import annotations

import json

import numpy as np

from .. import explain
from .. import overhead as ov
from ..errors import CnimodelError
from .rows import missing
from .verdict import CPU_PER_BYTE, metric_unit

__all__ = ["explain_verdict", "verdict_sentences", "TERM_NAMES"]

#: Readable names of the model's terms (:mod:`cnimodel.explain`).
TERM_NAMES = {"per_byte": "per-byte copies", "serialization": "serialization", "propagation": "propagation",
              "base_rtt": "base round trip", "extra_rtt": "extra round trip", "connection": "connection set-up",
              "queueing": "queueing", "copy": "copies", "send_calls": "send calls", "wire_packets": "wire packets"}


def _term(t: str) -> str:
    return t[4:] if t.startswith("hop:") else TERM_NAMES.get(t, t.replace("_", " "))


def _scenario(group: dict, cell: dict) -> dict:
    s = {}
    for c in ("underlay_mtu_bytes", "wire_kind"):
        if not missing(group.get(c)):
            s[c] = group[c]
    if not missing(cell.get("netfilter_rules")):  # per path: rules per netfilter step
        s["netfilter_rules"] = float(cell["netfilter_rules"])
    rate = group.get("link_rate_bps")
    s["link_rate_bps"] = float("nan") if missing(rate) else float(rate)  # NaN = unshaped
    sc = cell.get("scenario") or {}
    if not missing(sc.get("msg_size_bytes")) and cell["headline"].startswith("rr"):
        s["msg_size_bytes"] = float(sc["msg_size_bytes"])
    if not missing(sc.get("streams")):
        s["streams"] = int(sc["streams"])
    return s


def _paths(group, cell):
    """(path, baseline path) of a cell in the path catalogue's names (``path_of`` maps the
    entities of another ``compare_by``, e.g. CNI names, to their data path)."""
    of = group.get("path_of") or {}
    return of.get(cell["path"], cell["path"]), of.get(cell["baseline"], cell["baseline"])


def _byte_model(group, cell):
    mtu = group.get("underlay_mtu_bytes")
    mtu = 1500.0 if missing(mtu) else float(mtu)
    rate = group.get("link_rate_bps")
    rate = 1e10 if missing(rate) or not np.isfinite(rate) else float(rate)
    pa, pb = _paths(group, cell)
    a = ov.summarize(path=pa, underlay_mtu_bytes=mtu, link_rate_bps=rate)
    b = ov.summarize(path=pb, underlay_mtu_bytes=mtu, link_rate_bps=rate)
    rel = float(a["goodput_bps"] / b["goodput_bps"] - 1.0)
    by = [(f"payload {float(a['mss_bytes']):.0f} B against {float(b['mss_bytes']):.0f} B per packet", rel)]
    return {"source": "byte model", "relative": rel, "by": by}


def _attribution(group, cell, params):
    s = _scenario(group, cell)
    p, base = _paths(group, cell)
    # per-path inputs of the baseline's own rows (rules per netfilter step differ per path)
    sb = {} if missing(cell.get("baseline_netfilter_rules")) else \
        {"netfilter_rules": float(cell["baseline_netfilter_rules"])}
    if cell["metric"] == CPU_PER_BYTE:
        s.pop("msg_size_bytes", None)
        ta, tb = explain.cpu_terms(params, p, **s), explain.cpu_terms(params, base, **{**s, **sb})
        d = ta.groupby("term").s_per_byte.sum().sub(tb.groupby("term").s_per_byte.sum(), fill_value=0.0)
        total_a, total_b = ta.attrs["total_s_per_byte"], tb.attrs["total_s_per_byte"]
        diff = total_a - total_b
        by = [(_term(t), float(v)) for t, v in d[d != 0].sort_values(key=abs, ascending=False).items()]
        return {"source": "attribution", "diff": diff, "relative": diff / total_b, "by": by[:3]}
    test = "crr" if cell["headline"] == "crr" else "rr"
    r = explain.compare(params, p, base, test, against_scenario=sb, **s)
    rel = r["total_s"] / explain.latency_terms(params, base, test, **{**s, **sb}).attrs["total_s"]
    by = [(_term(t["term"]), t["seconds"]) for t in r["terms"][:3]]
    if test == "crr":  # a rate: the model's latency change, as a change of 1 / latency
        rel = 1.0 / (1.0 + rel) - 1.0
        return {"source": "attribution", "relative": rel, "by": by}
    return {"source": "attribution", "diff": r["total_s"], "relative": rel, "by": by}


def explain_verdict(v: dict, df=None, params=None, all_cells: bool = False) -> dict:
    """``v`` (a :func:`~cnimodel.summary.verdict.verdict`) with a ``model`` entry per cell:
    ``source`` ("byte model" or "attribution"), ``relative`` (the model's change), ``diff`` (in
    the metric's unit, latency and CPU), ``explained`` (model change / measured change; None
    when the measured change is zero or not significant) and ``by`` ([(what, amount)],
    largest first).  Cells the model cannot evaluate get ``model = {"error": reason}``.

    ``params``: a :class:`cnimodel.params.ModelParams` (the calibrated one), default the cited
    defaults.  Only significant cells are explained unless ``all_cells`` (the model's view of
    a change the data does not show is not an explanation).  ``df`` is not needed (kept for
    callers that pass the frame).
    """
    groups = {g["id"]: g for g in v["groups"]}
    memo = {}
    for c in v["cells"]:
        if not (c.get("significant") or all_cells):
            continue
        g = groups[c["group"]]
        kind = "bytes" if c["metric"] == "throughput_bps" else ("cpu" if c["metric"] == CPU_PER_BYTE else c["headline"][:6])
        key = (c["group"], c["path"], c["baseline"], kind, json.dumps(c.get("scenario"), sort_keys=True, default=str))
        if key not in memo:
            try:
                memo[key] = _byte_model(g, c) if kind == "bytes" else _attribution(g, c, params)
            except CnimodelError as exc:
                memo[key] = {"error": str(exc)}
        m = dict(memo[key])
        if "error" in m:
            c["model"] = m
            continue
        meas = c.get("relative")
        ok = c.get("significant") and meas not in (None, 0.0) and np.isfinite(meas)
        if ok and "diff" in m and c.get("diff"):
            m["explained"] = float(m["diff"] / c["diff"])  # same unit (mean-latency model for p50/p99)
        else:
            m["explained"] = float(m["relative"] / meas) if ok else None
        m["by"] = [[str(t), float(x)] for t, x in m["by"]]
        c["model"] = m
    v["model_params"] = "cited defaults" if params is None else "calibrated on this dataset"
    return v


def _pct(x) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{100 * x:+.2f} %" if abs(x) < 1e-3 else f"{100 * x:+.1f} %"


def _amount(metric: str, x: float) -> str:
    u = metric_unit(metric)
    return f"{x * u.scale:+.3g} {u.unit}"


def _share(m) -> str:
    e = m.get("explained")
    if e is None:
        return ""
    if abs(e) < 0.005:
        return ", none of it"
    if e < 0:
        return ", in the other direction"
    if e > 2:   # "1550 % of it" reads as a typo: say how many times the measured change
        return f", {e:.0f}x the measured change" if e >= 10 else f", {e:.1f}x the measured change"
    return f", {100 * e:.0f} % of it"


def _model_text(c) -> str:
    m = c.get("model") or {}
    if "error" in m or "relative" not in m:
        return ""
    if m["source"] == "byte model":
        share = _share(m)
        return f" (byte model {_pct(m['relative'])}{share}: {m['by'][0][0]})"
    unit_metric = "latency_mean_s" if c["metric"] != CPU_PER_BYTE else CPU_PER_BYTE
    diff = m.get("diff")
    if diff is not None and abs(m["relative"]) < 1e-9:
        diff = 0.0  # rounding residue of equal sums, not a model difference
    amount = _amount(unit_metric, diff) if diff is not None else _pct(m["relative"])
    share = _share(m)
    # terms under 1 % of the difference (float residues such as 1e-32 ns/B) say nothing
    scale = abs(diff) if diff is not None else max((abs(x) for _, x in m["by"]), default=0.0)
    by = ", ".join(f"{t} {_amount(unit_metric, x)}" for t, x in m["by"][:2]
                   if abs(x) >= 0.01 * scale and scale > 0)
    return f" (model {amount}{share}; mostly {by})" if by else f" (model {amount}{share})"


def _cell_text(c, labels, groups) -> str:
    g = groups[c["group"]]
    meas = _pct(c["relative"])
    if c["metric"].startswith("latency"):
        meas = f"{_amount(c['metric'], c['diff'])} ({meas})"
    return f"{labels[c['headline']]} {meas} on {g.get('condition') or g['label']}{_model_text(c)}"


def _wire_bound(group) -> bool:
    """A group on a link of known rate (where the byte model is the whole story)."""
    r = group.get("link_rate_bps")
    return isinstance(r, float) and bool(np.isfinite(r))


def verdict_sentences(v: dict, max_paths: int = 4) -> list:
    """At most a few sentences: per path (up to ``max_paths``), its largest significant
    adverse change in each family (throughput, and throughput on a link of known rate when
    the largest is elsewhere; latency, connection rate, CPU) with what the model explains; one sentence for the paths without any; what could not be compared."""
    labels = {h["key"]: h["label"] for h in v["headlines"]}
    groups = {g["id"]: g for g in v["groups"]}
    fam = {"tput_1": "tput", "tput_n": "tput", "crr": "crr", "cpu": "cpu"}
    by_path = {}
    for c in v["cells"]:
        by_path.setdefault((c["path"], c["baseline"]), []).append(c)
    found, quiet = [], []
    for (path, base), cells in by_path.items():
        bad = [c for c in cells if c["significant"] and c["worse"] and c["relative"] is not None]
        if not bad:
            quiet.append(path)
            continue
        best = {}
        for c in bad:
            f = fam.get(c["headline"], "lat")
            if f not in best or abs(c["relative"]) > abs(best[f]["relative"]):
                best[f] = c
        wire = [c for c in bad if fam.get(c["headline"]) == "tput" and _wire_bound(groups[c["group"]])
                and abs(c["relative"]) >= 1e-3]
        if wire and "tput" in best and best["tput"] not in wire:  # also where the wire binds
            best["tput_wire"] = max(wire, key=lambda c: abs(c["relative"]))
        parts = [_cell_text(best[f], labels, groups) for f in ("tput", "tput_wire", "lat", "crr", "cpu")
                 if f in best]
        found.append((max(abs(c["relative"]) for c in bad), f"{path} against {base}: " + "; ".join(parts) + "."))
    ranked = sorted(range(len(found)), key=lambda i: -found[i][0])[:max_paths]
    out = [found[i][1] for i in sorted(ranked)]  # the largest overheads, in path order
    if len(found) > max_paths:
        out.append(f"{len(found) - max_paths} more path(s) with significant adverse changes: see the matrix.")
    if quiet:
        out.append(f"{', '.join(quiet)}: no significant adverse change in any headline metric "
                   f"({100 * v['confidence']:g} % level).")
    nc = [f"{x['what']} ({x['reason'].split(' (')[0]})" for x in v.get("not_comparable", [])
          if "path:" in x["reason"] or "locality unknown" in x["reason"]]
    if nc:
        out.append("Not compared: " + "; ".join(nc) + ".")
    if any(c.get("model", {}).get("source") == "attribution" for c in v["cells"]):
        out.append(f"Model figures: byte model for throughput; latency and CPU attribution with parameters "
                   f"{v.get('model_params', 'cited defaults')}.")
    return out
