"""Student-t quantiles, intervals over seeds, paired comparisons."""

import math
import re

import numpy as np
import pytest
import scipy
from scipy import stats

from kerasreg.experiments.statistics import (
    Interval,
    mean_interval,
    paired_comparison,
    t_quantile,
)
from tests.contracts import invalid_argument_message

PROBABILITIES = [1e-4, 0.005, 0.025, 0.1, 0.3, 0.5, 0.6, 0.9, 0.975, 0.995, 0.9999]


# SciPy's `t.ppf` became accurate to ~1e-15 after 1.11 (the declared minimum,
# whose `t.ppf` is off by up to 1e-9, and gives 1e-16 for the median's 0).
SCIPY_PPF_RTOL = 1e-10 if int(scipy.__version__.split(".")[1]) >= 15 else 1e-8
# Both sides of the switch from the closed form to the expansion.
DEGREES = [*range(1, 41), 41, 100, 999, 10_000, 10_001, 123_456, 10**9]


@pytest.mark.parametrize("df", DEGREES)
def test_t_quantile_matches_scipy(df):
    expected = stats.t.ppf(PROBABILITIES, df)
    actual = [t_quantile(p, df) for p in PROBABILITIES]
    np.testing.assert_allclose(actual, expected, rtol=SCIPY_PPF_RTOL, atol=1e-12)


@pytest.mark.parametrize("df", DEGREES)
def test_scipys_t_cdf_at_the_quantile_is_p(df):
    actual = np.array([t_quantile(p, df) for p in PROBABILITIES])
    tails = np.minimum(PROBABILITIES, np.subtract(1, PROBABILITIES))
    errors = np.abs(stats.t.cdf(actual, df) - PROBABILITIES) / tails
    assert errors.max() <= 2e-10


def test_t_quantile_closed_forms():
    # df = 1 is Cauchy: tan(pi (p - 1/2)); df = 2: (2p - 1) / sqrt(2 p (1 - p)).
    for p in [0.01, 0.3, 0.8, 0.975]:
        assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), 1e-12)
        two = (2 * p - 1) / math.sqrt(2 * p * (1 - p))
        assert t_quantile(p, 2) == pytest.approx(two, rel=1e-12)
    assert t_quantile(0.5, 7) == 0.0
    assert t_quantile(0.975, np.int64(3)) == pytest.approx(3.182446305284263, 1e-12)


def test_t_quantile_infinite_df_is_normal():
    for p in PROBABILITIES:
        assert t_quantile(p, math.inf) == pytest.approx(stats.norm.ppf(p), rel=1e-12)


P_RANGE = "a finite float in (0, 1)"


@pytest.mark.parametrize(
    ("p", "df", "error", "argument", "expected"),
    [
        (0.0, 3, ValueError, "p", P_RANGE),
        (1.0, 3, ValueError, "p", P_RANGE),
        (math.nan, 3, ValueError, "p", P_RANGE),
        (0.9, 0, ValueError, "df", "an int in [1, inf]"),
        (0.9, 2.5, TypeError, "df", "an int"),
        (0.9, math.nan, TypeError, "df", "an int"),
    ],
    ids=["p0", "p1", "pnan", "df0", "dffloat", "dfnan"],
)
def test_t_quantile_rejects(p, df, error, argument, expected):
    value = {"p": p, "df": df}[argument]
    message = invalid_argument_message(argument, value, expected)
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        t_quantile(p, df)


def test_mean_interval_by_hand():
    # mean 0.91, s = 0.01, t_{0.975, 2} = 4.302652729749464 (closed form for
    # df = 2: 0.95 / sqrt(2 * 0.975 * 0.025)), half-width 4.3026527... * 0.01 /
    # sqrt(3) = 0.0248413...
    interval = mean_interval([0.90, 0.92, 0.91])
    half_width = 4.302652729749464 * 0.01 / math.sqrt(3)
    assert half_width == pytest.approx(0.024841377, abs=1e-9)
    assert interval.mean == pytest.approx(0.91, abs=1e-15)
    assert interval.low == pytest.approx(0.91 - half_width, abs=1e-12)
    assert interval.high == pytest.approx(0.91 + half_width, abs=1e-12)
    assert interval.half_width == pytest.approx(half_width, abs=1e-12)
    assert (interval.n, interval.confidence) == (3, 0.95)
    assert str(interval) == "0.910 ± 0.025"
    assert f"{interval:.4f}" == "0.9100 ± 0.0248"


