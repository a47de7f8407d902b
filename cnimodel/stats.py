"""Statistics over repetitions: medians with confidence intervals, overhead against a
baseline, and a significance test suited to few repetitions.  Pure functions, no I/O.

Choices (stated in every report that uses them)
-----------------------------------------------
* **Location**: the median of the repetitions (robust to one bad repetition).
* **CI of one median**: the exact distribution-free order-statistic interval
  ``[x_(k), x_(n+1-k)]`` (binomial, no normality assumed; Hahn & Meeker 1991,
  sec. 5.2).  With few repetitions the requested level may be unreachable (3
  repetitions give at most 75 %: ``1 - 2 * 0.5**3``); the interval is then
  ``[min, max]`` and its *achieved* level is returned in ``ci_level``: it is
  never silently reported as 95 %.
* **CI of the overhead** (difference and ratio of medians, path against
  baseline): two-sample percentile bootstrap, resampling the repetitions of each
  group independently (Efron & Tibshirani 1993, ch. 13), seeded so that a report
  is reproducible (``seed=0`` by default).
* **Significance**: Welch's unequal-variance t-test on the repetitions (the p-value of
  :func:`scipy.stats.ttest_ind` with ``equal_var=False``, see :func:`welch_p_value`).  Rank tests
  (Mann-Whitney, permutation) are distribution-free but cannot reach p < 0.05
  with 3 against 3 repetitions (smallest two-sided exact p = 0.1), so they can
  never flag a difference in a typical 3-5 repetition benchmark; Welch's test
  can, assuming roughly normal repetition-to-repetition noise and not equal
  variances.  ``test="mannwhitney"`` or ``"permutation"`` select the
  distribution-free alternatives.

Examples
--------
>>> import numpy as np
>>> r = median_ci(np.arange(10.0, 20.0))
>>> r["median"], r["ci_low"], r["ci_high"], round(r["ci_level"], 4)
(14.5, 11.0, 18.0, 0.9785)
>>> c = compare([12.0, 12.3, 11.8], [10.0, 10.2, 9.9])
>>> round(c["diff"], 2), c["test"], bool(c["significant"])
(2.0, 'welch-t', True)
"""
from __future__ import annotations

import math

import numpy as np

from .errors import ParameterError

__all__ = ["TESTS", "TEST_DESCRIPTIONS", "median_ci", "median_ci_level", "bootstrap_medians",
           "overhead_ci", "significance", "welch_p_value", "compare", "method_statement"]

#: Significance tests :func:`significance` knows.
TESTS = ("welch-t", "mannwhitney", "permutation")

TEST_DESCRIPTIONS = {
    "welch-t": "Welch's unequal-variance t-test (two-sided)",
    "mannwhitney": "Mann-Whitney U test (two-sided, exact for small samples)",
    "permutation": "permutation test of the difference in means (two-sided)",
}


