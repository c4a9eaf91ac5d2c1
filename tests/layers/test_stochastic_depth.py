"""StochasticDepth and linear_drop_rates."""

import re

import keras
import numpy as np
import pytest

from kerasreg.layers import StochasticDepth, linear_drop_rates


def test_rate_zero_and_inference_are_identity():
    x = np.ones((4, 3), "float32")
    for layer, training in (
        (StochasticDepth(0.0), True),
        (StochasticDepth(0.5), False),
    ):
        y = layer(x, training=training)
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(y), x)


def test_drops_whole_samples_and_scales_the_rest_exactly():
    rate = 0.3
    x = np.random.default_rng(0).uniform(1, 2, size=(4000, 2, 3)).astype("float32")
    y = keras.ops.convert_to_numpy(StochasticDepth(rate, seed=2)(x, training=True))
    dropped = np.all(y == 0, axis=(1, 2))
    kept = ~dropped
    assert np.all(np.all(y[kept] != 0, axis=(1, 2)))  # per sample, all or none
    n = len(x)
    # Binomial(n, 1 - rate): within 5 sd.
    assert abs(kept.sum() - n * (1 - rate)) < 5 * np.sqrt(n * rate * (1 - rate))
    np.testing.assert_array_equal(y[kept], x[kept] * np.float32(1 / (1 - rate)))


def test_linear_drop_rates_follow_huang_et_al():
    np.testing.assert_allclose(linear_drop_rates(4, 0.2), [0.05, 0.1, 0.15, 0.2])
    assert linear_drop_rates(1, 0.3) == [0.3]


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: linear_drop_rates(0, 0.1),
            "Invalid value for argument `n`. Expected an int in [1, inf]. "
            "Received: n=0",
        ),
        (
            lambda: linear_drop_rates(3, 1.0),
            "Invalid value for argument `max_rate`. Expected a finite float in "
            "[0, 1). Received: max_rate=1.0",
        ),
        (
            lambda: StochasticDepth(1.5),
            "Invalid value for argument `rate`. Expected a finite float in "
            "[0, 1). Received: rate=1.5",
        ),
    ],
    ids=["n", "max_rate", "rate"],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


@pytest.mark.parametrize("training", [True, False])
def test_scalar_inputs_are_named(training):
    message = (
        "Invalid value for argument `inputs`. Expected a tensor of rank >= 1 with "
        "the samples on the first axis. Received: inputs='a tensor of shape ()'"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        StochasticDepth(0.2)(np.float32(1.0), training=training)
