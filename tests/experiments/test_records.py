"""The records of a trial: a run and a path travel as keras-tuner metrics and
back."""

import math

import pytest

from kerasreg.experiments.records import (
    HISTOGRAM_BINS,
    PathPoint,
    Run,
    path_from_metrics,
    path_to_metrics,
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
