"""Every public argument refuses an invalid value with a clear error.

`ARGUMENTS` is the one table of argument domains: for each public class and
function, the valid arguments of a working call and, for every argument it
checks, a Hypothesis strategy of values it must refuse. Each invalid value,
with every other argument valid, must raise `ValueError`/`TypeError` in
kerasreg's message form naming the argument (``Invalid value for argument
`rate`. Expected ... Received: rate=...``). Draws are derandomized, so every
run tries the same values.
"""

import dataclasses
import math
import re

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kerasreg
from kerasreg import augmentation
from kerasreg.augmentation import functional

EXAMPLES_PER_ARGUMENT = 12
MIN_DISTINCT_INPUTS = 300

NON_FINITE = st.sampled_from([math.nan, math.inf, -math.inf])
NOT_A_NUMBER = st.sampled_from(["0.5", b"1", [0.5], {"a": 1}, object(), 1j])
NOT_A_BOOL = st.sampled_from([0, 1, "True", "yes", None, 1.0, [True]])
NOT_AN_INT = st.one_of(
    NOT_A_NUMBER,
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: v != int(v)),
)


def floats_outside(low=None, high=None, low_inclusive=True, high_inclusive=False):
    """Floats outside the interval, non-finite floats and other types."""
    parts = [NON_FINITE, NOT_A_NUMBER, st.booleans()]
    finite = {"allow_nan": False, "allow_infinity": False}
    if low is not None:
        parts.append(st.floats(max_value=low, exclude_max=low_inclusive, **finite))
    if high is not None:
        parts.append(
            st.floats(min_value=high, exclude_min=not high_inclusive, **finite)
        )
    return st.one_of(parts)


def ints_outside(low=None, high=None):
    """Ints outside [low, high], non-integral floats and other types."""
    parts = [NOT_AN_INT]
    if low is not None:
        parts.append(st.integers(max_value=low - 1))
    if high is not None:
        parts.append(st.integers(min_value=high + 1))
    return st.one_of(parts)


def not_one_of(*choices):
    """Strings that are none of `choices`, and values of other types."""
    return st.one_of(
        st.text(max_size=12).filter(lambda s: s not in choices),
        st.integers(),
        st.sampled_from([[choices[0]], b"x", 1.5]),
    )


STRENGTH = floats_outside(low=0.0)
RATE = floats_outside(0.0, 1.0)
# The dropout family's noise keeps seeds in [0, 2**31 - 2] apart on every
# backend; the augmentation layers take any int, as Keras' SeedGenerator does.
DROPOUT_SEED = ints_outside(0, 2**31 - 2)
SEED = NOT_AN_INT
POSITIVE_INT = ints_outside(low=1)
DATA_FORMAT = not_one_of("channels_last", "channels_first")
FILL_MODE = not_one_of("reflect", "wrap", "constant", "nearest")
INTERPOLATION = not_one_of("bilinear", "nearest")
FACTOR = st.one_of(
    NOT_A_NUMBER,
    NON_FINITE,
    st.booleans(),
    st.floats(min_value=1.0, exclude_min=True, allow_infinity=False),
)
NOT_A_REGULARIZER = st.sampled_from(
    [1.5, "not-a-regularizer", object(), [0.1], {"class_name": "Nope", "config": {}}]
)
NOT_AN_INITIALIZER = st.sampled_from(["nope", 3, object(), None])
NOT_A_CONSTRAINT = st.sampled_from(["nope", 3, object()])
NOT_A_PATH = st.sampled_from([3, 1.5, ["run.json"], object(), b"run.json"])
NOT_A_MODEL = st.sampled_from([None, 3, "model", object(), keras.layers.Dense(2)])


@dataclasses.dataclass(frozen=True)
class Api:
    """A public callable, `valid()` keyword arguments for a call that works
    (made anew for each call: nothing is shared between tries), and the
    invalid values of each argument it must refuse."""

    call: object
    valid: object
    invalid: dict


