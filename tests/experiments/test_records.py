"""The records of a trial: a run and a path travel as keras-tuner metrics and
back."""

import math

import pytest

from kerasreg.experiments.records import (
    HISTOGRAM_BINS,
    PathPoint,
    Run,
    kernel_histogram,
    path_from_metrics,
    path_to_metrics,
    recommended_point,
)


def _run(**changes):
    fields = {
        "technique": "L1",
        "seed": 1,
        "train_accuracy": 0.99,
        "val_accuracy": 0.95,
        "test_accuracy": 0.93,
        "val_loss": 0.2,
        "epochs_run": 3,
        "best_epoch": None,
        "stopped_epoch": None,
        "zero_fraction": 0.25,
        "first_zero_fraction": 0.5,
        "wall_time": 1.5,
        "history": {"loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.6, 0.4]},
        "kernel_limit": 0.3,
        "kernel_histogram": tuple(range(HISTOGRAM_BINS)),
    }
    return Run(**{**fields, **changes})


@pytest.mark.parametrize("epochs", [{}, {"best_epoch": 2, "stopped_epoch": 3}])
def test_a_run_travels_as_metrics_and_back(epochs):
    run = _run(**epochs)
    metrics = run.to_metrics()
    assert all(isinstance(v, float) and not math.isnan(v) for v in metrics.values())
    assert Run.from_metrics("L1", 1, metrics) == run


def test_a_path_travels_as_metrics_and_back():
    points = [
        PathPoint(
            0.1 / 3**i,
            {"val_accuracy": 0.8 + i / 100, "val_loss": 0.5 - i / 10},
            0.9 - i / 10,
        )
        for i in range(3)
    ]
    metrics = path_to_metrics(points)
    assert metrics["val_loss"] == min(p.measures["val_loss"] for p in points)
    assert path_from_metrics(metrics) == points


def test_a_path_s_kept_features_travel_as_metrics_and_back():
    # None: not counted (an image, a diverged fit); () every feature dropped.
    kept = [(0, 3, 11), (), None, tuple(range(12))]
    points = [
        PathPoint(1.0 / (i + 1), {"val_accuracy": 0.9, "val_loss": 0.3}, 0.5, k)
        for i, k in enumerate(kept)
    ]
    metrics = path_to_metrics(points)
    assert all(isinstance(v, float) for v in metrics.values())
    assert metrics["path/00/features_kept"] == 3.0
    assert metrics["path/00/features/00002"] == 11.0
    assert "path/02/features_kept" not in metrics
    assert path_from_metrics(metrics) == points
    assert points[0].to_json()["features"] == [0, 3, 11]
    assert points[1].to_json()["features_kept"] == 0


def test_a_path_point_reads_as_one_flat_json_object():
    point = PathPoint(1e-3, {"val_loss": 0.5, "val_accuracy": 0.9}, 0.25)
    assert point.to_json() == {
        "strength": 1e-3,
        "val_accuracy": 0.9,
        "val_loss": 0.5,
        "zero_share": 0.25,
    }
    assert list(point.to_json()) == [
        "strength",
        "val_accuracy",
        "val_loss",
        "zero_share",
    ]


@pytest.mark.parametrize(
    "kernel, limit, total",
    [
        ([-2.0, 0.0, 2.0], 2.0, 3),
        ([math.nan, 1.0, -0.5], 1.0, 2),
        ([math.inf, -math.inf, 0.25], 0.25, 1),
        ([math.nan, math.nan], 1.0, 0),
        ([0.0, 0.0], 1.0, 2),
    ],
    ids=["finite", "nan-left-out", "inf-left-out", "all-nan", "all-zero"],
)
def test_kernel_histogram_counts_the_finite_weights(kernel, limit, total):
    got_limit, counts = kernel_histogram(kernel)
    assert got_limit == limit
    assert len(counts) == HISTOGRAM_BINS and sum(counts) == total


def _point(strength, accuracy, loss=0.3):
    return PathPoint(strength, {"val_accuracy": accuracy, "val_loss": loss}, 0.0)


@pytest.mark.parametrize(
    "points, index",
    [
        ([_point(1.0, 0.5), _point(0.1, 0.905), _point(0.01, 0.91)], 1),
        ([_point(1.0, 0.91), _point(0.1, 0.5)], 0),
        # A diverged fit is never recommended, and sets no "best".
        ([_point(1.0, 0.99, math.inf), _point(0.1, 0.9), _point(0.01, 0.8)], 1),
        ([_point(1.0, 0.1, math.inf)], None),
    ],
    ids=["within-one-point", "strongest-best", "diverged-skipped", "all-diverged"],
)
def test_recommended_point_is_the_strongest_as_good_as_the_best(points, index):
    assert recommended_point(points) == index


@pytest.mark.parametrize(
    "history, sent",
    [([0.5, math.nan], [0.5, math.inf]), ([math.inf], [math.inf])],
    ids=["nan", "inf"],
)
def test_a_diverged_history_travels_as_inf(history, sent):
    run = _run(history={"loss": history}, val_loss=math.inf)
    metrics = run.to_metrics()
    assert [metrics[f"history/loss/{i:04d}"] for i in range(len(sent))] == sent
    back = Run.from_metrics("L1", 1, metrics)
    assert back.diverged and back.to_json()["diverged"] is True
