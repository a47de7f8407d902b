"""Headline figures of a measured dataset: per path and test, medians with CIs, overhead
against a baseline path with CIs and significance, MTU findings, and the generated
summary sentences.  Pure functions of a tidy frame (``cnimodel.io`` schema); the main
report notebook and the test checking ``summary.json`` both call :func:`headline_figures`.

Statistics are those of :mod:`cnimodel.stats` (stated in ``figures["method"]``).

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"path": ["host"] * 3 + ["overlay"] * 3, "test": "rr", "protocol": "tcp",
...                    "msg_size_bytes": 1024.0,
...                    "latency_mean_s": [60e-6, 61e-6, 62e-6, 72e-6, 73e-6, 75e-6]})
>>> f = headline_figures(df)
>>> f["headline"][0].split(" (")[0]
'overlay adds 12 us to TCP request/response 1 KiB latency against host'
"""
from __future__ import annotations

import math

import numpy as np

from . import stats
from .errors import ParameterError

__all__ = ["coverage_table", "METRICS", "DEFAULT_METRICS", "SCENARIO_COLUMNS", "scenario_columns", "choose_metric",
           "scenario_label", "median_table", "overhead_table", "headline_sentences",
           "mtu_findings", "headline_figures", "model_figures", "headline_markdown",
           "display_tables", "measured_vs_model", "model_table", "mtu_table", "conditions",
           "overhead_frames", "dataset_markdown", "model_markdown", "mtu_markdown", "present_columns",
           "measured_metrics", "pick_intervals", "estimates_table", "identifiability_markdown", "cv_table",
           "measured_stream_rows", "select", "load_markdown", "fittable_rows",
           "cross_validation_note"]

#: Metric columns: (what it is, which direction is better, display scale, display unit).
METRICS = {
    "throughput_bps": ("throughput", "higher", 1e-9, "Gbit/s"),
    "transactions_per_s": ("transaction rate", "higher", 1.0, "1/s"),
    "latency_mean_s": ("latency", "lower", 1e6, "us"),
    "latency_p50_s": ("median latency", "lower", 1e6, "us"),
    "latency_p90_s": ("p90 latency", "lower", 1e6, "us"),
    "latency_p99_s": ("p99 latency", "lower", 1e6, "us"),
}

#: Metric of each test, in order of preference (the first with data is used).
DEFAULT_METRICS = {
    "stream": ("throughput_bps",),
    "rr": ("latency_mean_s", "latency_p50_s", "transactions_per_s"),
    "crr": ("transactions_per_s", "latency_mean_s"),
}

#: Columns that define a scenario (compared across paths), when present in the frame.
SCENARIO_COLUMNS = ("condition", "tool", "test", "protocol", "direction", "streams", "msg_size_bytes")

_TEST_NAMES = {"stream": "stream", "rr": "request/response", "crr": "connect/request/response"}


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


def _size_label(m) -> str:
    m = float(m)
    if m < 1024:
        return f"{m:g} B"
    if m % 1024 == 0:
        return f"{m / 1024:g} KiB"
    return f"{m:.0f} B"


def _missing(v) -> bool:
    if v is None:
        return True
    try:
        return bool(v != v) or type(v).__name__ == "NAType"
    except (TypeError, ValueError):
        return False


_SHORT_TESTS = {"stream": "stream", "rr": "RR", "crr": "CRR"}


