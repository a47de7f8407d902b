"""The verdict: per comparable group, paths x headline metrics, each cell the change against
that group's baseline with its confidence interval and significance.

Like for like only.  A *group* is one condition (and, where the frame carries them, one value
of each setting column: underlay MTU, link rate, netfilter rule count, wire kind) and one
*locality*: cross-node paths (they cross the wire, and the shaper when there is one) are
compared with a cross-node baseline, same-node paths (they never touch the wire) with a
same-node baseline.  A cell compares rows of the same tool, test, protocol, direction,
streams and message size only.  What cannot be compared is listed once, with the reason.

:func:`verdict` computes it (JSON-ready, recorded by the report); :func:`headline_records`
turns a run's recorded figures back into a tidy frame (one row per group x path x headline
metric), the public form of a run's headline figures (used by the batch index and history).

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"path": ["host"] * 3 + ["overlay"] * 3 + ["bridge"] * 3, "tool": "netperf",
...                    "test": "rr", "protocol": "tcp", "msg_size_bytes": 1.0,
...                    "latency_p50_s": [30e-6, 31e-6, 32e-6, 47e-6, 48e-6, 49e-6, 35e-6, 36e-6, 37e-6]})
>>> v = verdict(df, n_boot=200)
>>> [(c["path"], c["headline"], round(100 * c["relative"])) for c in v["cells"]]
[('overlay', 'rr_small_p50', 55)]
>>> v["not_comparable"][0]["reason"][:45]
'same-node path: no same-node baseline measure'
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from .. import stats
from ..display import Unit, unit
from ..errors import CnimodelError, ParameterError
from ..jsonclean import jsonable
from ..paths import PATH_NAMES, get_path
from .rows import missing

__all__ = ["Headline", "HEADLINES", "SETTING_COLUMNS", "LOCALITIES", "with_cpu_per_byte", "locality",
           "comparable_groups", "group_baseline", "verdict", "metric_unit", "headline_records", "HEADLINE_RECORD_COLUMNS"]

#: Columns that, besides ``condition``, make measurements comparable only among themselves.
#: Condition-level settings that split a condition into comparable groups.  ``netfilter_rules``
#: is not one: it is the model's per-path input (rules per netfilter step, 0 on paths that do
#: not traverse them); the lab labels the condition's rule count ``nft_forward_rules``.
SETTING_COLUMNS = ("underlay_mtu_bytes", "link_rate_bps", "nft_forward_rules", "wire_kind")
#: Localities of a path: crosses the wire between nodes, or stays on one node.
LOCALITIES = ("cross-node", "same-node")

#: Derived metric: CPU time of sender + receiver per payload byte of a bulk stream [s/byte].
CPU_PER_BYTE = "cpu_per_byte_s"


class Headline(NamedTuple):
    """One column of the verdict: which rows (test, streams, message size) and which metric."""

    key: str
    label: str
    test: str
    metrics: tuple
    streams: str = "one"       # "one" (fewest, normally 1) or "many" (most, when > 1)
    size: str = "default"      # "default" (tool default, else most common), "small" or "1k"


#: The headline metrics, in column order.
HEADLINES = (
    Headline("tput_1", "throughput, 1 stream", "stream", ("throughput_bps",)),
    Headline("tput_n", "throughput, N streams", "stream", ("throughput_bps",), streams="many"),
    Headline("rr_small_p50", "RR p50, small msg", "rr", ("latency_p50_s", "latency_mean_s"), size="small"),
    Headline("rr_small_p99", "RR p99, small msg", "rr", ("latency_p99_s",), size="small"),
    Headline("rr_1k_p50", "RR p50, 1 KiB", "rr", ("latency_p50_s", "latency_mean_s"), size="1k"),
    Headline("rr_1k_p99", "RR p99, 1 KiB", "rr", ("latency_p99_s",), size="1k"),
    Headline("crr", "CRR rate", "crr", ("transactions_per_s",)),
    Headline("cpu", "CPU per byte", "stream", (CPU_PER_BYTE,)),
)

def metric_unit(metric: str) -> Unit:
    """Display unit of a verdict metric (:func:`cnimodel.display.unit`)."""
    return unit(metric)


def with_cpu_per_byte(df):
    """``df`` plus :data:`CPU_PER_BYTE` where a stream row has CPU cores and throughput:
    (``cpu_local_cores`` + ``cpu_remote_cores``) / (``throughput_bps`` / 8) [s/byte]."""
    if not {"cpu_local_cores", "cpu_remote_cores", "throughput_bps"} <= set(df.columns):
        return df
    cores = df["cpu_local_cores"].astype(float) + df["cpu_remote_cores"].astype(float)
    rate = df["throughput_bps"].astype(float) / 8.0
    with np.errstate(divide="ignore", invalid="ignore"):
        v = (cores / rate).where(rate > 0)
    return df.assign(**{CPU_PER_BYTE: v})


def locality(name, rows=None):
    """``"same-node"``, ``"cross-node"`` or None for an entity: a ``same_node`` column of its
    rows wins, else the rows' ``path`` label, else the name, looked up in the path catalogue."""
    if rows is not None and "same_node" in rows.columns and rows["same_node"].notna().any():
        v = {bool(x) for x in rows["same_node"].dropna()}
        return None if len(v) > 1 else ("same-node" if v.pop() else "cross-node")
    names = {str(x) for x in rows["path"].dropna()} if rows is not None and "path" in rows.columns else {str(name)}
    kinds = set()
    for n in names:
        try:
            kinds.add("same-node" if get_path(n).same_node else "cross-node")
        except CnimodelError:
            return None
    return kinds.pop() if len(kinds) == 1 else None


