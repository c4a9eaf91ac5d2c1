"""The study's dry run: `build_model`, the loss and one batch of `data`, tried
before the first trial and before anything is written.

A mismatch (output units against the classes, the input shape against the
examples, a loss that cannot score the outputs, a model with nothing to
train) would otherwise surface inside keras-tuner's first trial, as its
"Number of consecutive failures exceeded the limit", with the study's folder
already written.
"""

import dataclasses
import re

import keras
import numpy as np

from kerasreg._validation import invalid
from kerasreg.experiments.techniques import Setting
from kerasreg.feature_selection import input_norms

# Outputs that are non-negative and sum to 1 per example within this are
# probabilities (a softmax), not logits.
_PROBABILITY_TOLERANCE = 1e-4
_KERAS_PREFIX = "Exception encountered when calling"


def preflight(arguments, trainer, plan):
    """Build the baseline and the model with every technique on, and pass one
    training batch through each and through the loss.

    Args:
        arguments: the study's `StudyArguments`.
        trainer: the study's `Trainer`.
        plan: the study's `Plan`.

    Returns:
        `(trainer, model)`: the trainer to run the trials with (its loss on
        probabilities where the model ends in a softmax and the loss is the
        study's default; counting the features each path point keeps where
        the examples are a table's rows and the first Dense layer takes
        them), and the model with every technique on (its name and size go
        into the report).

    Raises:
        ValueError, TypeError: `build_model`'s model cannot train on `data`
            with the loss; the message names `build_model`, `data` or `loss`.
    """
    everything = Setting()
    for t in plan.techniques:
        everything = everything.merged(t.setting(t.grid[0]))
    rate = plan.learning_rates[0]
    model = trainer.model(everything, rate, seed=0)
    for built in (model, trainer.model(Setting(), rate, seed=0)):
        outputs = _one_batch(built, trainer)
        trainer = _with_matching_loss(arguments, trainer, outputs)
        _check_loss_value(trainer, outputs)
    if trainer.data.tabular and _takes_the_features(model, trainer.data):
        trainer = dataclasses.replace(trainer, count_features=True)
    return trainer, model


def _takes_the_features(model, data):
    """Whether `model`'s first Dense layer has one kernel row per feature of
    `data`: then a row of exact zeros is a feature the model dropped."""
    try:
        norms = input_norms(model)
    except ValueError:  # no Dense layer: nothing tells which inputs are used
        return False
    return len(norms) == data.image_shape[0]


def _one_batch(model, trainer):
    """The model's outputs on the first training batch, checked."""
    data, build_model = trainer.data, trainer.build_model
    x = data.x_train[: trainer.batch_size]
    inputs = getattr(model, "inputs", None) or []
    if len(inputs) == 1 and not _fits(inputs[0].shape[1:], x.shape[1:]):
        raise invalid(
            "data",
            f"examples of shape {x.shape[1:]}",
            f"examples of the shape build_model's model takes, "
            f"{tuple(inputs[0].shape[1:])} (reshape x, or change the model's "
            "input)",
        )
    try:
        outputs = model(x, training=False)
    except Exception as error:
        raise invalid(
            "build_model",
            build_model,
            f"a model that takes a batch of `data` (x of shape {x.shape}, "
            f"{x.dtype}); calling it raised {type(error).__name__}: {_reason(error)}",
        ) from error
    # Checked after the call: a subclassed model makes its weights then.
    if not model.trainable_weights:
        raise invalid(
            "build_model",
            build_model,
            "a model with trainable weights (its model has none: nothing to "
            "regularize or train)",
        )
    shape = tuple(keras.ops.shape(outputs)) if keras.ops.is_tensor(outputs) else None
    if shape != (len(x), data.num_classes):
        got = f"output of shape {shape}" if shape else f"a {type(outputs).__name__}"
        raise invalid(
            "build_model",
            build_model,
            f"a model with one output of {data.num_classes} units, one per "
            f"class of `data` (its model gives an {got} for a batch of "
            f"{len(x)})",
        )
    outputs = keras.ops.convert_to_numpy(outputs)
    if not np.all(np.isfinite(outputs)):
        raise invalid(
            "build_model",
            build_model,
            "a model whose outputs on a batch of `data` are finite (its "
            "model's hold NaN or inf before any training)",
        )
    return outputs


def _reason(error):
    """The first line of `error` that says what went wrong: Keras prefixes a
    layer's error with where it happened, in bold (terminal escapes)."""
    lines = (
        re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(error).splitlines()
    )
    said = [line for line in lines if line and not line.startswith(_KERAS_PREFIX)]
    return said[0] if said else "(no message)"


def _fits(wanted, given):
    return len(wanted) == len(given) and all(
        size in (None, actual) for size, actual in zip(wanted, given, strict=True)
    )


def _with_matching_loss(arguments, trainer, outputs):
    """The trainer with a loss that reads the outputs as what they are."""
    probabilities = bool(
        np.all(outputs >= 0)
        and np.allclose(outputs.sum(axis=-1), 1.0, atol=_PROBABILITY_TOLERANCE)
    )
    loss = keras.losses.get(trainer.loss)
    from_logits = (
        loss.get_config().get("from_logits")
        if isinstance(loss, keras.losses.Loss)
        else None
    )
    if from_logits is None or from_logits != probabilities:
        return trainer
    if probabilities and arguments.loss is None:
        # The default loss reads logits; a model that ends in a softmax gets
        # the same cross-entropy on its probabilities.
        return dataclasses.replace(
            trainer, loss=keras.losses.SparseCategoricalCrossentropy()
        )
    wanted = "probabilities (from_logits=False)" if probabilities else "logits"
    given = "logits (from_logits=True)" if from_logits else "probabilities"
    raise invalid(
        "loss",
        arguments.loss,
        f"a loss on {wanted}, as build_model's model outputs them (this loss "
        f"reads its outputs as {given})",
    )


def _check_loss_value(trainer, outputs):
    y = trainer.data.y_train[: len(outputs)]
    expected = "a loss that scores the model's outputs against `data`'s labels"
    try:
        value = keras.ops.convert_to_numpy(keras.losses.get(trainer.loss)(y, outputs))
    except Exception as error:
        raise invalid(
            "loss", trainer.loss, f"{expected} (it raised {type(error).__name__})"
        ) from error
    if np.shape(value) != () or not np.isfinite(value):
        raise invalid(
            "loss", trainer.loss, f"{expected}, as one finite number (it gave {value})"
        )
