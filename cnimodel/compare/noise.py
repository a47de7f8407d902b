"""False alarms of a comparison, measured on runs that should not differ: choose a threshold
from your own machine's run-to-run noise.

:func:`false_alarm_table` compares every pair of unperturbed runs (same setup, measured at
different times) and reports, per threshold, the fraction of comparable cells that would be
flagged.  :func:`pair_changes` gives the raw material: the change and p-value of every cell
of every pair, so the spread of run-to-run changes can be read directly.

Examples
--------
>>> import pandas as pd
>>> runs = [pd.DataFrame({"path": ["host"] * 3, "test": "rr", "latency_mean_s": [60e-6, 61e-6, 59e-6 + k * 1e-6]})
...         for k in range(3)]
>>> t = false_alarm_table(runs, thresholds=(0.0, 0.25))
>>> [list(r) for r in t[["pairs", "cells", "flagged"]].itertuples(index=False)]
[[3, 3, 0], [3, 3, 0]]
"""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from .result import compare_frames
from .verdict import DEFAULT_ADJUST, DEFAULT_ALPHA

__all__ = ["pair_changes", "false_alarm_table"]


def pair_changes(frames, names=None, alpha: float = DEFAULT_ALPHA, metrics=None,
                 adjust: str = DEFAULT_ADJUST) -> pd.DataFrame:
    """Comparable cells of every pair ``(i, j), i < j`` of ``frames`` (threshold 0).

    Returns
    -------
    pandas.DataFrame
        The cells of :class:`~cnimodel.compare.CompareResult` plus ``pair`` (``"i-j"`` or
        ``"name_i-name_j"``), ``significant`` (``q_value < alpha``: the adjusted p-value the
        verdict uses) and ``abs_log_change``.
    """
    names = list(names) if names is not None else [str(i) for i in range(len(frames))]
    out = []
    for i, j in itertools.combinations(range(len(frames)), 2):
        r = compare_frames(frames[i], frames[j], threshold_rel=0.0, alpha=alpha, metrics=metrics,
                           adjust=adjust)
        c = r.cells[r.cells["verdict"] != "not_comparable"].copy()
        c["pair"] = f"{names[i]}-{names[j]}"
        out.append(c)
    if not out:
        return pd.DataFrame(columns=["pair", "significant", "abs_log_change"])
    d = pd.concat(out, ignore_index=True)
    d["significant"] = d["q_value"] < alpha
    d["abs_log_change"] = np.abs(np.log1p(d["change_rel"].astype(float)))
    return d


def false_alarm_table(frames, thresholds=(0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5), names=None,
                      alpha: float = DEFAULT_ALPHA, metrics=None, adjust: str = DEFAULT_ADJUST) -> pd.DataFrame:
    """Flagged fraction of comparable cells over all pairs of unperturbed ``frames``, per threshold.

    Every flag between two runs of the same setup is a false alarm, so ``flagged_fraction``
    is the false-alarm rate per cell at that threshold (``worst_pair_fraction``: the pair
    with the most).

    Returns
    -------
    pandas.DataFrame
        ``threshold_rel``, ``pairs``, ``cells``, ``flagged``, ``flagged_fraction``,
        ``worst_pair_fraction``.
    """
    d = pair_changes(frames, names, alpha, metrics, adjust)
    rows = []
    for t in thresholds:
        flag = d["significant"] & (d["abs_log_change"] > np.log1p(t))
        per_pair = flag.groupby(d["pair"]).mean() if len(d) else pd.Series(dtype=float)
        rows.append({"threshold_rel": float(t), "pairs": int(d["pair"].nunique()) if len(d) else 0,
                     "cells": int(len(d)), "flagged": int(flag.sum()),
                     "flagged_fraction": float(flag.mean()) if len(d) else float("nan"),
                     "worst_pair_fraction": float(per_pair.max()) if len(per_pair) else float("nan")})
    return pd.DataFrame(rows)
