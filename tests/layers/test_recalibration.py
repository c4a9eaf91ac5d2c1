"""recalibrate_batch_norm: exact cumulative averages, no side effects."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasreg.layers import BatchNormalization, Dropout, recalibrate_batch_norm

RNG = np.random.default_rng(0)
DATA = (RNG.normal(size=(100, 3)) * [1.0, 2.0, 3.0] + [0.0, 1.0, -2.0]).astype(
    "float32"
)


def _model(batch_norm, **kwargs):
    return keras.Sequential(
        [keras.Input((3,)), batch_norm(momentum=0.9, **kwargs), Dropout(0.5, seed=0)]
    )


def _expected(batches):
    counts = np.array([len(b) for b in batches], "float64")
    mean = sum(n * b.mean(0) for n, b in zip(counts, batches, strict=True))
    variance = sum(n * b.var(0) for n, b in zip(counts, batches, strict=True))
    return mean / counts.sum(), variance / counts.sum()


@pytest.mark.parametrize(
    "batch_norm",
    [BatchNormalization, keras.layers.BatchNormalization],
    ids=["kerasreg_bn", "keras_bn"],
)
def test_statistics_are_count_weighted_batch_averages(batch_norm):
    model = _model(batch_norm)
    seed_state = keras.ops.convert_to_numpy(model.layers[1].seed_generator.state)
    seen = recalibrate_batch_norm(model, DATA, batch_size=32)  # 32, 32, 32, 4
    assert seen == 100
    mean, variance = _expected([DATA[i : i + 32] for i in range(0, 100, 32)])
    layer = model.layers[0]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.moving_mean), mean, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.moving_variance), variance, rtol=1e-5
    )
    assert layer.momentum == 0.9
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(model.layers[1].seed_generator.state), seed_state
    )


def test_dataset_steps_and_frozen_layers():
    model = _model(BatchNormalization)
    model.layers[0].trainable = False
    dataset = tf.data.Dataset.from_tensor_slices((DATA, DATA)).batch(25)
    assert recalibrate_batch_norm(model, dataset, steps=2) == 50
    mean, variance = _expected([DATA[:25], DATA[25:50]])
    layer = model.layers[0]
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.moving_mean), mean, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.moving_variance), variance, rtol=1e-5
    )
    assert layer.trainable is False


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: recalibrate_batch_norm(
                keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="m"),
                DATA,
            ),
            "Invalid value for argument `model`. Expected a built model with "
            "BatchNormalization layers. Received: model='m'",
        ),
        (
            lambda: recalibrate_batch_norm(_model(BatchNormalization), DATA, steps=0),
            "Invalid value for argument `steps`. Expected an int in [1, inf]. "
            "Received: steps=0",
        ),
        (
            lambda: recalibrate_batch_norm(_model(BatchNormalization), []),
            "Invalid value for argument `data`. Expected at least one batch. "
            "Received: data='list'",
        ),
    ],
    ids=["no_bn", "steps", "empty"],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
