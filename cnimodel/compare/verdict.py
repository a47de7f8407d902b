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
* **Many cells**: a comparison tests a few hundred cells at once; at 0.05 about one in 20
  is significant by chance alone (measured: 52 of 1,050 cells, 4.95 %, over the 6 pairs of 4
  unperturbed lab runs, 9.7 % in the worst pair).  The practical threshold below is what
  keeps those false alarms rare (1.1 % of cells at 0.3).  ``adjust="bh"`` adjusts the p-values
  over the comparable cells with the Benjamini-Hochberg procedure (false-discovery rate,
  :func:`adjust_p`; 1 of the same 1,050 cells stays significant), and the verdict then uses
  the adjusted ``q_value``; it is not the default because with 3 repetitions Welch's p rarely
  falls below 1e-3, so a change confined to a few cells is lost: a 3x request/response latency
  change injected into the routing path of A2 gives p = 0.0015-0.028 on its 5 cells and q >= 0.13
  on all of them.  ``p_value`` is always the cell's own p, the CI always per cell.
* **Practical threshold**: a cell is flagged only when it is significant AND the change
  exceeds ``threshold_rel`` on the log scale (``|log(1 + change_rel)| > log(1 +
  threshold_rel)``: a threshold of 0.3 flags a factor above 1.3 or below 1 / 1.3), so that
  the small significant moves of unchanged cells (a shaped link's throughput moves by 0.1 %
  with a CI of 0.05 %; request/response latency moves by a median 14-18 % between two
  unperturbed runs) are not alarms.  Its default,
  :data:`DEFAULT_THRESHOLD_REL`, comes from the same measurement
  (``tests/data/compare/README.md``).
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

__all__ = ["VERDICTS", "DEFAULT_THRESHOLD_REL", "DEFAULT_ALPHA", "TEST_NAME", "ADJUSTMENTS",
           "DEFAULT_ADJUST", "log_welch", "adjust_p", "verdict_of", "assess", "not_comparable",
           "method_statement"]

#: The verdicts, in the order reports list them.
VERDICTS = ("regression", "improvement", "no_change", "not_comparable")

#: Default practical threshold [relative change], from the run-to-run noise measured in
#: ``tests/data/compare/README.md`` (6 pairs of 4 unperturbed lab runs, 1,050 comparable cells):
#: the median change between two unperturbed runs is 14-18 % for mean request/response
#: latency and 24 % for p99; cells with unadjusted p < 0.05 and a change beyond 0.3 are 1.1 %
#: of all cells (beyond 0.2: 3.0 %), beyond 0.3 with p < 0.02 0.2 %.
DEFAULT_THRESHOLD_REL = 0.3

#: Default significance level of the test (and 1 - level of the CI).
DEFAULT_ALPHA = 0.05

TEST_NAME = "welch-t-log"

#: Adjustments of the p-values over the cells of one comparison (:func:`adjust_p`).
ADJUSTMENTS = ("bh", "none")
DEFAULT_ADJUST = "none"


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
            "ci_high_rel": math.nan, "p_value": math.nan, "q_value": math.nan, "verdict": "not_comparable",
            "reason": reason, "n_baseline": int(np.size(baseline)), "n_new": int(np.size(new))}


def adjust_p(p_values, method: str = "bh"):
    """P-values adjusted for testing many cells at once.

    ``"bh"``: Benjamini-Hochberg (1995) false-discovery-rate adjustment
    (:func:`scipy.stats.false_discovery_control`), over the finite p-values; ``"none"``: unchanged.
    NaN stays NaN.

    >>> [round(float(q), 3) for q in adjust_p([0.01, 0.04, 0.03, float("nan")])]
    [0.03, 0.04, 0.04, nan]
    """
    if method not in ADJUSTMENTS:
        raise ParameterError("adjust", method, ", ".join(ADJUSTMENTS))
    p = np.asarray(p_values, dtype=float).copy()
    ok = np.isfinite(p)
    if method == "bh" and ok.any():
        from scipy.stats import false_discovery_control

        p[ok] = false_discovery_control(p[ok], method="bh")
    return p


