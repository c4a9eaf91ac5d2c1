"""recalibrate_batch_norm: exact population statistics, fit's data forms,
all or nothing."""

import re

import keras
import numpy as np
import pytest

from kerasreg.layers import BatchNormalization, Dropout, recalibrate_batch_norm
from tests.contracts import NEEDS_KERAS_RENORM, invalid_argument_message

RNG = np.random.default_rng(0)
# Batch means far apart: an average of per-batch variances misses their spread.
DATA = np.concatenate(
    [RNG.normal(loc, 1.0 + loc, size=(n, 3)) for loc, n in ((0, 30), (4, 45), (9, 25))]
).astype("float32")
TARGETS = RNG.normal(size=(100, 2)).astype("float32") * 1e3
SIZES = (7, 40, 3, 50)  # unequal batches over the 100 rows


def _split(array):
    edges = np.cumsum((0,) + SIZES)
    return [array[a:b] for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _model(batch_norm=BatchNormalization, **kwargs):
    return keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(
                4, kernel_initializer="glorot_normal", bias_initializer="ones"
            ),
            batch_norm(momentum=0.9, **kwargs),
            Dropout(0.5, seed=0),
            keras.layers.Dense(2),
        ]
    )


def _bn_inputs(model, data):
    """The BN layer's input over the whole data, in float64, by numpy."""
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in model.layers[0].weights)
    return data.astype("float64") @ kernel.astype("float64") + bias


def _assert_population(model, data=DATA):
    layer = model.layers[1]
    inputs = _bn_inputs(model, data)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.moving_mean),
        inputs.mean(0),
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(layer.moving_variance), inputs.var(0), rtol=1e-5
    )


def _state(model):
    return [keras.ops.convert_to_numpy(v) for v in model.variables]


@pytest.mark.parametrize(
    "batch_norm, kwargs",
    [
        (BatchNormalization, {}),
        (BatchNormalization, {"virtual_batch_size": 4}),
        (BatchNormalization, {"renorm": True}),
        (keras.layers.BatchNormalization, {}),
        pytest.param(
            keras.layers.BatchNormalization, {"renorm": True}, marks=NEEDS_KERAS_RENORM
        ),
    ],
    ids=["kerasreg", "kerasreg_ghost", "kerasreg_renorm", "keras", "keras_renorm"],
)
def test_population_statistics_over_unequal_batches_match_numpy(batch_norm, kwargs):
    model = _model(batch_norm, **kwargs)
    layer = model.layers[1]
    layer.trainable = False  # frozen layers are recalibrated too
    others = [
        keras.ops.convert_to_numpy(v)
        for v in model.variables
        if not any(
            v is getattr(layer, n, None)
            for n in ("moving_mean", "moving_variance", "moving_stddev")
        )
    ]
    seen = recalibrate_batch_norm(model, iter(_split(DATA)))
    assert seen == 100
    _assert_population(model)
    if kwargs.get("renorm"):
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(layer.moving_stddev),
            np.sqrt(_bn_inputs(model, DATA).var(0) + layer.epsilon),
            rtol=1e-5,
        )
    assert (layer.trainable, layer.momentum) == (False, 0.9)
    assert getattr(layer, "virtual_batch_size", None) == kwargs.get(
        "virtual_batch_size"
    )
    after = [
        keras.ops.convert_to_numpy(v)
        for v in model.variables
        if not any(
            v is getattr(layer, n, None)
            for n in ("moving_mean", "moving_variance", "moving_stddev")
        )
    ]
    for old, new in zip(others, after, strict=True):
        np.testing.assert_array_equal(new, old)


def _dataset(*arrays):
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(arrays).batch(40)


class _Batches(keras.utils.PyDataset):
    def __len__(self):
        return len(SIZES)

    def __getitem__(self, index):
        return _split(DATA)[index], _split(TARGETS)[index]


