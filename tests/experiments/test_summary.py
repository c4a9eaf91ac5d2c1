"""A configuration's runs summarized: means with 95% intervals over seeds."""

import math

import pytest

from kerasreg.experiments.summary import summarize
from tests.experiments._results import make_run

# Student's t quantile t(0.975, 2), from the tables.
T_2 = 4.302652729749


def test_means_and_intervals_over_the_seeds():
    runs = [
        make_run("EarlyStopping", 0, test=0.90, best_epoch=4, epochs=9),
        make_run("EarlyStopping", 1, test=0.92, best_epoch=5, epochs=10),
        make_run("EarlyStopping", 2, test=0.94, epochs=14, zeros=0.3),
    ]
    summary = summarize(runs)
    assert summary.technique == "EarlyStopping" and summary.seeds == 3
    # Sample deviation 0.02 over 3 seeds: half-width t · 0.02 / sqrt(3).
    half_width = T_2 * 0.02 / math.sqrt(3)
    assert summary.test_accuracy.mean == pytest.approx(0.92)
    assert summary.test_accuracy.half_width == pytest.approx(half_width)
    assert summary.test_accuracy.low == pytest.approx(0.92 - half_width)
    # Train accuracy 0.99 each: the gap's spread is the test accuracy's.
    assert summary.gap.mean == pytest.approx(0.07)
    assert summary.gap.half_width == pytest.approx(half_width)
    assert summary.train_accuracy.half_width == pytest.approx(0.0)
    assert summary.zero_fraction.mean == pytest.approx(0.1)
    assert summary.epochs_run == 11.0
    # The run that never stopped early has no best epoch to average.
    assert summary.best_epoch == 4.5
    assert summary.wall_time == 1.0


def test_one_seed_has_no_interval():
    summary = summarize([make_run("none", test=0.9)])
    assert summary.seeds == 1 and summary.test_accuracy.mean == 0.9
    assert math.isnan(summary.test_accuracy.low)
    assert math.isnan(summary.test_accuracy.half_width)
    assert summary.best_epoch is None
