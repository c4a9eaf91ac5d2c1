"""Dropout: degenerate rates, statistics, Keras drop-in, validation."""

import re

import keras
import numpy as np
import pytest

from kerasreg.layers import Dropout

X = np.random.default_rng(0).uniform(1.0, 2.0, size=(200, 500)).astype("float32")


@pytest.mark.parametrize(
    "kwargs", [{"rate": 0.0}, {"keep_prob": 1.0}], ids=["rate0", "keep1"]
)
def test_nothing_dropped_is_identity(kwargs):
    y = Dropout(**kwargs)(X, training=True)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(y), X)


def test_inference_is_identity():
    y = Dropout(0.5, seed=0)(X, training=False)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(y), X)


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9], ids=lambda r: f"rate{r}")
def test_keeps_one_minus_rate_and_scales_survivors_exactly(rate):
    y = keras.ops.convert_to_numpy(Dropout(rate, seed=3)(X, training=True))
    kept = y != 0
    n = X.size
    # Binomial(n, 1 - rate): the kept count lies within 5 sd of its mean.
    sd = np.sqrt(n * rate * (1 - rate))
    assert abs(kept.sum() - n * (1 - rate)) < 5 * sd
    np.testing.assert_array_equal(y[kept], X[kept] * np.float32(1 / (1 - rate)))


def test_keep_prob_is_one_minus_rate():
    by_keep = Dropout(keep_prob=0.75, seed=5)(X, training=True)
    by_rate = Dropout(rate=0.25, seed=5)(X, training=True)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(by_keep), keras.ops.convert_to_numpy(by_rate)
    )
    assert Dropout(keep_prob=0.75).rate == 0.25


def test_seed_reproduces_and_successive_calls_differ():
    first = Dropout(0.5, seed=7)
    second = Dropout(0.5, seed=7)
    a1, a2 = (keras.ops.convert_to_numpy(first(X, training=True)) for _ in "ab")
    b1 = keras.ops.convert_to_numpy(second(X, training=True))
    np.testing.assert_array_equal(a1, b1)
    assert not np.array_equal(a1, a2)


def test_noise_shape_with_none_shares_the_mask():
    x = np.ones((4, 6, 3), "float32")
    y = keras.ops.convert_to_numpy(
        Dropout(0.5, noise_shape=(None, 1, 3), seed=1)(x, training=True)
    )
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :], y.shape))


def test_always_on_drops_at_inference():
    y = keras.ops.convert_to_numpy(Dropout(0.5, seed=1, always_on=True)(X))
    assert 0 < (y == 0).mean() < 1


def test_same_call_signature_as_keras_dropout():
    inputs = keras.Input((5,))
    outputs = Dropout(0.3, noise_shape=(None, 5), seed=1, name="d")(inputs)
    assert outputs.shape == (None, 5)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {},
            ValueError,
            "Invalid value for argument `rate`. Expected a float in [0, 1), or "
            "`keep_prob` in (0, 1] instead. Received: rate=None",
        ),
        (
            {"rate": 0.5, "keep_prob": 0.5},
            ValueError,
            "Invalid value for argument `keep_prob`. Expected None when `rate` is "
            "given (rate=0.5). Received: keep_prob=0.5",
        ),
        (
            {"rate": 1.0},
            ValueError,
            "Invalid value for argument `rate`. Expected a finite float in "
            "[0, 1). Received: rate=1.0",
        ),
        (
            {"rate": -0.1},
            ValueError,
            "Invalid value for argument `rate`. Expected a finite float in "
            "[0, 1). Received: rate=-0.1",
        ),
        (
            {"keep_prob": 0.0},
            ValueError,
            "Invalid value for argument `keep_prob`. Expected a finite float in "
            "(0, 1]. Received: keep_prob=0.0",
        ),
        (
            {"rate": "0.5"},
            TypeError,
            "Invalid value for argument `rate`. Expected a float. Received: rate='0.5'",
        ),
        (
            {"rate": 0.5, "noise_shape": (None, 0)},
            ValueError,
            "Invalid value for argument `noise_shape`. Expected a tuple of "
            "positive ints or None. Received: noise_shape=(None, 0)",
        ),
        (
            {"rate": 0.5, "noise_shape": "abc"},
            ValueError,
            "Invalid value for argument `noise_shape`. Expected a tuple of "
            "positive ints or None. Received: noise_shape='abc'",
        ),
        (
            {"rate": 0.5, "seed": 1.5},
            TypeError,
            "Invalid value for argument `seed`. Expected an int. Received: seed=1.5",
        ),
        (
            {"rate": 0.5, "always_on": 1},
            TypeError,
            "Invalid value for argument `always_on`. Expected a bool. "
            "Received: always_on=1",
        ),
    ],
    ids=[
        "neither",
        "both",
        "rate1",
        "negative",
        "keep0",
        "string",
        "noise0",
        "noise_str",
        "seed",
        "always_on",
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        Dropout(**kwargs)


def test_noise_shape_of_the_wrong_rank_is_named():
    message = (
        "Invalid value for argument `noise_shape`. Expected a shape of rank 2, "
        "like the inputs. Received: noise_shape=(None, 1, 1)"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        Dropout(0.5, noise_shape=(None, 1, 1))(X, training=True)
