"""Every class whose name overlaps Keras' takes Keras' positional arguments.

Code written for Keras passes arguments by position and relies on defaults;
changing one import must not change their meaning. Each kerasreg class is
called positionally with Keras' own argument order, beside the Keras class,
and both must hold the same values; kerasreg's own arguments come after
Keras' and are keyword-only.
"""

import inspect
import json

import keras
import numpy as np
import pytest

import kerasreg
from kerasreg import augmentation

# (kerasreg class, Keras class, positional arguments in Keras' order)
PAIRS = [
    (kerasreg.L1, keras.regularizers.L1, (0.3,)),
    (kerasreg.L2, keras.regularizers.L2, (0.3,)),
    (kerasreg.Dropout, keras.layers.Dropout, (0.2, (None, 1), 7)),
    (
        kerasreg.BatchNormalization,
        keras.layers.BatchNormalization,
        (1, 0.9, 1e-4, True, False, "ones", "zeros"),
    ),
    (
        kerasreg.EarlyStopping,
        keras.callbacks.EarlyStopping,
        ("val_mae", 0.01, 5, 1, "max", 0.5, False, 2),
    ),
    (
        kerasreg.BackupAndRestore,
        keras.callbacks.BackupAndRestore,
        ("backup", 10, True, False),
    ),
    (augmentation.RandomFlip, keras.layers.RandomFlip, ("vertical", 3)),
    (
        augmentation.RandomRotation,
        keras.layers.RandomRotation,
        (0.1, "constant", "nearest", 3, 0.5, "channels_first"),
    ),
    (augmentation.RandomCrop, keras.layers.RandomCrop, (8, 6, 3, "channels_first")),
    (
        augmentation.RandomZoom,
        keras.layers.RandomZoom,
        (0.1, 0.2, "constant", "nearest", 3, 0.5, "channels_first"),
    ),
    (
        augmentation.RandomTranslation,
        keras.layers.RandomTranslation,
        (0.1, 0.2, "constant", "nearest", 3, 0.5, "channels_first"),
    ),
]
IDS = [ours.__name__ for ours, _, _ in PAIRS]
# Deliberate, listed in the README's table of differences from Keras.
# Dropout's `rate` may be left out when `keep_prob` is given instead.
DIFFERENT_DEFAULTS = {
    (kerasreg.EarlyStopping, "restore_best_weights"): True,
    (kerasreg.Dropout, "rate"): None,
}


def _positional(cls):
    """The parameters that can be passed by position, in order."""
    return [
        p
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self" and p.kind is p.POSITIONAL_OR_KEYWORD
    ]


@pytest.mark.parametrize("ours, theirs, args", PAIRS, ids=IDS)
def test_keras_positional_order_and_defaults_then_keyword_only(ours, theirs, args):
    keras_params = _positional(theirs)
    our_params = _positional(ours)
    if ours is kerasreg.BatchNormalization and "renorm" not in {
        p.name for p in keras_params
    }:
        pytest.skip(
            "kerasreg follows Keras 3.14+, which put renorm before synchronized"
        )
    assert [p.name for p in our_params[: len(keras_params)]] == [
        p.name for p in keras_params
    ]
    # kerasreg's own extras (keep_prob, criterion, ...) are keyword-only.
    assert len(our_params) == len(keras_params)
    for mine, reference in zip(our_params, keras_params, strict=True):
        expected = DIFFERENT_DEFAULTS.get((ours, mine.name), reference.default)
        assert mine.default == expected, mine.name


def _value(obj, name):
    """The value `obj` holds for argument `name`, in one comparable form:
    JSON types, floats to float32 precision (Keras' regularizers keep
    float32), and a rotation `factor` f as Keras' config writes it,
    [-|f|, |f|]."""
    config = obj.get_config() if hasattr(obj, "get_config") else {}
    value = config[name] if name in config else getattr(obj, name)
    if name == "factor" and isinstance(value, float):
        value = [-abs(value), abs(value)]
    value = json.loads(json.dumps(value, default=str))
    if isinstance(value, float):
        return float(np.float32(value))
    return value


@pytest.mark.parametrize("ours, theirs, args", PAIRS, ids=IDS)
def test_called_by_position_holds_what_keras_holds(ours, theirs, args, tmp_path):
    if theirs is keras.callbacks.BackupAndRestore:
        args = (str(tmp_path / args[0]), *args[1:])
    mine, reference = ours(*args), theirs(*args)
    for param, _ in zip(_positional(theirs), args, strict=False):
        assert _value(mine, param.name) == _value(reference, param.name), param.name
