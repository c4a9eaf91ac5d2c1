"""Precise BN: population statistics recomputed exactly over the data."""

import keras
import numpy as np

from kerasreg import _validation
from kerasreg.layers._layer_tree import walk_layers
from kerasreg.layers.batch_normalization import BATCH_NORM_TYPES

_DATA_FORMS = (
    "x, (x, y) or (x, y, sample_weight) of arrays, or a dataset, PyDataset or "
    "iterable of such batches"
)


def _describe(data):
    """A short stand-in for `data` in messages (never a whole array)."""
    if hasattr(data, "shape"):
        return f"an array of shape {tuple(data.shape)}"
    return f"a {type(data).__name__}"


def _is_arrays(data):
    leaves = keras.tree.flatten(data)
    return bool(leaves) and all(
        isinstance(leaf, np.ndarray) or keras.ops.is_tensor(leaf) for leaf in leaves
    )


def _batch_inputs(element):
    """The model inputs of one batch, as `fit` unpacks them."""
    try:
        x, _, _ = keras.utils.unpack_x_y_sample_weight(element)
    except ValueError:
        raise _validation.invalid("data", _describe(element), _DATA_FORMS) from None
    if not _is_arrays(x):
        raise _validation.invalid("data", f"a batch of {_describe(x)}", _DATA_FORMS)
    return x


def _rows(x):
    """The number of samples in the batch `x`; every input must agree."""
    sizes = set()
    for leaf in keras.tree.flatten(x):
        if len(leaf.shape) == 0:
            raise _validation.invalid("data", "an array of shape ()", _DATA_FORMS)
        sizes.add(int(leaf.shape[0]))
    if len(sizes) != 1:
        raise _validation.invalid(
            "data",
            f"inputs of {sorted(sizes)} samples",
            "the same number of samples in every input",
        )
    return sizes.pop()


def _batches(data, batch_size, steps):
    """The model inputs of `data`, batch by batch (at most `steps`)."""
    if isinstance(data, tuple) and _is_arrays(data):
        data = _batch_inputs(data)  # (x, y) or (x, y, sample_weight) arrays
    if _is_arrays(data):
        rows = _rows(data)
        elements = (
            keras.tree.map_structure(lambda a, s=start: a[s : s + batch_size], data)
            for start in range(0, rows, batch_size)
        )
        inputs = elements
    elif isinstance(data, keras.utils.PyDataset):
        inputs = (_batch_inputs(data[i]) for i in range(len(data)))
    elif hasattr(data, "__iter__") and not isinstance(data, (str, bytes, dict)):
        cardinality = getattr(data, "cardinality", None)
        if steps is None and cardinality is not None and int(cardinality()) == -1:
            raise _validation.invalid(
                "steps", steps, "an int >= 1 for an infinite dataset"
            )
        inputs = (_batch_inputs(element) for element in data)
    else:
        raise _validation.invalid("data", _describe(data), _DATA_FORMS, error=TypeError)
    for step, x in enumerate(inputs):
        if steps is not None and step >= steps:
            return
        yield x


def _batch_norm_layers(model):
    if not isinstance(model, keras.layers.Layer):
        raise _validation.invalid(
            "model", _describe(model), "a Keras model", error=TypeError
        )
    layers = [
        layer
        for layer in walk_layers(model)
        if isinstance(layer, BATCH_NORM_TYPES) and layer.built
    ]
    if not layers:
        raise _validation.invalid(
            "model", model.name, "a built model with BatchNormalization layers"
        )
    return layers


def _set_flags(layers, flags):
    for layer, values in zip(layers, flags, strict=True):
        for name, value in values.items():
            setattr(layer, name, value)


def _recalibration_flags(layer):
    """Settings under which one training call writes the batch statistics
    into the moving ones and changes nothing else a later batch reads."""
    flags = {"trainable": True, "momentum": 0.0}
    if getattr(layer, "renorm", False):
        flags["renorm_momentum"] = 1.0
    if getattr(layer, "virtual_batch_size", None) is not None:
        flags["virtual_batch_size"] = None
    return flags


def _population(batch_statistics):
    """Mean and biased variance over all samples from per-batch (n, mean,
    variance): the law of total variance, summed around the overall mean."""
    counts = np.array([n for n, _, _ in batch_statistics], "float64")
    means = np.stack([m for _, m, _ in batch_statistics])
    variances = np.stack([v for _, _, v in batch_statistics])
    weights = (counts / counts.sum()).reshape((-1,) + (1,) * (means.ndim - 1))
    mean = np.sum(weights * means, axis=0)
    variance = np.sum(weights * (variances + np.square(means - mean)), axis=0)
    return mean, variance


