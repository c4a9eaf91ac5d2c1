"""Stop rules as pure functions of plain lists of values (no model, no fit).

Each expected stop index is worked out by hand from the definitions in
DESIGN.md (and Prechelt, 1998); the comments show the arithmetic.
"""

import math
import re

import numpy as np
import pytest

from kerasreg.callbacks import criteria
from kerasreg.callbacks.criteria import StopRule, first_stop

NAN, INF = math.nan, math.inf


@pytest.mark.parametrize(
    "values,kwargs,expected",
    [
        # best 0.9 at 1; 0.95 and 0.91 do not improve: wait 1, 2 -> stop at 3.
        ([1.0, 0.9, 0.95, 0.91, 0.89], dict(patience=2), 3),
        # patience 0 and 1 both stop at the first epoch without improvement.
        ([1.0, 0.9, 0.95], dict(patience=0), 2),
        ([1.0, 0.9, 0.95], dict(patience=1), 2),
        # An equal value is no improvement.
        ([1.0, 1.0], dict(patience=1), 1),
        # min_delta 0.25: 0.875 + 0.25 < 1 fails -> no improvement.
        ([1.0, 0.875, 0.5], dict(patience=1, min_delta=0.25), 1),
        # relative 0.05: 9 + 0.5 < 10, 8.5 + 0.45 < 9, 8.2 + 0.425 < 8.5 fails.
        (
            [10.0, 9.0, 8.5, 8.2],
            dict(patience=1, min_delta=0.05, min_delta_mode="relative"),
            3,
        ),
        # absolute 0.05 keeps improving.
        ([10.0, 9.0, 8.5, 8.2], dict(patience=1, min_delta=0.05), None),
        # Every value improves, none beats the baseline 0.5: wait 1, 2 -> stop.
        ([1.0, 0.9, 0.8, 0.7, 0.6], dict(patience=2, baseline=0.5), 1),
        # 0.4 beats the baseline and resets the counter.
        ([1.0, 0.4, 0.45, 0.5], dict(patience=2, baseline=0.5), 3),
        # NaN never improves.
        ([1.0, NAN, NAN], dict(patience=2), 2),
    ],
    ids=[
        "patience2",
        "patience0",
        "patience1",
        "tie",
        "min_delta",
        "relative",
        "absolute_same_values",
        "baseline_never_reached",
        "baseline_reached",
        "nan",
    ],
)
def test_patience_rule(values, kwargs, expected):
    rule = StopRule("patience", stop_on_nan=False, **kwargs)
    stops = [rule.evaluate(values[: i + 1]).stop for i in range(len(values))]
    assert (stops.index(True) if True in stops else None) == expected


def test_patience_rule_reports_best_and_wait():
    verdict = StopRule(patience=5).evaluate([1.0, 0.5, 0.75, 0.625])
    assert (verdict.best_index, verdict.best, verdict.wait) == (1, 0.5, 2)


def test_step_carries_the_previous_verdict_on():
    """`best` and `wait` written between entries mean what they mean in Keras:
    the next entry is compared with, and counted from, the written values."""
    rule = StopRule(patience=2)
    values = [1.0, 0.5]
    carried = rule.step(criteria.Verdict(best_index=7, best=0.25, wait=1), values)
    # 0.5 does not beat the written best 0.25: wait 1 + 1 = 2 -> stop.
    assert carried == criteria.Verdict(
        True,
        7,
        0.25,
        2,
        "criterion 'patience': no improvement in 2 epoch(s) (patience=2)",
    )
    # The same history from the start: 0.5 improves, reported at `position`.
    fresh = rule.step(rule.evaluate(values[:1]), values, position=12)
    assert (fresh.stop, fresh.best_index, fresh.best, fresh.wait) == (False, 12, 0.5, 0)
    # Prechelt's E_opt is carried alike: GL against the written best 0.4.
    gl = StopRule("gl", alpha=20.0).step(criteria.Verdict(0, 0, 0.4, 0), [0.5])
    assert gl.stop and gl.reason == "criterion 'gl': GL=25 > alpha=20"


