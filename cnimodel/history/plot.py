"""Plot of a trend: one metric and scenario over runs, a line per path in the project's fixed
path colours, each run's median with its CI, change points marked.

>>> import pandas as pd
>>> t = pd.DataFrame({"run": [0, 1, 2, 3, 4, 5] * 2, "time": pd.date_range("2026-01-01", periods=6).tolist() * 2,
...                   "path": ["host"] * 6 + ["overlay"] * 6, "metric": "latency_mean_s", "scenario": "rr",
...                   "median": [60e-6] * 6 + [70e-6] * 3 + [160e-6] * 3, "ci_low": None, "ci_high": None})
>>> ch = pd.DataFrame({"metric": ["latency_mean_s"], "scenario": ["rr"], "path": ["overlay"], "run": [3],
...                    "time": [t["time"][3]], "change_rel": [1.29]})
>>> ax = plot_trend(t, ch, "latency_mean_s", "rr")
>>> ax.get_ylabel(), [l.get_label() for l in ax.get_lines()][:2]
('latency [us]', ['host', 'overlay'])
"""
from __future__ import annotations

import numpy as np

from ..display import label, unit
from ..paths import PATH_NAMES
from ..plotting._style import get_ax, path_color

__all__ = ["plot_trend"]


def plot_trend(trend, changes, metric: str, scenario: str, x: str = "run", ax=None):
    """Medians of ``metric`` in ``scenario`` per run (x: ``run`` number, 1 = oldest, or
    measurement start ``time``), one line per
    path; a change point is a dashed vertical line in the path's colour and a label with
    the change of level.  ``trend`` / ``changes``: :func:`cnimodel.history.trend_frame` and
    :func:`cnimodel.history.trend_changes`.  Returns the Axes."""
    ax = get_ax(ax)
    u = unit(metric)
    t = trend[(trend["metric"] == metric) & (trend["scenario"] == scenario)]
    if x == "run":  # numbered from 1 for reading
        t = t.assign(run_number=t["run"] + 1)
        changes = None if changes is None else changes.assign(run_number=changes["run"] + 1)
        x = "run_number"
    paths = list(dict.fromkeys(t.sort_values("path", key=_path_order)["path"]))
    for p in paths:
        g = t[t["path"] == p].sort_values("run")
        y = g["median"].to_numpy(float) * u.scale
        lo = g["ci_low"].to_numpy(float) * u.scale
        hi = g["ci_high"].to_numpy(float) * u.scale
        err = np.vstack([np.clip(y - lo, 0, None), np.clip(hi - y, 0, None)])
        ok = np.isfinite(err).all(axis=0)
        colour = path_color(p)
        ax.plot(g[x], y, marker="o", ms=4, lw=1.4, color=colour, label=p)
        if ok.any():
            ax.errorbar(g[x].to_numpy()[ok], y[ok], yerr=err[:, ok], fmt="none", ecolor=colour,
                        elinewidth=0.8, capsize=2, alpha=0.6)
    if changes is not None and len(changes):
        c = changes[(changes["metric"] == metric) & (changes["scenario"] == scenario)]
        for r in c.itertuples(index=False):
            colour = path_color(r.path)
            ax.axvline(getattr(r, x), color=colour, ls="--", lw=1.2)
            ax.annotate(f"{r.path} {r.change_rel:+.0%}", xy=(getattr(r, x), 1.0),
                        xycoords=("data", "axes fraction"), xytext=(3, -12),
                        textcoords="offset points", color=colour, fontsize=8)
    ax.set_ylabel(label(metric))
    if x == "time":
        ax.set_xlabel("measurement start (UTC)")
    else:
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(t):
            ax.set_xlim(t[x].min() - 0.5, t[x].max() + 0.5)
        ax.set_xlabel("run")
    ax.set_title(scenario, fontsize=10)
    if paths:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(alpha=0.3)
    return ax


def _path_order(s):
    order = {p: i for i, p in enumerate(PATH_NAMES)}
    return s.map(lambda p: (order.get(p, len(order)), p))