def _model():
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(3),
            kerasreg.BatchNormalization(),
            kerasreg.Dropout(0.5),
        ]
    )
    return model


def _x():
    return np.ones((8, 4), "float32")


ARGUMENTS = {
    "L1": Api(kerasreg.L1, dict, {"l1": STRENGTH}),
    "L2": Api(kerasreg.L2, dict, {"l2": STRENGTH}),
    "ElasticNet": Api(kerasreg.ElasticNet, dict, {"l1": STRENGTH, "l2": STRENGTH}),
    "GroupLasso": Api(
        kerasreg.GroupLasso, dict, {"strength": STRENGTH, "axis": NOT_AN_INT}
    ),
    "WeightRegularizer": Api(
        kerasreg.WeightRegularizer,
        dict,
        {"strength": STRENGTH, "penalty": not_one_of("l1", "l2")},
    ),
    "regularizers.get": Api(
        kerasreg.regularizers.get,
        lambda: {"identifier": "l2"},
        {
            "identifier": st.sampled_from(
                ["nope", "L3", 3, object(), {"class_name": "Nope", "config": {}}]
            )
        },
    ),
    "Proximal": Api(
        kerasreg.Proximal,
        lambda: {"optimizer": keras.optimizers.SGD(0.1)},
        {
            "optimizer": st.sampled_from([0.1, "sgdd", object(), None]),
            "log_penalty": NOT_A_BOOL,
        },
    ),
    "Dropout": Api(
        kerasreg.Dropout,
        lambda: {"rate": 0.5},
        {
            "rate": RATE,
            "noise_shape": st.sampled_from([(0, 1), (-1,), "x", 3, (1.5,)]),
            "seed": DROPOUT_SEED,
            "always_on": NOT_A_BOOL,
        },
    ),
    "DropBlock2D": Api(
        kerasreg.DropBlock2D,
        lambda: {"rate": 0.1, "block_size": 3},
        {
            "rate": RATE,
            "block_size": POSITIVE_INT,
            "seed": DROPOUT_SEED,
            "data_format": DATA_FORMAT,
        },
    ),
    "StochasticDepth": Api(
        kerasreg.StochasticDepth,
        lambda: {"rate": 0.1},
        {"rate": RATE, "seed": DROPOUT_SEED},
    ),
    "BatchNormalization": Api(
        kerasreg.BatchNormalization,
        dict,
        {
            "momentum": floats_outside(0.0, 1.0),
            "epsilon": floats_outside(0.0, None, low_inclusive=False),
            "center": NOT_A_BOOL,
            "scale": NOT_A_BOOL,
            "renorm": NOT_A_BOOL,
            "synchronized": NOT_A_BOOL,
            "beta_initializer": NOT_AN_INITIALIZER,
            "gamma_initializer": NOT_AN_INITIALIZER,
            "beta_regularizer": NOT_A_REGULARIZER,
            "gamma_regularizer": NOT_A_REGULARIZER,
            "beta_constraint": NOT_A_CONSTRAINT,
            "gamma_constraint": NOT_A_CONSTRAINT,
            "virtual_batch_size": POSITIVE_INT,
        },
    ),
    "linear_drop_rates": Api(
        kerasreg.linear_drop_rates,
        lambda: {"n": 4, "max_rate": 0.2},
        {"n": POSITIVE_INT, "max_rate": RATE},
    ),
    "mc_predict": Api(
        kerasreg.mc_predict,
        lambda: {"model": _model(), "x": _x(), "samples": 2},
        {"model": NOT_A_MODEL, "samples": POSITIVE_INT, "batch_size": POSITIVE_INT},
    ),
    "recalibrate_batch_norm": Api(
        kerasreg.recalibrate_batch_norm,
        lambda: {"model": _model(), "data": _x()},
        {"model": NOT_A_MODEL, "steps": POSITIVE_INT, "batch_size": POSITIVE_INT},
    ),
    "apply_regularization": Api(
        kerasreg.apply_regularization,
        lambda: {"model": _model(), "kernel_regularizer": kerasreg.L2()},
        {
            "model": NOT_A_MODEL,
            "kernel_regularizer": NOT_A_REGULARIZER,
            "bias_regularizer": NOT_A_REGULARIZER,
            "activity_regularizer": NOT_A_REGULARIZER,
            "layer_filter": st.sampled_from([3, "dense", lambda: True]),
            "overwrite": NOT_A_BOOL,
        },
    ),
    "regularization_report": Api(
        kerasreg.regularization_report,
        lambda: {"model": _model()},
        {"model": NOT_A_MODEL},
    ),
    "EarlyStopping": Api(
        kerasreg.EarlyStopping,
        dict,
        {
            "monitor": st.sampled_from([3, None, "", b"loss", ["loss"]]),
            "min_delta": floats_outside(0.0),
            "patience": ints_outside(0),
            "verbose": NOT_AN_INT,
            "mode": not_one_of("auto", "min", "max"),
            "baseline": st.one_of(NON_FINITE, NOT_A_NUMBER),
            "restore_best_weights": NOT_A_BOOL,
            "start_from_epoch": ints_outside(0),
            "criterion": not_one_of("patience", "gl", "pq", "up"),
            "strip_length": POSITIVE_INT,
            "strips": POSITIVE_INT,
            "best_model_path": NOT_A_PATH,
            "state_path": NOT_A_PATH,
            "stop_on_nan": NOT_A_BOOL,
            "smoothing_window": POSITIVE_INT,
        },
    ),
    "BackupAndRestore": Api(
        kerasreg.BackupAndRestore,
        lambda: {"backup_dir": "backup"},
        {
            "backup_dir": st.sampled_from(["", 3, None, object()]),
            "save_freq": st.one_of(
                st.integers(max_value=0), NOT_AN_INT, not_one_of("epoch")
            ).filter(lambda v: not isinstance(v, int) or v <= 0),
            "double_checkpoint": NOT_A_BOOL,
            "delete_checkpoint": NOT_A_BOOL,
        },
    ),
    "RandomRotation": Api(
        augmentation.RandomRotation,
        lambda: {"factor": 0.1},
        {
            "factor": FACTOR,
            "fill_mode": FILL_MODE,
            "interpolation": INTERPOLATION,
            "seed": SEED,
            "fill_value": st.one_of(NON_FINITE, NOT_A_NUMBER),
            "data_format": DATA_FORMAT,
        },
    ),
    "RandomZoom": Api(
        augmentation.RandomZoom,
        lambda: {"height_factor": 0.1},
        {
            "height_factor": FACTOR,
            "width_factor": FACTOR,
            "fill_mode": FILL_MODE,
            "interpolation": INTERPOLATION,
            "seed": SEED,
            "data_format": DATA_FORMAT,
        },
    ),
    "RandomTranslation": Api(
        augmentation.RandomTranslation,
        lambda: {"height_factor": 0.1, "width_factor": 0.1},
        {
            "height_factor": FACTOR,
            "width_factor": FACTOR,
            "fill_mode": FILL_MODE,
            "interpolation": INTERPOLATION,
            "seed": SEED,
            "data_format": DATA_FORMAT,
        },
    ),
    "RandomScale": Api(
        augmentation.RandomScale,
        dict,
        {
            "scale": st.one_of(
                NOT_A_NUMBER,
                NON_FINITE,
                st.floats(min_value=1.0, allow_infinity=False),
                st.floats(max_value=0.0, exclude_max=True, allow_infinity=False),
                st.just((0, 2)),
            ),
            "fill_mode": FILL_MODE,
            "seed": SEED,
            "data_format": DATA_FORMAT,
        },
    ),
    "RandomFlip": Api(
        augmentation.RandomFlip,
        dict,
        {
            "mode": not_one_of("horizontal", "vertical", "horizontal_and_vertical"),
            "seed": SEED,
            "data_format": DATA_FORMAT,
        },
    ),
    "RandomCrop": Api(
        augmentation.RandomCrop,
        lambda: {"height": 4, "width": 4},
        {
            "height": POSITIVE_INT,
            "width": POSITIVE_INT,
            "seed": SEED,
            "data_format": DATA_FORMAT,
        },
    ),
    "Pipeline": Api(
        augmentation.Pipeline,
        lambda: {"layers": [augmentation.RandomFlip()]},
        {
            "layers": st.sampled_from(
                [[], None, 3, [keras.layers.Dense(2)], ["flip"], (None,)]
            ),
            "seed": SEED,
            "data_format": DATA_FORMAT,
        },
    ),
    "preview": Api(
        augmentation.preview,
        lambda: {
            "pipeline": augmentation.Pipeline([augmentation.RandomFlip()]),
            "image": np.zeros((8, 8, 3), "float32"),
            "path": "preview.png",
        },
        {
            "pipeline": st.sampled_from([None, 3, "flip"]),
            "image": st.sampled_from(
                [None, "x", np.zeros((8, 8)), np.zeros((8, 8, 4)), np.zeros((2,))]
            ),
            "n": POSITIVE_INT,
            "path": NOT_A_PATH,
        },
    ),
    "SelectFeatures": Api(
        kerasreg.SelectFeatures,
        lambda: {"indices": [1, 0], "n_features": 3, "feature_names": ["a", "b", "c"]},
        {
            "indices": st.one_of(
                NOT_A_NUMBER,
                st.sampled_from([[], [3], [-1], [0, 0], [0.5], ["a"], None]),
            ),
            "n_features": POSITIVE_INT,
            "feature_names": st.sampled_from(
                ["abc", ["a", "b"], ["a", "a", "b"], 3, object()]
            ),
        },
    ),
    "functional.warp": Api(
        functional.warp,
        lambda: {
            "images": np.zeros((2, 8, 8, 1), "float32"),
            "matrices": np.tile(np.eye(3, dtype="float32"), (2, 1, 1)),
            "output_size": (8, 8),
        },
        {
            "images": st.sampled_from([np.zeros((8,)), np.zeros((1, 2, 8, 8, 1))]),
            "matrices": st.sampled_from(
                [np.zeros((2, 2, 3)), np.zeros((3, 3, 3)), np.zeros((3,))]
            ),
            "interpolation": INTERPOLATION,
            "fill_mode": FILL_MODE,
        },
    ),
}