def scenario_label(scn: dict, short: bool = False) -> str:
    """Readable name of a scenario: ``"mtu1500-2g: TCP stream, 8 streams"``; ``short=True``
    gives the compact form used as a plot tick label (``"TCP RR 1 KiB"``).

    >>> scenario_label({"test": "rr", "protocol": "tcp", "msg_size_bytes": 1024.0})
    'TCP request/response 1 KiB'
    >>> scenario_label({"tool": "iperf3", "test": "stream", "protocol": "tcp", "streams": 4}, short=True)
    'iperf3 TCP stream x4'
    """
    if short:
        p = [str(scn[k]) if k == "tool" else str(scn[k]).upper() for k in ("tool", "protocol")
             if not _missing(scn.get(k))]
        t = scn.get("test")
        p.append(_SHORT_TESTS.get(str(t), str(t)) if not _missing(t) else "test")
        if not _missing(scn.get("msg_size_bytes")):
            p.append(_size_label(scn["msg_size_bytes"]))
        if not _missing(scn.get("streams")) and int(scn["streams"]) != 1:
            p.append(f"x{int(scn['streams'])}")
        if not _missing(scn.get("direction")) and str(scn["direction"]) not in ("send", ""):
            p.append({"receive": "recv"}.get(str(scn["direction"]), str(scn["direction"])))
        return " ".join(p)
    parts = []
    if not _missing(scn.get("tool")):
        parts.append(str(scn["tool"]))
    if not _missing(scn.get("protocol")):
        parts.append(str(scn["protocol"]).upper())
    t = scn.get("test")
    parts.append(_TEST_NAMES.get(str(t), str(t)) if not _missing(t) else "test")
    if not _missing(scn.get("msg_size_bytes")):
        parts.append(_size_label(scn["msg_size_bytes"]))
    s = " ".join(parts)
    extra = []
    if not _missing(scn.get("streams")) and int(scn["streams"]) != 1:
        extra.append(f"{int(scn['streams'])} streams")
    if not _missing(scn.get("direction")) and str(scn["direction"]) not in ("send", ""):
        extra.append(str(scn["direction"]))
    if extra:
        s += ", " + ", ".join(extra)
    if not _missing(scn.get("condition")):
        s = f"{scn['condition']}: {s}"
    return s


def _scenario_frame(df):
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
    df = _scenario_frame(df)
    if not keys:
        yield {}, df
        return
    for k, g in df.groupby(keys, dropna=False, sort=True):
        k = k if isinstance(k, tuple) else (k,)
        yield {c: (None if _missing(v) else (v.item() if hasattr(v, "item") else v))
               for c, v in zip(keys, k)}, g


def _entities(g, compare_by, baseline):
    names = [str(v) for v in dict.fromkeys(g[compare_by].dropna())]
    from .paths import PATH_NAMES

    order = {n: i for i, n in enumerate(PATH_NAMES)}
    names.sort(key=lambda n: (n != baseline, order.get(n, len(order)), n))
    return names


def _scenario_arrays(df, compare_by, metrics):
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
        for e in _entities(g, compare_by, None):
            x = vals[lab == e] if e in set(lab) else vals[np.array([str(v) == e for v in lab])]
            arrays[e] = x[np.isfinite(x)]
        out.append((scn, metric, arrays))
    return keys, out


def median_table(df, compare_by: str = "path", confidence: float = 0.95, metrics=None, _arrays=None):
    """One row per scenario x ``compare_by`` value: the metric's median with its CI.

    Columns: scenario columns, ``compare_by``, ``scenario``, ``metric``, ``n``, ``median``,
    ``ci_low``, ``ci_high``, ``ci_level`` (achieved coverage, see :mod:`cnimodel.stats`).
    Values stay in the metric's SI unit.
    """
    import pandas as pd

    _require(df, compare_by)
    keys, groups = _arrays or _scenario_arrays(df, compare_by, metrics)
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
    import pandas as pd

    _require(df, compare_by)
    _, groups = _arrays or _scenario_arrays(df, compare_by, metrics)
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


def _fmt(v, scale, digits=3):
    return "n/a" if _missing(v) or not np.isfinite(v) else f"{v * scale:.{digits}g}"


def _sentence(r: dict, compare_by: str, confidence: float) -> str:
    what, better, scale, unit = METRICS[r["metric"]]
    pct = f"{100 * confidence:g} %"
    ci_txt = (f"difference {pct} CI {_fmt(r['diff_ci_low'], scale)} to {_fmt(r['diff_ci_high'], scale)} {unit}"
              if np.isfinite(r.get("diff_ci_low", math.nan)) else "no CI: fewer than 2 repetitions")
    rel = r.get("relative", math.nan)
    rel_txt = f"{100 * rel:+.1f} %" if np.isfinite(rel) else "n/a"
    p = r.get("p_value", math.nan)
    sig = (f"p = {p:.2g}, {'significant' if r['significant'] else 'not significant'}"
           if np.isfinite(p) else "not testable")
    e, b, d = r[compare_by], r["baseline"], r["diff"]
    if r["metric"].startswith("latency"):
        verb = "adds" if d >= 0 else "saves"
        return (f"{e} {verb} {abs(d) * scale:.3g} {unit} to {r['scenario']} {what} against {b} "
                f"({ci_txt}; {rel_txt}; {sig}).")
    return (f"{e}: {rel_txt} {what} against {b} on {r['scenario']} "
            f"({d * scale:+.3g} {unit}, {ci_txt}; {sig}).")