def _number(v):
    """A setting label as a float (labels may arrive as text, e.g. YAML's ``4.0e10``); text
    that is no number stays as it is."""
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def _setting_text(key: dict) -> str:
    parts = []
    rate = key.get("link_rate_bps")
    num = (lambda x: isinstance(x, float))
    if "link_rate_bps" in key:
        verb = "shaped to" if key.get("shaped") in (True, "true", "True", 1) else "link"
        parts.append("unshaped" if rate is None or (num(rate) and not np.isfinite(rate)) else
                     f"{verb} {rate / 1e9:g} Gbit/s" if num(rate) else f"link rate {rate}")
    mtu, rules = key.get("underlay_mtu_bytes"), key.get("nft_forward_rules")
    if mtu is not None:
        parts.append(f"MTU {mtu:.0f} B" if num(mtu) else f"MTU {mtu}")
    if rules is not None:
        parts.append(f"{rules:.0f} nftables rules on one node's forward hook" if num(rules)
                     else f"nftables rules {rules}")
    return ", ".join(parts)


def comparable_groups(df, compare_by: str = "path"):
    """[(group dict, rows)]: one per condition x setting values x locality (sorted).

    The group dict holds ``condition``, the setting columns present, ``locality``, ``label``
    (readable) and ``setting`` (words such as "shaped to 2 Gbit/s").  Entities whose
    locality is unknown go to a group of locality None.
    """
    keys = [c for c in ("condition",) + SETTING_COLUMNS if c in df.columns and df[c].notna().any()]
    loc = {}
    for e, g in df.groupby(df[compare_by].astype(str), sort=False):
        loc[e] = locality(e, g)
    lab = df[compare_by].astype(str).map(loc)
    out = []
    frame = df.assign(_locality=lab.fillna("unknown"))
    for k, g in frame.groupby(keys + ["_locality"], dropna=False, sort=True):
        k = k if isinstance(k, tuple) else (k,)
        key = {c: (None if missing(v) else (v.item() if hasattr(v, "item") else v)) for c, v in zip(keys, k)}
        for c in ("underlay_mtu_bytes", "link_rate_bps", "nft_forward_rules"):
            if key.get(c) is not None:
                key[c] = _number(key[c])
        where = k[-1]
        key["locality"] = None if where == "unknown" else where
        shaped = g["shaped"].dropna() if "shaped" in g.columns else []
        setting = _setting_text({**{c: key[c] for c in keys if c in SETTING_COLUMNS},
                                 "shaped": bool(len(shaped) and shaped.astype(bool).all())}) \
            if where != "same-node" else "no wire crossed"
        key["setting"] = setting
        cond = key.get("condition")
        key["label"] = " / ".join(str(x) for x in (cond, where) if x is not None)
        out.append((key, g.drop(columns="_locality")))
    return out


