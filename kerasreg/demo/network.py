"""The demo's network: a small MLP, with a technique's regularizers plugged in."""

import keras

from kerasreg.demo.augment import make_augmentation
from kerasreg.layers import BatchNormalization, Dropout
from kerasreg.optimizers import Proximal

# Wide enough to memorize a few hundred images, small enough for two cores.
HIDDEN_UNITS = (256, 256)
LEARNING_RATE = 0.05
MOMENTUM = 0.9


def build_model(technique, data, seed, steps_per_execution=1):
    """The network for `data` with `technique`'s regularizers, compiled.

    Flatten, then Dense-ReLU hidden layers (`HIDDEN_UNITS`) and a Dense output
    of logits. The technique adds: a kernel penalty on every Dense layer,
    batch normalization before each activation, dropout after it, and the
    augmentation in front of everything (active only in training).

    Every model is trained by SGD with momentum wrapped in
    `kerasreg.optimizers.Proximal`: for L1 and ElasticNet the wrapper applies
    the L1 part as a soft-threshold (threshold learning rate · l1) after each
    step, so the weights it zeroes are exactly 0.0; for every other technique
    it leaves SGD's update unchanged, so all techniques share one optimizer.
    (Under Adam the same threshold would be tiny next to Adam's normalized
    steps, and few weights would reach zero.)

    Args:
        technique: a `kerasreg.demo.techniques.Technique`.
        data: a `kerasreg.demo.data.Dataset` (for the shapes).
        seed: int, the seed of the dropout masks and augmentation draws.
        steps_per_execution: int, training steps per compiled call.
            Defaults to `1`.

    Returns:
        A compiled `keras.Model` with a sparse categorical cross-entropy loss
        and an "accuracy" metric.

    Example:

    >>> from kerasreg.demo.data import load_dataset
    >>> from kerasreg.demo.techniques import TECHNIQUES
    >>> model = build_model(TECHNIQUES[1], load_dataset("digits"), seed=0)
    """
    penalty = technique.penalty() if technique.penalty else None
    inputs = keras.Input(data.image_shape)
    x = inputs
    if technique.augmentation:
        x = make_augmentation(data, seed)(x)
    x = keras.layers.Flatten()(x)
    for index, units in enumerate(HIDDEN_UNITS):
        # A bias before batch normalization would be cancelled by its mean.
        x = keras.layers.Dense(
            units, use_bias=not technique.batch_norm, kernel_regularizer=penalty
        )(x)
        if technique.batch_norm:
            x = BatchNormalization()(x)
        x = keras.layers.Activation("relu")(x)
        if technique.dropout_rate:
            x = Dropout(technique.dropout_rate, seed=seed + index)(x)
    outputs = keras.layers.Dense(data.num_classes, kernel_regularizer=penalty)(x)
    model = keras.Model(inputs, outputs, name=technique.name.replace(" ", "_"))
    model.compile(
        optimizer=Proximal(keras.optimizers.SGD(LEARNING_RATE, momentum=MOMENTUM)),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )
    # Built now, before the first train step is traced, Proximal takes the
    # penalties out of the loss graph altogether (see its docstring).
    model.optimizer.build(model.trainable_variables)
    return model
