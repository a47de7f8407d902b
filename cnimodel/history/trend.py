"""Series over runs for the trend report: per metric, scenario and path, the run medians in
time order, with the change points of each series (:mod:`cnimodel.history.changepoints`).

>>> import tempfile, pathlib
>>> from cnimodel.history import add_dataset, open_history
>>> store = tempfile.mkdtemp()
>>> _ = add_dataset(store, pathlib.Path(__file__).resolve().parents[2] / "data" / "mtu1500-2g")
>>> t = trend_frame(open_history(store))
>>> sorted(t["path"].unique())
['bridge', 'host', 'overlay', 'routing', 'underlay']
"""
from __future__ import annotations

import json

import pandas as pd

from .changepoints import DEFAULT_THRESHOLD_REL, change_points
from .figures import MEDIAN_KEYS

__all__ = ["trend_frame", "trend_changes", "SERIES_KEY"]

#: Columns that identify one series.
SERIES_KEY = ("metric", "scenario", "path")


def trend_frame(history, labels: dict | None = None) -> pd.DataFrame:
    """One row per run x scenario x path x metric: the run's median with its CI.

    Columns: ``run`` (0, 1, ... in measurement order), ``fingerprint``, ``time``
    (measurement start, else the time it was added, UTC), ``name``, the
    :data:`~cnimodel.history.figures.MEDIAN_KEYS` and ``label_*`` columns of the run.
    """
    runs = history.runs(labels=labels, figures=True)
    recs = []
    lab_cols = [c for c in runs.columns if c.startswith("label_")]
    for i, r in enumerate(runs.itertuples(index=False)):
        figs = json.loads(r.figures_json) if isinstance(r.figures_json, str) else {}
        t = r.measured_start_utc if pd.notna(r.measured_start_utc) else r.added_utc
        extra = {c: getattr(r, c) for c in lab_cols}
        for m in figs.get("medians") or []:
            recs.append({"run": i, "fingerprint": r.fingerprint, "time": t, "name": r.name,
                         **{k: m.get(k) for k in MEDIAN_KEYS}, **extra})
    cols = ["run", "fingerprint", "time", "name", *MEDIAN_KEYS, *lab_cols]
    return pd.DataFrame(recs, columns=cols)


def trend_changes(trend: pd.DataFrame, threshold_rel: float = DEFAULT_THRESHOLD_REL) -> pd.DataFrame:
    """Change points of every series of :func:`trend_frame`: one row per change, with the
    series key, ``run`` and ``time`` of the first run after it, ``before``, ``after``,
    ``change_rel``."""
    out = []
    if len(trend):
        for key, g in trend.dropna(subset=["median"]).groupby(list(SERIES_KEY), sort=True):
            g = g.sort_values("run")
            for c in change_points(g["median"].to_numpy(float), threshold_rel=threshold_rel):
                at = g.iloc[c["index"]]
                out.append({**dict(zip(SERIES_KEY, key)), "run": int(at["run"]), "time": at["time"],
                            "name": at["name"], "before": c["before"], "after": c["after"],
                            "change_rel": c["change_rel"]})
    return pd.DataFrame(out, columns=[*SERIES_KEY, "run", "time", "name", "before", "after", "change_rel"])
