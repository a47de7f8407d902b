"""Headline statistics of a measured dataset: per scenario and path the median with its CI,
the overhead against a baseline path with CI and significance, the MTU findings and the
coverage.  Pure functions of a tidy frame (:mod:`cnimodel.io` schema); the statistics
are those of :mod:`cnimodel.stats` (stated in ``figures["method"]``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .. import overhead as ov
from .. import stats
from ..errors import CnimodelError, ParameterError
from ..jsonclean import jsonable
from ..paths import get_path
from .present import headline_sentences, scenario_label
from .rows import METRICS, entities, missing, require, scenario_arrays, scenario_columns, scenario_frame
from .verdict import comparable_groups, group_baseline

__all__ = ["median_table", "overhead_table", "like_for_like_overheads", "mtu_findings", "coverage_table", "headline_figures"]

def median_table(df, compare_by: str = "path", confidence: float = 0.95, metrics=None, _arrays=None):
    """One row per scenario x ``compare_by`` value: the metric's median with its CI.

    Columns: scenario columns, ``compare_by``, ``scenario``, ``metric``, ``n``, ``median``,
    ``ci_low``, ``ci_high``, ``ci_level`` (achieved coverage, see :mod:`cnimodel.stats`).
    Values stay in the metric's SI unit.
    """
    require(df, compare_by)
    keys, groups = _arrays or scenario_arrays(df, compare_by, metrics)
    rows = []
    for scn, metric, arrays in groups:
        label = scenario_label(scn)
        for e, x in arrays.items():
            if x.size == 0:
                continue
            rows.append({**scn, compare_by: e, "scenario": label, "metric": metric,
                         **stats.median_ci(x, confidence)})
    cols = keys + [compare_by, "scenario", "metric", "n", "median", "ci_low", "ci_high", "ci_level"]
    return pd.DataFrame(rows, columns=cols)


def overhead_table(df, baseline: str = "host", compare_by: str = "path", confidence: float = 0.95,
                   test: str = "welch-t", n_boot: int = 4000, seed=0, metrics=None, _arrays=None):
    """One row per scenario x non-baseline value: overhead against ``baseline`` in that scenario.

    Columns: scenario columns, ``compare_by``, ``scenario``, ``metric``, the output of
    :func:`cnimodel.stats.compare` (``median``, ``baseline_median``, ``diff`` with CI,
    ``relative`` with CI, ``p_value``, ``significant``, ...) and ``worse`` (the
    difference goes in the metric's bad direction).  Scenarios without the baseline
    are left out (listed by :func:`headline_figures` under ``no_baseline``).
    """
    require(df, compare_by)
    _, groups = _arrays or scenario_arrays(df, compare_by, metrics)
    rows = []
    for scn, metric, arrays in groups:
        base = arrays.get(baseline)
        if base is None or base.size == 0:
            continue
        label = scenario_label(scn)
        for e, x in arrays.items():
            if e == baseline or x.size == 0:
                continue
            c = stats.compare(x, base, confidence, test, n_boot, seed)
            c["significance_test"] = c.pop("test")  # "test" is the scenario column
            better = METRICS[metric][1]
            worse = (c["diff"] < 0) if better == "higher" else (c["diff"] > 0)
            rows.append({**scn, compare_by: e, "baseline": baseline, "scenario": label,
                         "metric": metric, **c, "worse": bool(worse)})
    return pd.DataFrame(rows)


def mtu_findings(df, compare_by: str = "path"):
    """MTU checks of every measured row that reports a path MTU or an MSS.

    The expected pod MTU is what the underlay carries after the path's (or the row's
    ``encap`` column's) encapsulation (:func:`cnimodel.overhead.summarize`).  Findings:
    ``misconfigured`` (observed pod MTU above it: fragmentation or black-holing),
    ``below-optimum`` (smaller than the underlay allows: goodput left on the table),
    ``ok``, or ``not-checked`` with the reason (no underlay MTU, unknown path).

    Returns a DataFrame, one row per distinct (condition, path, encap, underlay MTU,
    observed MTU): ``observed_pod_mtu_bytes``, ``expected_pod_mtu_bytes``, ``finding``,
    ``detail``, ``n_rows``.
    """
    cols = ["condition", compare_by, "encap", "underlay_mtu_bytes", "observed_pod_mtu_bytes",
            "observed_from", "expected_pod_mtu_bytes", "finding", "detail", "n_rows"]
    if df is None or len(df) == 0:
        return pd.DataFrame(columns=cols)
    d = pd.DataFrame(index=df.index)
    d["condition"] = df["condition"].astype(object) if "condition" in df else None
    d[compare_by] = df[compare_by].astype(object)
    d["path"] = df["path"].astype(object) if "path" in df else d[compare_by]
    d["encap"] = df["encap"].astype(object) if "encap" in df else None
    d["underlay_mtu_bytes"] = pd.to_numeric(df["underlay_mtu_bytes"], errors="coerce") if "underlay_mtu_bytes" in df else np.nan
    pm = pd.to_numeric(df["pmtu_bytes"], errors="coerce") if "pmtu_bytes" in df else pd.Series(np.nan, index=df.index)
    mss = pd.to_numeric(df["mss_bytes"], errors="coerce") if "mss_bytes" in df else pd.Series(np.nan, index=df.index)
    # MSS -> pod MTU: IPv4 (RFC 791, 20 B) + TCP (RFC 9293, 20 B) + timestamps option (RFC 7323, 12 B) = 52 B.
    d["observed_pod_mtu_bytes"] = pm.where(pm.notna(), mss + ov.transport_header_bytes("tcp", 4, True))
    d["observed_from"] = np.where(pm.notna(), "pmtu", np.where(mss.notna(), "mss+52", None))
    d = d[d["observed_pod_mtu_bytes"].notna()]
    if d.empty:
        return pd.DataFrame(columns=cols)
    key = list(dict.fromkeys(["condition", compare_by, "path", "encap", "underlay_mtu_bytes", "observed_pod_mtu_bytes", "observed_from"]))
    g = d.groupby(key, dropna=False, sort=True).size().reset_index(name="n_rows")
    out = []
    for r in g.to_dict("records"):
        r = {k: (None if missing(v) else v) for k, v in r.items()}
        r["n_rows"] = int(r["n_rows"])
        under, obs = r["underlay_mtu_bytes"], r["observed_pod_mtu_bytes"]
        r["expected_pod_mtu_bytes"] = None
        if under is None:
            r["finding"], r["detail"] = "not-checked", "no underlay_mtu_bytes label in the dataset"
        else:
            try:
                enc = r["encap"] or get_path(str(r["path"])).encap
                exp = float(ov.summarize(encap=enc, underlay_mtu_bytes=under, _skip_rate=True)["max_pod_mtu_bytes"])
            except CnimodelError as exc:
                r["finding"], r["detail"] = "not-checked", str(exc)
            else:
                r["encap"] = enc
                r["expected_pod_mtu_bytes"] = exp
                if obs > exp:
                    r["finding"] = "misconfigured"
                    r["detail"] = (f"pod MTU {obs:.0f} B exceeds the {exp:.0f} B an underlay MTU of "
                                   f"{under:.0f} B carries with {enc}: large packets fragment or are dropped")
                elif obs < exp:
                    loss = 1 - (obs - 52) / (exp - 52)
                    r["finding"] = "below-optimum"
                    r["detail"] = (f"pod MTU {obs:.0f} B is below the {exp:.0f} B the underlay allows: "
                                   f"about {100 * loss:.1f} % less TCP payload per packet")
                else:
                    r["finding"], r["detail"] = "ok", f"pod MTU {obs:.0f} B = underlay {under:.0f} B - {enc} overhead"
        out.append(r)
    return pd.DataFrame(out, columns=cols)


def coverage_table(df, compare_by: str = "path"):
    """Rows measured per scenario (index) and ``compare_by`` value (columns); 0 = not measured.

    >>> import pandas as pd
    >>> coverage_table(pd.DataFrame({"path": ["host", "overlay", "host"], "test": ["rr", "rr", "stream"]})).to_dict()
    {'host': {'request/response': 1, 'stream': 1}, 'overlay': {'request/response': 1, 'stream': 0}}
    """
    require(df, compare_by)
    keys = scenario_columns(df, compare_by)
    if not keys:
        return df.groupby(compare_by).size().to_frame("rows").T
    df = scenario_frame(df)
    lab = [scenario_label(dict(zip(keys, k if isinstance(k, tuple) else (k,)))) for k in
           df[keys].itertuples(index=False, name=None)]
    t = pd.crosstab(pd.Series(lab, index=df.index, name="scenario"), df[compare_by].astype(str))
    t.columns.name = compare_by
    order = entities(df.assign(**{compare_by: df[compare_by].astype(str)}), compare_by, None)
    return t[[c for c in order if c in t.columns]]


def like_for_like_overheads(df, baseline: str = "host", baselines=None, compare_by: str = "path",
                            confidence: float = 0.95, test: str = "welch-t", n_boot: int = 4000, seed=0,
                            metrics=None):
    """:func:`overhead_table` within each comparable group only
    (:func:`cnimodel.summary.verdict.comparable_groups`): cross-node paths against the
    cross-node baseline, same-node against a same-node one (``baselines``), one condition and
    setting at a time.  Groups without their baseline are left out."""
    parts = []
    for key, rows in comparable_groups(df, compare_by):
        base = group_baseline(key, baseline, baselines) if key["locality"] else None
        if base is None or not (rows[compare_by].astype(str) == base).any():
            continue
        t = overhead_table(rows, base, compare_by, confidence, test, n_boot, seed, metrics)
        if len(t):
            parts.append(t.assign(locality=key["locality"]))
    if not parts:
        return pd.DataFrame()
    return pd.concat(parts, ignore_index=True)


def headline_figures(df, baseline: str = "host", compare_by: str = "path", confidence: float = 0.95,
                     test: str = "welch-t", n_boot: int = 4000, seed=0, metrics=None, baselines=None) -> dict:
    """All headline figures of a dataset, JSON-ready (SI units, NaN as None via the report).

    Overheads are like for like (:func:`like_for_like_overheads`): ``baseline`` is the
    baseline of cross-node paths; ``baselines`` gives others (see
    :func:`cnimodel.summary.verdict.verdict`).

    Returns
    -------
    dict
        ``baseline``, ``compare_by``, ``confidence``, ``test``, ``method`` (statement),
        ``n_rows``, ``medians`` (records of :func:`median_table`), ``overheads``
        (records of :func:`overhead_table`), ``headline`` (key sentences), ``sentences``
        (all), ``no_baseline`` (scenarios lacking the baseline), ``mtu_findings``.
    """
    require(df, compare_by)
    stats.method_statement(confidence, test, n_boot)  # validates test / confidence
    present = {str(v) for v in df[compare_by].dropna().unique()}
    if baseline not in present:
        raise ParameterError("baseline", baseline, ", ".join(sorted(present)) or "a value of " + compare_by,
                             f"no {compare_by} {baseline!r} in the dataset")
    arrays = scenario_arrays(df, compare_by, metrics)
    med = median_table(df, compare_by, confidence, metrics, _arrays=arrays)
    oh = like_for_like_overheads(df, baseline, baselines, compare_by, confidence, test, n_boot, seed, metrics)
    scen_all = set(med["scenario"]) if len(med) else set()
    scen_base = set(med.loc[med[compare_by] == baseline, "scenario"]) if len(med) else set()
    mtu = mtu_findings(df, compare_by)
    return {
        "baseline": baseline, "compare_by": compare_by, "confidence": confidence, "test": test,
        "n_boot": n_boot, "seed": seed,
        "method": stats.method_statement(confidence, test, n_boot),
        "n_rows": int(len(df)),
        "medians": jsonable(med.to_dict("records")),
        "overheads": jsonable(oh.to_dict("records")),
        "headline": headline_sentences(oh, compare_by, confidence, key_only=True),
        "sentences": headline_sentences(oh, compare_by, confidence, key_only=False),
        "no_baseline": sorted(scen_all - scen_base),
        "mtu_findings": jsonable(mtu.to_dict("records")),
        "n_misconfigured": int((mtu["finding"] == "misconfigured").sum()) if len(mtu) else 0,
    }
