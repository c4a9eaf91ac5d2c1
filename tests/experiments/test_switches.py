"""Switches: each technique on or off changes exactly its own part of the model."""

import keras
import numpy as np
import pytest

import kerasreg
from kerasreg.experiments import Switches


def _functional(switches):
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.Flatten()(switches.augment(inputs))
    x = keras.layers.Dense(8, kernel_regularizer=switches.kernel_regularizer)(x)
    x = switches.dropout(keras.layers.ReLU()(switches.batch_norm(x)))
    return keras.Model(inputs, keras.layers.Dense(3)(x))


def _sequential(switches):
    return keras.Sequential(
        [
            keras.Input((4, 4, 1)),
            switches.augment(),
            keras.layers.Flatten(),
            keras.layers.Dense(8, kernel_regularizer=switches.kernel_regularizer),
            switches.batch_norm(),
            keras.layers.ReLU(),
            switches.dropout(),
            keras.layers.Dense(3),
        ]
    )


def _augmentation(seed):
    return kerasreg.augmentation.RandomFlip(seed=seed)


def _kinds(model):
    return [type(layer).__name__ for layer in model.layers]


OFF = ["InputLayer", "Flatten", "Dense", "ReLU", "Dense"]
# Each technique's switch, and the layer it adds (after the layer it follows).
CASES = {
    "dropout": ({"dropout_rate": 0.5}, "Dropout", "ReLU"),
    "batch_norm": ({"batch_norm": True}, "BatchNormalization", "Dense"),
    "augmentation": ({"augmentation": _augmentation}, "RandomFlip", "InputLayer"),
}


def test_everything_off_is_the_plain_model():
    model = _functional(Switches())
    assert _kinds(model) == OFF
    assert not model.losses


@pytest.mark.parametrize("case", CASES)
def test_one_switch_adds_exactly_its_layer(case):
    arguments, added, after = CASES[case]
    expected = list(OFF)
    expected.insert(expected.index(after) + 1, added)
    assert _kinds(_functional(Switches(**arguments))) == expected


def test_penalty_goes_where_the_model_asks_for_it():
    penalty = kerasreg.L1(0.01)
    model = _functional(Switches(penalty=penalty))
    assert _kinds(model) == OFF
    first, last = (
        layer for layer in model.layers if isinstance(layer, keras.layers.Dense)
    )
    assert first.kernel_regularizer is penalty
    assert last.kernel_regularizer is None
    expected = 0.01 * np.abs(keras.ops.convert_to_numpy(first.kernel)).sum()
    np.testing.assert_allclose(float(sum(model.losses)), expected, rtol=1e-6)


def test_without_x_each_switch_is_a_layer_identity_when_off():
    off = _sequential(Switches())
    on = _sequential(
        Switches(dropout_rate=0.5, batch_norm=True, augmentation=_augmentation)
    )
    assert _kinds(off).count("Identity") == 3
    assert {"Dropout", "BatchNormalization", "RandomFlip"} <= set(_kinds(on))
    x = np.random.default_rng(0).random((2, 4, 4, 1), dtype="float32")
    # Identity layers change nothing: same weights, same output as functional.
    functional = _functional(Switches())
    functional.set_weights(off.get_weights())
    np.testing.assert_allclose(off(x), functional(x), rtol=1e-6)


def test_each_random_layer_gets_its_own_seed_from_the_run_seed():
    switches = Switches(dropout_rate=0.5, seed=3)
    first, second = switches.dropout(), switches.dropout()
    assert first.seed != second.seed
    again = Switches(dropout_rate=0.5, seed=3)
    assert [again.dropout().seed, again.dropout().seed] == [first.seed, second.seed]


def test_switches_record_what_the_model_asked_for():
    switches = Switches()
    _functional(switches)
    assert switches.used == {"kernel_regularizer", "dropout", "batch_norm", "augment"}