def recalibrate_batch_norm(model, data, steps=None, batch_size=32):
    """Recompute the population statistics of every BN layer in `model`.

    "Precise BN": the moving averages of training are an exponential average
    of statistics from weights that kept changing, and miss when the batch
    size or the input distribution changes after training. This runs `model`
    in training mode over `data` with the weights fixed and sets, for each
    BatchNormalization layer (kerasreg's or Keras'), the mean and (biased)
    variance of that layer's input over the whole data. From the batches b
    of n_b samples, batch means mu_b and variances var_b, N = sum_b n_b:

        moving_mean = mu = sum_b n_b * mu_b / N,
        moving_variance = sum_b n_b * (var_b + mu_b**2) / N - mu**2

    (computed in float64 as sum_b n_b * (var_b + (mu_b - mu)**2) / N, the
    same value without cancellation). Batches are weighted by their number of
    samples, which is exact when every sample contributes as many positions
    (no mask). Layers with `renorm=True` also get
    `moving_stddev = sqrt(moving_variance + epsilon)`; ghost batch norm
    layers count the whole data, like plain ones.

    Nothing else changes: trainable weights, other non-trainable state
    (renorm statistics, random seeds) and the layers' settings are kept, and
    frozen BN layers are recalibrated too. All or nothing: if a batch fails,
    the model is left as it was and the error is raised.

    Args:
        model: a Keras model with built BatchNormalization layers.
        data: as `fit` takes it: an array (or a list or dict of arrays for
            several inputs), split into batches of `batch_size`; a tuple
            `(x, y)` or `(x, y, sample_weight)` of such arrays; or a
            `tf.data.Dataset`, `keras.utils.PyDataset`, generator or other
            iterable (a list is several inputs, as in `fit`) of batches `x`,
            `(x, y)` or `(x, y, sample_weight)`. Targets and sample weights
            are ignored, as BN's statistics are unweighted.
        steps: int >= 1 or None, the number of batches used; None uses all
            (required for an infinite dataset). Defaults to `None`.
        batch_size: int >= 1, the batch size for array `data`. Defaults to
            `32`.

    Returns:
        The number of samples used.

    Example:

    >>> model = keras.Sequential([
    ...     keras.Input((4,)),
    ...     keras.layers.Dense(8),
    ...     kerasreg.layers.BatchNormalization(),
    ... ])
    >>> x = np.random.default_rng(0).random((256, 4), "float32")
    >>> kerasreg.layers.recalibrate_batch_norm(model, x)
    256

    Reference:
        Wu and Johnson, 2021. Rethinking "Batch" in BatchNorm. arXiv:2105.07576.
    """
    layers = _batch_norm_layers(model)
    steps = None if steps is None else _validation.check_int("steps", steps, low=1)
    batch_size = _validation.check_int("batch_size", batch_size, low=1)
    batches = _batches(data, batch_size, steps)
    saved_flags = [
        {name: getattr(layer, name) for name in _recalibration_flags(layer)}
        for layer in layers
    ]
    variables = model.non_trainable_variables
    saved_state = [keras.ops.convert_to_numpy(v) for v in variables]
    statistics = [[] for _ in layers]
    try:
        _set_flags(layers, [_recalibration_flags(layer) for layer in layers])
        for x in batches:
            count = _rows(x)
            if count == 0:
                continue
            model(x, training=True)
            for layer, collected in zip(layers, statistics, strict=True):
                collected.append(
                    (
                        count,
                        keras.ops.convert_to_numpy(layer.moving_mean).astype("float64"),
                        keras.ops.convert_to_numpy(layer.moving_variance).astype(
                            "float64"
                        ),
                    )
                )
    finally:
        _set_flags(layers, saved_flags)
        for variable, value in zip(variables, saved_state, strict=True):
            variable.assign(value)
    if not statistics[0]:
        raise _validation.invalid("data", _describe(data), "at least one sample")
    for layer, collected in zip(layers, statistics, strict=True):
        mean, variance = _population(collected)
        layer.moving_mean.assign(mean)
        layer.moving_variance.assign(variance)
        if getattr(layer, "renorm", False):
            layer.moving_stddev.assign(np.sqrt(variance + layer.epsilon))
    return sum(count for count, _, _ in statistics[0])
