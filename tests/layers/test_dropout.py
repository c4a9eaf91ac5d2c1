"""Dropout: degenerate rates, statistics, noise quality, Keras drop-in,
validation."""

import re

import keras
import numpy as np
import pytest

from kerasreg.layers import Dropout, _noise

X = np.random.default_rng(0).uniform(1.0, 2.0, size=(200, 500)).astype("float32")
ONES = np.ones((400, 1000), "float32")
TENSORFLOW = keras.backend.backend() == "tensorflow"


def _kept(layer, x=ONES):
    return keras.ops.convert_to_numpy(layer(x, training=True)) != 0


def _correlation(a, b):
    return np.corrcoef(a.ravel().astype("float64"), b.ravel().astype("float64"))[0, 1]


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


# Correlations of independent masks with n entries have sd 1 / sqrt(n); each
# check below allows 5 sd.
@pytest.mark.parametrize("rate", [0.1, 0.5], ids=lambda r: f"rate{r}")
def test_neighbouring_units_are_uncorrelated(rate):
    kept = _kept(Dropout(rate, seed=11))
    bound = 5 / np.sqrt(kept.size)
    assert abs(_correlation(kept[:, :-1], kept[:, 1:])) < bound  # along a row
    assert abs(_correlation(kept[:-1], kept[1:])) < bound  # along a column
    flat = kept.ravel()
    assert abs(_correlation(flat[:-2], flat[2:])) < bound  # two apart


def test_successive_calls_and_seeds_are_uncorrelated():
    layer = Dropout(0.5, seed=0)
    first, second = _kept(layer), _kept(layer)
    other_seed = _kept(Dropout(0.5, seed=1))
    bound = 5 / np.sqrt(first.size)
    assert abs(_correlation(first, second)) < bound
    assert abs(_correlation(first, other_seed)) < bound


def test_keep_rate_is_even_across_positions_and_calls():
    # 50 calls of a (40, 50) mask: each of the 2000 positions is kept
    # Binomial(50, 0.5) times; Pearson's chi-square over the positions has
    # mean 2000 - 1 and sd ~sqrt(2 * 2000).
    layer = Dropout(0.5, seed=4)
    x = np.ones((40, 50), "float32")
    counts = sum(_kept(layer, x).astype("int64") for _ in range(50)).ravel()
    expected = 50 * 0.5
    chi2 = np.sum((counts - expected) ** 2 / (expected * 0.5))
    assert abs(chi2 - counts.size) < 5 * np.sqrt(2 * counts.size)


def test_noise_is_uniform_on_the_unit_interval():
    noise = keras.ops.convert_to_numpy(
        _noise.uniform((1000, 1000), keras.random.SeedGenerator(2))
    )
    assert noise.dtype == np.float32
    assert noise.min() >= 0.0 and noise.max() < 1.0
    # Chi-square over 64 equal bins: mean 63, sd sqrt(2 * 63).
    counts = np.bincount((noise * 64).astype("int64").ravel(), minlength=64)
    expected = noise.size / 64
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert abs(chi2 - 63) < 5 * np.sqrt(2 * 63)


def _lowbias32(words):
    words = words ^ (words >> 16)
    words = words * np.uint32(0x7FEB352D)
    words = words ^ (words >> 15)
    words = words * np.uint32(0x846CA68B)
    return words ^ (words >> 16)


@pytest.mark.skipif(not TENSORFLOW, reason="TensorFlow's noise kernel")
def test_tensorflow_noise_is_the_index_hash_in_numpy():
    import tensorflow as tf

    from kerasreg.layers import _tf_hash_noise

    seed_state = tf.constant([7, 3], tf.int64)
    noise = _tf_hash_noise.hash_uniform((3, 5), seed_state).numpy()
    # The two keys are the Philox draw the kernel makes; the rest is numpy.
    multiplier, offset = tf.random.stateless_uniform(
        [2], tf.constant([7, 3], tf.int32), None, None, tf.uint32, alg="philox"
    ).numpy()
    index = np.arange(15, dtype=np.uint32).reshape(3, 5)
    bits = _lowbias32(index * (multiplier | np.uint32(1)) + offset)
    np.testing.assert_array_equal(noise, (bits >> 8).astype("float32") / 2**24)


@pytest.mark.skipif(not TENSORFLOW, reason="XLA through tf.function")
def test_same_seed_gives_the_same_mask_with_and_without_xla():
    import tensorflow as tf

    eager = Dropout(0.3, seed=9)
    compiled = Dropout(0.3, seed=9)
    jit_call = tf.function(lambda x: compiled(x, training=True), jit_compile=True)
    for _ in range(2):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(eager(X, training=True)),
            jit_call(X).numpy(),
        )


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


# --- A subclass of keras.layers.Dropout ---

# Constructor arguments both classes take.
KERAS_CASES = [
    {"rate": 0.5},
    {"rate": 0.0},
    {"rate": 0.25, "noise_shape": (None, 1, 4), "seed": 3},
    {"rate": 0.1, "noise_shape": [2, None], "seed": 0, "name": "drop"},
]
KERAS_CASE_IDS = ["rate", "rate0", "noise_shape-seed", "list-shape-name"]
# What kerasreg's config adds to Keras' keys.
EXTRA_CONFIG_KEYS = {"always_on", "keep_prob"}


