"""The study's dry run: a model, loss or data that cannot train together is
named before the first trial, and nothing is written."""

import re

import keras
import numpy as np
import pytest

from kerasreg.experiments import study
from kerasreg.experiments.arguments import StudyArguments
from kerasreg.experiments.data import as_dataset
from kerasreg.experiments.preflight import preflight
from kerasreg.experiments.training import Trainer

# The study feeds Keras through tf.data.
pytestmark = pytest.mark.tensorflow_only

_X = np.random.default_rng(0).random((40, 4, 4, 1), dtype="float32")
_Y = np.arange(40) % 3


def _model(units=3, shape=(4, 4, 1), activation=None, trainable=True):
    def build_model(switches):
        inputs = keras.Input(shape)
        x = keras.layers.Flatten()(inputs)
        x = keras.layers.Dense(5, kernel_regularizer=switches.kernel_regularizer)(x)
        x = switches.dropout(x)
        outputs = keras.layers.Dense(units, activation=activation)(x)
        model = keras.Model(inputs, outputs, name="tiny")
        model.trainable = trainable
        return model

    return build_model


def _study(out, build_model, data=(_X, _Y), **kwargs):
    options = {
        "techniques": ("L1", "Dropout"),
        "seeds": 1,
        "epochs": 1,
        "learning_rates": (0.1,),
        "path": False,
        "verbose": 0,
        **kwargs,
    }
    return study(build_model, data, out=str(out), **options)


def _build_model_message(build_model, expected):
    return (
        f"Invalid value for argument `build_model`. Expected {expected}. "
        f"Received: build_model={build_model!r}"
    )


_UNITS = _model(units=10)
_FLAT = _model(shape=(16,))
_FROZEN = _model(trainable=False)
_SOFTMAX = _model(activation="softmax")
_UNKNOWN_LOSS = "sparse_categorical_crosentropy"


