"""Regularizers on an existing model: attach them, and report what they do."""

import inspect

import keras
import numpy as np
from keras import ops

from kerasreg import regularizers
from kerasreg._validation import check_bool, invalid
from kerasreg.layers._layer_tree import walk_layers

# (weight attribute, constructor argument that serializes its regularizer).
_KERNELS = (
    ("kernel", "kernel_regularizer"),
    ("embeddings", "embeddings_regularizer"),
    ("depthwise_kernel", "depthwise_regularizer"),
    ("pointwise_kernel", "pointwise_regularizer"),
)
_BIASES = (("bias", "bias_regularizer"),)


def _attach(layer, slots, regularizer, overwrite):
    attached = []
    for weight_name, argument in slots:
        variable = getattr(layer, weight_name, None)
        if not isinstance(variable, keras.Variable):
            continue
        if variable.regularizer is not None and not overwrite:
            continue
        variable.regularizer = regularizer
        # The layer's attribute is what get_config saves: set both so the
        # penalty survives save/load.
        setattr(layer, argument, regularizer)
        attached.append(f"{layer.name}/{weight_name}")
    return attached


def _check_built_model(model):
    if not isinstance(model, keras.Model):
        raise invalid("model", model, "a keras.Model", error=TypeError)
    if not model.built:
        raise invalid("model", model, "a built model (call it on data first)")


def _check_layer_filter(layer_filter):
    if layer_filter is None:
        return
    expected = "a callable layer -> bool"
    if not callable(layer_filter):
        raise invalid("layer_filter", layer_filter, expected, error=TypeError)
    try:
        signature = inspect.signature(layer_filter)
    except ValueError:  # some builtins have none to show; they are called as given
        return
    try:
        signature.bind(None)
    except TypeError:
        raise invalid("layer_filter", layer_filter, expected, error=TypeError) from None


def apply_regularization(
    model,
    kernel_regularizer=None,
    bias_regularizer=None,
    activity_regularizer=None,
    layer_filter=None,
    overwrite=False,
):
    """Attach regularizers to the layers of an existing, built model.

    Kernel penalties go on the weight matrices of Dense, Conv*, Embedding,
    DepthwiseConv and SeparableConv layers (their `kernel`, `embeddings`,
    `depthwise_kernel`, `pointwise_kernel`); bias penalties on their `bias`.
    Normalization parameters (BatchNormalization's gamma/beta) are never
    touched. The penalties show in `model.losses` at once and survive `.keras`
    save/load. Compile the model (again) afterwards: an already traced train
    function would not see them.

    Args:
        model: a built `keras.Model`; nested models are walked.
        kernel_regularizer: regularizer (or identifier for
            `kerasreg.regularizers.get`) for the weight matrices.
            Defaults to `None` (leave them).
        bias_regularizer: likewise for biases. Defaults to `None`.
        activity_regularizer: likewise for the layer outputs of the selected
            layers. Defaults to `None`.
        layer_filter: callable `layer -> bool` choosing the layers to touch.
            Defaults to `None` (every layer with such weights).
        overwrite: bool; replace regularizers already present. If False, a
            weight that already has one keeps it. Defaults to `False`.

    Returns:
        The list of `"layer/weight"` names that received a regularizer.

    Example:

    >>> base = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, name="head")])
    >>> kerasreg.apply_regularization(base, kernel_regularizer=kerasreg.L2(1e-4))
    ['head/kernel']
    """
    _check_built_model(model)
    _check_layer_filter(layer_filter)
    check_bool("overwrite", overwrite)
    kernel_regularizer = regularizers._get(kernel_regularizer, "kernel_regularizer")
    bias_regularizer = regularizers._get(bias_regularizer, "bias_regularizer")
    activity_regularizer = regularizers._get(
        activity_regularizer, "activity_regularizer"
    )
    attached = []
    for layer in walk_layers(model):
        if isinstance(layer, keras.Model):
            continue
        if layer_filter is not None and not layer_filter(layer):
            continue
        has_kernel = any(
            isinstance(getattr(layer, w, None), keras.Variable) for w, _ in _KERNELS
        )
        if not has_kernel:
            continue
        if kernel_regularizer is not None:
            attached += _attach(layer, _KERNELS, kernel_regularizer, overwrite)
        if bias_regularizer is not None:
            attached += _attach(layer, _BIASES, bias_regularizer, overwrite)
        if activity_regularizer is not None and (
            overwrite or layer.activity_regularizer is None
        ):
            layer.activity_regularizer = activity_regularizer
            attached.append(f"{layer.name}/activity")
    return attached