def group_baseline(key: dict, baseline: str, baselines: dict | None = None):
    """Baseline of a group of :func:`comparable_groups`: ``baselines`` keyed by
    ``"<condition>/<locality>"``, condition or locality (most specific first), else ``baseline``
    for a cross-node group and None for a same-node one."""
    b = dict(baselines or {})
    cond, loc = key.get("condition"), key.get("locality")
    for k in (f"{cond}/{loc}", str(cond), str(loc)):
        if k in b:
            return b[k]
    return baseline if loc == "cross-node" else None


class _Columns:
    """The columns of one group as numpy arrays (selections are boolean masks: no pandas
    indexing per headline)."""

    def __init__(self, rows):
        self.rows = rows
        self.cols = {c: rows[c].to_numpy() for c in ("tool", "test", "protocol", "direction") if c in rows.columns}
        self.cols.update({c: rows[c].to_numpy(dtype=float, na_value=np.nan)
                          for c in ("streams", "msg_size_bytes") if c in rows.columns})

    def text(self, c):
        return np.array([str(x) for x in self.cols[c]], dtype=object)


def _pick(g: _Columns, h: Headline):
    """Mask of the rows of headline ``h`` in one group: one tool, one scenario (or None)."""
    if "test" not in g.cols:
        return None
    m = g.text("test") == h.test
    if not m.any():
        return None

    def prefer(col, value):
        nonlocal m
        if col in g.cols:
            hit = m & (g.text(col) == value)
            if hit.any():
                m = hit

    prefer("protocol", "tcp")
    prefer("direction", "send")
    if h.test == "stream" and "streams" in g.cols and np.isfinite(g.cols["streams"][m]).any():
        s = g.cols["streams"]
        if h.streams == "many":
            if np.nanmax(s[m]) <= 1:
                return None
            m = m & (s == np.nanmax(s[m]))
        else:
            m = m & (s == np.nanmin(s[m]))
    if "msg_size_bytes" in g.cols and np.isfinite(g.cols["msg_size_bytes"][m]).any():
        size = g.cols["msg_size_bytes"]
        sizes = np.unique(size[m][np.isfinite(size[m])])
        if h.size == "small":
            m = m & (size == sizes[0])
        elif h.size == "1k":
            best = sizes[np.argmin(np.abs(np.log(np.clip(sizes, 1, None) / 1024.0)))]
            if best == sizes[0] or abs(math.log(best / 1024.0)) > math.log(2):
                return None  # no message size near 1 KiB beyond the small one
            m = m & (size == best)
        elif np.isnan(size[m]).any():
            m = m & np.isnan(size)  # bulk transfer with the tool's default sizes
        else:
            vals, counts = np.unique(size[m], return_counts=True)
            m = m & (size == vals[np.argmax(counts)])
    if "tool" in g.cols:  # one tool: the one measuring most rows
        tools = g.text("tool")
        names, counts = np.unique(tools[m].astype(str), return_counts=True)
        if len(names) > 1:
            m = m & (tools == names[np.argmax(counts)])  # ties: the alphabetically first
    return m if m.any() else None


