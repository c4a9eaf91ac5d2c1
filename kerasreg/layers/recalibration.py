"""Precise BN: population statistics recomputed as exact averages."""

import keras
import numpy as np

from kerasreg import _validation
from kerasreg.layers._walk import walk_layers
from kerasreg.layers.batch_normalization import BatchNormalization

_BATCH_NORM_TYPES = (BatchNormalization, keras.layers.BatchNormalization)
_POPULATION_STATISTICS = ("moving_mean", "moving_variance", "moving_stddev")


def _batches(data, batch_size):
    """Yield the model inputs of `data`, batch by batch."""
    if isinstance(data, np.ndarray) or keras.ops.is_tensor(data):
        for start in range(0, len(data), batch_size):
            yield data[start : start + batch_size]
        return
    for element in data:
        # (x, y) and (x, y, sample_weight) tuples, as `fit` takes them.
        yield element[0] if isinstance(element, tuple) else element


def recalibrate_batch_norm(model, data, steps=None, batch_size=32):
    """Recompute the population statistics of every BN layer in `model`.

    "Precise BN": the moving averages of training are an exponential average
    of statistics from weights that kept changing, and miss when the batch
    size or the input distribution changes after training. This runs `model`
    in training mode over `data` with the weights fixed and sets, for each
    BatchNormalization layer (kerasreg's or Keras'), the count-weighted
    cumulative average of the batch statistics over the K batches:

        moving_mean = sum_k n_k * mu_k / sum_k n_k,
        moving_variance = sum_k n_k * var_k / sum_k n_k

    (layers with `renorm=True` average the standard deviation, which they
    track, and derive the variance from it). It is exact: each layer's update
    rule is run with momentum 1 - n_k / (n_1 + ... + n_k). Nothing else
    changes: trainable weights, other non-trainable state (renorm
    statistics, random seeds) and the layers' momentum and `trainable` flags
    are restored; frozen BN layers are recalibrated too.

    Args:
        model: a Keras model with BatchNormalization layers.
        data: the inputs: a NumPy array or tensor (split into batches of
            `batch_size`), or an iterable of batches such as a
            `tf.data.Dataset`, whose `(x, y, ...)` tuples give x.
        steps: int >= 1 or None, the number of batches used; None uses all.
            Defaults to `None`.
        batch_size: int >= 1, the batch size for array `data`. Defaults to
            `32`.

    Returns:
        The number of samples used.

    Example:

    ```python
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(8),
        kerasreg.layers.BatchNormalization(),
    ])
    kerasreg.layers.recalibrate_batch_norm(model, np.random.rand(256, 4))
    ```

    Reference:
        Wu and Johnson, 2021. Rethinking "Batch" in BatchNorm. arXiv:2105.07576.
    """
    steps = None if steps is None else _validation.check_int("steps", steps, low=1)
    batch_size = _validation.check_int("batch_size", batch_size, low=1)
    layers = [
        layer
        for layer in walk_layers(model)
        if isinstance(layer, _BATCH_NORM_TYPES) and layer.built
    ]
    if not layers:
        raise _validation.invalid(
            "model", model.name, "a built model with BatchNormalization layers"
        )
    statistics = {
        id(getattr(layer, name))
        for layer in layers
        for name in _POPULATION_STATISTICS
        if hasattr(layer, name)
    }
    others = [v for v in model.non_trainable_variables if id(v) not in statistics]
    saved_state = [keras.ops.convert_to_numpy(v) for v in others]
    saved_flags = [(layer.momentum, layer.trainable) for layer in layers]
    seen = 0
    try:
        for layer in layers:
            layer.trainable = True
        for step, x in enumerate(_batches(data, batch_size)):
            if steps is not None and step >= steps:
                break
            count = int(keras.tree.flatten(x)[0].shape[0])
            seen += count
            for layer in layers:
                layer.momentum = 1.0 - count / seen
            model(x, training=True)
    finally:
        for layer, (momentum, trainable) in zip(layers, saved_flags, strict=True):
            layer.momentum = momentum
            layer.trainable = trainable
        for variable, value in zip(others, saved_state, strict=True):
            variable.assign(value)
    if seen == 0:
        raise _validation.invalid("data", type(data).__name__, "at least one batch")
    return seen
