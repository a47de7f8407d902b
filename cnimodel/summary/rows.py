"""Row selection for the headline figures: which columns define a scenario, which metric a
test is judged by, the scenarios of a frame as small arrays, and the subsets the notebooks show.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"path": ["host", "overlay"], "test": "rr", "latency_mean_s": [60e-6, 70e-6]})
>>> keys, groups = scenario_arrays(df, "path", None)
>>> keys, [(scn, metric, sorted(a)) for scn, metric, a in groups]
(['test'], [({'test': 'rr'}, 'latency_mean_s', ['host', 'overlay'])])
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..display import QUANTITIES
from ..errors import ParameterError
from ..paths import PATH_NAMES

__all__ = ["METRICS", "DEFAULT_METRICS", "SCENARIO_COLUMNS", "scenario_columns", "choose_metric", "missing",
           "scenario_frame", "scenario_arrays", "entities", "require", "key_rows", "conditions", "present_columns",
           "measured_metrics", "pick_intervals", "measured_stream_rows", "select"]

#: Metric columns the figures compare, with their display units (:data:`cnimodel.display.QUANTITIES`):
#: (what it is, which direction is better, display scale, display unit).
METRICS = {c: QUANTITIES[c] for c in ("throughput_bps", "transactions_per_s", "latency_mean_s",
                                      "latency_p50_s", "latency_p90_s", "latency_p99_s")}

#: Metric of each test, in order of preference (the first with data is used).
DEFAULT_METRICS = {
    "stream": ("throughput_bps",),
    "rr": ("latency_mean_s", "latency_p50_s", "transactions_per_s"),
    "crr": ("transactions_per_s", "latency_mean_s"),
}


#: Columns that define a scenario (compared across paths), when present in the frame.
SCENARIO_COLUMNS = ("condition", "tool", "test", "protocol", "direction", "streams", "msg_size_bytes")


def scenario_columns(df, compare_by: str = "path") -> list:
    """Scenario columns present in ``df`` with at least one value (``compare_by`` excluded)."""
    return [c for c in SCENARIO_COLUMNS if c in df.columns and c != compare_by and df[c].notna().any()]


def choose_metric(test, frame, metrics=None):
    """Metric column for ``test``: the first of ``metrics[test]`` (or the defaults) with data."""
    table = {**DEFAULT_METRICS, **(metrics or {})}
    cands = table.get(str(test), ("throughput_bps", "transactions_per_s", "latency_mean_s"))
    if isinstance(cands, str):
        cands = (cands,)
    for c in cands:
        if c not in METRICS:
            raise ParameterError("metrics", c, ", ".join(METRICS))
        if c in frame.columns and frame[c].notna().any():
            return c
    return None


def missing(v) -> bool:
    if v is None:
        return True
    try:
        return bool(v != v) or type(v).__name__ == "NAType"
    except (TypeError, ValueError):
        return False


def scenario_frame(df):
    """``df`` with UDP stream message sizes blanked: iperf3 sizes UDP datagrams from the
    pod MTU, so they differ per path and are a consequence, not a scenario setting."""
    if not {"msg_size_bytes", "test", "protocol"} <= set(df.columns):
        return df
    m = (df["test"].astype(str) == "stream") & (df["protocol"].astype(str) == "udp")
    if not m.any():
        return df
    d = df.copy()
    d.loc[m.to_numpy(), "msg_size_bytes"] = np.nan
    return d


def _groups(df, keys):
    """(scenario dict, sub-frame) per scenario, NaN keys kept, in sorted order."""
    df = scenario_frame(df)
    if not keys:
        yield {}, df
        return
    for k, g in df.groupby(keys, dropna=False, sort=True):
        k = k if isinstance(k, tuple) else (k,)
        yield {c: (None if missing(v) else (v.item() if hasattr(v, "item") else v))
               for c, v in zip(keys, k)}, g


def entities(g, compare_by, baseline):
    names = [str(v) for v in dict.fromkeys(g[compare_by].dropna())]
    order = {n: i for i, n in enumerate(PATH_NAMES)}
    names.sort(key=lambda n: (n != baseline, order.get(n, len(order)), n))
    return names


def scenario_arrays(df, compare_by, metrics):
    """[(scenario dict, metric, {value of compare_by: finite numpy values})] in sorted order:
    one pass over the frame; everything after works on small arrays."""
    keys = scenario_columns(df, compare_by)
    out = []
    for scn, g in _groups(df, keys):
        metric = choose_metric(scn.get("test"), g, metrics)
        if metric is None:
            continue
        vals = g[metric].to_numpy(dtype=float, na_value=np.nan)
        lab = g[compare_by].astype(object).to_numpy()
        arrays = {}
        for e in entities(g, compare_by, None):
            x = vals[lab == e] if e in set(lab) else vals[np.array([str(v) == e for v in lab])]
            arrays[e] = x[np.isfinite(x)]
        out.append((scn, metric, arrays))
    return keys, out


def require(df, col):
    if col not in df.columns:
        raise ParameterError("compare_by", col, "a column of the dataset (path, cni, ...)")


def key_rows(o):
    keep = []
    conds = o["condition"].drop_duplicates().tolist() if "condition" in o else [None]
    for c in conds:
        oc = o if c is None else o[o["condition"].astype(object).eq(c) | (o["condition"].isna() if c is None else False)]
        for t in ("rr", "stream"):
            ot = oc[oc["test"].astype(str) == t] if "test" in oc else oc.iloc[0:0]
            if "protocol" in ot and (ot["protocol"].astype(str) == "tcp").any():
                ot = ot[ot["protocol"].astype(str) == "tcp"]
            if ot.empty:
                continue
            if t == "rr" and "msg_size_bytes" in ot and ot["msg_size_bytes"].notna().any():
                best = ot["msg_size_bytes"].iloc[(np.log(ot["msg_size_bytes"].clip(lower=1) / 1024)).abs().argmin()]
                ot = ot[ot["msg_size_bytes"] == best]
            if t == "stream" and "msg_size_bytes" in ot and ot["msg_size_bytes"].isna().any():
                ot = ot[ot["msg_size_bytes"].isna()]  # bulk transfer with the tool's default sizes
            if t == "stream" and "streams" in ot and ot["streams"].notna().any():
                ot = ot[ot["streams"] == ot["streams"].min()]
            if "direction" in ot and ot["direction"].notna().any() and (ot["direction"].astype(str) == "send").any():
                ot = ot[ot["direction"].astype(str) == "send"]
            keep.append(ot)
    if not keep:
        return o
    return pd.concat(keep)


def conditions(df) -> list:
    """Values of the ``condition`` column in order, or ``[None]`` when there is none."""
    if "condition" not in df.columns or not df["condition"].notna().any():
        return [None]
    return sorted(str(c) for c in df["condition"].dropna().unique())


def present_columns(df):
    """``df`` without the columns that hold no value at all, times as ISO text (for showing)."""
    out = df[[c for c in df.columns if df[c].notna().any()]].copy()
    for c in out.columns:
        if out[c].dtype.kind == "M":
            out[c] = out[c].dt.strftime("%Y-%m-%d %H:%M:%S").astype("string")
    return out


def measured_metrics(df) -> list:
    """The metric columns of :data:`METRICS` that hold data in ``df``."""
    return [m for m in METRICS if m in df.columns and df[m].notna().any()]


def pick_intervals(df, intervals, max_files: int = 6, by: str = "path"):
    """Interval rows of up to ``max_files`` bulk-transfer files (one per ``by`` value first).

    ``intervals`` is the interval frame of ``load_dataset(..., intervals=True)``.  Returns
    ``(rows, labels)`` with ``labels = {source_file: "<by value> (<file name>)"}``.
    """
    if intervals is None or len(intervals) == 0 or max_files <= 0 or "source_file" not in df.columns:
        return pd.DataFrame(), {}
    d = df[df["source_file"].isin(set(intervals["source_file"].dropna()))]
    if "test" in d.columns:
        d = d[d["test"].astype(str) == "stream"]
    files = d.drop_duplicates("source_file")
    picks, seen = [], set()
    for rnd in range(2):  # first one file per group, then fill up
        for r in files.to_dict("records"):
            key, f = str(r.get(by)), str(r["source_file"])
            if len(picks) >= max_files or f in {p for p, _ in picks} or (rnd == 0 and key in seen):
                continue
            seen.add(key)
            picks.append((f, key))
    labels = {f: f"{key} ({f.rsplit('/', 1)[-1]})" for f, key in picks}
    rows = intervals[intervals["source_file"].isin(list(labels))]
    return rows, labels


def measured_stream_rows(df, link_rate_bps=None, streams: int = 1):
    """Bulk TCP stream rows of ``df`` with ``streams`` streams, sending side, tool-default
    message sizes (optionally only those measured at ``link_rate_bps``; NaN / inf label =
    unshaped), for drawing measured throughput over the model."""
    d = df
    if "test" in d.columns:
        d = d[d["test"].astype(str) == "stream"]
    if "protocol" in d.columns:
        d = d[d["protocol"].astype(str) == "tcp"]
    if "streams" in d.columns and d["streams"].notna().any():
        d = d[d["streams"] == streams]
    if "direction" in d.columns and (d["direction"].astype(str) == "send").any():
        d = d[d["direction"].astype(str) == "send"]
    if "msg_size_bytes" in d.columns and d["msg_size_bytes"].isna().any():
        d = d[d["msg_size_bytes"].isna()]
    if link_rate_bps is not None and "link_rate_bps" in d.columns:
        rate = d["link_rate_bps"].astype(float)
        if np.isfinite(link_rate_bps):
            d = d[np.isclose(rate, link_rate_bps)]
        else:
            d = d[~np.isfinite(rate.fillna(np.inf))]
    return d


def select(df, include_paths=None, column: str = "path"):
    """Rows whose ``column`` is in ``include_paths`` (all rows when None).

    Unknown names raise :class:`~cnimodel.errors.ParameterError` (no silent empty report).
    """
    if include_paths is None:
        return df
    want = [include_paths] if isinstance(include_paths, str) else list(include_paths)
    have = {str(v) for v in df[column].dropna().unique()} if column in df.columns else set()
    missing = [w for w in want if w not in have]
    if missing:
        raise ParameterError("include_paths", missing[0], ", ".join(sorted(have)) or "none",
                             f"no {column} {missing[0]!r} in the dataset")
    return df[df[column].astype(str).isin(want)].reset_index(drop=True)
