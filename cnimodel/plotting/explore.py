"""Plots for exploring a dataset without pooling runs that are not comparable.

A box of every run of a path pools 2 Gbit/s shaped runs with unshaped ones, 1 B messages
with 16 KiB ones and iperf3 with netperf: its spread is the spread of the scenarios, not of
the measurement.  :func:`plot_distribution_panels` draws one box per path *within* each
scenario (tool, test, protocol, direction, streams, message size) and one row of panels
per condition, scenario names on the x axis, each path in its own colour
(:func:`cnimodel.display.path_color`).

Examples
--------
>>> import matplotlib; matplotlib.use("Agg")
>>> import pandas as pd
>>> df = pd.DataFrame({"path": ["host", "overlay"] * 4, "condition": ["a"] * 4 + ["b"] * 4,
...                    "test": "rr", "protocol": "tcp", "msg_size_bytes": 1.0,
...                    "latency_mean_s": [30e-6, 40e-6, 31e-6, 41e-6, 60e-6, 70e-6, 61e-6, 72e-6]})
>>> axes = plot_distribution_panels(df, "latency_mean_s")
>>> axes.shape, [t.get_text() for t in axes[-1, 0].get_xticklabels()]
((2, 1), ['TCP RR 1 B'])
"""
from __future__ import annotations

import numpy as np

from ..display import label, path_color, unit
from ..summary import conditions, scenario_columns, scenario_label
from ..summary.rows import scenario_frame
from .dataset import _grid, _legend, _order

__all__ = ["plot_distribution_panels", "scenario_groups"]


def scenario_groups(df, metric: str, by: str = "path"):
    """``{(condition, scenario label): {by value: finite values}}`` of ``metric``, scenarios
    as in the report (UDP stream sizes blanked), in sorted order, plus the label order."""
    d = df[df[metric].notna()] if metric in df.columns else df.iloc[0:0]
    d = scenario_frame(d)
    keys = [k for k in scenario_columns(d, by) if k != "condition"]
    cells, order = {}, []
    for c in conditions(d):
        dc = d if c is None else d[d["condition"].astype(str) == c]
        groups = dc.groupby(keys, dropna=False, sort=True) if keys else [((), dc)]
        for k, g in groups:
            k = k if isinstance(k, tuple) else (k,)
            scn = {kk: (None if v != v else v) for kk, v in zip(keys, k)}
            lab = scenario_label(scn, short=True)
            order.append(lab)
            vals = g[metric].to_numpy(dtype=float, na_value=np.nan)
            names = g[by].astype(str).to_numpy()
            cells[(c, lab)] = {n: vals[(names == n) & np.isfinite(vals)] for n in dict.fromkeys(names)}
    return cells, list(dict.fromkeys(order))


def plot_distribution_panels(df, metric: str, by: str = "path", baseline: str | None = None,
                             title: str | None = None):
    """Box plot of ``metric`` per ``by`` value within each scenario: one row of panels per
    condition, scenarios along x (their names on the axis), one box colour per ``by`` value
    and every run as a dot.  Returns the 2-d array of Axes (one column)."""
    cells, order = scenario_groups(df, metric, by)
    conds = list(dict.fromkeys(c for c, _ in cells)) or [None]
    names = _order([n for v in cells.values() for n in v], baseline)
    fig, axes = _grid({metric: order or ["(no data)"]}, conds, title)
    w = 0.8 / max(1, len(names))
    rng = np.random.default_rng(0)
    scale = unit(metric).scale
    for i, c in enumerate(conds):
        ax = axes[i, 0]
        for j, n in enumerate(names):
            pos, data = [], []
            for k, lab in enumerate(order):
                v = cells.get((c, lab), {}).get(n)
                if v is not None and v.size:
                    pos.append(k - 0.4 + w * (j + 0.5))
                    data.append(v * scale)
            if not data:
                continue
            color = path_color(n)
            bp = ax.boxplot(data, positions=pos, widths=w * 0.8, patch_artist=True, manage_ticks=False,
                            showfliers=False, medianprops={"color": "black", "lw": 1})
            for patch in bp["boxes"]:
                patch.set_facecolor(color)
                patch.set_alpha(0.55)
                patch.set_gid(f"path:{n}")
            xs = np.concatenate([np.full(len(v), p) + rng.uniform(-0.2, 0.2, len(v)) * w
                                 for p, v in zip(pos, data)])
            ax.scatter(xs, np.concatenate(data), s=6, color=color, alpha=0.8, linewidths=0, zorder=3,
                       gid=f"path:{n}")
        ax.set_ylabel(label(metric), fontsize="small")
        ax.set_ylim(bottom=0)
    _legend(fig, names, by)
    return axes

