"""The change of one cell between two sets of repetitions, its CI, its test and its verdict.

Method (stated in every comparison, :func:`method_statement`)
-------------------------------------------------------------
* **Unit**: one repetition (one measured run) gives one value per metric.  Runs are never
  pooled sample by sample: a run's p99 is one value.
* **Scale**: natural logarithms of the values.  Network metrics change by factors (a rule
  set that doubles latency doubles it at 1 and at 16384 bytes), and their run-to-run noise
  is multiplicative and right-skewed; on the log scale both are roughly symmetric, and a
  change and its reverse have the same size (swapping the two sides only flips the sign).
* **Change**: ``change_rel = exp(mean(log new) - mean(log baseline)) - 1``, the ratio of
  geometric means minus one; ``baseline`` and ``new`` are the geometric means, so
  ``change_rel = new / baseline - 1`` exactly.
* **Test and CI**: Welch's unequal-variance t-test on the log values (Welch 1947), through
  :func:`scipy.stats.ttest_ind` with ``equal_var=False``, and its confidence interval of the
  difference of log means at level ``1 - alpha``, mapped back to a relative change.  The
  CI excludes 0 exactly when ``p < alpha``.  Why this test: with 3 against 3 repetitions a
  rank test (Mann-Whitney) or an exact permutation test has only 20 arrangements, its
  smallest two-sided p is 0.1, so it can never flag anything at 0.05; a bootstrap of 3
  values has 10 distinct resamples per side and its percentile interval is too narrow.
  Welch's test reaches small p with 3 repetitions when the effect is large against the
  spread, and does not assume equal variances on both sides.  It assumes roughly normal
  noise on the log scale.
* **Practical threshold**: a cell is flagged only when the change is significant AND its
  size exceeds ``threshold_rel`` on the log scale (``|log(1 + change_rel)| > log(1 +
  threshold_rel)``: a threshold of 0.3 flags a factor above 1.3 or below 1 / 1.3).  With a
  few hundred cells per comparison, a test at 0.05 alone flags about one cell in 20 between
  two runs of the same setup (measured: 4.95 % of 1,050 cells over 6 pairs of unperturbed
  lab runs, 9.7 % in the worst pair); most of those moves
  are small, and the threshold is what keeps false alarms rare.  Its default,
  :data:`DEFAULT_THRESHOLD_REL`, comes from that measurement (``tests/data/compare/README.md``).
* **Direction**: the metric's better direction (:data:`cnimodel.display.QUANTITIES`):
  higher throughput and transaction rate are better, higher latency is worse.

Examples
--------
>>> r = assess([60e-6, 61e-6, 59e-6], [150e-6, 155e-6, 148e-6], "latency_mean_s")
>>> r["verdict"], round(r["change_rel"], 2), r["p_value"] < 0.01
('regression', 1.52, True)
>>> assess([60e-6, 61e-6, 59e-6], [61e-6, 62e-6, 60e-6], "latency_mean_s")["verdict"]
'no_change'
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..display import unit
from ..errors import ParameterError
from ..validation import check_scalar

__all__ = ["VERDICTS", "DEFAULT_THRESHOLD_REL", "DEFAULT_ALPHA", "TEST_NAME", "log_welch",
           "assess", "not_comparable", "method_statement"]

#: The verdicts, in the order reports list them.
VERDICTS = ("regression", "improvement", "no_change", "not_comparable")

#: Default practical threshold [relative change], from the run-to-run noise measured in
#: ``tests/data/compare/README.md``: over the 6 pairs of 4 unperturbed lab runs (1,050
#: comparable cells) a threshold of 0.3 flags 1.1 % of the cells (worst pair 3.4 %), 0.25 flags
#: 2.0 % (worst pair 5.7 %, over the 1-in-20 target); real changes such as the 2,000
#: non-matching nftables rules of dataset B move latency far more.
DEFAULT_THRESHOLD_REL = 0.3

#: Default significance level of the test (and 1 - level of the CI).
DEFAULT_ALPHA = 0.05

TEST_NAME = "welch-t-log"


def _positive(x, name):
    a = np.asarray(x, dtype=float).ravel()
    a = a[np.isfinite(a)]
    return a, bool((a <= 0).any())


def log_welch(baseline, new, alpha: float = DEFAULT_ALPHA) -> dict:
    """Welch's t-test and CI of ``mean(log new) - mean(log baseline)``.

    Parameters
    ----------
    baseline, new : array-like
        Positive per-repetition values (at least 2 each).
    alpha : float
        Significance level; the CI has level ``1 - alpha``.

    Returns
    -------
    dict
        ``log_ratio``, ``ci_low_log``, ``ci_high_log``, ``p_value``, ``df``.  When both
        sides have zero spread the difference is certain: p is 0 (or 1 when equal) and
        the CI is the point.

    >>> r = log_welch([1.0, 1.1, 0.9], [2.0, 2.2, 1.8])
    >>> round(r["log_ratio"], 4), round(r["p_value"], 4)
    (0.6931, 0.0011)
    """
    from scipy import stats as st

    lb, ln = np.log(np.asarray(baseline, float)), np.log(np.asarray(new, float))
    d = float(ln.mean() - lb.mean())
    if np.var(lb, ddof=1) == 0 and np.var(ln, ddof=1) == 0:
        return {"log_ratio": d, "ci_low_log": d, "ci_high_log": d,
                "p_value": 1.0 if d == 0 else 0.0, "df": math.nan}
    with warnings.catch_warnings():  # nearly identical values (a shaped link): scipy warns, the result stands
        warnings.simplefilter("ignore", RuntimeWarning)
        res = st.ttest_ind(ln, lb, equal_var=False)
        ci = res.confidence_interval(1 - alpha)
    return {"log_ratio": d, "ci_low_log": float(ci.low), "ci_high_log": float(ci.high),
            "p_value": float(res.pvalue), "df": float(res.df)}


def _check(threshold_rel, alpha):
    check_scalar("threshold_rel", threshold_rel, 0.0, None)
    check_scalar("alpha", alpha, 0.0, 1.0, lo_strict=True, hi_strict=True)


def not_comparable(reason: str, baseline=(), new=()) -> dict:
    """The result of a cell that cannot be compared (``reason`` says why)."""
    return {"baseline": math.nan, "new": math.nan, "change_rel": math.nan, "ci_low_rel": math.nan,
            "ci_high_rel": math.nan, "p_value": math.nan, "verdict": "not_comparable",
            "reason": reason, "n_baseline": int(np.size(baseline)), "n_new": int(np.size(new))}


def assess(baseline, new, metric: str, threshold_rel: float = DEFAULT_THRESHOLD_REL,
           alpha: float = DEFAULT_ALPHA) -> dict:
    """Change, CI, p-value and verdict of one cell (method: module docstring).

    Parameters
    ----------
    baseline, new : array-like
        Per-repetition values of the metric [its SI unit]; NaN ignored.
    metric : str
        Metric column, for its better direction (``latency_*``: lower; ``throughput_bps``,
        ``transactions_per_s``: higher).
    threshold_rel : float
        Practical threshold [relative change, >= 0].
    alpha : float
        Significance level in (0, 1).

    Returns
    -------
    dict
        ``baseline``, ``new`` (geometric means [SI unit]), ``change_rel``, ``ci_low_rel``,
        ``ci_high_rel``, ``p_value``, ``verdict`` (one of :data:`VERDICTS`), ``reason``
        (None unless not comparable), ``n_baseline``, ``n_new``.
    """
    _check(threshold_rel, alpha)
    better = unit(metric).better
    if better not in ("higher", "lower"):
        raise ParameterError("metric", metric, "a metric with a better direction")
    b, bad_b = _positive(baseline, "baseline")
    n, bad_n = _positive(new, "new")
    if bad_b or bad_n:
        side = "baseline" if bad_b else "new"
        return not_comparable(f"a value <= 0 in {side} (the log-scale test needs positive values)", b, n)
    if b.size < 2 or n.size < 2:
        return not_comparable(f"fewer than 2 repetitions (baseline {b.size}, new {n.size})", b, n)
    t = log_welch(b, n, alpha)
    d = t["log_ratio"]
    significant = t["p_value"] < alpha
    material = abs(d) > math.log1p(threshold_rel)
    verdict = "no_change"
    if significant and material:
        worse = d > 0 if better == "lower" else d < 0
        verdict = "regression" if worse else "improvement"
    return {"baseline": float(np.exp(np.log(b).mean())), "new": float(np.exp(np.log(n).mean())),
            "change_rel": math.expm1(d), "ci_low_rel": math.expm1(t["ci_low_log"]),
            "ci_high_rel": math.expm1(t["ci_high_log"]), "p_value": t["p_value"],
            "verdict": verdict, "reason": None, "n_baseline": int(b.size), "n_new": int(n.size)}


def method_statement(threshold_rel: float = DEFAULT_THRESHOLD_REL, alpha: float = DEFAULT_ALPHA) -> str:
    """One paragraph stating how cells are compared, for reports.

    >>> "Welch" in method_statement()
    True
    """
    _check(threshold_rel, alpha)
    return (f"Each repetition (one measured run) gives one value per metric. Baseline and new are "
            f"geometric means of the repetitions; the change is their ratio minus one. The test is "
            f"Welch's unequal-variance t-test on the logarithms of the values, with its "
            f"{100 * (1 - alpha):g} % confidence interval mapped back to a relative change (a rank "
            f"or permutation test cannot reach p < 0.05 with 3 against 3 repetitions). A cell is a "
            f"regression or an improvement only when p < {alpha:g} AND the change exceeds the "
            f"practical threshold of {100 * threshold_rel:g} % (a factor of {1 + threshold_rel:g} "
            f"either way), so that a small but significant move between two runs of a noisy "
            f"machine is not an alarm. Direction: higher throughput and transaction rate are "
            f"better, higher latency is worse.")