def headline_sentences(overheads, compare_by: str = "path", confidence: float = 0.95,
                       key_only: bool = True) -> list:
    """Summary sentences, one per overhead row ("overlay adds 12 us ... against host").

    ``key_only`` keeps the key scenarios per condition: request/response at the message
    size closest to 1 KiB and the bulk stream with the fewest streams (any test when
    neither exists).
    """
    if overheads is None or len(overheads) == 0:
        return []
    rows = overheads
    if key_only:
        rows = _key_rows(overheads)
    return [_sentence(r, compare_by, confidence) for r in rows.to_dict("records")]


def _key_rows(o):
    import pandas as pd

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
    import pandas as pd

    from . import overhead as ov
    from .errors import CnimodelError
    from .paths import get_path

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
    # MSS -> pod MTU: IPv4 + TCP + timestamps = 52 bytes (DOMAIN.md sec. 2).
    d["observed_pod_mtu_bytes"] = pm.where(pm.notna(), mss + ov.transport_header_bytes("tcp", 4, True))
    d["observed_from"] = np.where(pm.notna(), "pmtu", np.where(mss.notna(), "mss+52", None))
    d = d[d["observed_pod_mtu_bytes"].notna()]
    if d.empty:
        return pd.DataFrame(columns=cols)
    key = list(dict.fromkeys(["condition", compare_by, "path", "encap", "underlay_mtu_bytes", "observed_pod_mtu_bytes", "observed_from"]))
    g = d.groupby(key, dropna=False, sort=True).size().reset_index(name="n_rows")
    out = []
    for r in g.to_dict("records"):
        r = {k: (None if _missing(v) else v) for k, v in r.items()}
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
    import pandas as pd

    _require(df, compare_by)
    keys = scenario_columns(df, compare_by)
    if not keys:
        return df.groupby(compare_by).size().to_frame("rows").T
    df = _scenario_frame(df)
    lab = [scenario_label(dict(zip(keys, k if isinstance(k, tuple) else (k,)))) for k in
           df[keys].itertuples(index=False, name=None)]
    t = pd.crosstab(pd.Series(lab, index=df.index, name="scenario"), df[compare_by].astype(str))
    t.columns.name = compare_by
    order = _entities(df.assign(**{compare_by: df[compare_by].astype(str)}), compare_by, None)
    return t[[c for c in order if c in t.columns]]


def _require(df, col):
    if col not in df.columns:
        raise ParameterError("compare_by", col, "a column of the dataset (path, cni, ...)")


def headline_figures(df, baseline: str = "host", compare_by: str = "path", confidence: float = 0.95,
                     test: str = "welch-t", n_boot: int = 4000, seed=0, metrics=None) -> dict:
    """All headline figures of a dataset, JSON-ready (SI units, NaN as None via the report).

    Returns
    -------
    dict
        ``baseline``, ``compare_by``, ``confidence``, ``test``, ``method`` (statement),
        ``n_rows``, ``medians`` (records of :func:`median_table`), ``overheads``
        (records of :func:`overhead_table`), ``headline`` (key sentences), ``sentences``
        (all), ``no_baseline`` (scenarios lacking the baseline), ``mtu_findings``.
    """
    _require(df, compare_by)
    stats.method_statement(confidence, test, n_boot)  # validates test / confidence
    present = {str(v) for v in df[compare_by].dropna().unique()}
    if baseline not in present:
        raise ParameterError("baseline", baseline, ", ".join(sorted(present)) or "a value of " + compare_by,
                             f"no {compare_by} {baseline!r} in the dataset")
    arrays = _scenario_arrays(df, compare_by, metrics)
    med = median_table(df, compare_by, confidence, metrics, _arrays=arrays)
    oh = overhead_table(df, baseline, compare_by, confidence, test, n_boot, seed, metrics, _arrays=arrays)
    scen_all = set(med["scenario"]) if len(med) else set()
    scen_base = set(med.loc[med[compare_by] == baseline, "scenario"]) if len(med) else set()
    mtu = mtu_findings(df, compare_by)
    return {
        "baseline": baseline, "compare_by": compare_by, "confidence": confidence, "test": test,
        "n_boot": n_boot, "seed": seed,
        "method": stats.method_statement(confidence, test, n_boot),
        "n_rows": int(len(df)),
        "medians": _records(med),
        "overheads": _records(oh),
        "headline": headline_sentences(oh, compare_by, confidence, key_only=True),
        "sentences": headline_sentences(oh, compare_by, confidence, key_only=False),
        "no_baseline": sorted(scen_all - scen_base),
        "mtu_findings": _records(mtu),
        "n_misconfigured": int((mtu["finding"] == "misconfigured").sum()) if len(mtu) else 0,
    }