@pytest.mark.parametrize(
    "build_model,data,kwargs,message",
    [
        (
            _UNITS,
            (_X, _Y),
            {},
            _build_model_message(
                _UNITS,
                "a model with one output of 3 units, one per class of `data` (its "
                "model gives an output of shape (24, 10) for a batch of 24)",
            ),
        ),
        (
            _model(),
            (_X.reshape(40, 16), _Y),
            {},
            "Invalid value for argument `data`. Expected examples of the shape "
            "build_model's model takes, (4, 4, 1) (reshape x, or change the "
            "model's input). Received: data='examples of shape (16,)'",
        ),
        (
            _FLAT,
            (_X, _Y),
            {},
            "Invalid value for argument `data`. Expected examples of the shape "
            "build_model's model takes, (16,) (reshape x, or change the model's "
            "input). Received: data='examples of shape (4, 4, 1)'",
        ),
        (
            _model(),
            (_X, _Y),
            {"loss": _UNKNOWN_LOSS},
            "Invalid value for argument `loss`. Expected None, a Keras loss, its "
            "name, or a callable (y_true, y_pred) -> loss. "
            f"Received: loss={_UNKNOWN_LOSS!r}",
        ),
        (
            _FROZEN,
            (_X, _Y),
            {},
            _build_model_message(
                _FROZEN,
                "a model with trainable weights (its model has none: nothing to "
                "regularize or train)",
            ),
        ),
        (
            _SOFTMAX,
            (_X, _Y),
            {"loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True)},
            "Invalid value for argument `loss`. Expected a loss on probabilities "
            "(from_logits=False), as build_model's model outputs them (this loss "
            "reads its outputs as logits (from_logits=True)). Received: loss=",
        ),
        (
            _model(),
            (_X, _Y),
            {"loss": keras.losses.SparseCategoricalCrossentropy()},
            "Invalid value for argument `loss`. Expected a loss on logits, as "
            "build_model's model outputs them (this loss reads its outputs as "
            "probabilities). Received: loss=",
        ),
    ],
    ids=[
        "units",
        "flat_data",
        "flat_model",
        "unknown_loss",
        "no_trainable_weights",
        "softmax_logits_loss",
        "logits_probabilities_loss",
    ],
)
def test_a_mismatch_is_named_before_anything_is_written(
    tmp_path, build_model, data, kwargs, message
):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        _study(tmp_path / "out", build_model, data, **kwargs)
    assert not (tmp_path / "out").exists()


def test_outputs_that_are_not_finite_are_named(tmp_path):
    def build_model(switches):
        inputs = keras.Input((4, 4, 1))
        x = keras.layers.Flatten()(inputs)
        x = switches.dropout(keras.layers.Dense(3)(x))
        return keras.Model(inputs, keras.layers.Lambda(lambda t: t * np.inf)(x))

    message = _build_model_message(
        build_model,
        "a model whose outputs on a batch of `data` are finite (its model's hold "
        "NaN or inf before any training)",
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        _study(tmp_path / "out", build_model, techniques=("Dropout",))
    assert not (tmp_path / "out").exists()


def test_a_model_that_fails_on_a_batch_is_named(tmp_path):
    class Broken(keras.Model):
        def __init__(self, switches):
            super().__init__()
            self.dense = keras.layers.Dense(3)
            self.dropout = switches.dropout()

        def call(self, x):
            raise RuntimeError("no call today")

    message = _build_model_message(
        Broken,
        "a model that takes a batch of `data` (x of shape (24, 4, 4, 1), "
        "float32); calling it raised RuntimeError: no call today",
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        _study(tmp_path / "out", Broken, techniques=("Dropout",))
    assert not (tmp_path / "out").exists()


def _arguments(build_model, loss=None):
    return StudyArguments.checked(
        build_model=build_model,
        data=None,
        techniques=("Dropout",),
        seeds=1,
        epochs=1,
        out="unused",
        combinations=(),
        grids={"Dropout": (0.5,)},
        learning_rates=(0.1,),
        optimizer=None,
        loss=loss,
        batch_size=8,
        augmentation=None,
        path=False,
        halving=True,
        image_size=None,
        overwrite=False,
        verbose=0,
        stream=None,
        workers=1,
        budget=None,
        tensorboard=False,
    )


@pytest.mark.parametrize(
    "build_model",
    [
        _SOFTMAX,
        lambda switches: keras.Sequential(
            [
                keras.Input((4, 4, 1)),
                keras.layers.Flatten(),
                switches.dropout(),
                keras.layers.Dense(3),
                keras.layers.Softmax(),
            ]
        ),
    ],
    ids=["dense_softmax", "softmax_layer"],
)
def test_a_softmax_output_gets_the_cross_entropy_on_probabilities(build_model):
    arguments = _arguments(build_model)
    data = as_dataset((_X, _Y))
    trainer = Trainer(
        build_model=build_model,
        data=data,
        loss=arguments.compiled_loss(),
        optimizer=arguments.optimizer_factory(),
        augmentation=None,
        batch_size=8,
    )
    checked, _ = preflight(arguments, trainer, arguments.plan())
    assert checked.loss.get_config()["from_logits"] is False
    # The validation loss the study chooses by is the cross-entropy of the
    # probabilities, -mean(log p[y]), computed here independently.
    model = checked.model(arguments.plan().techniques[0].setting(0.5), 0.1, 0)
    probabilities = keras.ops.convert_to_numpy(model(data.x_val, training=False))
    expected = -np.mean(np.log(probabilities[np.arange(len(data.y_val)), data.y_val]))
    assert checked.evaluate(model)[0] == pytest.approx(expected, rel=1e-5)


def test_a_logits_model_keeps_the_default_loss():
    arguments = _arguments(_model())
    trainer = Trainer(
        build_model=_model(),
        data=as_dataset((_X, _Y)),
        loss=arguments.compiled_loss(),
        optimizer=arguments.optimizer_factory(),
        augmentation=None,
        batch_size=8,
    )
    checked, model = preflight(arguments, trainer, arguments.plan())
    assert checked is trainer
    assert model.name == "tiny"


def _ignores_rate(learning_rate):
    return keras.optimizers.SGD(0.5)


def _gives_a_name(learning_rate):
    return "sgd"


@pytest.mark.parametrize(
    "optimizer,error,expected",
    [
        (_ignores_rate, ValueError, "; given 0.1 it trains at 0.5"),
        (_gives_a_name, TypeError, "; it returned 'sgd' for 0.1"),
    ],
    ids=["ignores_rate", "name"],
)
def test_an_optimizer_that_ignores_the_learning_rate_is_refused(
    tmp_path, optimizer, error, expected
):
    message = (
        "Invalid value for argument `optimizer`. Expected a callable "
        "`learning_rate -> keras optimizer` whose optimizer trains at the "
        f"learning rate it is given{expected}. Received: optimizer={optimizer!r}"
    )
    with pytest.raises(error, match="^" + re.escape(message) + "$"):
        _study(tmp_path / "out", _model(), optimizer=optimizer)
    assert not (tmp_path / "out").exists()


def test_nan_in_the_data_is_named_before_anything_is_written(tmp_path):
    x = _X.copy()
    x[5, 0, 0, 0] = np.nan
    message = (
        "Invalid value for argument `data`. Expected finite examples x (no NaN "
        "or inf). Received: data='x of shape (40, 4, 4, 1) (float32), y of shape "
        "(40,) (int64), 1 NaN or infinite values in x'"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        _study(tmp_path / "out", _model(), (x, _Y))
    assert not (tmp_path / "out").exists()
