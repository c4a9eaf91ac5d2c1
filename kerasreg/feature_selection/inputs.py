"""The input-group penalty: one group per input, on the first Dense kernel.

A Dense kernel has shape (inputs, units): row j holds input j's outgoing
weights. `GroupLasso(strength, axis=0)` on that kernel is
`strength · Σ_j ‖W[j, :]‖₂`, and under `kerasreg.optimizers.Proximal` its
block soft-thresholding sets a whole row to exactly 0.0: the input is then
dropped from the model, not merely damped. With one unit the row norm is
|w_j|, so a `Dense(1)` model is the lasso.
"""

import keras
import numpy as np

from kerasreg._validation import invalid
from kerasreg.layers._layer_tree import walk_layers
from kerasreg.model_regularization import apply_regularization
from kerasreg.regularizers import GroupLasso


def input_layer(model):
    """The first Dense layer of `model`: the layer whose kernel rows are the inputs.

    Layers are searched in the model's order (a Sequential's order, or a
    functional model's topological order), nested models included. Layers
    before it must keep one column per input feature (e.g. `Normalization`)
    or flatten them in order (`Flatten` on images: one row per pixel).

    Args:
        model: a built `keras.Model`.

    Returns:
        The `keras.layers.Dense` layer.

    Example:

    >>> model = keras.Sequential([keras.Input((3,)),
    ...     keras.layers.Dense(4, name="first"), keras.layers.Dense(1)])
    >>> input_layer(model).name
    'first'
    """
    if not isinstance(model, keras.Model):
        raise invalid("model", model, "a keras.Model", error=TypeError)
    if not model.built:
        raise invalid("model", model, "a built model (call it on data first)")
    for layer in walk_layers(model):
        if isinstance(layer, keras.layers.Dense) and layer.built:
            return layer
    raise invalid("model", model, "a model with a Dense layer on its inputs")


def penalize_inputs(model, strength):
    """Puts the input-group penalty on `model`'s first Dense kernel.

    The penalty is `kerasreg.GroupLasso(strength, axis=0)`: one group per
    input, `strength · Σ_j ‖W[j, :]‖₂`. It replaces a regularizer already on
    that kernel and survives `.keras` save/load. Compile the model afterwards
    with a `kerasreg.optimizers.Proximal` optimizer so that dropped inputs
    get rows of exact zeros. A model built from scratch can instead pass
    `kernel_regularizer=kerasreg.GroupLasso(strength, axis=0)` to its first
    Dense layer; the two are the same.

    Args:
        model: a built `keras.Model`.
        strength: float >= 0, the factor λ.

    Returns:
        The `GroupLasso` placed on the kernel.

    Example:

    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    >>> penalize_inputs(model, 0.01)
    GroupLasso(strength=0.01, axis=0)
    """
    layer = input_layer(model)
    penalty = GroupLasso(strength, axis=0)
    apply_regularization(
        model,
        kernel_regularizer=penalty,
        layer_filter=lambda candidate: candidate is layer,
        overwrite=True,
    )
    return penalty


def input_norms(model):
    """Each input's outgoing weight norm ‖W[j, :]‖₂ in the first Dense kernel.

    Exactly 0.0 for an input the model no longer uses.

    Args:
        model: a built `keras.Model`.

    Returns:
        A float numpy vector, one entry per input.

    Example:

    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    >>> model.set_weights([np.array([[3.0, 4.0], [0.0, 0.0]]), np.zeros(2)])
    >>> input_norms(model)
    array([5., 0.])
    """
    kernel = keras.ops.convert_to_numpy(input_layer(model).kernel)
    return np.sqrt(np.sum(np.square(kernel.astype("float64")), axis=1))


def check_feature_names(feature_names, n_features):
    """`feature_names` as a list of `n_features` strings, or None if None."""
    if feature_names is None:
        return None
    expected = f"a sequence of {n_features} distinct feature names, or None"
    if isinstance(feature_names, (str, bytes)) or not hasattr(feature_names, "__len__"):
        raise invalid("feature_names", feature_names, expected, error=TypeError)
    names = [str(name) for name in feature_names]
    if len(names) != n_features or len(set(names)) != n_features:
        raise invalid("feature_names", feature_names, expected)
    return names


def selected_features(model, feature_names=None):
    """The inputs a trained model still uses: rows of its first kernel not all 0.

    An input whose outgoing weights are all exactly 0.0 has no effect on the
    output; every other input is selected. Train with `penalize_inputs` (or
    `GroupLasso(axis=0)` on the first Dense layer) under `Proximal` so that
    dropped inputs are exact zeros; without it nothing is dropped.

    Args:
        model: a built `keras.Model`.
        feature_names: optional sequence of the inputs' names, one per input
            in column order (e.g. a pandas DataFrame's `columns`). Defaults
            to `None` (return indices).

    Returns:
        The selected inputs in column order: a list of int indices, or of
        names when `feature_names` is given.

    Example:

    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    >>> model.set_weights([np.array([[1.0, 0.0], [0.0, 0.0], [0.0, -2.0]]),
    ...     np.zeros(2)])
    >>> selected_features(model)
    [0, 2]
    >>> selected_features(model, feature_names=["age", "bmi", "bp"])
    ['age', 'bp']
    """
    norms = input_norms(model)
    names = check_feature_names(feature_names, len(norms))
    indices = [int(i) for i in np.flatnonzero(norms > 0)]
    return indices if names is None else [names[i] for i in indices]
