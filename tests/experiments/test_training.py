"""One trial: build, train and what it measures."""

import math

import keras
import numpy as np
import pytest

from kerasreg.experiments.data import as_dataset
from kerasreg.experiments.techniques import Setting
from kerasreg.experiments.training import Trainer

# The trainer feeds Keras through tf.data.
pytestmark = pytest.mark.tensorflow_only


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
