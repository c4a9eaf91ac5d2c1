"""Every private Keras name kerasreg uses still means what kerasreg expects."""

import keras
import numpy as np
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


class _StartAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_train_begin(self, logs=None):
        _keras_private.set_initial_epoch(self.model, self.epoch)


def test_set_initial_epoch_chooses_where_fit_starts():
    # BackupAndRestore resumes through it; if Keras renames `_initial_epoch`,
    # fit starts at epoch 0 and this fails.
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[_StartAt(3)])
    assert history.epoch == [3, 4]
    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[_StartAt(None)])
    assert history.epoch == [0, 1, 2, 3, 4]
