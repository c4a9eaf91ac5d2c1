"""The demo's network: a small MLP, with the study's switches in place."""

import dataclasses

import keras

# Wide enough to memorize a few hundred images, small enough for two cores.
HIDDEN_UNITS = (256, 256)


def network(image_shape, num_classes):
    """The demo's `build_model` for images of `image_shape`: `switches -> model`.

    Augmentation, then flatten, then Dense hidden layers (`HIDDEN_UNITS`),
    each with the penalty, batch normalization before and dropout after its
    ReLU, and a Dense output of `num_classes` logits.

    Args:
        image_shape: tuple, (height, width, channels).
        num_classes: int.

    Returns:
        A callable `kerasreg.experiments.Switches -> keras.Model`, picklable
        (a study's `workers` receive it pickled).

    Example:

    >>> from kerasreg.experiments import Switches
    >>> model = network((8, 8, 1), 10)(Switches(dropout_rate=0.3))
    >>> [type(layer).__name__ for layer in model.layers][-4:]
    ['Dense', 'ReLU', 'Dropout', 'Dense']
    """
    return _Network(tuple(image_shape), num_classes)


@dataclasses.dataclass(frozen=True)
class _Network:
    # A class, not a closure: `study(..., workers=N)` sends it pickled to
    # its worker processes.
    image_shape: tuple
    num_classes: int

    def __call__(self, switches):
        inputs = keras.Input(self.image_shape)
        x = keras.layers.Flatten()(switches.augment(inputs))
        for units in HIDDEN_UNITS:
            # A bias before batch normalization would be cancelled by its mean.
            x = keras.layers.Dense(
                units,
                use_bias=not switches.batch_norm_on,
                kernel_regularizer=switches.kernel_regularizer,
            )(x)
            x = switches.dropout(keras.layers.ReLU()(switches.batch_norm(x)))
        outputs = keras.layers.Dense(
            self.num_classes, kernel_regularizer=switches.kernel_regularizer
        )(x)
        return keras.Model(inputs, outputs, name="demo_mlp")
