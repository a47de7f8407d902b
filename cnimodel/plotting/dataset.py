"""Plots of measured data: repetitions with medians and CIs, overheads against the
baseline, coverage, distributions, interval time series, measured vs modelled.

Every function takes ``ax=None`` (a new figure is made when None), returns the Axes,
never calls ``plt.show()`` and imports matplotlib lazily.  Data stay in SI units;
axes show Gbit/s / us with the unit in the label.

Examples
--------
>>> import matplotlib; matplotlib.use("Agg")
>>> import pandas as pd
>>> df = pd.DataFrame({"path": ["host", "host", "overlay", "overlay"],
...                    "latency_mean_s": [60e-6, 62e-6, 72e-6, 74e-6]})
>>> plot_repetitions(df, "latency_mean_s").get_ylabel()
'latency [us]'
"""
from __future__ import annotations

import numpy as np

from ..display import label, unit
from ..paths import PATH_NAMES
from ..stats import median_ci
from ..summary import conditions, scenario_arrays, scenario_columns, scenario_label
from ._style import get_ax, path_color

__all__ = ["axis_label", "plot_repetitions", "plot_medians", "plot_overheads", "plot_coverage",
           "plot_distribution", "plot_intervals", "plot_measured_vs_predicted", "plot_scenarios", "plot_residuals",
           "plot_predictions", "plot_overhead_panels"]

def _unit(metric: str):
    """(what, display scale, display unit) of a column, from :func:`cnimodel.display.unit`."""
    u = unit(metric)
    return u.what, u.scale, u.unit


def axis_label(metric: str) -> str:
    """Axis label with the display unit: ``throughput_bps`` -> ``throughput [Gbit/s]``.

    >>> axis_label("latency_p99_s")
    'p99 latency [us]'
    """
    return label(metric)


def _order(values, first=None):
    rank = {n: i for i, n in enumerate(PATH_NAMES)}
    vals = [str(v) for v in dict.fromkeys(values)]
    return sorted(vals, key=lambda v: (v != first, rank.get(v, len(rank)), v))


def plot_repetitions(df, metric: str, by: str = "path", baseline: str | None = None,
                     confidence: float = 0.95, ax=None):
    """Every repetition (dots) with the median and its CI (bar) per ``by`` value.

    Parameters
    ----------
    df : DataFrame
        Tidy rows of one scenario (one test, size, condition).
    metric : str
        Column to plot (SI unit; shown scaled).
    by : str
        Column whose values go on the x axis (``path``, ``cni``).
    """
    ax = get_ax(ax)
    _, scale, _ = _unit(metric)
    names = _order(df[by].dropna(), baseline)
    rng = np.random.default_rng(0)
    for i, n in enumerate(names):
        x = df.loc[df[by].astype(str) == n, metric].to_numpy(dtype=float, na_value=np.nan)
        x = x[np.isfinite(x)]
        if not x.size:
            continue
        c = path_color(n)
        ax.scatter(i + rng.uniform(-0.12, 0.12, x.size), x * scale, s=18, color=c, alpha=0.6, zorder=2)
        m = median_ci(x, confidence)
        if np.isfinite(m["ci_low"]):
            ax.errorbar([i + 0.25], [m["median"] * scale],
                        yerr=[[(m["median"] - m["ci_low"]) * scale], [(m["ci_high"] - m["median"]) * scale]],
                        fmt="o", color=c, capsize=4, zorder=3)
        else:
            ax.plot([i + 0.25], [m["median"] * scale], "o", color=c, zorder=3)
    ax.set_xticks(range(len(names)), names)
    ax.set_xlabel(by)
    ax.set_ylabel(axis_label(metric))
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(_scenario_name(df, by), fontsize="medium")
    return ax


