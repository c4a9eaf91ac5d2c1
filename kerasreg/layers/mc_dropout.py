"""Monte Carlo dropout predictions in one batched forward pass per chunk."""

import keras
import numpy as np

from kerasreg import _validation
from kerasreg.layers._dropout_family import StochasticLayer, monte_carlo
from kerasreg.layers._layer_tree import walk_layers


def _rows(x):
    return len(keras.tree.flatten(x)[0])


def mc_predict(model, x, samples=30, batch_size=32):
    """Mean and standard deviation of `samples` Monte Carlo dropout predictions.

    Every kerasreg dropout-family layer (`Dropout`, `DropBlock2D`,
    `StochasticDepth`) in `model` is active in this function's forward
    passes, as if built with `always_on=True`; everything else runs in
    inference mode (BatchNormalization uses its moving statistics). The model
    is left as it is: its layers' `always_on` flags and its compiled
    `predict` are not touched, so a `predict` in another thread meanwhile is
    unaffected. Each chunk
    of `batch_size` inputs is tiled `samples` times and predicted in one
    forward pass, so the samples cost one batched call rather than `samples`
    calls of `predict`. For input n:

        mean_n = (1 / S) * sum_s f_s(x_n),
        std_n = sqrt((1 / S) * sum_s (f_s(x_n) - mean_n) ** 2),

    with S = `samples` and f_s the model with the s-th dropout masks. Keras'
    own `keras.layers.Dropout` layers stay off.

    Args:
        model: a Keras model containing kerasreg dropout-family layers with
            a positive rate.
        x: NumPy array (or a dict or list of them for several inputs).
        samples: int >= 1, the number of dropout masks per input. Defaults
            to `30`.
        batch_size: int >= 1, inputs per forward pass (each tiled `samples`
            times). Defaults to `32`.

    Returns:
        `(mean, std)`: float32 NumPy arrays shaped like the model's output
        (nested likewise for several outputs).

    Example:

    >>> model = keras.Sequential([
    ...     keras.Input((4,)),
    ...     keras.layers.Dense(16, activation="relu"),
    ...     kerasreg.layers.Dropout(0.2, seed=0),
    ...     keras.layers.Dense(1),
    ... ])
    >>> mean, std = kerasreg.layers.mc_predict(model, np.ones((8, 4)), samples=20)
    >>> mean.shape, std.shape
    ((8, 1), (8, 1))

    Reference:
        Gal and Ghahramani, 2016. Dropout as a Bayesian Approximation:
        Representing Model Uncertainty in Deep Learning. ICML.
    """
    samples = _validation.check_int("samples", samples, low=1)
    batch_size = _validation.check_int("batch_size", batch_size, low=1)
    if not isinstance(model, keras.layers.Layer):
        raise _validation.invalid(
            "model", type(model).__name__, "a Keras model", error=TypeError
        )
    if not any(
        isinstance(layer, StochasticLayer) and layer.rate > 0
        for layer in walk_layers(model)
    ):
        raise _validation.invalid(
            "model",
            model.name,
            "a model with kerasreg Dropout, DropBlock2D or StochasticDepth "
            "layers of rate > 0",
        )
    x = _check_inputs(x)
    _check_input_shapes(model, x)
    forward = _forward(model)
    with monte_carlo():
        chunks = [
            _predict_chunk(forward, x, start, batch_size, samples)
            for start in range(0, _rows(x), batch_size)
        ]
    means, stds = zip(*chunks, strict=True)
    return (
        keras.tree.map_structure(_concatenate, *means),
        keras.tree.map_structure(_concatenate, *stds),
    )


def _check_inputs(x):
    """`x` as a structure of NumPy arrays of one positive number of rows."""
    expected = "a NumPy array, or a list or dict of them, of one number (>= 1) of rows"
    try:
        arrays = keras.tree.map_structure(np.asarray, x)
    except (TypeError, ValueError):
        raise _validation.invalid("x", type(x).__name__, expected) from None
    leaves = keras.tree.flatten(arrays)
    described = [f"{a.dtype} array of shape {a.shape}" for a in leaves]
    if not leaves or any(
        a.ndim == 0 or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool)
        for a in leaves
    ):
        raise _validation.invalid("x", ", ".join(described) or "nothing", expected)
    if len({len(a) for a in leaves}) != 1 or len(leaves[0]) == 0:
        raise _validation.invalid("x", ", ".join(described), expected)
    return arrays


def _check_input_shapes(model, x):
    """`x` against the model's declared inputs, before a traced call fails on
    it; a model that declares none (subclassed) is not checked, and a dict is
    matched to the inputs by name."""
    inputs = getattr(model, "inputs", None) or []
    if isinstance(x, dict):
        names = {tensor.name: tensor for tensor in inputs}
        if set(x) != set(names):
            return
        pairs = [(x[name], names[name]) for name in x]
    else:
        leaves = keras.tree.flatten(x)
        if not inputs or len(leaves) != len(inputs):
            return
        pairs = list(zip(leaves, inputs, strict=True))
    if all(
        array.ndim == len(tensor.shape)
        # Same rank checked first: the sizes pair up one to one.
        and all(
            s in (None, g)
            for s, g in zip(tensor.shape[1:], array.shape[1:], strict=True)
        )
        for array, tensor in pairs
    ):
        return
    described = ", ".join(f"{a.dtype} array of shape {a.shape}" for a, _ in pairs)
    expected = " and ".join(str(tuple(tensor.shape)) for _, tensor in pairs)
    raise _validation.invalid(
        "x", described, f"inputs of shape {expected}, the model's input"
    )


def _forward(model):
    """The model's inference call; on TensorFlow a function of its own, never
    the model's cached `predict_function`, traced in the calling thread."""

    def forward(x):
        return model(x, training=False)

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        return tf.function(forward, reduce_retracing=True)
    return forward


def _concatenate(*parts):
    return np.concatenate(parts).astype("float32")


def _predict_chunk(forward, x, start, batch_size, samples):
    chunk = keras.tree.map_structure(lambda a: a[start : start + batch_size], x)
    tiled = keras.tree.map_structure(
        lambda a: np.tile(a, (samples,) + (1,) * (a.ndim - 1)), chunk
    )
    outputs = keras.tree.map_structure(keras.ops.convert_to_numpy, forward(tiled))
    # Tiling is sample-major: rows s * n ... (s + 1) * n - 1 are draw s.
    draws = keras.tree.map_structure(
        lambda y: np.asarray(y, "float64").reshape((samples, -1) + y.shape[1:]),
        outputs,
    )
    mean = keras.tree.map_structure(lambda d: d.mean(axis=0), draws)
    std = keras.tree.map_structure(lambda d: d.std(axis=0), draws)
    return mean, std
