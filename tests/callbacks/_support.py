"""Shared pieces of the callback tests: tiny models, scripted logs, a driver."""

import keras
import numpy as np


def tiny_model(seed=0):
    """A small compiled regression model, built, with deterministic weights."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    return model


def regression_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [0.0]], "float32")).astype("float32")
    return x, y


class ScriptedLogs(keras.callbacks.Callback):
    """Overwrite `logs[key]` with `values[epoch]`: a known monitored sequence.

    Placed before the callback under test, which reads the same logs dict.
    """

    def __init__(self, values, key="val_loss"):
        super().__init__()
        self.values, self.key = list(values), key

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class WeightsLog(keras.callbacks.Callback):
    """Record the model's weights at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.weights = {}

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch] = [v.numpy() for v in self.model.weights]


def drive(callback, values, key="val_loss", model=None, train_losses=None):
    """Feed `values` to `callback` as fit would, without fit; return the stop epoch."""
    model = model or tiny_model()
    model.stop_training = False
    callback.set_model(model)
    callback.on_train_begin()
    stopped = None
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        logs = {key: value}
        if train_losses is not None:
            logs["loss"] = train_losses[epoch]
        callback.on_epoch_end(epoch, logs)
        if model.stop_training:
            stopped = epoch
            break
    callback.on_train_end()
    return stopped


def assert_weights_equal(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        np.testing.assert_array_equal(a, e)