def model_figures(comparison) -> dict:
    """Headline figures of measured-vs-model rows (columns ``quantity``, ``measured``,
    ``predicted``): median absolute relative error per quantity and overall."""
    if comparison is None or len(comparison) == 0:
        return {"n": 0, "median_abs_rel_error": None, "by_quantity": {}}
    c = comparison
    err = (c["predicted"] - c["measured"]).abs() / c["measured"].abs()
    by = {str(q): float(np.nanmedian(e)) for q, e in err.groupby(c["quantity"])}
    return {"n": int(len(c)), "median_abs_rel_error": float(np.nanmedian(err)), "by_quantity": by}


def _records(frame) -> list:
    out = []
    for r in frame.to_dict("records"):
        out.append({k: (None if _missing(v) else (v.item() if hasattr(v, "item") else v)) for k, v in r.items()})
    return out


def headline_markdown(figures: dict, key_only: bool = True) -> str:
    """Markdown bullet list of the summary sentences of :func:`headline_figures`."""
    lines = figures["headline"] if key_only else figures["sentences"]
    if not lines:
        return (f"No scenario has both the baseline ({figures['baseline']}) and another "
                f"{figures['compare_by']}: nothing to compare.")
    return "\n".join(f"- {s}" for s in lines)


def display_tables(figures: dict, which: str = "overheads") -> dict:
    """Tables for reading, one per metric, values scaled (Gbit/s, us) with units in headers.

    ``which="medians"``: scenario, compare_by, n, median, CI and its achieved level;
    ``which="overheads"``: scenario, compare_by, medians, difference and relative change
    with CIs, p-value, significant.  Returns ``{metric: DataFrame}``.
    """
    import pandas as pd

    by = figures["compare_by"]
    recs = figures[which]
    out = {}
    if not recs:
        return out
    frame = pd.DataFrame(recs)
    pct = f"{100 * figures['confidence']:g} %"
    for metric, g in frame.groupby("metric", sort=False):
        what, _, scale, unit = METRICS[metric]
        if which == "medians":
            t = pd.DataFrame({
                "scenario": g["scenario"], by: g[by], "repetitions": g["n"],
                f"median {what} [{unit}]": g["median"] * scale,
                f"CI low [{unit}]": g["ci_low"] * scale, f"CI high [{unit}]": g["ci_high"] * scale,
                "CI level [%]": g["ci_level"] * 100})
        else:
            t = pd.DataFrame({
                "scenario": g["scenario"], by: g[by],
                f"median [{unit}]": g["median"] * scale,
                f"{figures['baseline']} median [{unit}]": g["baseline_median"] * scale,
                f"difference [{unit}]": g["diff"] * scale,
                f"{pct} CI of difference [{unit}]": [
                    "n/a" if _missing(a) else f"{a * scale:.4g} to {b * scale:.4g}"
                    for a, b in zip(g["diff_ci_low"], g["diff_ci_high"])],
                "change [%]": g["relative"] * 100,
                f"{pct} CI of change [%]": [
                    "n/a" if _missing(a) else f"{100 * a:.3g} to {100 * b:.3g}"
                    for a, b in zip(g["relative_ci_low"], g["relative_ci_high"])],
                "p-value": g["p_value"], "significant": g["significant"]})
        out[metric] = t.reset_index(drop=True)
    return out


def measured_vs_model(df, params=None, **fit_kwargs):
    """Calibrate the model on ``df`` (:func:`cnimodel.calibrate.fit`) and compare.

    Returns ``(fit_result, comparison, figures)``: ``comparison`` is the fit's residual
    frame (``quantity``, ``measured``, ``predicted``, labels), ``figures`` the
    :func:`model_figures` plus the fit's goodness of fit and identified parameters.
    A fit that cannot run (no fittable rows) raises :class:`cnimodel.errors.FitError`.
    """
    from .calibrate import fit

    res = fit(df, params, **fit_kwargs)
    comp = res.residuals
    fig = model_figures(comp)
    fig["gof"] = {k: v for k, v in res.gof.items() if not isinstance(v, (dict, list))}
    fig["identified"] = list(res.identifiability.get("identified", []))
    fig["unidentified"] = list(res.identifiability.get("unidentified", []))
    est = res.estimates
    fig["estimates"] = _records(est[["parameter", "estimate", "std_error", "identified"]])
    return res, comp, fig


