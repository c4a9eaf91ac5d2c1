"""Student-t quantiles, intervals over seeds, paired comparisons."""

import math
import re

import numpy as np
import pytest
from scipy import stats

from kerasreg.experiments.statistics import (
    Interval,
    mean_interval,
    paired_comparison,
    t_quantile,
)

PROBABILITIES = [1e-4, 0.005, 0.025, 0.1, 0.3, 0.5, 0.6, 0.9, 0.975, 0.995, 0.9999]


@pytest.mark.parametrize("df", range(1, 41))
def test_t_quantile_matches_scipy(df):
    expected = stats.t.ppf(PROBABILITIES, df)
    actual = [t_quantile(p, df) for p in PROBABILITIES]
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=0)


@pytest.mark.parametrize("df", [41, 100, 999, 10_000, 10_001, 123_456, 10**9])
def test_t_quantile_matches_scipy_for_many_degrees_of_freedom(df):
    # Both sides of the switch from the closed form to the expansion.
    expected = stats.t.ppf(PROBABILITIES, df)
    actual = [t_quantile(p, df) for p in PROBABILITIES]
    np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=0)


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


def _raises(error, message):
    """Expects exactly "Invalid value for argument " + `message`."""
    whole = f"Invalid value for argument {message}"
    return pytest.raises(error, match=f"^{re.escape(whole)}$")


P_RANGE = "Expected a finite float in (0, 1)."


@pytest.mark.parametrize(
    ("p", "df", "error", "message"),
    [
        (0.0, 3, ValueError, f"`p`. {P_RANGE} Received: p=0.0"),
        (1.0, 3, ValueError, f"`p`. {P_RANGE} Received: p=1.0"),
        (math.nan, 3, ValueError, f"`p`. {P_RANGE} Received: p=nan"),
        (0.9, 0, ValueError, "`df`. Expected an int in [1, inf]. Received: df=0"),
        (0.9, 2.5, TypeError, "`df`. Expected an int. Received: df=2.5"),
        (0.9, math.nan, TypeError, "`df`. Expected an int. Received: df=nan"),
    ],
    ids=["p0", "p1", "pnan", "df0", "dffloat", "dfnan"],
)
def test_t_quantile_rejects(p, df, error, message):
    with _raises(error, message):
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
    np.testing.assert_allclose([interval.low, interval.high], [low, high], rtol=1e-12)


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


NOT_A_SAMPLE = "Expected a non-empty 1-D sequence of finite numbers. "


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: mean_interval([]),
            ValueError,
            f"`values`. {NOT_A_SAMPLE}Received: values=[]",
        ),
        (
            lambda: mean_interval([0.5, math.nan]),
            ValueError,
            f"`values`. {NOT_A_SAMPLE}Received: values=[0.5, nan]",
        ),
        (
            lambda: mean_interval([0.5, math.inf]),
            ValueError,
            f"`values`. {NOT_A_SAMPLE}Received: values=[0.5, inf]",
        ),
        (
            lambda: mean_interval([[0.5, 0.6]]),
            ValueError,
            f"`values`. {NOT_A_SAMPLE}Received: values=[[0.5, 0.6]]",
        ),
        (
            lambda: mean_interval(["a", "b"]),
            TypeError,
            "`values`. Expected a sequence of numbers. Received: values=['a', 'b']",
        ),
        (
            lambda: mean_interval([0.5, 0.6], confidence=1.0),
            ValueError,
            "`confidence`. Expected a finite float in (0, 1). Received: confidence=1.0",
        ),
        (
            lambda: mean_interval([0.5, 0.6], confidence=0.0),
            ValueError,
            "`confidence`. Expected a finite float in (0, 1). Received: confidence=0.0",
        ),
        (
            lambda: paired_comparison([0.5, 0.6], [0.5]),
            ValueError,
            "`baseline`. Expected one value per seed of `values` (2), in the same "
            "order. Received: baseline=[0.5]",
        ),
        (
            lambda: paired_comparison([0.5, 0.6], [0.5, math.nan]),
            ValueError,
            f"`baseline`. {NOT_A_SAMPLE}Received: baseline=[0.5, nan]",
        ),
        (
            lambda: paired_comparison([], []),
            ValueError,
            f"`values`. {NOT_A_SAMPLE}Received: values=[]",
        ),
        (
            lambda: paired_comparison([0.5, 0.6], [0.5, 0.4], confidence=1.5),
            ValueError,
            "`confidence`. Expected a finite float in (0, 1). Received: confidence=1.5",
        ),
        (
            lambda: paired_comparison([0.5, 0.6], [0.5, 0.4], higher_is_better=1),
            TypeError,
            "`higher_is_better`. Expected a bool. Received: higher_is_better=1",
        ),
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
    ],
)
def test_bad_input(call, error, message):
    with _raises(error, message):
        call()