def _metric(rows, sel, h: Headline):
    for m in h.metrics:
        if m in rows.columns and np.isfinite(rows[m].to_numpy(dtype=float, na_value=np.nan)[sel]).any():
            return m
    return None


def _order(names, baseline):
    rank = {n: i for i, n in enumerate(PATH_NAMES)}
    return sorted(names, key=lambda n: (n != baseline, rank.get(n, len(rank)), n))


def _scenario(g: _Columns, m) -> dict:
    out = {}
    for c in ("tool", "test", "protocol", "direction", "streams", "msg_size_bytes"):
        if c in g.cols:
            v = g.cols[c][m][0]
            if not missing(v):
                out[c] = v.item() if hasattr(v, "item") else v
    return out


def verdict(df, baseline: str = "host", baselines: dict | None = None, compare_by: str = "path",
            confidence: float = 0.95, test: str = "welch-t", n_boot: int = 4000, seed=0) -> dict:
    """The verdict matrix of a tidy frame, JSON-ready.

    Parameters
    ----------
    baseline : str
        Baseline of every cross-node group.
    baselines : dict, optional
        Baselines per group: keys ``"cross-node"`` / ``"same-node"`` (every group of that
        locality), a condition name, or ``"<condition>/<locality>"`` (most specific wins).
        Same-node groups have no baseline unless given here.
    confidence, test, n_boot, seed
        As for :func:`cnimodel.stats.compare`.

    Returns
    -------
    dict
        ``headlines`` (key, label, test), ``groups`` (condition, settings, locality, label,
        setting, baseline, ``baseline_values``: the baseline's median per headline),
        ``cells`` (one per group x non-baseline entity x headline: ``group``, ``path``,
        ``headline``, ``metric``, ``scenario``, medians, ``diff``, ``relative`` with CIs,
        ``p_value``, ``significant``, ``worse``), ``not_comparable`` (``what``, ``reason``,
        ``groups``: each entity and reason once), ``confidence``, ``test``.
    """
    if compare_by not in df.columns:
        raise ParameterError("compare_by", compare_by, "a column of the dataset (path, cni, ...)")
    stats.method_statement(confidence, test, n_boot)
    df = with_cpu_per_byte(df)
    groups, cells, missing_base = [], [], {}
    lab_all = df[compare_by].astype(str)
    for key, rows in comparable_groups(df, compare_by):
        names = _order({str(x) for x in rows[compare_by].dropna()}, None)
        gid = len(groups)
        if key["locality"] is None:
            for n in names:
                missing_base.setdefault((n, "locality unknown: not in the path catalogue and no same_node label; "
                                            "cannot tell same-node from cross-node"), []).append(key["label"])
            continue
        base = group_baseline(key, baseline, baselines)
        if base is None or base not in names:
            why = (f"{key['locality']} path: no {key['locality']} baseline measured" if base is None else
                   f"{key['locality']} path: its baseline {base!r} is not measured in this group")
            hint = " (give one with baselines={'" + key["locality"] + "': NAME})"
            for n in names:
                if n != base:
                    missing_base.setdefault((n, why + hint), []).append(key["label"])
            continue
        names = _order(names, base)
        g = {**key, "id": gid, "baseline": base, "paths": names, "baseline_values": {}}
        if compare_by != "path" and "path" in rows.columns:  # the data path of each entity (for the model)
            g["path_of"] = {str(k): str(v.iloc[0]) for k, v in rows.groupby(rows[compare_by].astype(str))["path"]
                            if v.nunique() == 1}
        cols = _Columns(rows)
        labels = rows[compare_by].astype(str).to_numpy()
        for h in HEADLINES:
            sel = _pick(cols, h)
            m = None if sel is None else _metric(rows, sel, h)
            if m is None:
                continue
            dl = labels[sel]
            vals = rows[m].to_numpy(dtype=float, na_value=np.nan)[sel]
            scn = _scenario(cols, sel)
            b = vals[(dl == base) & np.isfinite(vals)]
            if b.size == 0:
                for n in set(dl) - {base}:
                    missing_base.setdefault((n, f"{h.label}: the baseline {base!r} has no such measurement"),
                                            []).append(key["label"])
                continue
            g["baseline_values"][h.key] = {"metric": m, "median": float(np.median(b)), "n": int(b.size)}
            for n in names:
                x = vals[(dl == n) & np.isfinite(vals)]
                if n == base or x.size == 0:
                    continue
                c = stats.compare(x, b, confidence, test, n_boot, seed)
                c["significance_test"] = c.pop("test")
                if "netfilter_rules" in rows.columns:  # the model's per-path input (rules per netfilter step)
                    nf = rows["netfilter_rules"].to_numpy(dtype=float, na_value=np.nan)[sel]
                    for side, who in (("netfilter_rules", n), ("baseline_netfilter_rules", base)):
                        if np.isfinite(nf[dl == who]).any():
                            c[side] = float(np.nanmedian(nf[dl == who]))
                better = unit(m).better
                worse = (c["diff"] < 0) if better == "higher" else (c["diff"] > 0)
                cells.append({"group": gid, "path": n, "baseline": base, "headline": h.key, "metric": m,
                              "scenario": scn, **c, "worse": bool(worse)})
        groups.append(g)
    nc = [{"what": n, "reason": r, "groups": sorted(set(gs))} for (n, r), gs in missing_base.items()]
    order = {n: i for i, n in enumerate(_order(set(lab_all), baseline))}
    nc.sort(key=lambda x: (order.get(x["what"], 1e9), x["reason"]))
    return jsonable({"compare_by": compare_by, "confidence": confidence, "test": test,
                     "headlines": [{"key": h.key, "label": h.label, "test": h.test} for h in HEADLINES],
                     "groups": groups, "cells": cells, "not_comparable": nc})