def model_table(comparison, by: str = "path") -> dict:
    """Measured against calibrated-model medians, one table per quantity (values scaled to
    Gbit/s or us, units in the headers, model error in percent).  Returns ``{quantity: DataFrame}``."""
    import pandas as pd

    if comparison is None or len(comparison) == 0:
        return {}
    by = by if by in comparison.columns else "path"
    keys = [k for k in ("condition", "msg_size_bytes", by) if k in comparison.columns
            and comparison[k].notna().any()]
    out = {}
    for q, gq in comparison.groupby("quantity", sort=True):
        unit_col = "latency_mean_s" if "latency" in q else ("throughput_bps" if "throughput" in q else None)
        what, _, scale, unit = METRICS.get(unit_col, (q, "", 1.0, ""))
        ks = [k for k in keys if gq[k].notna().any()]
        rows = []
        for kv, g in (gq.groupby(ks, sort=True, dropna=False) if ks else [((), gq)]):
            kv = kv if isinstance(kv, tuple) else (kv,)
            meas, pred = float(np.median(g["measured"])), float(np.median(g["predicted"]))
            rows.append({**{("message size [B]" if k == "msg_size_bytes" else k): v for k, v in zip(ks, kv)},
                         "runs": len(g), f"measured median [{unit}]": meas * scale,
                         f"model [{unit}]": pred * scale, "model error [%]": 100 * (pred - meas) / meas})
        out[q] = pd.DataFrame(rows)
    return out


def mtu_table(figures: dict):
    """MTU findings of :func:`headline_figures` for reading (bytes in the headers)."""
    import pandas as pd

    f = pd.DataFrame(figures["mtu_findings"])
    if f.empty:
        return f
    by = figures["compare_by"]
    cols = {"condition": "condition", by: by, "encap": "encapsulation",
            "underlay_mtu_bytes": "underlay MTU [B]", "observed_pod_mtu_bytes": "observed pod MTU [B]",
            "observed_from": "observed from", "expected_pod_mtu_bytes": "largest pod MTU [B]",
            "finding": "finding", "detail": "detail", "n_rows": "runs"}
    f = f[[c for c in cols if c in f.columns]].rename(columns=cols)
    return f


def conditions(df) -> list:
    """Values of the ``condition`` column in order, or ``[None]`` when there is none."""
    if "condition" not in df.columns or not df["condition"].notna().any():
        return [None]
    return sorted(str(c) for c in df["condition"].dropna().unique())


def overhead_frames(figures: dict) -> dict:
    """``figures["overheads"]`` as one DataFrame per metric (SI units), for plotting."""
    import pandas as pd

    if not figures["overheads"]:
        return {}
    f = pd.DataFrame(figures["overheads"])
    return {m: g.reset_index(drop=True) for m, g in f.groupby("metric", sort=False)}


def dataset_markdown(df, dataset, compare_by: str = "path") -> str:
    """One paragraph describing what was loaded: rows, conditions, paths, tests, tools."""
    def values(col):
        if col not in df.columns:
            return "none"
        v = sorted(str(x) for x in df[col].dropna().unique())
        return ", ".join(f"`{x}`" for x in v) if v else "none"

    parts = [f"Dataset `{dataset}`: {len(df)} measured runs"]
    if "condition" in df.columns and df["condition"].notna().any():
        parts.append(f"conditions {values('condition')}")
    parts.append(f"{compare_by} {values(compare_by)}")
    parts.append(f"tests {values('test')}")
    parts.append(f"tools {values('tool')}")
    return "; ".join(parts) + "."


def model_markdown(model_figures: dict) -> str:
    """Goodness of fit of :func:`measured_vs_model` in one paragraph."""
    if not model_figures or not model_figures.get("n"):
        return "No measurement the model can be fitted to (RR/CRR latency or TCP stream throughput)."
    by = ", ".join(f"{q.replace('_', ' ')} {100 * e:.1f} %" for q, e in model_figures["by_quantity"].items())
    unid = model_figures.get("unidentified") or []
    txt = (f"Model calibrated on {model_figures['n']} measurements: median absolute relative error "
           f"{100 * model_figures['median_abs_rel_error']:.1f} % ({by}).")
    if unid:
        txt += (f" {len(unid)} parameter(s) are not identified by this data and stay at their "
                f"cited defaults: {', '.join(f'`{u}`' for u in unid)}.")
    return txt


