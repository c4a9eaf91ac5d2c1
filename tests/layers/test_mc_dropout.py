"""mc_predict and always_on: Monte Carlo dropout."""

import re

import keras
import numpy as np
import pytest

from kerasreg.layers import Dropout, StochasticDepth, mc_predict

X = np.random.default_rng(0).normal(size=(10, 4)).astype("float32")


def _model(rate=0.5):
    return keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(16, activation="relu"),
            Dropout(rate, seed=1),
            keras.layers.Dense(2),
        ]
    )


def test_mean_and_std_over_samples_and_flags_restored():
    model = _model()
    before = model.predict(X, verbose=0)
    mean, std = mc_predict(model, X, samples=400, batch_size=4)
    assert mean.shape == std.shape == (10, 2)
    assert mean.dtype == np.float32
    assert np.all(std > 0)
    # Inverted dropout keeps the expectation of the last linear layer: the
    # MC mean is near the deterministic output (400 draws, within 5 sd).
    np.testing.assert_array_less(np.abs(mean - before), 5 * std / np.sqrt(400) + 1e-6)
    assert model.layers[1].always_on is False
    np.testing.assert_array_equal(model.predict(X, verbose=0), before)


def test_rate_zero_layers_do_not_count():
    message = (
        "Invalid value for argument `model`. Expected a model with kerasreg "
        "Dropout, DropBlock2D or StochasticDepth layers of rate > 0. "
        "Received: model='plain'"
    )
    model = _model(rate=0.0)
    model.name = "plain"
    with pytest.raises(ValueError, match=re.escape(message)):
        mc_predict(model, X)


def test_samples_are_independent_within_one_pass():
    inputs = keras.Input((4,))
    outputs = StochasticDepth(0.5, seed=3)(inputs)
    model = keras.Model(inputs, outputs)
    x = np.ones((1, 4), "float32")
    mean, std = mc_predict(model, x, samples=2000)
    # Each draw is 0 or 2: mean 1, std 1 (5 binomial sd: 5 * 1 / sqrt(2000)).
    np.testing.assert_allclose(mean, 1.0, atol=0.12)
    np.testing.assert_allclose(std, 1.0, atol=0.01)


def test_always_on_layer_drops_in_predict():
    model = keras.Sequential([keras.Input((100,)), Dropout(0.5, always_on=True)])
    y = model.predict(np.ones((2, 100), "float32"), verbose=0)
    assert 0 < (y == 0).mean() < 1


class _Spy(keras.layers.Layer):
    """Records the dropout layers' `always_on` flags each time it runs."""

    def __init__(self, watched, **kwargs):
        super().__init__(**kwargs)
        self.watched = watched
        self.seen = []

    def call(self, inputs):
        self.seen.append([layer.always_on for layer in self.watched])
        return inputs


def test_the_model_is_left_as_it_is():
    model = _model()
    dropout = model.layers[1]
    spy = _Spy([dropout])
    wrapped = keras.Sequential([model, spy])
    wrapped.predict(X, verbose=0)
    predict_function = wrapped.predict_function
    mc_predict(wrapped, X, samples=3)
    assert spy.seen and not any(any(flags) for flags in spy.seen)
    assert wrapped.predict_function is predict_function
    assert dropout.always_on is False


def test_a_predict_in_another_thread_meanwhile_is_deterministic():
    import threading

    model = _model()
    expected = keras.ops.convert_to_numpy(model(X, training=False))
    done = threading.Event()
    failures = []

    def monte_carlo():
        try:
            for _ in range(20):
                mc_predict(model, X, samples=50, batch_size=5)
        finally:
            done.set()

    def predict():
        calls = 0
        while not done.is_set() or calls < 5:
            y = keras.ops.convert_to_numpy(model(X, training=False))
            calls += 1
            if not np.array_equal(y, expected):
                failures.append(calls)

    threads = [threading.Thread(target=monte_carlo), threading.Thread(target=predict)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    np.testing.assert_array_equal(model.predict(X, verbose=0), expected)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"model": "model.keras", "x": X},
            TypeError,
            "Invalid value for argument `model`. Expected a Keras model. "
            "Received: model='str'",
        ),
        (
            {"x": np.zeros((0, 4), "float32")},
            ValueError,
            "Invalid value for argument `x`. Expected a NumPy array, or a list or "
            "dict of them, of one number (>= 1) of rows. "
            "Received: x='float32 array of shape (0, 4)'",
        ),
        (
            {"x": [X, X[:3]]},
            ValueError,
            "Invalid value for argument `x`. Expected a NumPy array, or a list or "
            "dict of them, of one number (>= 1) of rows. Received: "
            "x='float32 array of shape (10, 4), float32 array of shape (3, 4)'",
        ),
        (
            {"x": "inputs.npy"},
            ValueError,
            "Invalid value for argument `x`. Expected a NumPy array, or a list or "
            "dict of them, of one number (>= 1) of rows. "
            "Received: x='<U10 array of shape ()'",
        ),
        (
            {"x": X, "samples": 0},
            ValueError,
            "Invalid value for argument `samples`. Expected an int in [1, inf]. "
            "Received: samples=0",
        ),
        (
            {"x": X, "samples": 2.0},
            TypeError,
            "Invalid value for argument `samples`. Expected an int. "
            "Received: samples=2.0",
        ),
    ],
    ids=["model", "empty", "rows", "string", "samples0", "samples_float"],
)
def test_bad_arguments_are_named(kwargs, error, message):
    kwargs = {"model": _model(), **kwargs}
    with pytest.raises(error, match=re.escape(message)):
        mc_predict(**kwargs)


def _two_inputs():
    inputs = {"a": keras.Input((4,), name="a"), "b": keras.Input((2,), name="b")}
    joined = keras.layers.Concatenate()([inputs["a"], inputs["b"]])
    return keras.Model(inputs, keras.layers.Dense(1)(Dropout(0.5, seed=1)(joined)))


@pytest.mark.parametrize(
    "model,x,described,expected",
    [
        (_model, np.ones((3, 5), "f4"), "float32 array of shape (3, 5)", "(None, 4)"),
        (_model, np.ones((3, 2, 2)), "float64 array of shape (3, 2, 2)", "(None, 4)"),
        (
            _two_inputs,
            {"a": np.ones((3, 4)), "b": np.ones((3, 3))},
            "float64 array of shape (3, 4), float64 array of shape (3, 3)",
            "(None, 4) and (None, 2)",
        ),
    ],
    ids=["width", "rank", "dict"],
)
def test_x_of_another_shape_than_the_model_input_is_named(
    model, x, described, expected
):
    message = (
        f"Invalid value for argument `x`. Expected inputs of shape {expected}, the "
        f"model's input. Received: x='{described}'"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        mc_predict(model(), x, samples=2)


def test_x_matching_a_dict_of_inputs_by_name_is_predicted():
    x = {"b": np.ones((3, 2), "float32"), "a": np.ones((3, 4), "float32")}
    mean, _ = mc_predict(_two_inputs(), x, samples=2)
    assert mean.shape == (3, 1)