#: Columns of :func:`headline_records`.
HEADLINE_RECORD_COLUMNS = ("condition", "locality", "group", "setting", "baseline", "path", "headline",
                           "label", "metric", "n", "n_baseline", "median", "baseline_median", "diff",
                           "diff_ci_low", "diff_ci_high", "relative", "relative_ci_low",
                           "relative_ci_high", "p_value", "significant", "worse")


def headline_records(figures: dict) -> pd.DataFrame:
    """A run's headline figures as a tidy frame: one row per comparable group x path x
    headline metric (the cells of its verdict).

    ``figures`` is what a comparison report recorded (``summary.json`` ``runs[i].figures``,
    or :func:`verdict` wrapped as ``{"verdict": ...}``, or the verdict itself).  Columns:
    :data:`HEADLINE_RECORD_COLUMNS`; values in SI units (``metric`` names the column,
    ``relative`` is a fraction, ``significant`` at the recorded confidence).  Empty frame
    with those columns when the run recorded no verdict.

    >>> headline_records({}).columns[:4].tolist()
    ['condition', 'locality', 'group', 'setting']
    """
    v = (figures or {}).get("verdict", figures) if isinstance(figures, dict) else None
    if not v or "cells" not in v:
        return pd.DataFrame(columns=list(HEADLINE_RECORD_COLUMNS))
    groups = {g["id"]: g for g in v.get("groups", [])}
    labels = {h["key"]: h["label"] for h in v.get("headlines", [])}
    rows = []
    for c in v["cells"]:
        g = groups.get(c["group"], {})
        rows.append({"condition": g.get("condition"), "locality": g.get("locality"), "group": g.get("label"),
                     "setting": g.get("setting"), "label": labels.get(c["headline"], c["headline"]),
                     **{k: c.get(k) for k in HEADLINE_RECORD_COLUMNS
                        if k not in ("condition", "locality", "group", "setting", "label")}})
    return pd.DataFrame(rows, columns=list(HEADLINE_RECORD_COLUMNS))
