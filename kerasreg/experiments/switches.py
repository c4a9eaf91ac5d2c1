"""Switches: where the user's model code puts each technique of a study.

One model definition serves every configuration: `build_model(switches)`
calls the switches where a technique would go, and a switched-off technique
is the identity (no layer at all in a functional model).
"""

import keras

from kerasreg.layers import BatchNormalization, Dropout


class Switches:
    """The places of a study's techniques in one model, set per configuration.

    `study` builds every model as `build_model(switches)`. The model code
    asks the switches for what goes where:

    - `kernel_regularizer`: the penalty (`kerasreg.L1`, `L2`, `ElasticNet`
      or `GroupLasso`) to pass as `kernel_regularizer=`, or `None`. A model
      that never reads it gets the penalty on every kernel through
      `kerasreg.apply_regularization`.
    - `dropout(x)`: `kerasreg.layers.Dropout(rate)(x)`, or `x` itself.
    - `batch_norm(x)`: `kerasreg.layers.BatchNormalization()(x)`, or `x`.
    - `augment(x)`: the augmentation layer applied to `x`, or `x`.

    Called without `x`, each of the three returns a layer instead (a
    `keras.layers.Identity` when off), for `keras.Sequential` lists and for
    subclassed models, which create their layers in `__init__`. Early
    stopping needs no place in the model: the study adds the callback.

    Each dropout and augmentation layer gets its own seed, derived from the
    run's seed in the order the model asks for them, so a run is reproducible.

    Args:
        penalty: a kernel regularizer, or `None`.
        dropout_rate: float in [0, 1), 0 for no dropout.
        batch_norm: bool, whether `batch_norm` adds a layer.
        augmentation: callable `seed -> layer`, or `None`.
        seed: int, the run's seed.

    Example:

    >>> def build_model(switches):
    ...     inputs = keras.Input((8,))
    ...     x = keras.layers.Dense(
    ...         16, kernel_regularizer=switches.kernel_regularizer)(inputs)
    ...     x = switches.batch_norm(x)
    ...     x = switches.dropout(keras.layers.Activation("relu")(x))
    ...     return keras.Model(inputs, keras.layers.Dense(3)(x))
    >>> plain = build_model(Switches(seed=0))
    >>> [type(layer).__name__ for layer in plain.layers]
    ['InputLayer', 'Dense', 'Activation', 'Dense']
    >>> regularized = build_model(Switches(dropout_rate=0.3, seed=0))
    >>> [type(layer).__name__ for layer in regularized.layers]
    ['InputLayer', 'Dense', 'Activation', 'Dropout', 'Dense']
    """

    def __init__(
        self,
        penalty=None,
        dropout_rate=0.0,
        batch_norm=False,
        augmentation=None,
        seed=0,
    ):
        self._penalty = penalty
        self.dropout_rate = dropout_rate
        self.batch_norm_on = batch_norm
        self._augmentation = augmentation
        self._seed = seed
        self._layers_made = 0
        # What the model code asked for: a technique that is on but was never
        # asked for has no place in the model.
        self.used = set()

    @property
    def kernel_regularizer(self):
        """The penalty for `kernel_regularizer=`, or `None`."""
        self.used.add("kernel_regularizer")
        return self._penalty

    def dropout(self, x=None):
        """Dropout on `x` (or the layer, when `x` is None); identity when off."""
        self.used.add("dropout")
        layer = (
            Dropout(self.dropout_rate, seed=self._next_seed())
            if self.dropout_rate
            else None
        )
        return _placed(layer, x)

    def batch_norm(self, x=None):
        """Batch normalization on `x` (or the layer); identity when off."""
        self.used.add("batch_norm")
        return _placed(BatchNormalization() if self.batch_norm_on else None, x)

    def augment(self, x=None):
        """The augmentation on `x` (or the layer); identity when off."""
        self.used.add("augment")
        layer = self._augmentation(self._next_seed()) if self._augmentation else None
        return _placed(layer, x)

    def _next_seed(self):
        self._layers_made += 1
        return self._seed * 1000 + self._layers_made


def _placed(layer, x):
    if x is None:
        return layer or keras.layers.Identity()
    return x if layer is None else layer(x)