def verdict_of(change_rel: float, q_value: float, metric: str,
               threshold_rel: float = DEFAULT_THRESHOLD_REL, alpha: float = DEFAULT_ALPHA) -> str:
    """``regression`` / ``improvement`` when ``q_value < alpha`` and the change is beyond the
    threshold (on the log scale) in the metric's worse / better direction, else ``no_change``.

    >>> verdict_of(1.3, 0.001, "latency_mean_s"), verdict_of(1.3, 0.001, "throughput_bps")
    ('regression', 'improvement')
    >>> verdict_of(0.1, 1e-9, "latency_mean_s")   # significant but small
    'no_change'
    """
    better = unit(metric).better
    if better not in ("higher", "lower"):
        raise ParameterError("metric", metric, "a metric with a better direction")
    if not (math.isfinite(change_rel) and math.isfinite(q_value)):
        return "no_change"
    d = math.log1p(change_rel)
    if q_value < alpha and abs(d) > math.log1p(threshold_rel):
        worse = d > 0 if better == "lower" else d < 0
        return "regression" if worse else "improvement"
    return "no_change"


def assess(baseline, new, metric: str, threshold_rel: float = DEFAULT_THRESHOLD_REL,
           alpha: float = DEFAULT_ALPHA, q_value: float | None = None) -> dict:
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
    q_value : float, optional
        The cell's p-value adjusted over all cells of its comparison (:func:`adjust_p`); the
        verdict uses it.  None: this cell alone, ``q_value = p_value``.

    Returns
    -------
    dict
        ``baseline``, ``new`` (geometric means [SI unit]), ``change_rel``, ``ci_low_rel``,
        ``ci_high_rel``, ``p_value``, ``q_value``, ``verdict`` (one of :data:`VERDICTS`),
        ``reason`` (None unless not comparable), ``n_baseline``, ``n_new``.
    """
    _check(threshold_rel, alpha)
    if unit(metric).better not in ("higher", "lower"):
        raise ParameterError("metric", metric, "a metric with a better direction")
    b, bad_b = _positive(baseline, "baseline")
    n, bad_n = _positive(new, "new")
    if bad_b or bad_n:
        side = "baseline" if bad_b else "new"
        return not_comparable(f"a value <= 0 in {side} (the log-scale test needs positive values)", b, n)
    if b.size < 2 or n.size < 2:
        return not_comparable(f"fewer than 2 repetitions (baseline {b.size}, new {n.size})", b, n)
    t = log_welch(b, n, alpha)
    change = math.expm1(t["log_ratio"])
    q = t["p_value"] if q_value is None else float(q_value)
    return {"baseline": float(np.exp(np.log(b).mean())), "new": float(np.exp(np.log(n).mean())),
            "change_rel": change, "ci_low_rel": math.expm1(t["ci_low_log"]),
            "ci_high_rel": math.expm1(t["ci_high_log"]), "p_value": t["p_value"], "q_value": q,
            "verdict": verdict_of(change, q, metric, threshold_rel, alpha), "reason": None,
            "n_baseline": int(b.size), "n_new": int(n.size)}


def method_statement(threshold_rel: float = DEFAULT_THRESHOLD_REL, alpha: float = DEFAULT_ALPHA,
                     adjust: str = DEFAULT_ADJUST) -> str:
    """One paragraph stating how cells are compared, for reports.

    >>> "Welch" in method_statement()
    True
    """
    _check(threshold_rel, alpha)
    if adjust not in ADJUSTMENTS:
        raise ParameterError("adjust", adjust, ", ".join(ADJUSTMENTS))
    sig = (f"its Benjamini-Hochberg adjusted p-value (q, over all comparable cells of the comparison) "
           f"is below {alpha:g}" if adjust == "bh" else f"p < {alpha:g}")
    return (f"Each repetition (one measured run) gives one value per metric. Baseline and new are "
            f"geometric means of the repetitions; the change is their ratio minus one. The test is "
            f"Welch's unequal-variance t-test on the logarithms of the values, with its "
            f"{100 * (1 - alpha):g} % confidence interval (per cell, unadjusted) mapped back to a "
            f"relative change; a rank or permutation test cannot reach p < 0.05 with 3 against 3 "
            f"repetitions. A cell is a regression or an improvement only when {sig} AND the change "
            f"exceeds the practical threshold of {100 * threshold_rel:g} % (a factor of "
            f"{1 + threshold_rel:g} either way), so that a small but significant move between two "
            f"runs of a noisy machine is not an alarm. Direction: higher throughput and transaction "
            f"rate are better, higher latency is worse.")
