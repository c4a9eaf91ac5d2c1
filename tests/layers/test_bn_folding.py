"""fold_batch_norm: equal inference outputs, fewer layers."""

import re

import keras
import numpy as np
import pytest

from kerasreg.layers import BatchNormalization, fold_batch_norm

RNG = np.random.default_rng(0)


def _randomize_statistics(model):
    for layer in model.layers:
        if isinstance(layer, (BatchNormalization, keras.layers.BatchNormalization)):
            layer.set_weights(
                [RNG.uniform(0.5, 1.5, size=w.shape) for w in layer.get_weights()]
            )


def _assert_same_inference(model, folded, x):
    expected = keras.ops.convert_to_numpy(model(x, training=False))
    actual = keras.ops.convert_to_numpy(folded(x, training=False))
    # Within 1e-5 relative to the output scale (folding reorders float32 math).
    np.testing.assert_allclose(actual, expected, atol=1e-5 * np.abs(expected).max())


def _names(model):
    return [type(layer).__name__ for layer in model.layers]


CONVS = {
    "Dense": (lambda: keras.layers.Dense(5), (7,)),
    "Conv1D": (lambda: keras.layers.Conv1D(5, 3, use_bias=False), (9, 2)),
    "Conv2D": (lambda: keras.layers.Conv2D(5, 3, padding="same"), (6, 6, 2)),
    "Conv3D": (lambda: keras.layers.Conv3D(5, 2), (4, 4, 4, 2)),
    "Depthwise": (
        lambda: keras.layers.DepthwiseConv2D(3, depth_multiplier=2),
        (6, 6, 3),
    ),
}


@pytest.mark.parametrize("kind", list(CONVS), ids=list(CONVS))
@pytest.mark.parametrize(
    "batch_norm",
    [BatchNormalization, keras.layers.BatchNormalization],
    ids=["kerasreg_bn", "keras_bn"],
)
def test_sequential_folds_each_foldable_layer(kind, batch_norm):
    make, shape = CONVS[kind]
    model = keras.Sequential(
        [keras.Input(shape), make(), batch_norm(), keras.layers.ReLU()]
    )
    _randomize_statistics(model)
    folded = fold_batch_norm(model)
    assert isinstance(folded, keras.Sequential)
    assert "BatchNormalization" not in _names(folded)
    x = RNG.normal(size=(3, *shape)).astype("float32")
    _assert_same_inference(model, folded, x)


def test_functional_keeps_bns_that_cannot_fold():
    inputs = keras.Input((6, 6, 3))
    conv = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    folded_bn = BatchNormalization()(conv)  # folds
    relu = keras.layers.Conv2D(4, 1, activation="relu")(folded_bn)
    after_relu = BatchNormalization()(relu)  # activation is not linear
    shared = keras.layers.Conv2D(4, 1)(after_relu)
    branch = BatchNormalization()(shared)  # its conv output is used twice
    outputs = keras.layers.Add()([branch, shared])
    outputs = BatchNormalization(axis=1)(keras.layers.Conv2D(4, 1)(outputs))
    model = keras.Model(inputs, outputs)  # last BN: not the channel axis
    _randomize_statistics(model)
    folded = fold_batch_norm(model)
    assert _names(folded).count("BatchNormalization") == 3
    x = RNG.normal(size=(2, 6, 6, 3)).astype("float32")
    _assert_same_inference(model, folded, x)


def test_bn_as_model_output_folds_and_original_is_unchanged():
    inputs = keras.Input((4,))
    outputs = BatchNormalization(center=False)(keras.layers.Dense(3)(inputs))
    model = keras.Model(inputs, outputs)
    _randomize_statistics(model)
    before = [w.copy() for w in model.get_weights()]
    folded = fold_batch_norm(model)
    assert _names(folded) == ["InputLayer", "Dense"]
    _assert_same_inference(model, folded, RNG.normal(size=(5, 4)).astype("float32"))
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_subclassed_model_is_rejected():
    class Net(keras.Model):
        def call(self, x):
            return x

    message = (
        "Invalid value for argument `model`. Expected a functional or Sequential "
        "Keras model. Received: model='net'"
    )
    with pytest.raises(TypeError, match=re.escape(message)):
        fold_batch_norm(Net(name="net"))