CASES = [
    (name, argument) for name, api in ARGUMENTS.items() for argument in api.invalid
]
TRIED = {}


def _names_the_argument(message, argument):
    # A part of an argument may be named: `layers[1]`, `image.shape`.
    part = r"(\[\d+\]|\.shape)?"
    return re.search(
        rf"Invalid value for argument `{re.escape(argument)}{part}`\. "
        rf"Expected .+ Received: {re.escape(argument)}{part}=",
        message,
        re.S,
    )


@pytest.mark.parametrize("name, argument", CASES, ids=[f"{n}-{a}" for n, a in CASES])
def test_invalid_argument_is_refused_by_name(name, argument, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # any file a call writes lands here
    api = ARGUMENTS[name]
    tried = TRIED.setdefault((name, argument), set())

    @settings(
        max_examples=EXAMPLES_PER_ARGUMENT,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(api.invalid[argument])
    def check(value):
        tried.add(repr(value))
        with pytest.raises((ValueError, TypeError)) as info:
            api.call(**{**api.valid(), argument: value})
        assert _names_the_argument(str(info.value), argument), str(info.value)

    check()


def test_the_table_tries_enough_distinct_invalid_inputs():
    if len(TRIED) < len(CASES):
        pytest.skip("counts the inputs of a run of the whole table")
    distinct = sum(len(values) for values in TRIED.values())
    assert distinct >= MIN_DISTINCT_INPUTS, distinct