# (header, minimum width, alignment, cell of a row) per column of the table.
_TABLE = (
    ("layer", 28, "<", lambda row: row["layer"]),
    ("penalty", 14, ">", lambda row: f"{row['penalty']:.6g}"),
    ("weights", 12, ">", lambda row: f"{row['weights']:d}"),
    ("zeros", 12, ">", lambda row: f"{row['zeros']:d}"),
    ("zero %", 9, ">", lambda row: f"{100 * row['zero_fraction']:.2f}%"),
)


class RegularizationReport(list):
    """Rows of `regularization_report`; `str()` gives an aligned table.

    Args:
        rows: iterable of dicts, one per weight matrix, with the keys "layer",
            "penalty", "weights", "zeros" and "zero_fraction".

    Example:

    >>> layers = [keras.Input((3,)), keras.layers.Dense(2, name="dense")]
    >>> report = kerasreg.regularization_report(keras.Sequential(layers))
    >>> [(row["layer"], row["weights"]) for row in report]
    [('dense', 8)]
    >>> str(report).split()[:4]
    ['layer', 'penalty', 'weights', 'zeros']
    """

    def __str__(self):
        columns = [[header, *map(cell, self)] for header, _, _, cell in _TABLE]
        # A column grows past its minimum to keep two spaces before the next
        # one, whatever the length of a layer's name.
        widths = [
            max(minimum, 2 + max(map(len, texts)))
            for (_, minimum, _, _), texts in zip(_TABLE, columns, strict=True)
        ]
        lines = [
            "".join(
                f"{text:{align}{width}}"
                for text, (_, _, align, _), width in zip(
                    texts, _TABLE, widths, strict=True
                )
            )
            for texts in zip(*columns, strict=True)
        ]
        return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])


def _penalty_value(regularizer, variable):
    if regularizer is None:
        return 0.0
    # kerasreg penalties report their value even while Proximal applies them.
    value = getattr(regularizer, "value", regularizer)
    return float(ops.convert_to_numpy(value(variable)))


def regularization_report(model):
    """Per layer: weight penalty value, weight count and exactly-zero weights.

    Counts every trainable weight of the layer (kernels and biases); the
    penalty is the sum of its weight regularizers, computed from the formulas
    (also for penalties that `Proximal` applies in the optimizer).

    Args:
        model: a built `keras.Model`; nested models are walked.

    Returns:
        A `RegularizationReport` (a list of dicts with keys `layer`, `penalty`,
        `weights`, `zeros`, `zero_fraction`); `print()` it for a table.

    Example:

    >>> model = keras.Sequential([
    ...     keras.Input((3,)),
    ...     keras.layers.Dense(2, kernel_initializer="ones",
    ...                        kernel_regularizer=kerasreg.L1(0.01), name="head"),
    ... ])
    >>> row = kerasreg.regularization_report(model)[0]
    >>> row["layer"], round(row["penalty"], 6), row["weights"], row["zeros"]
    ('head', 0.06, 8, 2)
    """
    _check_built_model(model)
    rows = RegularizationReport()
    for layer in walk_layers(model):
        if isinstance(layer, keras.Model):
            continue
        variables = layer.trainable_weights
        if not variables:
            continue
        arrays = [ops.convert_to_numpy(v) for v in variables]
        count = sum(a.size for a in arrays)
        zeros = sum(int(np.count_nonzero(a == 0)) for a in arrays)
        rows.append(
            {
                "layer": layer.name,
                "penalty": sum(_penalty_value(v.regularizer, v) for v in variables),
                "weights": int(count),
                "zeros": zeros,
                "zero_fraction": zeros / count,
            }
        )
    return rows
