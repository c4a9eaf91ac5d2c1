"""What Dropout, DropBlock2D and StochasticDepth share: Keras' lifecycle and
argument order, float-only dropping, exact zeros, the seed range."""

import inspect
import re

import keras
import numpy as np
import pytest

from kerasreg.layers import DropBlock2D, Dropout, StochasticDepth
from tests.contracts import invalid_argument_message

LAYERS = {
    "Dropout": lambda **kw: Dropout(0.5, **kw),
    "DropBlock2D": lambda **kw: DropBlock2D(0.5, 2, **kw),
    "StochasticDepth": lambda **kw: StochasticDepth(0.5, **kw),
}
IDS = list(LAYERS)
SHAPE = (8, 4, 4, 2)


@pytest.mark.parametrize("name", IDS)
def test_built_at_construction_like_keras_dropout(name):
    layer = LAYERS[name](seed=1)
    assert layer.built
    assert keras.layers.Dropout(0.5).built

    class WithBuild(type(layer)):
        def build(self, input_shape):
            self.seen_shape = tuple(input_shape)

    # As in Keras: a subclass with its own `build` is built on first call.
    subclassed = WithBuild(**layer.get_config())
    assert not subclassed.built
    subclassed(np.ones(SHAPE, "float32"))
    assert subclassed.seen_shape == SHAPE


@pytest.mark.parametrize("name", IDS)
@pytest.mark.parametrize("dtype", ["int32", "uint8", "bool"])
def test_integer_and_bool_inputs_are_rejected_when_dropping(name, dtype):
    # Keras' Dropout raises too: kept units are scaled by a non-integer factor.
    layer = LAYERS[name](seed=1)
    x = np.ones(SHAPE, dtype)
    message = invalid_argument_message(
        "inputs",
        f"a tensor of dtype {dtype}",
        "a floating-point tensor (kept units are scaled by 1 / (1 - rate))",
    )
    with pytest.raises(TypeError, match=re.escape(message)):
        layer(x, training=True)
    with pytest.raises(TypeError, match=re.escape(message)):
        LAYERS[name](seed=1, always_on=True)(x)
    # At inference, as in Keras, they pass through unchanged.
    y = layer(x, training=False)
    assert keras.backend.standardize_dtype(y.dtype) == dtype
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(y), x)


@pytest.mark.parametrize("name", IDS)
@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan], ids=["inf", "-inf", "nan"])
def test_a_dropped_unit_is_exactly_zero_whatever_its_value(name, value):
    x = np.full(SHAPE, value, "float32")
    y = keras.ops.convert_to_numpy(LAYERS[name](seed=3)(x, training=True))
    dropped = ~np.isnan(y) & ~np.isinf(y)
    assert 0 < dropped.mean() < 1
    np.testing.assert_array_equal(y[dropped], 0.0)
    kept = ~dropped
    np.testing.assert_array_equal(np.isnan(y[kept]), np.isnan(value))


@pytest.mark.parametrize("name", IDS)
@pytest.mark.parametrize("seed", [-1, 2**31 - 1, 2**63])
def test_seed_out_of_range_is_named(name, seed):
    message = invalid_argument_message(
        "seed", seed, "an int in [0, 2147483646] or None"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        LAYERS[name](seed=seed)


@pytest.mark.parametrize("name", IDS)
def test_largest_seed_works_on_every_backend(name):
    y = LAYERS[name](seed=2**31 - 2)(np.ones(SHAPE, "float32"), training=True)
    assert 0 < (keras.ops.convert_to_numpy(y) == 0).mean() < 1


@pytest.mark.parametrize(
    "cls, keras_cls",
    [(Dropout, keras.layers.Dropout)],
    ids=["Dropout"],
)
def test_keras_positional_order_then_keyword_only_extras(cls, keras_cls):
    ours = list(inspect.signature(cls).parameters.values())
    theirs = [
        p
        for p in inspect.signature(keras_cls).parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD
    ]
    assert [p.name for p in ours[: len(theirs)]] == [p.name for p in theirs]
    assert all(
        p.kind is p.KEYWORD_ONLY for p in ours[len(theirs) :] if p.name != "kwargs"
    )


def test_dropout_by_position_as_keras_takes_it():
    x = np.ones((6, 4, 3), "float32")
    ours = Dropout(0.5, (None, 1, None), 7)
    assert (ours.rate, ours.noise_shape, ours.seed) == (0.5, (None, 1, None), 7)
    y = keras.ops.convert_to_numpy(ours(x, training=True))
    np.testing.assert_array_equal(y[:, 0], y[:, 1])
    with pytest.raises(TypeError):
        Dropout(None, None, None, 0.5)  # keep_prob is keyword-only
