"""Change points of a run-to-run series: ruptures' PELT on a robustly scaled series, kept
only when the level moves by more than a practical threshold.

Method (:func:`change_points`):

1. The noise scale is estimated from the series itself: ``sigma = std(diff(x)) / sqrt(2)``.
   First differences cancel a level shift everywhere but at the shift itself, so a few
   steps inflate it little.  (A MAD of the differences was measured and rejected: the
   medians of 3 repetitions take few distinct values, many differences are exactly 0, the
   MAD collapses and a third of stable series raised an alarm, against 3 % with this scale;
   ``benchmarks/bench_changepoints.py``.)
2. ``ruptures.Pelt(model="l2", min_size=MIN_SEGMENT)`` segments ``x / sigma`` with the
   penalty ``PENALTY_FACTOR * log(n)`` per change point: for a unit-variance series the
   l2 cost is twice the negative Gaussian log-likelihood, and ``3 log n`` is the modified
   BIC of Zhang & Siegmund (2007, Biometrics 63(1):22-32), stricter than BIC (``2 log n``)
   so that false alarms stay rare on long stable series.
3. A change point is reported only when the medians of the segments on either side differ
   by at least ``threshold_rel`` of the earlier one (default :data:`DEFAULT_THRESHOLD_REL`):
   a statistically clear move that is too small to matter is not an alarm.

The false-alarm rate and detection power of exactly this procedure, on series resampled
from the repetitions in ``data/`` and with a real step, are measured by
``benchmarks/bench_history.py`` (``--changepoints``; figures in docs/history.md).

>>> import numpy as np
>>> x = np.r_[np.full(10, 100.0), np.full(10, 150.0)] + np.tile([1.0, -1.0], 10)
>>> [(c["index"], round(c["change_rel"], 2)) for c in change_points(x)]
[(10, 0.5)]
>>> change_points(np.full(12, 3.0) + np.tile([0.1, -0.1], 6))
[]
"""
from __future__ import annotations

import math

import numpy as np

from ..validation import check_range

__all__ = ["change_points", "noise_scale", "DEFAULT_THRESHOLD_REL", "PENALTY_FACTOR", "MIN_SEGMENT"]

#: Smallest relative move of the level reported as a change (5 %).
DEFAULT_THRESHOLD_REL = 0.05
#: Penalty per change point, in units of ``log(n)`` (modified BIC, see the module doc).
PENALTY_FACTOR = 3.0
#: Fewest runs on each side of a change point.
MIN_SEGMENT = 2


def noise_scale(x) -> float:
    """Standard deviation of the run-to-run noise of ``x`` (see the module doc).

    >>> round(noise_scale([1.0, 3.0, 1.0, 3.0, 1.0]), 3)
    1.414
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 3:
        return float("nan")
    return float(np.std(np.diff(x))) / math.sqrt(2.0)


def change_points(x, threshold_rel: float = DEFAULT_THRESHOLD_REL,
                  penalty_factor: float = PENALTY_FACTOR, min_size: int = MIN_SEGMENT) -> list:
    """Change points of the series ``x`` (one value per run, in run order).

    Parameters
    ----------
    x : array_like
        The series; non-finite values are left out (indices refer to the finite values).
    threshold_rel : float
        Smallest relative change of the segment median reported [1].
    penalty_factor : float
        Penalty per change point in units of ``log(n)`` (default 3: modified BIC).
    min_size : int
        Fewest values in a segment.

    Returns
    -------
    list of dict
        One per change point, in order: ``index`` (first value of the new segment),
        ``before`` and ``after`` (segment medians), ``change_rel`` ((after - before) /
        before), ``noise_scale``.
    """
    import ruptures

    check_range("threshold_rel", threshold_rel, lo=0.0)
    check_range("penalty_factor", penalty_factor, lo=0.0)
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    n = x.size
    if n < 2 * min_size + 1:
        return []
    sigma = noise_scale(x)
    if not np.isfinite(sigma) or sigma <= 0:
        if np.ptp(x) == 0:
            return []
        sigma = float(np.std(x)) or 1.0
    algo = ruptures.Pelt(model="l2", min_size=min_size, jump=1).fit((x / sigma).reshape(-1, 1))
    bkps = [b for b in algo.predict(pen=penalty_factor * math.log(n)) if b < n]
    edges = [0, *bkps, n]
    out = []
    for i, b in enumerate(bkps):
        before = float(np.median(x[edges[i]:b]))
        after = float(np.median(x[b:edges[i + 2]]))
        rel = (after - before) / abs(before) if before != 0 else math.inf
        if abs(rel) >= threshold_rel:
            out.append({"index": int(b), "before": before, "after": after, "change_rel": rel,
                        "noise_scale": sigma})
    return out