def mtu_markdown(figures: dict) -> str:
    """One sentence per MTU finding kind (misconfigured first)."""
    f = figures["mtu_findings"]
    if not f:
        return "No run reports a path MTU or MSS: nothing to check."
    kinds = {}
    for r in f:
        kinds.setdefault(r["finding"], []).append(r)
    out = []
    if "misconfigured" in kinds:
        out.append(f"**{len(kinds['misconfigured'])} MTU misconfiguration(s)**: "
                   + "; ".join(f"{r.get('condition') or ''} {r[figures['compare_by']]}: {r['detail']}".strip()
                               for r in kinds["misconfigured"]) + ".")
    else:
        out.append("No MTU misconfiguration found.")
    for k in ("below-optimum", "not-checked", "ok"):
        if k in kinds:
            out.append(f"{len(kinds[k])} {k.replace('-', ' ')}.")
    return " ".join(out)


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
    import pandas as pd

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


def estimates_table(result):
    """Fitted parameters of a :class:`cnimodel.calibrate.FitResult` for reading."""
    e = result.estimates
    cols = [c for c in ("parameter", "estimate", "std_error", "default", "identified", "note") if c in e.columns]
    t = e[cols].copy()
    return t.rename(columns={"estimate": "estimate [SI]", "std_error": "std error [SI]",
                             "default": "default [SI]"})


def identifiability_markdown(result) -> str:
    """What the data identifies, as Markdown (rank, condition number, unseparable combinations)."""
    ident = result.identifiability
    lines = [f"Jacobian rank {ident.get('rank')} of {result.gof.get('n_free')} free parameters, "
             f"condition number {ident.get('condition_number', float('nan')):.3g}.",
             "", str(ident.get("message", ""))]
    if ident.get("unidentified"):
        lines += ["", "Not identified (held at the cited default): "
                  + ", ".join(f"`{u}`" for u in ident["unidentified"]) + "."]
    if ident.get("correlated"):
        lines += ["", "Strongly correlated pairs: " + "; ".join(str(c) for c in ident["correlated"]) + "."]
    for d in ident.get("path_sums") or []:
        lines.append(f"- {d['path']} minus {d['reference']} ({d['quantity']}): "
                     f"{d['difference_s'] * 1e6:+.3f} us +- {d['std_error'] * 1e6:.3f} us")
    return "\n".join(lines)


def cv_table(cv):
    """Cross-validation folds of :func:`cnimodel.calibrate.cross_validate`, errors in percent."""
    t = cv.copy()
    for c in ("mean_abs_rel_error", "median_abs_rel_error", "mean_rel_error", "rel_error_of_mean"):
        if c in t.columns:
            t[c.replace("_", " ") + " [%]"] = 100 * t.pop(c)
    return t


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


def load_markdown(load_report) -> str:
    """What loading read and skipped (every skipped file with its reason)."""
    skipped = list(getattr(load_report, "skipped", []) or [])
    txt = (f"{getattr(load_report, 'files_read', '?')} files read, {getattr(load_report, 'rows', '?')} runs; "
           f"{len(skipped)} file(s) skipped")
    if not skipped:
        return txt + "."
    return txt + ":\n\n" + "\n".join(f"- `{s.path}`: {s.reason}" for s in skipped[:50]) + (
        f"\n- ... and {len(skipped) - 50} more" if len(skipped) > 50 else "")


def fittable_rows(df):
    """Rows the calibration uses: RR/CRR with a latency or transaction rate, TCP stream throughput."""
    t = df["test"].astype(str) if "test" in df.columns else None
    if t is None:
        return df.iloc[0:0]
    lat = df["latency_mean_s"].notna() if "latency_mean_s" in df.columns else False
    tps = df["transactions_per_s"].notna() if "transactions_per_s" in df.columns else False
    rr = t.isin(["rr", "crr"]) & (lat | tps)
    proto = df["protocol"].astype(str) if "protocol" in df.columns else "tcp"
    st = (t == "stream") & (proto == "tcp") & (df["throughput_bps"].notna() if "throughput_bps" in df.columns else False)
    return df[(rr | st).to_numpy()]


def cross_validation_note(df, by: str):
    """None when leave-one-``by``-out cross-validation is possible on ``df``, else the reason."""
    f = fittable_rows(df)
    if by not in df.columns:
        return f"no column `{by}` in the dataset"
    n = f[by].dropna().nunique()
    if n < 2:
        return f"the fittable runs have {n} distinct `{by}` value(s); at least 2 are needed"
    return None