def _scenario_name(df, by):
    """Name of the one scenario ``df`` holds (``"mtu1500-2g: netperf TCP request/response
    1 B"``), or of what its scenario columns share when they hold several."""
    shared = {k: df[k].iloc[0] for k in scenario_columns(df, by) if df[k].nunique(dropna=False) == 1}
    return scenario_label(shared) if shared.get("test") is not None else ""


def plot_medians(medians, by: str = "path", ax=None):
    """Medians with CI error bars from :func:`cnimodel.summary.median_table` (one metric),
    grouped by scenario on the x axis and coloured by ``by``."""
    ax = get_ax(ax)
    if len(medians) == 0:
        return ax
    metric = str(medians["metric"].iloc[0])
    _, scale, _ = _unit(metric)
    scen = list(dict.fromkeys(medians["scenario"]))
    names = _order(medians[by])
    w = 0.8 / max(1, len(names))
    for j, n in enumerate(names):
        sub = medians[medians[by].astype(str) == n]
        pos = np.array([scen.index(s) for s in sub["scenario"]]) - 0.4 + w * (j + 0.5)
        med = sub["median"].to_numpy(float) * scale
        lo = np.nan_to_num(med - sub["ci_low"].to_numpy(float) * scale)
        hi = np.nan_to_num(sub["ci_high"].to_numpy(float) * scale - med)
        ax.bar(pos, med, width=w, color=path_color(n), label=n)
        ax.errorbar(pos, med, yerr=[lo, hi], fmt="none", ecolor="black", capsize=2, lw=1)
    ax.set_xticks(range(len(scen)), scen, rotation=20, ha="right")
    ax.set_ylabel(axis_label(metric))
    ax.legend(title=by, fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    return ax


def plot_overheads(overheads, by: str = "path", relative: bool = True, ax=None):
    """Overhead against the baseline with its CI, one horizontal bar per scenario x ``by``,
    from :func:`cnimodel.summary.overhead_table`.  Hatched bars are not significant."""
    new = ax is None
    ax = get_ax(ax)
    if new:
        ax.figure.set_size_inches(8, max(2.5, 0.32 * len(overheads) + 1.2))
    if len(overheads) == 0:
        ax.text(0.5, 0.5, "no overhead to show (baseline missing)", ha="center", transform=ax.transAxes)
        return ax
    o = overheads.reset_index(drop=True)
    labels = [f"{r[by]} | {r['scenario']}" for r in o.to_dict("records")]
    if relative:
        v, lo, hi = (o[c].to_numpy(float) * 100 for c in ("relative", "relative_ci_low", "relative_ci_high"))
        xlabel = f"change against {o['baseline'].iloc[0]} [%]"
    else:
        metric = str(o["metric"].iloc[0])
        _, scale, unit = _unit(metric)
        v, lo, hi = (o[c].to_numpy(float) * scale for c in ("diff", "diff_ci_low", "diff_ci_high"))
        xlabel = f"difference against {o['baseline'].iloc[0]} [{unit}]"
    y = np.arange(len(o))[::-1]
    for i, r in enumerate(o.to_dict("records")):
        c = path_color(str(r[by]))
        ax.barh(y[i], v[i], color=c, alpha=0.85, hatch=None if r["significant"] else "//",
                edgecolor="white" if r["significant"] else "black")
    err = np.vstack([np.nan_to_num(v - lo), np.nan_to_num(hi - v)])
    ax.errorbar(v, y, xerr=np.abs(err), fmt="none", ecolor="black", capsize=3, lw=1)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(y, labels, fontsize="small")
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_coverage(coverage, ax=None):
    """Heat map of :func:`cnimodel.summary.coverage_table` (rows per scenario and path)."""
    ax = get_ax(ax)
    a = coverage.to_numpy(dtype=float)
    im = ax.imshow(np.where(a > 0, a, np.nan), aspect="auto", cmap="Blues", vmin=0)
    for (i, j), n in np.ndenumerate(a):
        ax.text(j, i, f"{n:.0f}", ha="center", va="center", fontsize="small",
                color="black" if n > 0 else "#b00020")
    ax.set_xticks(range(a.shape[1]), [str(c) for c in coverage.columns], rotation=30, ha="right")
    ax.set_yticks(range(a.shape[0]), [str(i) for i in coverage.index], fontsize="small")
    ax.set_xlabel(coverage.columns.name or "")
    ax.figure.colorbar(im, ax=ax, label="runs measured [count]")
    return ax


def plot_distribution(df, metric: str, by: str = "path", ax=None):
    """Box plot of ``metric`` per ``by`` value over all rows given (every repetition)."""
    ax = get_ax(ax)
    _, scale, _ = _unit(metric)
    names = [n for n in _order(df[by].dropna()) if df.loc[df[by].astype(str) == n, metric].notna().any()]
    data = [df.loc[df[by].astype(str) == n, metric].dropna().to_numpy(float) * scale for n in names]
    if data:
        bp = ax.boxplot(data, patch_artist=True, widths=0.6)
        for i, (patch, n) in enumerate(zip(bp["boxes"], names)):
            patch.set_facecolor(path_color(n))
            patch.set_alpha(0.6)
        ax.set_xticks(range(1, len(names) + 1), names)
    ax.set_xlabel(by)
    ax.set_ylabel(axis_label(metric))
    ax.grid(axis="y", alpha=0.3)
    return ax


def plot_intervals(intervals, metric: str = "throughput_bps", by: str = "source_file",
                   labels=None, paths=None, ax=None):
    """Per-interval time series (iperf3 intervals): ``metric`` against interval end time,
    one line per ``by`` value (the ``sum`` stream when streams are present; omitted
    intervals excluded).  ``labels`` names each line; ``paths`` ({``by`` value: path}) gives
    each line its path's colour (else the label's)."""
    ax = get_ax(ax)
    _, scale, _ = _unit(metric)
    d = intervals
    if "stream" in d and (d["stream"].astype(str) == "sum").any():
        d = d[d["stream"].astype(str) == "sum"]
    if "omitted" in d:
        d = d[~d["omitted"].fillna(False).astype(bool)]
    for i, (k, g) in enumerate(d.groupby(by, sort=True)):
        name = (labels or {}).get(k, str(k))
        ax.plot(g["end_s"].to_numpy(float), g[metric].to_numpy(float) * scale, marker=".",
                label=name, color=path_color((paths or {}).get(k, name)))
    ax.set_xlabel("time since test start [s]")
    ax.set_ylabel(axis_label(metric))
    ax.grid(alpha=0.3)
    if d[by].nunique() <= 12:
        ax.legend(fontsize="small")
    return ax


def plot_measured_vs_predicted(comparison, by: str = "path", quantity: str | None = None, ax=None):
    """Measured against model-predicted values (log-log) with the y = x line; columns
    ``measured``, ``predicted``, ``quantity`` (metric name) and ``by``."""
    ax = get_ax(ax)
    c = comparison if quantity is None else comparison[comparison["quantity"] == quantity]
    if len(c) == 0:
        return ax
    q = str(c["quantity"].iloc[0])
    # fitted quantities (tcp_rr_latency, tcp_stream_throughput) take their metric's unit
    _, scale, unit = _unit(q if _unit(q)[2] else "throughput_bps" if "throughput" in q else
                           "latency_mean_s" if "latency" in q else q)
    for n in _order(c[by]):
        s = c[c[by].astype(str) == n]
        ax.scatter(s["predicted"].to_numpy(float) * scale, s["measured"].to_numpy(float) * scale,
                   color=path_color(n), label=n, s=22)
    v = np.concatenate([c["predicted"].to_numpy(float), c["measured"].to_numpy(float)]) * scale
    v = v[np.isfinite(v) & (v > 0)]
    if v.size:
        lo, hi = v.min() / 1.2, v.max() * 1.2
        ax.plot([lo, hi], [lo, hi], color="grey", lw=1, ls="--", label="y = x")
        ax.set_xscale("log")
        ax.set_yscale("log")
        _plain_log_ticks(ax)
    name = q.replace("_", " ")
    ax.set_xlabel(f"model {name} [{unit}]" if unit else f"model {name}")
    ax.set_ylabel(f"measured {name} [{unit}]" if unit else f"measured {name}")
    ax.legend(fontsize="small")
    return ax


def _plain_log_ticks(ax):
    """Log axes labelled 20, 50, 100 (display units), not 2 x 10^1."""
    from matplotlib.ticker import FuncFormatter

    f = FuncFormatter(lambda v, _: f"{v:g}")
    for a in (ax.xaxis, ax.yaxis):
        a.set_major_formatter(f)
        a.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if str(f"{v:g}")[0] in "25" else ""))


