"""cnimodel.stats: medians with CIs, overhead CIs, significance tests."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sst

from cnimodel import stats
from cnimodel.errors import ParameterError


def test_median_ci_three_repetitions_is_min_max_at_75_percent():
    r = stats.median_ci([5.0, 1.0, 3.0])
    assert (r["median"], r["ci_low"], r["ci_high"]) == (3.0, 1.0, 5.0)
    assert r["ci_level"] == pytest.approx(0.75)  # 1 - 2 * 0.5**3: never reported as 95 %


def test_median_ci_picks_narrowest_interval_reaching_level():
    x = np.arange(20.0)
    r = stats.median_ci(x, 0.95)
    assert r["ci_level"] >= 0.95
    # the next narrower pair of order statistics would fall below 95 %
    k = int(r["ci_low"]) + 1  # 1-based index of the lower order statistic
    assert stats.median_ci_level(20, k + 1) < 0.95
    assert r["ci_high"] == x[20 - k]


def test_median_ci_level_matches_binomial():
    n, k = 10, 2
    expected = sum(math.comb(n, j) for j in range(k, n - k + 1)) / 2 ** n
    assert stats.median_ci_level(n, k) == pytest.approx(expected)


def test_median_ci_few_values_and_nan():
    assert math.isnan(stats.median_ci([1.0])["ci_low"])
    r = stats.median_ci([1.0, np.nan, 3.0])
    assert r["n"] == 2 and r["median"] == 2.0
    assert stats.median_ci([])["n"] == 0


@pytest.mark.parametrize("bad", [0, 1, 1.5, -0.1, "0.95"])
def test_confidence_validated(bad):
    with pytest.raises(ParameterError):
        stats.median_ci([1.0, 2.0], bad)


def test_median_ci_empirical_coverage():
    rng = np.random.default_rng(42)
    hits = 0
    sims = 2000
    for _ in range(sims):
        x = rng.normal(0.0, 1.0, 12)
        r = stats.median_ci(x, 0.9)
        hits += r["ci_low"] <= 0.0 <= r["ci_high"]
    # exact distribution-free interval: coverage >= nominal (up to simulation noise)
    assert hits / sims >= 0.9 - 3 * math.sqrt(0.9 * 0.1 / sims)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=40))
def test_median_inside_ci_inside_range(xs):
    r = stats.median_ci(xs)
    assert min(xs) <= r["ci_low"] <= r["median"] <= r["ci_high"] <= max(xs)


def test_overhead_ci_reproducible_and_centered():
    a = [12.0, 12.5, 11.5, 12.2]
    b = [10.0, 10.1, 9.9, 10.05]
    r1 = stats.overhead_ci(a, b, seed=3)
    r2 = stats.overhead_ci(a, b, seed=3)
    assert r1 == r2
    assert r1["diff"] == pytest.approx(np.median(a) - np.median(b))
    assert r1["relative"] == pytest.approx(r1["diff"] / np.median(b))
    assert r1["diff_ci_low"] <= r1["diff"] <= r1["diff_ci_high"]
    assert r1["relative_ci_low"] <= r1["relative"] <= r1["relative_ci_high"]


def test_overhead_ci_needs_two_repetitions():
    r = stats.overhead_ci([1.0], [2.0, 3.0])
    assert r["diff"] == -1.5 and math.isnan(r["diff_ci_low"])


def test_welch_matches_scipy():
    a, b = [1.0, 1.2, 0.9, 1.1], [1.5, 1.7, 1.4]
    r = stats.significance(a, b)
    assert r["test"] == "welch-t"
    assert r["p_value"] == pytest.approx(sst.ttest_ind(a, b, equal_var=False).pvalue)
    assert r["significant"]


def test_rank_test_cannot_reach_5_percent_with_three_repetitions():
    # the reason the default is Welch: 3 vs 3, perfectly separated, exact MW p = 0.1
    r = stats.significance([1.0, 1.1, 1.2], [2.0, 2.1, 2.2], test="mannwhitney")
    assert r["p_value"] == pytest.approx(0.1)
    assert not r["significant"]
    assert stats.significance([1.0, 1.1, 1.2], [2.0, 2.1, 2.2])["significant"]


def test_permutation_test_seeded():
    a, b = [1.0, 1.1, 1.2, 1.3], [2.0, 2.1, 2.2, 2.3]
    assert stats.significance(a, b, "permutation", seed=1) == stats.significance(a, b, "permutation", seed=1)


def test_constant_groups():
    assert stats.significance([1.0, 1.0], [1.0, 1.0])["p_value"] == 1.0
    assert stats.significance([1.0, 1.0], [2.0, 2.0])["significant"]


def test_unknown_test_rejected():
    with pytest.raises(ParameterError):
        stats.significance([1, 2], [3, 4], test="ttest")
    with pytest.raises(ParameterError):
        stats.method_statement(test="z")


def test_compare_combines_everything():
    c = stats.compare([12.0, 12.3, 11.8], [10.0, 10.2, 9.9], confidence=0.9)
    assert c["median"] == 12.0 and c["baseline_median"] == 10.0
    assert c["diff"] == pytest.approx(2.0)
    assert c["significant"] and c["test"] == "welch-t"
    assert "Welch" in stats.method_statement(0.9)
