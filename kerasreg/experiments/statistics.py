"""Confidence intervals over seeds and paired comparisons with a baseline.

A study runs each configuration with a few seeds. With three seeds the mean's
standard error is wide, and the normal quantile (1.96) understates it: the
Student-t quantile with 2 degrees of freedom is 4.30. A technique is "better"
only when the confidence interval of its seed-paired difference from the
baseline lies above 0; an interval that covers 0 is a tie, and one seed gives
no interval at all (never "± 0").

Only `math` and NumPy: SciPy is not an install dependency, so the t quantile
is computed here, from the closed-form t CDF of integer degrees of freedom.
"""

import dataclasses
import math
import numbers
import statistics

import numpy as np

from kerasreg._validation import check_bool, check_float, check_int, invalid

# Above this many degrees of freedom the closed-form CDF's series (df / 2
# terms) is slow and a four-term expansion in 1/df is already exact to
# float64 rounding.
_SERIES_LIMIT = 10_000


def _t_central_probability(theta, df):
    """P(0 < T < sqrt(df) tan(theta)) for T ~ Student-t with integer df.

    The finite series in theta = atan(t / sqrt(df)) of Abramowitz & Stegun
    26.7.3 (odd df) and 26.7.4 (even df), which give twice this.
    """
    sin, cos = math.sin(theta), math.cos(theta)
    if df == 1:
        return theta / math.pi
    if df % 2 == 0:
        k = np.arange(1, df // 2)
        series = 1.0 + np.cumprod((2 * k - 1) / (2 * k) * cos**2).sum()
        return 0.5 * sin * series
    k = np.arange(1, (df - 1) // 2)
    series = 1.0 + np.cumprod(2 * k / (2 * k + 1) * cos**2).sum()
    return (theta + sin * cos * series) / math.pi


def _t_quantile_series(probability, df):
    """The t > 0 with P(0 < T < t) = probability, by bisection in theta."""
    low, high = 0.0, math.pi / 2
    while True:
        middle = 0.5 * (low + high)
        if not low < middle < high:
            return math.sqrt(df) * math.tan(middle)
        if _t_central_probability(middle, df) < probability:
            low = middle
        else:
            high = middle


def _t_quantile_expansion(p, df):
    """Cornish-Fisher expansion of the t quantile (A&S 26.7.5), large df."""
    x = statistics.NormalDist().inv_cdf(p)
    terms = (
        (x**3 + x) / 4,
        (5 * x**5 + 16 * x**3 + 3 * x) / 96,
        (3 * x**7 + 19 * x**5 + 17 * x**3 - 15 * x) / 384,
        (79 * x**9 + 776 * x**7 + 1482 * x**5 - 1920 * x**3 - 945 * x) / 92160,
    )
    return x + sum(term / df ** (power + 1) for power, term in enumerate(terms))


def t_quantile(p, df):
    """The Student-t quantile: the t with P(T <= t) = p for `df` degrees of freedom.

    For p in [1e-4, 1 - 1e-4] (further out the rounding of `p - 0.5` limits
    it), SciPy's t CDF at the result is p within 2e-10 · min(p, 1 - p), and
    the result is within 1e-10 relative of SciPy 1.17's `t.ppf` (older SciPy's
    own `t.ppf` is off by up to 1e-9): up to 10,000 degrees of freedom the
    closed-form CDF is inverted by bisection; above, a four-term expansion
    in 1/df is used; `math.inf` gives the normal quantile.

    Args:
        p: float in (0, 1), the probability.
        df: int >= 1, or `math.inf`, the degrees of freedom.

    Returns:
        The quantile, a float.

    Example:

    >>> round(t_quantile(0.975, 2), 12)
    4.302652729749
    >>> round(t_quantile(0.975, math.inf), 12)
    1.95996398454
    """
    p = check_float("p", p, low=0.0, high=1.0, low_inclusive=False)
    if not (isinstance(df, numbers.Real) and df == math.inf):
        df = check_int("df", df, low=1)
    if df > _SERIES_LIMIT:
        return _t_quantile_expansion(p, df)
    if p == 0.5:
        return 0.0
    # Symmetric: solve for the central probability |p - 0.5|. Its rounding
    # (none for p >= 0.25, about 1e-17 below) is what limits far tails.
    if p < 0.5:
        return -_t_quantile_series(0.5 - p, df)
    return _t_quantile_series(p - 0.5, df)


@dataclasses.dataclass(frozen=True)
class Interval:
    """A mean over `n` seeds with its confidence interval [low, high].

    `low` and `high` are NaN for one seed: a single run says nothing about the
    spread. `str()` gives `"0.912 ± 0.013"`, `"0.997 -0.014/+0.003"` for an
    interval clipped to a bound (see `mean_interval`), or
    `"0.912 (1 seed, no interval)"`; `format(interval, ".1f")` applies the
    float format to the mean and the distances to the ends.

    Args:
        mean: float, the mean of the values.
        low: float, the interval's lower end (NaN for one value).
        high: float, the interval's upper end (NaN for one value).
        n: int, how many values (seeds) the mean is over.
        confidence: float, the interval's confidence level. Defaults to `0.95`.

    Example:

    >>> print(Interval(mean=0.912, low=0.899, high=0.925, n=3))
    0.912 ± 0.013
    """

    mean: float
    low: float
    high: float
    n: int
    confidence: float = 0.95

    @property
    def half_width(self):
        """(high - low) / 2, NaN for one value."""
        return (self.high - self.low) / 2

    def __format__(self, spec):
        spec = spec or ".3f"
        if self.n < 2:
            return f"{self.mean:{spec}} (1 seed, no interval)"
        below = format(self.mean - self.low, spec)
        above = format(self.high - self.mean, spec)
        if below == above:
            return f"{self.mean:{spec}} ± {below}"
        return f"{self.mean:{spec}} -{below}/+{above}"

    def __str__(self):
        return format(self)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """A configuration against the baseline, paired by seed.

    Args:
        difference: `Interval` of (value - baseline) over the seeds.
        verdict: `"better"`, `"worse"` or `"tie"`: better or worse only when
            the whole interval lies on one side of 0.

    Example:

    >>> paired_comparison([0.92, 0.93, 0.935], [0.90, 0.90, 0.91]).verdict
    'better'
    """

    difference: Interval
    verdict: str


def _sample(argument, values):
    """`values` as a 1-D float64 array of finite numbers, at least one."""
    try:
        array = np.asarray(values, dtype="float64")
    except (TypeError, ValueError):
        expected = "a sequence of numbers"
        raise invalid(argument, values, expected, error=TypeError) from None
    if array.ndim != 1 or array.size == 0 or not np.isfinite(array).all():
        raise invalid(argument, values, "a non-empty 1-D sequence of finite numbers")
    return array


def _interval(array, confidence, bounds=None):
    n = array.size
    mean = float(array.mean())
    if n < 2:
        return Interval(mean, math.nan, math.nan, n, confidence)
    standard_error = float(array.std(ddof=1)) / math.sqrt(n)
    half_width = t_quantile((1 + confidence) / 2, n - 1) * standard_error
    low, high = mean - half_width, mean + half_width
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return Interval(mean, low, high, n, confidence)


def _check_confidence(confidence):
    return check_float("confidence", confidence, low=0.0, high=1.0, low_inclusive=False)


def mean_interval(values, confidence=0.95, bounds=None):
    """The mean of `values` with its Student-t confidence interval.

    The half-width is t_{(1 + confidence) / 2, n - 1} · s / sqrt(n), with s the
    sample standard deviation (ddof=1). For one value the interval is
    undefined: `low` and `high` are NaN.

    Given `bounds` (an accuracy's (0, 1)), the t interval is clipped to them:
    [max(low, bounds[0]), min(high, bounds[1])], so "99.6 ± 3.0" becomes
    99.6 with an interval from 96.6 to 100. Clipped rather than replaced by a
    bounded interval: the mean of accuracies over seeds is not a binomial
    proportion (the spread is between seeds, not between examples), so a
    Wilson or Clopper-Pearson interval does not apply; a logit-scale t
    interval fails at exactly 100% (every seed perfect) and is biased for a
    handful of seeds. The true mean lies within the bounds, so clipping
    drops only impossible values and keeps the t interval's coverage.

    Args:
        values: sequence of finite numbers, one per seed.
        confidence: float in (0, 1), the confidence level. Defaults to `0.95`.
        bounds: `(low, high)` the mean cannot leave, or None for none.
            Defaults to `None`.

    Returns:
        An `Interval`.

    Example:

    >>> interval = mean_interval([0.90, 0.92, 0.91])
    >>> print(interval)
    0.910 ± 0.025
    >>> print(mean_interval([0.91]))
    0.910 (1 seed, no interval)
    >>> print(mean_interval([1.0, 0.99, 1.0], bounds=(0.0, 1.0)))
    0.997 -0.014/+0.003
    """
    confidence = _check_confidence(confidence)
    if bounds is not None:
        bounds = _check_bounds(bounds)
    return _interval(_sample("values", values), confidence, bounds)


def _check_bounds(bounds):
    expected = "a pair (low, high) of finite floats, low < high"
    try:
        low, high = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise invalid("bounds", bounds, expected, error=TypeError) from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise invalid("bounds", bounds, expected)
    return low, high


def paired_comparison(values, baseline, confidence=0.95, higher_is_better=True):
    """Compares `values` with `baseline` seed by seed.

    The differences values[i] - baseline[i] (the same seed in both) get a
    `mean_interval`. The verdict is "better" when the interval lies above 0
    (below 0 if `higher_is_better=False`, as for a loss), "worse" when it lies
    on the other side, and "tie" when it covers 0 or is undefined (one seed).
    Pairing removes the seed-to-seed spread the two share (the same data order
    and initialization), so the test is sharper than comparing two intervals.

    Args:
        values: sequence of finite numbers, one per seed.
        baseline: sequence of finite numbers, the baseline's, in the same seed
            order and of the same length.
        confidence: float in (0, 1), the confidence level. Defaults to `0.95`.
        higher_is_better: bool, whether a higher value is better (an
            accuracy) or a lower one (a loss). Defaults to `True`.

    Returns:
        A `Comparison`.

    Example:

    >>> comparison = paired_comparison([0.92, 0.93, 0.92], [0.90, 0.90, 0.91])
    >>> print(comparison.difference, comparison.verdict)
    0.020 ± 0.025 tie
    >>> paired_comparison([0.31, 0.35], [0.30, 0.36], higher_is_better=False).verdict
    'tie'
    """
    values = _sample("values", values)
    baseline = _sample("baseline", baseline)
    if baseline.size != values.size:
        raise invalid(
            "baseline",
            baseline.tolist(),
            f"one value per seed of `values` ({values.size}), in the same order",
        )
    confidence = _check_confidence(confidence)
    check_bool("higher_is_better", higher_is_better)
    difference = _interval(values - baseline, confidence)
    return Comparison(difference, _verdict(difference, higher_is_better))


def _verdict(difference, higher_is_better):
    above, below = difference.low > 0, difference.high < 0
    if not (above or below):
        # Covers 0, or NaN for one seed: every comparison with NaN is False.
        return "tie"
    return "better" if above == higher_is_better else "worse"