def test_mean_interval_matches_scipy():
    values = np.random.default_rng(0).normal(0.8, 0.05, size=7)
    interval = mean_interval(values, confidence=0.9)
    low, high = stats.t.interval(0.9, df=6, loc=values.mean(), scale=stats.sem(values))
    half_widths = np.subtract(high, low) / 2
    np.testing.assert_allclose(
        interval.half_width, half_widths, rtol=SCIPY_PPF_RTOL, atol=0
    )
    assert interval.mean == pytest.approx(values.mean(), rel=1e-15)


def test_one_seed_has_no_interval():
    interval = mean_interval([0.912])
    assert interval.mean == 0.912 and interval.n == 1
    assert math.isnan(interval.low) and math.isnan(interval.high)
    assert math.isnan(interval.half_width)
    assert str(interval) == "0.912 (1 seed, no interval)"
    assert format(interval, ".1f") == "0.9 (1 seed, no interval)"


def test_identical_seeds_give_a_zero_width_interval():
    interval = mean_interval([0.5, 0.5, 0.5])
    assert (interval.low, interval.high) == (0.5, 0.5)


def test_paired_comparison_by_hand():
    # Differences [0.02, 0.03, 0.01]: mean 0.02, s 0.01, half-width
    # 4.3026527... * 0.01 / sqrt(3) = 0.0248413...: the interval covers 0.
    comparison = paired_comparison([0.92, 0.93, 0.92], [0.90, 0.90, 0.91])
    difference = comparison.difference
    half_width = 4.302652729749464 * 0.01 / math.sqrt(3)
    assert difference.mean == pytest.approx(0.02, abs=1e-12)
    assert difference.low == pytest.approx(0.02 - half_width, abs=1e-12)
    assert difference.high == pytest.approx(0.02 + half_width, abs=1e-12)
    assert difference.n == 3
    assert comparison.verdict == "tie"


@pytest.mark.parametrize(
    ("values", "higher_is_better", "verdict"),
    [
        ([0.92, 0.93, 0.935], True, "better"),
        ([0.88, 0.87, 0.885], True, "worse"),
        ([0.92, 0.93, 0.935], False, "worse"),
        ([0.88, 0.87, 0.885], False, "better"),
        ([0.91, 0.89, 0.912], True, "tie"),
    ],
    ids=["above", "below", "loss-above", "loss-below", "covers-zero"],
)
def test_paired_comparison_verdicts(values, higher_is_better, verdict):
    baseline = [0.90, 0.90, 0.91]
    comparison = paired_comparison(values, baseline, higher_is_better=higher_is_better)
    assert comparison.verdict == verdict


def test_pairing_removes_the_shared_seed_spread():
    # Seeds differ a lot; the technique adds 0.01 on every seed. Unpaired
    # intervals overlap, the paired difference is clearly above 0.
    baseline = [0.70, 0.80, 0.90]
    values = [0.71, 0.812, 0.909]
    assert mean_interval(values).low < mean_interval(baseline).high
    assert paired_comparison(values, baseline).verdict == "better"


def test_one_seed_is_a_tie():
    comparison = paired_comparison([0.99], [0.50])
    assert comparison.verdict == "tie"
    assert comparison.difference.mean == pytest.approx(0.49)
    assert math.isnan(comparison.difference.low)
    assert str(comparison.difference) == "0.490 (1 seed, no interval)"


def test_a_wider_confidence_can_turn_a_win_into_a_tie():
    values, baseline = [0.92, 0.93, 0.935], [0.90, 0.90, 0.91]
    assert paired_comparison(values, baseline, confidence=0.9).verdict == "better"
    assert paired_comparison(values, baseline, confidence=0.999).verdict == "tie"