def _scan_patience(values, patience, min_delta, baseline, sign):
    """Keras' loop over a whole history, oriented by `sign` (reference)."""
    best_index, best, wait = None, None, 0
    for index, value in enumerate(values):
        wait += 1
        if best is None or sign * (value - best) < -min_delta:
            best_index, best = index, value
            if sign * (value - baseline) < -min_delta:
                wait = 0
    return best_index, best, wait, wait >= max(patience, 1)


def _scan_gl(values, alpha):
    best_index = min(range(len(values)), key=lambda i: (values[i], i))
    gl = 100 * (values[-1] / values[best_index] - 1)
    return best_index, values[best_index], len(values) - 1 - best_index, gl > alpha


@pytest.mark.parametrize("seed", range(4))
def test_stepping_matches_a_scan_of_the_whole_history(seed):
    rng = np.random.default_rng(seed)
    values = (rng.integers(1, 24, size=40) / 8).tolist()
    for sign, direction in ((1, "min"), (-1, "max")):
        rule = StopRule(direction=direction, patience=3, min_delta=0.125, baseline=1.5)
        verdict = criteria.Verdict()
        for end in range(1, len(values) + 1):
            verdict = rule.step(verdict, values[:end])
            expected = _scan_patience(values[:end], 3, 0.125, 1.5, sign)
            assert (verdict.best_index, verdict.best, verdict.wait) == expected[:3]
            assert verdict.stop == expected[3]
    rule = StopRule("gl", alpha=30.0)
    verdict = criteria.Verdict()
    for end in range(1, len(values) + 1):
        verdict = rule.step(verdict, values[:end])
        expected = _scan_gl(values[:end], 30.0)
        assert (verdict.best_index, verdict.best, verdict.wait) == expected[:3]
        assert verdict.stop == expected[3]


def test_gl_values_and_stop():
    # E_opt = 0.8 from t=1; GL = 100 * (0.85 / 0.8 - 1) = 6.25, then 12.5.
    assert criteria.generalization_loss(0.85, 0.8) == pytest.approx(6.25)
    values = [1.0, 0.8, 0.85, 0.9, 0.7]
    assert first_stop(StopRule("gl", alpha=10.0), values) == 3
    assert first_stop(StopRule("gl", alpha=6.0), values) == 2
    assert first_stop(StopRule("gl", alpha=12.5), values) is None  # not strictly above


def test_pq_values_and_stop():
    # Strips of k = 2 end at t = 1, 3, 5 (0-based).
    val = [1.0, 0.8, 0.88, 0.9, 0.95, 0.96]
    train = [1.0, 0.9, 0.85, 0.84, 0.83, 0.829]
    # t = 3: GL = 100 * (0.9 / 0.8 - 1) = 12.5;
    #        P_2 = 1000 * ((0.85 + 0.84) / (2 * 0.84) - 1) = 5.952...; GL/P = 2.1.
    assert criteria.training_progress([0.85, 0.84]) == pytest.approx(5.952381, rel=1e-6)
    assert first_stop(StopRule("pq", alpha=2.0, strip_length=2), val, train) == 3
    # alpha 3 waits until t = 5: GL = 20, P_2 = 1000 * (1.659 / 1.658 - 1) = 0.603.
    assert first_stop(StopRule("pq", alpha=3.0, strip_length=2), val, train) == 5
    # t = 2 has GL = 10 and GL/P huge, but is not the end of a strip.
    assert first_stop(StopRule("pq", alpha=3.0, strip_length=3), val, train) == 5


def test_pq_flat_training_strip_is_an_infinite_quotient():
    rule = StopRule("pq", alpha=100.0, strip_length=2)
    assert first_stop(rule, [1.0, 1.1], [0.5, 0.5]) == 1  # GL = 10, P = 0
    assert first_stop(rule, [1.0, 0.9], [0.5, 0.5]) is None  # GL = 0, P = 0


def test_up_stops_after_rises_at_successive_strip_ends():
    # k = 2: strip ends at t = 1, 3, 5, 7. UP_2 at t needs E(t) > E(t-2) > E(t-4).
    # t = 3: 3.5 > 4 fails; t = 5: 3.6 > 3.5 but 3.5 > 4 fails;
    # t = 7: 3.9 > 3.6 > 3.5 -> stop. The rise at t = 6 is not at a strip end.
    values = [5.0, 4.0, 3.0, 3.5, 3.2, 3.6, 3.4, 3.9]
    assert first_stop(StopRule("up", strip_length=2, strips=2), values) == 7
    assert first_stop(StopRule("up", strip_length=2, strips=1), values) == 5


