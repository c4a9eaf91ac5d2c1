"""DropBlock2D: blocks, expectation, formats, validation."""

import re

import keras
import numpy as np
import pytest

from kerasreg.layers import DropBlock2D


def test_rate_zero_and_inference_are_identity():
    x = np.ones((2, 6, 6, 3), "float32")
    for layer, training in ((DropBlock2D(0.0, 3), True), (DropBlock2D(0.3, 3), False)):
        y = layer(x, training=training)
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(y), x)


def test_drops_about_rate_and_preserves_the_sum():
    rate = 0.2
    x = np.ones((64, 16, 16, 4), "float32")
    y = keras.ops.convert_to_numpy(DropBlock2D(rate, 3, seed=0)(x, training=True))
    dropped = (y == 0).mean()
    # Overlapping blocks make the dropped share a little less than rate.
    assert 0.12 < dropped <= rate + 0.02
    np.testing.assert_allclose(y.sum(), x.sum(), rtol=1e-5)
    assert len(np.unique(y)) == 2  # 0 and one common scale


def test_block_size_one_is_dropout_with_batch_normalization_of_scale():
    x = np.ones((32, 8, 8, 2), "float32")
    y = keras.ops.convert_to_numpy(DropBlock2D(0.5, 1, seed=1)(x, training=True))
    assert 0.45 < (y == 0).mean() < 0.55


def test_channels_first_drops_square_blocks_per_channel():
    x = np.ones((1, 2, 9, 9), "float32")
    layer = DropBlock2D(0.1, 3, seed=4, data_format="channels_first")
    y = keras.ops.convert_to_numpy(layer(x, training=True))
    assert y.shape == x.shape
    for channel in y[0]:
        rows, cols = np.nonzero(channel == 0)
        # every dropped unit belongs to a full 3x3 dropped square
        for r, c in zip(rows, cols, strict=True):
            assert any(
                np.all(channel[r0 : r0 + 3, c0 : c0 + 3] == 0)
                for r0 in range(max(r - 2, 0), min(r, 6) + 1)
                for c0 in range(max(c - 2, 0), min(c, 6) + 1)
            )


def _channels_last_reference(seed):
    """A seeded channels-last layer's output on X_LAST, moved to channels first:
    both formats draw the same noise, so the masks agree."""
    y = DropBlock2D(0.3, 2, seed=seed, data_format="channels_last")(
        X_LAST, training=True
    )
    return np.transpose(keras.ops.convert_to_numpy(y), (0, 3, 1, 2))


X_LAST = np.random.default_rng(5).uniform(1, 2, size=(4, 6, 7, 3)).astype("float32")
X_FIRST = np.transpose(X_LAST, (0, 3, 1, 2))


def test_channels_first_in_a_model_matches_channels_last():
    inputs = keras.Input(X_FIRST.shape[1:])
    layer = DropBlock2D(0.3, 2, seed=6, data_format="channels_first")
    model = keras.Model(inputs, layer(inputs))
    assert model.output_shape == (None, *X_FIRST.shape[1:])
    y = keras.ops.convert_to_numpy(model(X_FIRST, training=True))
    np.testing.assert_allclose(y, _channels_last_reference(6), rtol=1e-6)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(X_FIRST)), X_FIRST)


@pytest.mark.tensorflow_only
def test_channels_first_in_tf_data_matches_channels_last():
    import tensorflow as tf

    layer = DropBlock2D(0.3, 2, seed=7, data_format="channels_first")
    dataset = tf.data.Dataset.from_tensors(X_FIRST).map(
        lambda x: layer(x, training=True)
    )
    y = next(iter(dataset)).numpy()
    np.testing.assert_allclose(y, _channels_last_reference(7), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, shape, message",
    [
        (
            {"rate": 0.1, "block_size": 0},
            None,
            "Invalid value for argument `block_size`. Expected an int in "
            "[1, inf]. Received: block_size=0",
        ),
        (
            {"rate": 0.1, "block_size": 3, "data_format": "nhwc"},
            None,
            "Invalid value for argument `data_format`. Expected one of "
            "'channels_last', 'channels_first'. Received: data_format='nhwc'",
        ),
        (
            {"rate": 0.1, "block_size": 3, "data_format": ""},
            None,
            "Invalid value for argument `data_format`. Expected one of "
            "'channels_last', 'channels_first'. Received: data_format=''",
        ),
        (
            {"rate": 0.1, "block_size": 5},
            (1, 4, 6, 1),
            "Invalid value for argument `block_size`. Expected an int in [1, 4] "
            "for feature maps of size (4, 6). Received: block_size=5",
        ),
        (
            {"rate": 0.1, "block_size": 2},
            (1, 4, 1),
            "Invalid value for argument `inputs`. Expected a 4D tensor. "
            "Received: inputs='a tensor of shape (1, 4, 1)'",
        ),
    ],
    ids=["block0", "format", "empty_format", "too_big", "rank"],
)
def test_bad_arguments_are_named(kwargs, shape, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        layer = DropBlock2D(**kwargs)
        layer(np.ones(shape, "float32"), training=True)