def test_interval_is_frozen():
    with pytest.raises(AttributeError):
        Interval(0.5, 0.4, 0.6, 3).mean = 0.7


SAMPLE = "a non-empty 1-D sequence of finite numbers"
CONFIDENCE = "a finite float in (0, 1)"
GOOD = [0.5, 0.6]


BOUNDS = "a pair (low, high) of finite floats, low < high"


@pytest.mark.parametrize(
    "values, low, high",
    [
        ([1.0, 0.99, 1.0], None, 1.0),
        ([0.0, 0.01, 0.0], 0.0, None),
        ([0.5, 0.6, 0.55], None, None),
        ([1.0, 1.0, 1.0], 1.0, 1.0),
    ],
    ids=["clipped-at-1", "clipped-at-0", "inside", "all-perfect"],
)
def test_a_bounded_interval_is_the_t_interval_clipped(values, low, high):
    free = mean_interval(values)
    bounded = mean_interval(values, bounds=(0.0, 1.0))
    # Reference: SciPy's t interval, clipped by hand.
    half = stats.t.ppf(0.975, len(values) - 1) * np.std(values, ddof=1) / 3**0.5
    assert bounded.mean == free.mean
    assert bounded.low == pytest.approx(low if low is not None else free.mean - half)
    assert bounded.high == pytest.approx(high if high is not None else free.mean + half)
    assert 0.0 <= bounded.low <= bounded.high <= 1.0


@pytest.mark.parametrize(
    ("function", "arguments", "error", "argument", "expected"),
    [
        (mean_interval, {"values": []}, ValueError, "values", SAMPLE),
        (mean_interval, {"values": [0.5, math.nan]}, ValueError, "values", SAMPLE),
        (mean_interval, {"values": [0.5, math.inf]}, ValueError, "values", SAMPLE),
        (mean_interval, {"values": [GOOD]}, ValueError, "values", SAMPLE),
        (
            mean_interval,
            {"values": ["a", "b"]},
            TypeError,
            "values",
            "a sequence of numbers",
        ),
        (
            mean_interval,
            {"values": GOOD, "confidence": 1.0},
            ValueError,
            "confidence",
            CONFIDENCE,
        ),
        (
            mean_interval,
            {"values": GOOD, "confidence": 0.0},
            ValueError,
            "confidence",
            CONFIDENCE,
        ),
        (
            paired_comparison,
            {"values": GOOD, "baseline": [0.5]},
            ValueError,
            "baseline",
            "one value per seed of `values` (2), in the same order",
        ),
        (
            paired_comparison,
            {"values": GOOD, "baseline": [0.5, math.nan]},
            ValueError,
            "baseline",
            SAMPLE,
        ),
        (
            paired_comparison,
            {"values": [], "baseline": []},
            ValueError,
            "values",
            SAMPLE,
        ),
        (
            paired_comparison,
            {"values": GOOD, "baseline": GOOD, "confidence": 1.5},
            ValueError,
            "confidence",
            CONFIDENCE,
        ),
        (
            paired_comparison,
            {"values": GOOD, "baseline": GOOD, "higher_is_better": 1},
            TypeError,
            "higher_is_better",
            "a bool",
        ),
        (
            mean_interval,
            {"values": GOOD, "bounds": (1.0, 0.0)},
            ValueError,
            "bounds",
            BOUNDS,
        ),
        (
            mean_interval,
            {"values": GOOD, "bounds": (0.0, math.nan)},
            ValueError,
            "bounds",
            BOUNDS,
        ),
        (mean_interval, {"values": GOOD, "bounds": 1.0}, TypeError, "bounds", BOUNDS),
    ],
    ids=[
        "empty",
        "nan",
        "inf",
        "2-d",
        "strings",
        "confidence-1",
        "confidence-0",
        "lengths",
        "baseline-nan",
        "both-empty",
        "comparison-confidence",
        "higher-is-better",
        "bounds-reversed",
        "bounds-nan",
        "bounds-not-a-pair",
    ],
)
def test_bad_input(function, arguments, error, argument, expected):
    message = invalid_argument_message(argument, arguments[argument], expected)
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        function(**arguments)
