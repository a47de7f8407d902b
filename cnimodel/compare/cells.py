"""Pair the cells of two tidy frames: which repetitions of BASELINE and NEW measure the same
thing, and why a cell cannot be compared.

A *cell* is one scenario (the :data:`KEY_COLUMNS` present in either frame: condition, path,
tool, test, protocol, direction, streams, message size, ...) and one metric.  Every row of
the tidy schema is one measured run, so every row is one *repetition* of its cell: the
repetition is the statistical unit (a per-run median or p99 is one value; the samples inside
a run are never pooled across runs).

Two cells with the same key are comparable when the conditions they were measured under
agree: the :data:`CONDITION_PARAMS` labels (wire MTU, link rate, pod MTU, encapsulation,
...) must be equal on both sides.  Labels outside that list (``nft_rules``, ``kernel``,
``cni`` version, ...) may differ: they are what a comparison is usually about, and
:func:`label_changes` lists them.

Examples
--------
>>> import pandas as pd
>>> b = pd.DataFrame({"path": ["host"] * 3, "test": "rr", "latency_mean_s": [60e-6, 61e-6, 59e-6]})
>>> n = b.assign(latency_mean_s=[90e-6, 91e-6, 92e-6])
>>> [(c["key"]["path"], c["metric"], c["reason"], len(c["new"])) for c in pair_cells(b, n)]
[('host', 'latency_mean_s', None, 3)]
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..display import unit
from ..errors import ParameterError
from ..io.schema import COLUMN_NAMES
from ..summary.rows import METRICS, missing, scenario_frame

__all__ = ["KEY_COLUMNS", "CONDITION_PARAMS", "COMPARED_METRICS", "key_columns", "pair_cells",
           "label_changes", "pair_conditions", "relative_to_path"]

#: Columns that identify a scenario, when present in either frame (in output order).
KEY_COLUMNS = ("condition", "path", "tool", "test", "protocol", "direction", "streams",
               "msg_size_bytes", "series", "bidir", "cni", "node_pair")

#: Labels describing how a condition was set up; a cell whose values differ between the two
#: sides is ``not_comparable`` (a 9000-byte MTU run is no baseline for a 1500-byte one).
CONDITION_PARAMS = ("underlay_mtu_bytes", "link_rate_bps", "pod_mtu_bytes", "encap", "shaped",
                    "wire_kind", "underlay_kind")

#: Metrics compared by default: the report's metrics (:data:`cnimodel.summary.rows.METRICS`),
#: each with a better direction in :data:`cnimodel.display.QUANTITIES`.
COMPARED_METRICS = tuple(METRICS)

#: Columns never used as a key or a condition label: per-run bookkeeping.
_RUN_COLUMNS = {"repetition", "session", "timestamp", "source_file", "format", "record",
                "tool_version", "duration_s"}


def key_columns(*frames) -> list:
    """The :data:`KEY_COLUMNS` holding a value in at least one of ``frames``."""
    return [c for c in KEY_COLUMNS if any(c in f.columns and f[c].notna().any() for f in frames)]


def _scalar(v):
    if missing(v):
        return None
    v = v.item() if hasattr(v, "item") else v
    if isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 53:
        return int(v) if not isinstance(v, bool) else v
    return v


def _prepare(df, keys):
    d = scenario_frame(df)
    d = d.copy() if d is df else d
    for c in keys:
        if c not in d.columns:
            d[c] = None
    return d


def _groups(df, keys):
    """{key tuple: sub-frame} with NaN keys kept (``None`` in the tuple)."""
    if not len(df):
        return {}
    out = {}
    for k, g in df.groupby(list(keys), dropna=False, sort=False):
        k = k if isinstance(k, tuple) else (k,)
        out[tuple(_scalar(v) for v in k)] = g
    return out


def _values(g, metric):
    if metric not in g.columns:
        return np.empty(0)
    a = g[metric].to_numpy(dtype=float, na_value=np.nan)
    return a[np.isfinite(a)]


def _param_values(g, col):
    if col not in g.columns:
        return set()
    return {_scalar(v) for v in g[col].dropna().unique()}


def _same(a: set, b: set) -> bool:
    if len(a) != len(b):
        return False
    if a == b:
        return True
    try:
        return all(math.isclose(float(x), float(y), rel_tol=1e-9) for x, y in zip(sorted(a), sorted(b)))
    except (TypeError, ValueError):
        return False


def _param_text(v: set) -> str:
    if not v:
        return "unset"
    return "/".join(str(x) for x in sorted(v, key=str))


def _condition_mismatch(gb, gn, params) -> str | None:
    diffs = []
    for col in params:
        pb, pn = _param_values(gb, col), _param_values(gn, col)
        if not pb and not pn:
            continue
        if not _same(pb, pn):
            diffs.append(f"{col} {_param_text(pb)} vs {_param_text(pn)}")
    return "different condition parameters: " + "; ".join(diffs) if diffs else None


def pair_conditions(baseline, new, condition_map=None):
    """Map NEW's condition names onto BASELINE's: ``(new frame renamed, {new: baseline})``.

    ``condition_map`` gives ``{baseline name: new name}`` pairs.  Without it, conditions of
    the same name pair; when each side holds exactly one condition and their names differ,
    the two are paired (the usual "same setup, one change" comparison, e.g. a run named
    after the change).  The pairs made are returned so a report can state them.
    """
    if "condition" not in new.columns or "condition" not in baseline.columns:
        return new, {}
    cb = [str(c) for c in baseline["condition"].dropna().unique()]
    cn = [str(c) for c in new["condition"].dropna().unique()]
    if condition_map:
        for b, n in condition_map.items():
            if b not in cb:
                raise ParameterError("condition_map", b, ", ".join(sorted(cb)) or "none",
                                     "no such condition in the baseline")
            if n not in cn:
                raise ParameterError("condition_map", n, ", ".join(sorted(cn)) or "none",
                                     "no such condition in the new dataset")
        rename = {n: b for b, n in condition_map.items()}
    elif len(cb) == 1 and len(cn) == 1 and cb != cn:
        rename = {cn[0]: cb[0]}
    else:
        return new, {}
    out = new.copy()
    cond = out["condition"].astype(object)
    out["condition"] = cond.map(lambda v: rename.get(str(v), v) if not missing(v) else v)
    return out, rename


def pair_cells(baseline, new, metrics=None, params=CONDITION_PARAMS) -> list:
    """Every cell of either frame, paired.

    Parameters
    ----------
    baseline, new : pandas.DataFrame
        Tidy frames (:func:`cnimodel.io.load_dataset`), conditions already paired
        (:func:`pair_conditions`).
    metrics : sequence of str, optional
        Metric columns (default :data:`COMPARED_METRICS`); each needs a better direction.
    params : sequence of str
        Condition labels that must agree (default :data:`CONDITION_PARAMS`).

    Returns
    -------
    list of dict
        ``key`` (dict of the key columns), ``metric``, ``baseline`` and ``new`` (finite
        per-repetition values [SI unit of the metric]) and ``reason`` (None when the cell
        is comparable, else why not).
    """
    metrics = tuple(metrics or COMPARED_METRICS)
    for m in metrics:
        if unit(m).better not in ("higher", "lower"):
            raise ParameterError("metrics", m, "a metric with a better direction ("
                                 + ", ".join(COMPARED_METRICS) + ", ...)")
    keys = key_columns(baseline, new)
    gb = _groups(_prepare(baseline, keys), keys)
    gn = _groups(_prepare(new, keys), keys)
    cells = []

    def add(k, gbk, gnk, reason=None):
        for m in metrics:
            xb = _values(gbk, m) if gbk is not None else np.empty(0)
            xn = _values(gnk, m) if gnk is not None else np.empty(0)
            if xb.size == 0 and xn.size == 0:
                continue
            r = reason
            if r is None and (xb.size == 0 or xn.size == 0):
                r = f"{m} not measured in {'baseline' if xb.size == 0 else 'new'}"
            cells.append({"key": dict(zip(keys, k)), "metric": m, "baseline": xb, "new": xn,
                          "reason": r})

    ti = keys.index("tool") if "tool" in keys else None
    only_new = [k for k in gn if k not in gb]
    for k, g in gb.items():
        if k in gn:
            add(k, g, gn[k], _condition_mismatch(g, gn[k], params))
            continue
        other = None
        if ti is not None:
            other = next((kn for kn in only_new if kn[:ti] + kn[ti + 1:] == k[:ti] + k[ti + 1:]), None)
        if other is not None:
            only_new.remove(other)
            add(k, g, None, f"different tool: baseline {k[ti]}, new {other[ti]}")
        else:
            add(k, g, None, "missing in new")
    for k in only_new:
        add(k, None, gn[k], "missing in baseline")
    return cells


def label_changes(baseline, new, params=CONDITION_PARAMS) -> dict:
    """Labels (columns outside the tidy schema, keys and condition parameters) whose set of
    values differs between the two frames: ``{column: (baseline values, new values)}``."""
    skip = set(COLUMN_NAMES) | set(KEY_COLUMNS) | set(params) | _RUN_COLUMNS
    out = {}
    for c in sorted((set(baseline.columns) | set(new.columns)) - skip):
        vb = sorted({str(_scalar(v)) for v in baseline[c].dropna().unique()}) if c in baseline else []
        vn = sorted({str(_scalar(v)) for v in new[c].dropna().unique()}) if c in new else []
        if vb != vn:
            out[c] = (vb, vn)
    return out



def relative_to_path(df, reference: str, metrics=None):
    """``df`` with every metric divided by the ``reference`` path's value of the same scenario
    (same key columns but ``path``), and without the reference path's rows.

    The value of the same repetition (``repetition`` label) is used when the reference has it,
    else the geometric mean of the reference's repetitions: the lab measures every path once per
    test and repetition, paths interleaved, so the ratio of one repetition cancels whatever the
    machine's load did to both.  Rows whose scenario has no reference value get NaN.

    Returns
    -------
    (DataFrame, list of dict)
        The frame of ratios (dimensionless) and the scenarios without a reference value.
    """
    metrics = [m for m in (metrics or COMPARED_METRICS) if m in df.columns]
    have = sorted({str(p) for p in df["path"].dropna().unique()}) if "path" in df.columns else []
    if reference not in have:
        raise ParameterError("relative_to", reference, ", ".join(have) or "none", "no such path in the dataset")
    keys = [c for c in key_columns(df) if c != "path"]
    d = _prepare(df, keys)
    is_ref = (d["path"].astype(str) == reference).to_numpy()
    rep = "repetition" if "repetition" in d.columns and d["repetition"].notna().any() else None
    out, missing_ref = d[~is_ref].copy(), []
    ref_groups = _groups(d[is_ref], keys) if keys else {(): d[is_ref]}
    rows_groups = _groups(out, keys) if keys else {(): out}
    for k, g in rows_groups.items():
        r = ref_groups.get(k)
        if r is None:
            missing_ref.append(dict(zip(keys, k)))
            out.loc[g.index, metrics] = np.nan
            continue
        for m in metrics:
            ref = r[m].to_numpy(dtype=float, na_value=np.nan)
            ok = np.isfinite(ref) & (ref > 0)
            gm = float(np.exp(np.log(ref[ok]).mean())) if ok.any() else np.nan
            den = np.full(len(g), gm)
            if rep is not None:
                by_rep = {_scalar(k2): v for k2, v, good in zip(r[rep], ref, ok) if good}
                den = np.array([by_rep.get(_scalar(x), gm) for x in g[rep]], dtype=float)
            out.loc[g.index, m] = g[m].to_numpy(dtype=float, na_value=np.nan) / den
    return out, missing_ref
