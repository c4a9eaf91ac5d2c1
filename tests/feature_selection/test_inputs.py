"""The input-group penalty's placement, row norms and the inputs kept."""

import re

import keras
import numpy as np
import pytest

import kerasreg
from kerasreg.feature_selection import (
    input_layer,
    input_norms,
    penalize_inputs,
    selected_features,
)
from tests.contracts import invalid_argument_message


def _model(kernel):
    model = keras.Sequential(
        [
            keras.Input((kernel.shape[0],)),
            keras.layers.Dense(kernel.shape[1], name="first"),
            keras.layers.Dense(1, name="head"),
        ]
    )
    first = model.get_layer("first")
    first.kernel.assign(kernel)
    return model


KERNEL = np.array([[1.0, 0.0], [0.0, 0.0], [3.0, -4.0]], "float32")


def test_input_norms_are_the_rows_norms():
    np.testing.assert_allclose(input_norms(_model(KERNEL)), [1.0, 0.0, 5.0])


def test_selected_features_by_index_and_name():
    model = _model(KERNEL)
    assert selected_features(model) == [0, 2]
    assert selected_features(model, ("a", "b", "c")) == ["a", "c"]


def test_input_layer_is_found_inside_a_nested_model():
    inner = _model(KERNEL)
    outer = keras.Sequential([keras.Input((3,)), inner])
    assert input_layer(outer) is inner.get_layer("first")


def test_penalize_inputs_places_group_lasso_on_the_rows():
    model = _model(KERNEL)
    penalty = penalize_inputs(model, 0.5)
    first = model.get_layer("first")
    assert first.kernel.regularizer is penalty
    assert model.get_layer("head").kernel.regularizer is None
    assert penalty.get_config() == {"strength": 0.5, "axis": 0}
    # strength · Σ_j ‖W[j, :]‖₂ = 0.5 · (1 + 0 + 5)
    np.testing.assert_allclose(float(sum(model.losses)), 3.0, rtol=1e-6)


def test_proximal_zeroes_whole_rows_of_an_irrelevant_input():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 3)).astype("float32")
    y = x[:, :1] * 2.0
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, "tanh")])
    model.add(keras.layers.Dense(1))
    penalize_inputs(model, 0.05)
    optimizer = kerasreg.optimizers.Proximal(keras.optimizers.SGD(0.1))
    model.compile(optimizer, "mse", steps_per_execution=30)
    model.optimizer.build(model.trainable_variables)
    xs, ys = np.tile(x, (30, 1)), np.tile(y, (30, 1))  # 30 full-batch steps a call
    model.fit(xs, ys, batch_size=256, epochs=10, shuffle=False, verbose=0)
    kernel = keras.ops.convert_to_numpy(input_layer(model).kernel)
    assert selected_features(model) == [0]
    assert np.all(kernel[1:] == 0.0)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: input_layer("model"),
            TypeError,
            invalid_argument_message("model", "model", "a keras.Model"),
        ),
        (
            lambda: selected_features(_model(KERNEL), ["a", "b"]),
            ValueError,
            invalid_argument_message(
                "feature_names",
                ["a", "b"],
                "a sequence of 3 distinct feature names, or None",
            ),
        ),
        (
            lambda: selected_features(_model(KERNEL), "abc"),
            TypeError,
            invalid_argument_message(
                "feature_names",
                "abc",
                "a sequence of 3 distinct feature names, or None",
            ),
        ),
        (
            lambda: penalize_inputs(_model(KERNEL), -1.0),
            ValueError,
            invalid_argument_message("strength", -1.0, "a finite float in [0, inf)"),
        ),
    ],
    ids=["not-a-model", "names-count", "names-string", "negative-strength"],
)
def test_bad_input(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_a_model_without_dense_is_refused():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Activation("relu")])
    with pytest.raises(ValueError, match=re.escape("a model with a Dense layer")):
        input_layer(model)
