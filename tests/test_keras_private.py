"""Every private Keras name kerasreg uses still means what kerasreg expects."""

import keras
import pytest

from kerasreg import _keras_private


@pytest.mark.parametrize(
    "metric,expected",
    [
        (keras.metrics.Accuracy(), "max"),
        (keras.metrics.AUC(), "max"),
        (keras.metrics.F1Score(), "max"),
        (keras.metrics.MeanSquaredError(), "min"),
        (keras.metrics.Hinge(), "min"),
        (keras.metrics.Mean(), None),
    ],
    ids=["accuracy", "auc", "f1", "mse", "hinge", "mean"],
)
def test_metric_direction_reads_keras_private_direction(metric, expected):
    # Keras' own callbacks infer mode="auto" from `_direction`; if Keras drops
    # or renames it, the "max" metrics above stop reporting their direction.
    assert _keras_private.metric_direction(metric) == expected
    marked = getattr(metric, "_direction", None)
    assert marked in ({"max": "up", "min": "down"}.get(expected), None)
