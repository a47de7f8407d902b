"""Presentation of the headline figures: scenario names, summary sentences, Markdown
paragraphs and display tables (values scaled for reading, units in the headers, taken
from :mod:`cnimodel.display`).  Nothing here computes a statistic.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .rows import METRICS, key_rows, missing

__all__ = ["scenario_label", "headline_sentences", "headline_markdown", "display_tables", "model_table",
           "mtu_table", "overhead_frames", "dataset_markdown", "model_markdown", "mtu_markdown",
           "estimates_table", "identifiability_markdown", "cv_table", "load_markdown"]

_TEST_NAMES = {"stream": "stream", "rr": "request/response", "crr": "connect/request/response"}


_SHORT_TESTS = {"stream": "stream", "rr": "RR", "crr": "CRR"}


def _size_label(m) -> str:
    m = float(m)
    if m < 1024:
        return f"{m:g} B"
    if m % 1024 == 0:
        return f"{m / 1024:g} KiB"
    return f"{m:.0f} B"


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
             if not missing(scn.get(k))]
        t = scn.get("test")
        p.append(_SHORT_TESTS.get(str(t), str(t)) if not missing(t) else "test")
        if not missing(scn.get("msg_size_bytes")):
            p.append(_size_label(scn["msg_size_bytes"]))
        if not missing(scn.get("streams")) and int(scn["streams"]) != 1:
            p.append(f"x{int(scn['streams'])}")
        if not missing(scn.get("direction")) and str(scn["direction"]) not in ("send", ""):
            p.append({"receive": "recv"}.get(str(scn["direction"]), str(scn["direction"])))
        return " ".join(p)
    parts = []
    if not missing(scn.get("tool")):
        parts.append(str(scn["tool"]))
    if not missing(scn.get("protocol")):
        parts.append(str(scn["protocol"]).upper())
    t = scn.get("test")
    parts.append(_TEST_NAMES.get(str(t), str(t)) if not missing(t) else "test")
    if not missing(scn.get("msg_size_bytes")):
        parts.append(_size_label(scn["msg_size_bytes"]))
    s = " ".join(parts)
    extra = []
    if not missing(scn.get("streams")) and int(scn["streams"]) != 1:
        extra.append(f"{int(scn['streams'])} streams")
    if not missing(scn.get("direction")) and str(scn["direction"]) not in ("send", ""):
        extra.append(str(scn["direction"]))
    if extra:
        s += ", " + ", ".join(extra)
    if not missing(scn.get("condition")):
        s = f"{scn['condition']}: {s}"
    return s


def _fmt(v, scale, digits=3):
    return "n/a" if missing(v) or not np.isfinite(v) else f"{v * scale:.{digits}g}"


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
        rows = key_rows(overheads)
    return [_sentence(r, compare_by, confidence) for r in rows.to_dict("records")]


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
                    "n/a" if missing(a) else f"{a * scale:.4g} to {b * scale:.4g}"
                    for a, b in zip(g["diff_ci_low"], g["diff_ci_high"])],
                "change [%]": g["relative"] * 100,
                f"{pct} CI of change [%]": [
                    "n/a" if missing(a) else f"{100 * a:.3g} to {100 * b:.3g}"
                    for a, b in zip(g["relative_ci_low"], g["relative_ci_high"])],
                "p-value": g["p_value"], "significant": g["significant"]})
        out[metric] = t.reset_index(drop=True)
    return out


def model_table(comparison, by: str = "path") -> dict:
    """Measured against calibrated-model medians, one table per quantity (values scaled to
    Gbit/s or us, units in the headers, model error in percent).  Returns ``{quantity: DataFrame}``."""
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


def overhead_frames(figures: dict) -> dict:
    """``figures["overheads"]`` as one DataFrame per metric (SI units), for plotting."""
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


def load_markdown(load_report) -> str:
    """What loading read and skipped (every skipped file with its reason)."""
    skipped = list(getattr(load_report, "skipped", []) or [])
    txt = (f"{getattr(load_report, 'files_read', '?')} files read, {getattr(load_report, 'rows', '?')} runs; "
           f"{len(skipped)} file(s) skipped")
    if not skipped:
        return txt + "."
    return txt + ":\n\n" + "\n".join(f"- `{s.path}`: {s.reason}" for s in skipped[:50]) + (
        f"\n- ... and {len(skipped) - 50} more" if len(skipped) > 50 else "")