def test_source_rule_is_up_with_strips_of_one_epoch():
    # "Stop if the validation loss increases for k epochs", k = 3: rises at
    # t = 2, 3 (then a fall at 4), then at 5, 6, 7: three in a row end at t = 7.
    values = [1.0, 0.9, 0.95, 0.97, 0.96, 0.98, 0.99, 1.0]
    assert first_stop(StopRule("up", strip_length=1, strips=3), values) == 7
    # Patience 3 counts epochs without improvement instead, rises or not.
    assert first_stop(StopRule("patience", patience=3), values) == 4


def test_max_direction_flips_every_rule():
    values = [0.5, 0.75, 0.7, 0.65, 0.8]
    rule = StopRule("patience", direction="max", patience=2)
    assert first_stop(rule, values) == 3
    verdict = rule.evaluate(values[:4])
    assert (verdict.best_index, verdict.best) == (1, 0.75)
    up = StopRule("up", direction="max", strip_length=1, strips=2)
    assert first_stop(up, values) == 3  # fell twice: 0.75 > 0.7 > 0.65
    baseline = StopRule("patience", direction="max", patience=1, baseline=0.7)
    assert first_stop(baseline, [0.5, 0.6, 0.8, 0.75]) == 0


def test_smoothing_is_a_trailing_mean():
    raw = [4.0, 2.0, 3.0, 1.0, 2.0, 0.5, 1.5, 1.25, 1.75, 2.0]
    assert criteria.moving_average(raw, 2)[:4] == [4.0, 3.0, 2.5, 2.0]
    assert first_stop(StopRule(patience=1), raw) == 2
    # Smoothed: 4, 3, 2.5, 2, 1.5, 1.25, 1.0, 1.375 -> first rise at t = 7.
    smoothed = StopRule(patience=1, smoothing_window=2)
    assert first_stop(smoothed, raw) == 7
    verdict = smoothed.evaluate(raw[:8])
    assert (verdict.best_index, verdict.best) == (6, 1.0)


@pytest.mark.parametrize("bad", [NAN, INF, -INF], ids=["nan", "inf", "-inf"])
def test_non_finite_value_stops_at_once_and_is_never_best(bad):
    values = [1.0, bad]
    verdict = StopRule(patience=10).evaluate(values)
    assert verdict.stop and verdict.reason == f"the monitored value is {bad}"
    assert (verdict.best_index, verdict.best) == (0, 1.0)
    kept = StopRule(patience=10, stop_on_nan=False).evaluate(values)
    assert not kept.stop and kept.best_index == 0
    # -inf would be the best of all under a plain minimum.
    assert StopRule("gl", alpha=1.0, stop_on_nan=False).evaluate(values).best == 1.0


def test_first_value_nan_is_not_best():
    verdict = StopRule(patience=5, stop_on_nan=False).evaluate([NAN, 2.0, 1.0])
    assert (verdict.best_index, verdict.best, verdict.wait) == (2, 1.0, 0)


def test_reasons_name_the_criterion():
    verdict = StopRule("gl", alpha=10.0).evaluate([1.0, 0.8, 0.9])
    assert verdict.reason == "criterion 'gl': GL=12.5 > alpha=10"
    verdict = StopRule(patience=1).evaluate([1.0, 2.0])
    assert verdict.reason == (
        "criterion 'patience': no improvement in 1 epoch(s) (patience=1)"
    )


@pytest.mark.parametrize(
    "call,message",
    [
        (
            lambda: criteria.generalization_loss(1.0, -0.5),
            "Prechelt's GL needs positive values of the monitored quantity. "
            "Received: a best value of -0.5",
        ),
        (
            lambda: criteria.training_progress([0.5, 0.0]),
            "Prechelt's training progress needs positive training losses. "
            "Received: a minimum of 0.0 over the strip",
        ),
    ],
    ids=["gl", "pq"],
)
def test_prechelt_needs_positive_values(call, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        call()
