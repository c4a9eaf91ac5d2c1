"""What EarlyStopping monitors: the direction of a metric, Keras' `monitor_op`."""

import re

import keras
import numpy as np
import pytest

from kerasreg.callbacks import _monitor
from tests.contracts import invalid_argument_message


class _OwnTrainStep(keras.Model):
    """A model whose `metrics` are its own, not those `compile` makes."""

    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(1)
        self.accuracy = keras.metrics.BinaryAccuracy(name="acc")

    def call(self, x):
        return self.dense(x)

    @property
    def metrics(self):
        return [self.accuracy]


def test_infers_the_direction_of_a_model_s_own_metrics_where_keras_cannot():
    model = _OwnTrainStep()
    assert _monitor.infer_direction(model, "val_acc", "patience") == "max"
    assert _monitor.infer_direction(model, "val_loss", "patience") == "min"
    # Keras' own inference looks only among the metrics `compile` made.
    keras_stop = keras.callbacks.EarlyStopping(monitor="val_acc")
    keras_stop.set_model(model)
    with pytest.raises(ValueError, match="isn't able to automatically determine"):
        keras_stop.on_epoch_end(0, {"val_acc": 0.5})


def test_a_direction_that_cannot_be_inferred_is_an_error():
    message = invalid_argument_message(
        "mode",
        "auto",
        "'min' or 'max', because the direction of `val_acc2` cannot be inferred",
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _monitor.infer_direction(_OwnTrainStep(), "val_acc2", "patience")


@pytest.mark.parametrize(
    "op,direction",
    [
        (keras.ops.less, "min"),
        (np.less, "min"),
        (keras.ops.greater, "max"),
        (np.greater, "max"),
        (None, None),
    ],
    ids=["less", "np_less", "greater", "np_greater", "none"],
)
def test_monitor_op_and_direction_stand_for_each_other(op, direction):
    assert _monitor.direction_of(op) == direction
    keras_op = {"min": keras.ops.less, "max": keras.ops.greater}.get(direction)
    assert _monitor.comparison(direction) is keras_op