def plot_residuals(residuals, by: str = "path", ax=None):
    """Relative model error ``predicted / measured - 1`` [%] per measurement, grouped by
    quantity and coloured by ``by`` (from a calibration's residual frame)."""
    ax = get_ax(ax)
    r = residuals
    err = (r["predicted"].to_numpy(float) / r["measured"].to_numpy(float) - 1) * 100
    qs = list(dict.fromkeys(r["quantity"]))
    names = _order(r[by]) if by in r.columns else []
    rng = np.random.default_rng(0)
    for n in names:
        m = (r[by].astype(str) == n).to_numpy()
        x = np.array([qs.index(q) for q in r.loc[m, "quantity"]]) + rng.uniform(-0.2, 0.2, m.sum())
        ax.scatter(x, err[m], color=path_color(n), label=n, s=18)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(len(qs)), [q.replace("_", " ") for q in qs], rotation=15, ha="right")
    ax.set_ylabel("model error (predicted / measured - 1) [%]")
    ax.grid(axis="y", alpha=0.3)
    if names:
        ax.legend(fontsize="small", title=by)
    return ax


def plot_predictions(frame, x: str, y: str, by: str = "path", logx: bool = False, title=None, ax=None):
    """Lines of ``y`` against ``x`` per ``by`` value from a :func:`cnimodel.predict.predict`
    frame (or any tidy frame), both axes in display units, ``title`` above."""
    ax = get_ax(ax)
    xname, xs, _ = _unit(x)
    _, ys, _ = _unit(y)
    for n in _order(frame[by]):
        g = frame[frame[by].astype(str) == n].sort_values(x)
        ax.plot(g[x].to_numpy(float) * xs, g[y].to_numpy(float) * ys, label=n, color=path_color(n),
                marker="." if len(g) < 30 else None)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel("message size [B]" if x == "msg_size_bytes" else axis_label(x))
    ax.set_ylabel(axis_label(y))
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", title=by)
    if title:
        ax.set_title(title)
    return ax


