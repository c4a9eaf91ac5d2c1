"""One trial: its results as keras-tuner metrics and back, and what it measures."""

import math

import keras
import numpy as np
import pytest

from kerasreg.experiments.data import as_dataset
from kerasreg.experiments.techniques import Setting
from kerasreg.experiments.training import (
    HISTOGRAM_BINS,
    PathPointRecord,
    Run,
    Trainer,
    path_from_metrics,
    path_to_metrics,
)

# The trainer feeds Keras through tf.data.
pytestmark = pytest.mark.tensorflow_only


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
        PathPointRecord(0.1 / 3**i, 0.8 + i / 100, 0.5 - i / 10, 0.9 - i / 10)
        for i in range(3)
    ]
    metrics = path_to_metrics(points)
    assert metrics["val_loss"] == min(p.val_loss for p in points)
    assert path_from_metrics(metrics) == points


def _trainer(build_model, **changes):
    rng = np.random.default_rng(0)
    x = rng.random((60, 4, 4, 1), dtype="float32")
    fields = {
        "build_model": build_model,
        "data": as_dataset((x, np.arange(60) % 3)),
        "loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        "optimizer": lambda lr: keras.optimizers.SGD(lr),
        "augmentation": None,
        "batch_size": 16,
    }
    return Trainer(**{**fields, **changes})


def _mlp(switches):
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(8, kernel_regularizer=switches.kernel_regularizer)(x)
    return keras.Model(inputs, keras.layers.Dense(3)(switches.dropout(x)))


def test_validation_loss_is_the_data_loss_without_the_penalty():
    trainer = _trainer(_mlp)
    model = trainer.model(Setting(penalty="L2", strength=10.0), 0.1, seed=0)
    assert model.losses  # the penalty is there...
    loss, accuracy = trainer.evaluate(model)
    data = trainer.data
    expected = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
        data.y_val, model(data.x_val)
    )
    # ...but the validation loss the choices rest on is the data loss alone.
    assert loss == pytest.approx(float(expected), rel=1e-6)
    predictions = np.argmax(keras.ops.convert_to_numpy(model(data.x_val)), axis=-1)
    assert accuracy == np.mean(predictions == data.y_val)


def test_a_diverged_run_has_infinite_validation_loss():
    trainer = _trainer(_mlp)
    model = trainer.model(Setting(), 0.1, seed=0)
    model.set_weights(
        [np.full(w.shape, np.nan, "float32") for w in model.get_weights()]
    )
    assert trainer.evaluate(model)[0] == math.inf


def test_run_measures_epochs_zeros_and_histogram():
    trainer = _trainer(_mlp)
    values = {**Setting(penalty="L1", strength=0.05).values(), "seed": 0}
    values.update(learning_rate=0.5, epochs=3, path="")
    run = trainer.run(values)
    assert run.epochs_run == 3 and len(run.history["val_loss"]) == 3
    assert sum(run.kernel_histogram) == 16 * 8
    # Proximal's soft-threshold gives exact zeros, counted over every kernel.
    model_zeros = run.zero_fraction
    assert 0.0 < model_zeros <= 1.0