def _clean(x, name="x"):
    try:
        a = np.asarray(x, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ParameterError(name, x, "an array of numbers") from None
    return a[np.isfinite(a)]


def _check_confidence(confidence):
    if not (isinstance(confidence, (int, float)) and 0 < confidence < 1):
        raise ParameterError("confidence", confidence, "a number in (0, 1)", "e.g. 0.95")
    return float(confidence)


def median_ci_level(n: int, k: int) -> float:
    """Coverage of the order-statistic interval ``[x_(k), x_(n+1-k)]`` for the median.

    ``P(k <= B < n+1-k)`` with ``B ~ Binomial(n, 1/2)`` (1-based order statistics).

    >>> median_ci_level(3, 1)
    0.75
    """
    if n < 1 or not 1 <= k <= (n + 1) // 2:
        raise ParameterError("k", k, f"1..{(n + 1) // 2} for n={n}")
    # exact binomial sum (integers, no scipy.stats import: it costs ~1.5 s per report kernel)
    return math.fsum(math.comb(n, j) for j in range(k, n - k + 1)) / 2.0 ** n


def median_ci(x, confidence: float = 0.95) -> dict:
    """Median of repetitions with its exact distribution-free confidence interval.

    Parameters
    ----------
    x : array-like
        Repetitions of one measurement (NaN ignored).
    confidence : float
        Requested coverage in (0, 1).

    Returns
    -------
    dict
        ``n``, ``median``, ``ci_low``, ``ci_high`` and ``ci_level`` (the coverage the
        interval actually has: below ``confidence`` when ``n`` is too small, see the
        module notes).  With fewer than 2 values the interval is NaN.

    >>> median_ci([3.0, 1.0, 2.0])
    {'n': 3, 'median': 2.0, 'ci_low': 1.0, 'ci_high': 3.0, 'ci_level': 0.75}
    """
    confidence = _check_confidence(confidence)
    a = np.sort(_clean(x))
    n = int(a.size)
    med = float(np.median(a)) if n else math.nan
    if n < 2:
        return {"n": n, "median": med, "ci_low": math.nan, "ci_high": math.nan, "ci_level": math.nan}
    # Largest k (narrowest interval) whose coverage still reaches the requested level.
    best = 1
    for k in range(1, (n + 1) // 2 + 1):
        if median_ci_level(n, k) >= confidence:
            best = k
        else:
            break
    lo, hi = a[best - 1], a[n - best]
    return {"n": n, "median": med, "ci_low": float(lo), "ci_high": float(hi),
            "ci_level": median_ci_level(n, best)}


def bootstrap_medians(x, n_boot: int = 4000, rng=None) -> np.ndarray:
    """Medians of ``n_boot`` bootstrap resamples of ``x`` (vectorized).

    >>> bootstrap_medians([1.0, 2.0, 3.0], n_boot=5, rng=np.random.default_rng(0)).shape
    (5,)
    """
    a = _clean(x)
    if a.size == 0:
        return np.full(n_boot, np.nan)
    rng = np.random.default_rng(rng)
    idx = rng.integers(0, a.size, size=(n_boot, a.size))
    return np.median(a[idx], axis=1)


def overhead_ci(x, baseline, confidence: float = 0.95, n_boot: int = 4000, seed=0) -> dict:
    """Overhead of ``x`` against ``baseline``: difference and ratio of medians with CIs.

    ``diff = median(x) - median(baseline)`` (in the unit of the data) and
    ``relative = diff / median(baseline)``; percentile-bootstrap intervals from
    ``n_boot`` independent resamples of each group, seeded with ``seed``.

    Returns
    -------
    dict
        ``diff``, ``diff_ci_low``, ``diff_ci_high``, ``relative``,
        ``relative_ci_low``, ``relative_ci_high``, ``n``, ``n_baseline``.
        NaN intervals when either group has fewer than 2 repetitions.

    >>> r = overhead_ci([12.0, 12.5, 11.5], [10.0, 10.1, 9.9])
    >>> r["diff"], round(r["relative"], 3)
    (2.0, 0.2)
    """
    confidence = _check_confidence(confidence)
    a, b = _clean(x), _clean(baseline, "baseline")
    out = {"n": int(a.size), "n_baseline": int(b.size)}
    ma = float(np.median(a)) if a.size else math.nan
    mb = float(np.median(b)) if b.size else math.nan
    out["diff"] = ma - mb
    out["relative"] = out["diff"] / mb if mb not in (0.0,) and np.isfinite(mb) else math.nan
    nan = {"diff_ci_low": math.nan, "diff_ci_high": math.nan,
           "relative_ci_low": math.nan, "relative_ci_high": math.nan}
    if a.size < 2 or b.size < 2:
        out.update(nan)
        return out
    rng = np.random.default_rng(seed)
    ba = bootstrap_medians(a, n_boot, rng)
    bb = bootstrap_medians(b, n_boot, rng)
    q = [(1 - confidence) / 2, (1 + confidence) / 2]
    d = ba - bb
    out["diff_ci_low"], out["diff_ci_high"] = (float(v) for v in np.quantile(d, q))
    with np.errstate(divide="ignore", invalid="ignore"):
        r = d / bb
    r = r[np.isfinite(r)]
    if r.size:
        out["relative_ci_low"], out["relative_ci_high"] = (float(v) for v in np.quantile(r, q))
    else:
        out["relative_ci_low"] = out["relative_ci_high"] = math.nan
    return out


def significance(x, baseline, test: str = "welch-t", alpha: float = 0.05, seed=0) -> dict:
    """Two-sided test of a difference between ``x`` and ``baseline`` repetitions.

    Parameters
    ----------
    test : {"welch-t", "mannwhitney", "permutation"}
        See the module notes for why Welch's t-test is the default with few repetitions.
    alpha : float
        Significance level.

    Returns
    -------
    dict
        ``test``, ``p_value`` (NaN when a group has < 2 values or both are constant and
        equal) and ``significant`` (``p_value < alpha``; False when p is NaN).

    >>> significance([1.0, 1.1, 0.9], [1.0, 1.1, 0.9])["significant"]
    False
    """
    if test not in TESTS:
        raise ParameterError("test", test, ", ".join(TESTS))
    if not 0 < alpha < 1:
        raise ParameterError("alpha", alpha, "a number in (0, 1)")
    a, b = _clean(x), _clean(baseline, "baseline")
    p = math.nan
    if a.size >= 2 and b.size >= 2:
        if test == "welch-t":
            va, vb = np.var(a, ddof=1), np.var(b, ddof=1)
            if va == 0 and vb == 0:
                # Zero spread in both: t is undefined; equal means -> no evidence, else certain.
                p = 1.0 if np.mean(a) == np.mean(b) else 0.0
            else:
                p = welch_p_value(a, b)
        elif test == "mannwhitney":
            from scipy import stats as st

            p = float(st.mannwhitneyu(a, b, alternative="two-sided").pvalue)
        else:
            from scipy import stats as st

            res = st.permutation_test((a, b), lambda u, v, axis: np.mean(u, axis=axis) - np.mean(v, axis=axis),
                                      vectorized=True, n_resamples=9999, alternative="two-sided",
                                      random_state=seed)
            p = float(res.pvalue)
    return {"test": test, "p_value": p, "significant": bool(np.isfinite(p) and p < alpha)}


def welch_p_value(a, b) -> float:
    """Two-sided p-value of Welch's t-test (identical to ``scipy.stats.ttest_ind(a, b,
    equal_var=False)``, computed with :func:`scipy.special.stdtr` to keep ``scipy.stats``
    and its import time out of every report).

    >>> round(welch_p_value([1.0, 1.2, 0.9, 1.1], [1.5, 1.7, 1.4]), 6)
    0.011756
    """
    from scipy.special import stdtr

    a, b = _clean(a), _clean(b, "b")
    va, vb = np.var(a, ddof=1) / a.size, np.var(b, ddof=1) / b.size
    se2 = va + vb
    t = (np.mean(a) - np.mean(b)) / math.sqrt(se2)
    dof = se2 ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    return float(2 * stdtr(dof, -abs(t)))


def compare(x, baseline, confidence: float = 0.95, test: str = "welch-t", n_boot: int = 4000,
            seed=0) -> dict:
    """Everything a report row needs: medians with CIs, overhead with CI, significance.

    The significance level is ``1 - confidence``.

    >>> sorted(compare([2.0, 2.1, 1.9], [1.0, 1.1, 0.9]))[:4]
    ['baseline_ci_high', 'baseline_ci_level', 'baseline_ci_low', 'baseline_median']
    """
    confidence = _check_confidence(confidence)
    out = {}
    for prefix, data in (("", x), ("baseline_", baseline)):
        m = median_ci(data, confidence)
        out.update({f"{prefix}{k}": v for k, v in m.items()})
    o = overhead_ci(x, baseline, confidence, n_boot, seed)
    out.update({k: v for k, v in o.items() if k not in ("n", "n_baseline")})
    out.update(significance(x, baseline, test, 1 - confidence, seed))
    return out


def method_statement(confidence: float = 0.95, test: str = "welch-t", n_boot: int = 4000) -> str:
    """One paragraph stating the statistical methods, for reports.

    >>> "Welch" in method_statement()
    True
    """
    if test not in TESTS:
        raise ParameterError("test", test, ", ".join(TESTS))
    pct = f"{100 * confidence:g} %"
    return (f"Values are medians over repetitions. The CI of a median is the exact distribution-free "
            f"order-statistic interval at {pct} or, when there are too few repetitions to reach "
            f"{pct}, the [min, max] interval with its achieved level shown. Overheads against the "
            f"baseline are differences (and ratios) of medians with {pct} percentile-bootstrap CIs "
            f"({n_boot} resamples per group, seeded). Significance: {TEST_DESCRIPTIONS[test]} at "
            f"alpha = {1 - confidence:.2g}"
            + ("; chosen because rank tests cannot reach p < 0.05 with 3 repetitions per group, "
               "it assumes roughly normal repetition noise but not equal variances." if test == "welch-t"
               else "."))