def _grid(panels, conditions, title):
    """Figure with one row per condition and one column per metric (x shared per column).

    A fixed layout computed in inches (short tick labels, legend in the right margin):
    matplotlib's constrained layout measured every tick label of every panel on each
    draw, which cost about a second per report figure.
    """
    import matplotlib.pyplot as plt

    metrics = list(panels)
    widths = [max(1, len(panels[m])) for m in metrics]
    nrows, ncols = len(conditions), len(metrics)
    longest = max((len(lab) for m in metrics for lab in panels[m]), default=10)
    first = len(panels[metrics[0]][0]) if metrics and panels[metrics[0]] else 0
    left, right, gap = max(0.85, 0.05 * first), 1.5, 0.85    # inches (first label rotated left)
    bottom = 0.45 + 0.065 * longest * 0.5                    # rotated 30 degrees, small font
    top, vgap, row_h = 0.45 + (0.3 if title else 0.0), 0.45, 2.1
    axes_w = min(13.0, 0.55 * sum(widths) + 1.2 * ncols)
    w = left + right + axes_w + gap * (ncols - 1)
    h = bottom + top + nrows * row_h + vgap * (nrows - 1)
    fig, axes = plt.subplots(nrows, ncols, squeeze=False, sharex="col", width_ratios=widths,
                             figsize=(w, h), layout=None)
    fig.subplots_adjust(left=left / w, right=1 - right / w, bottom=bottom / h, top=1 - top / h,
                        wspace=gap / (axes_w / ncols), hspace=vgap / row_h)
    for i, c in enumerate(conditions):
        for j, m in enumerate(metrics):
            ax = axes[i, j]
            ax.set_xticks(range(len(panels[m])))
            ax.grid(axis="y", alpha=0.3)
            ax.tick_params(labelsize="small")
            if i == nrows - 1:
                ax.set_xticklabels(panels[m], rotation=30, ha="right", rotation_mode="anchor")
            if c is not None and j == 0:
                ax.set_title(f"condition {c}", fontsize="medium", loc="left")
    if title:
        fig.suptitle(title)
    return fig, axes