@pytest.mark.parametrize(
    "make_data",
    [
        lambda: DATA,
        lambda: (DATA, TARGETS),
        lambda: (DATA, TARGETS, np.ones(100, "float32")),
        lambda: iter(zip(_split(DATA), _split(TARGETS), strict=True)),
        lambda: ((x,) for x in _split(DATA)),
        lambda: _Batches(),
        pytest.param(lambda: _dataset(DATA), marks=pytest.mark.tensorflow_only),
        pytest.param(
            lambda: _dataset(DATA, TARGETS), marks=pytest.mark.tensorflow_only
        ),
        pytest.param(
            lambda: _dataset(DATA, TARGETS, np.ones(100, "float32")),
            marks=pytest.mark.tensorflow_only,
        ),
    ],
    ids=[
        "x",
        "x_y",
        "x_y_w",
        "batches_x_y",
        "batches_x1",
        "py_dataset",
        "ds_x",
        "ds_x_y",
        "ds_x_y_w",
    ],
)
def test_data_as_fit_takes_it(make_data):
    model = _model()
    assert recalibrate_batch_norm(model, make_data(), batch_size=32) == 100
    _assert_population(model)


def test_steps_limits_the_batches():
    model = _model()
    assert recalibrate_batch_norm(model, DATA, steps=2, batch_size=25) == 50
    _assert_population(model, DATA[:50])


def test_a_failing_batch_changes_nothing():
    model = _model()
    model.layers[1].trainable = False
    before = _state(model)

    def batches():
        yield DATA[:10]
        yield DATA[10:30]
        raise RuntimeError("disk gone")

    with pytest.raises(RuntimeError, match="disk gone"):
        recalibrate_batch_norm(model, batches())
    for old, new in zip(before, _state(model), strict=True):
        np.testing.assert_array_equal(new, old)
    assert (model.layers[1].trainable, model.layers[1].momentum) == (False, 0.9)


def test_a_bad_batch_changes_nothing():
    model = _model()
    before = _state(model)
    with pytest.raises(ValueError):
        recalibrate_batch_norm(model, iter([DATA[:10], DATA[10:20, :2]]))
    for old, new in zip(before, _state(model), strict=True):
        np.testing.assert_array_equal(new, old)


_FORMS = (
    "x, (x, y) or (x, y, sample_weight) of arrays, or a dataset, PyDataset or "
    "iterable of such batches"
)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: recalibrate_batch_norm(
                keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="m"),
                DATA,
            ),
            ValueError,
            invalid_argument_message(
                "model", "m", "a built model with BatchNormalization layers"
            ),
        ),
        (
            lambda: recalibrate_batch_norm("model.keras", DATA),
            TypeError,
            invalid_argument_message("model", "a str", "a Keras model"),
        ),
        (
            lambda: recalibrate_batch_norm(_model(), DATA, steps=0),
            ValueError,
            invalid_argument_message("steps", 0, "an int in [1, inf]"),
        ),
        (
            lambda: recalibrate_batch_norm(_model(), []),
            ValueError,
            invalid_argument_message("data", "a list", "at least one sample"),
        ),
        (
            lambda: recalibrate_batch_norm(_model(), DATA[:0]),
            ValueError,
            invalid_argument_message(
                "data", "an array of shape (0, 3)", "at least one sample"
            ),
        ),
        (
            lambda: recalibrate_batch_norm(_model(), None),
            TypeError,
            invalid_argument_message("data", "a NoneType", _FORMS),
        ),
        (
            lambda: recalibrate_batch_norm(_model(), "train/"),
            TypeError,
            invalid_argument_message("data", "a str", _FORMS),
        ),
        (
            lambda: recalibrate_batch_norm(
                _model(), iter([(DATA, TARGETS, TARGETS, TARGETS)])
            ),
            ValueError,
            invalid_argument_message("data", "a tuple", _FORMS),
        ),
        (
            lambda: recalibrate_batch_norm(_model(), iter([["a", "b"]])),
            ValueError,
            invalid_argument_message("data", "a batch of a str", _FORMS),
        ),
        (
            lambda: recalibrate_batch_norm(_model(), {"a": DATA, "b": DATA[:5]}),
            ValueError,
            invalid_argument_message(
                "data",
                "inputs of [5, 100] samples",
                "the same number of samples in every input",
            ),
        ),
    ],
    ids=[
        "no_bn",
        "model_type",
        "steps",
        "empty",
        "no_rows",
        "none",
        "string",
        "tuple4",
        "strings",
        "rows",
    ],
)
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


@pytest.mark.tensorflow_only
def test_an_infinite_dataset_needs_steps():
    with pytest.raises(
        ValueError,
        match=re.escape(
            invalid_argument_message(
                "steps", None, "an int >= 1 for an infinite dataset"
            )
        ),
    ):
        recalibrate_batch_norm(_model(), _dataset(DATA).repeat())
    assert recalibrate_batch_norm(_model(), _dataset(DATA).repeat(), steps=3) == 100