def test_is_a_keras_dropout_and_not_the_reverse():
    assert issubclass(Dropout, keras.layers.Dropout)
    assert isinstance(Dropout(0.5), keras.layers.Dropout)
    assert isinstance(Dropout(keep_prob=0.8), keras.layers.Dropout)
    assert not isinstance(keras.layers.Dropout(0.5), Dropout)


def _as_keras_315(values):
    # Keras 3.12 keeps a list `noise_shape` as given; 3.15, as kerasreg, a tuple.
    shape = values["noise_shape"]
    return {**values, "noise_shape": None if shape is None else tuple(shape)}


@pytest.mark.parametrize("kwargs", KERAS_CASES, ids=KERAS_CASE_IDS)
def test_config_is_keras_config_plus_kerasregs_keys(kwargs):
    mine = Dropout(**kwargs).get_config()
    theirs = _as_keras_315(keras.layers.Dropout(**kwargs).get_config())
    if "name" not in kwargs:
        mine.pop("name"), theirs.pop("name")
    assert set(mine) - set(theirs) == EXTRA_CONFIG_KEYS
    assert {key: mine[key] for key in theirs} == theirs
    assert (mine["always_on"], mine["keep_prob"]) == (False, None)


@pytest.mark.parametrize("kwargs", KERAS_CASES, ids=KERAS_CASE_IDS)
def test_keras_attributes_have_keras_values(kwargs):
    mine, theirs = Dropout(**kwargs), keras.layers.Dropout(**kwargs)
    names = ("rate", "noise_shape", "seed", "supports_masking", "built")
    values = _as_keras_315({name: getattr(theirs, name) for name in names})
    assert {name: getattr(mine, name) for name in names} == values
    assert hasattr(mine, "seed_generator") == hasattr(theirs, "seed_generator")
    assert len(mine.variables) == len(theirs.variables)


def test_keep_prob_sets_kerass_rate():
    # Code that reads Keras' `rate` gets the fraction dropped.
    assert Dropout(keep_prob=0.8).rate == pytest.approx(0.2)


def test_keras_call_never_runs_in_kerasregs_place(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("keras.layers.Dropout.call ran")

    layer = Dropout(0.5, seed=1, always_on=True)
    monkeypatch.setattr(keras.layers.Dropout, "call", fail)
    for training in (True, False):
        # always_on: kerasreg's call drops at inference too.
        assert (keras.ops.convert_to_numpy(layer(X, training=training)) == 0).any()


# As kerasreg before this change (commit 5ab07c6) wrote two Dropout layers
# into a model's config.
SAVED_CONFIGS = [
    {
        "module": "kerasreg.layers.dropout",
        "class_name": "Dropout",
        "config": {
            "name": "drop",
            "trainable": True,
            "dtype": {
                "module": "keras",
                "class_name": "DTypePolicy",
                "config": {"name": "float32"},
                "registered_name": None,
            },
            "seed": 7,
            "always_on": False,
            "rate": None,
            "keep_prob": 0.8,
            "noise_shape": None,
        },
        "registered_name": "kerasreg>Dropout",
    },
    {
        "module": "kerasreg.layers.dropout",
        "class_name": "Dropout",
        "config": {
            "name": "drop_rate",
            "trainable": True,
            "dtype": {
                "module": "keras",
                "class_name": "DTypePolicy",
                "config": {"name": "float32"},
                "registered_name": None,
            },
            "seed": None,
            "always_on": True,
            "rate": 0.3,
            "keep_prob": None,
            "noise_shape": [None, 1],
        },
        "registered_name": "kerasreg>Dropout",
    },
]


def test_config_written_before_subclassing_loads():
    expected = [
        Dropout(keep_prob=0.8, seed=7, name="drop"),
        Dropout(0.3, noise_shape=(None, 1), always_on=True, name="drop_rate"),
    ]
    for saved, layer in zip(SAVED_CONFIGS, expected, strict=True):
        loaded = keras.saving.deserialize_keras_object(saved)
        assert type(loaded) is Dropout
        assert loaded.get_config() == layer.get_config()
    loaded = keras.saving.deserialize_keras_object(SAVED_CONFIGS[0])
    y = keras.ops.convert_to_numpy(loaded(X, training=True))
    np.testing.assert_array_equal(
        y, keras.ops.convert_to_numpy(expected[0](X, training=True))
    )


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


@pytest.mark.parametrize(
    "noise_shape", [(None, 1, 1), (4, 1), (None, 3)], ids=["rank", "batch", "units"]
)
def test_noise_shape_that_does_not_broadcast_is_named(noise_shape):
    message = (
        "Invalid value for argument `noise_shape`. Expected a shape that broadcasts "
        "to the inputs' shape (200, 500) (each entry None, 1 or the inputs' size). "
        f"Received: noise_shape={noise_shape!r}"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        Dropout(0.5, noise_shape=noise_shape)(X, training=True)