def _panel_layout(scenarios_by_metric):
    return {m: list(dict.fromkeys(v)) for m, v in scenarios_by_metric.items()}


def _legend(fig, names, by, extra=()):
    from matplotlib.patches import Patch

    handles = [Patch(color=path_color(n), label=n) for n in names] + list(extra)
    fig.legend(handles=handles, loc="upper right", fontsize="small", title=by)


def plot_scenarios(df, by: str = "path", baseline: str | None = None, confidence: float = 0.95,
                   metrics=None, title: str | None = None):
    """Every repetition (dots) and the median with its CI (bar) of every scenario: one row
    of panels per condition, one column per metric (throughput, latency, transaction rate),
    scenarios along x, one colour per ``by`` value.  Returns the 2-d array of Axes.

    (One scatter / one vlines call per panel: matplotlib artist creation, not data, is the
    cost of a report figure.)
    """
    conds = conditions(df)
    names = _order(df[by].dropna(), baseline)
    cells, order = {}, {}
    for c in conds:
        d = df if c is None else df[df["condition"].astype(str) == c]
        _, groups = scenario_arrays(d, by, metrics)
        for scn, m, arrays in groups:
            lab = scenario_label({k: v for k, v in scn.items() if k != "condition"}, short=True)
            order.setdefault(m, []).append(lab)
            cells[(c, m, lab)] = arrays
    if not cells:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 2))
        ax.text(0.5, 0.5, "no measured metric", ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        return np.array([[ax]])
    panels = _panel_layout(order)
    fig, axes = _grid(panels, conds, title)
    w = 0.8 / max(1, len(names))
    colors = [path_color(n) for n in names]
    rng = np.random.default_rng(0)
    for i, c in enumerate(conds):
        for jm, m in enumerate(panels):
            ax = axes[i, jm]
            _, scale, _ = _unit(m)
            px, py, pc, mx, my, lo, hi, mc = [], [], [], [], [], [], [], []
            for k, lab in enumerate(panels[m]):
                arrays = cells.get((c, m, lab))
                if arrays is None:
                    continue
                for j, n in enumerate(names):
                    v = arrays.get(n)
                    if v is None or not v.size:
                        continue
                    pos = k - 0.4 + w * (j + 0.5)
                    px.append(pos + rng.uniform(-0.25, 0.25, v.size) * w)
                    py.append(v * scale)
                    pc += [colors[j]] * v.size
                    r = median_ci(v, confidence)
                    mx.append(pos)
                    my.append(r["median"] * scale)
                    lo.append((r["ci_low"] if np.isfinite(r["ci_low"]) else r["median"]) * scale)
                    hi.append((r["ci_high"] if np.isfinite(r["ci_high"]) else r["median"]) * scale)
                    mc.append(colors[j])
            if mx:
                ax.scatter(np.concatenate(px), np.concatenate(py), s=8, c=pc, alpha=0.45, linewidths=0)
                ax.vlines(mx, lo, hi, colors=mc, lw=1.2)
                ax.scatter(mx, my, marker="_", s=60, c=mc, linewidths=1.5)
            ax.set_ylabel(axis_label(m), fontsize="small")
            ax.set_ylim(bottom=0)
    _legend(fig, names, by)
    return axes


def plot_overhead_panels(overheads, by: str = "path", relative: bool = True, title: str | None = None):
    """Overhead against the baseline (the ``overheads`` records of
    :func:`cnimodel.summary.headline_figures`) as grouped bars with CIs: one row of panels
    per condition, one column per metric, scenarios along x, one bar per ``by`` value;
    pale bars are not significant.  Returns the 2-d array of Axes."""
    import pandas as pd
    from matplotlib.patches import Patch

    o = pd.DataFrame(overheads)
    if o.empty:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 2))
        ax.text(0.5, 0.5, "no overhead to show (baseline missing)", ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        return np.array([[ax]])
    has_cond = "condition" in o.columns and o["condition"].notna().any()
    conds = sorted(str(c) for c in o["condition"].dropna().unique()) if has_cond else [None]
    recs = o.to_dict("records")
    labels = [scenario_label({k: v for k, v in r.items() if k != "condition"}, short=True) for r in recs]
    panels = _panel_layout({m: [lab for lab, r in zip(labels, recs) if r["metric"] == m]
                            for m in dict.fromkeys(o["metric"])})
    base = str(o["baseline"].iloc[0])
    fig, axes = _grid(panels, conds, title)
    names = _order(o[by])
    w = 0.8 / max(1, len(names))
    colors = {n: path_color(n) for n in names}
    k = ("relative", "relative_ci_low", "relative_ci_high") if relative else ("diff", "diff_ci_low", "diff_ci_high")
    cells = {}
    for lab, r in zip(labels, recs):
        c = str(r["condition"]) if has_cond else None
        cells.setdefault((c, r["metric"]), []).append((lab, r))
    for i, c in enumerate(conds):
        for jm, m in enumerate(panels):
            ax = axes[i, jm]
            what, scale, unit = _unit(m)
            f = 100.0 if relative else scale
            pos, v, lo, hi, col, sig = [], [], [], [], [], []
            for lab, r in cells.get((c, m), []):
                n = str(r[by])
                pos.append(panels[m].index(lab) - 0.4 + w * (names.index(n) + 0.5))
                v.append(_num(r[k[0]]) * f)
                lo.append(_num(r[k[1]]) * f)
                hi.append(_num(r[k[2]]) * f)
                col.append(colors[n])
                sig.append(bool(r["significant"]))
            if pos:
                pos, v, lo, hi, sig = map(np.asarray, (pos, v, lo, hi, sig))
                col = np.asarray(col, dtype=object)
                if sig.any():
                    ax.bar(pos[sig], v[sig], width=w, color=list(col[sig]))
                if (~sig).any():  # pale fill, not hatching: hatches cost ~0.4 s per figure
                    ax.bar(pos[~sig], v[~sig], width=w, color=list(col[~sig]), alpha=0.3,
                           edgecolor=list(col[~sig]), lw=0.8)
                ok = np.isfinite(lo) & np.isfinite(hi)
                ax.vlines(pos[ok], lo[ok], hi[ok], colors="black", lw=0.8)
            ax.axhline(0, color="black", lw=0.8)
            ax.set_ylabel((f"{what} vs {base} [%]" if relative else f"{what} diff. [{unit}]"), fontsize="small")
    _legend(fig, names, by, [Patch(facecolor="grey", alpha=0.3, edgecolor="grey", label="pale: not significant")])
    return axes


def _num(v):
    return np.nan if v is None else float(v)
