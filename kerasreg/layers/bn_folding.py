"""Folding inference-mode batch normalization into the preceding layer."""

import json

import keras
import numpy as np

from kerasreg import _validation
from kerasreg.layers.batch_normalization import BATCH_NORM_TYPES

_FOLDABLE_TYPES = (
    keras.layers.Dense,
    keras.layers.Conv1D,
    keras.layers.Conv2D,
    keras.layers.Conv3D,
    keras.layers.DepthwiseConv2D,
)


def _histories(structure):
    """Every `keras_history` ([layer, node, tensor]) in inbound-node configs."""
    if isinstance(structure, dict):
        if structure.get("class_name") == "__keras_tensor__":
            yield structure["config"]["keras_history"]
            return
        structure = list(structure.values())
    if isinstance(structure, list):
        for value in structure:
            yield from _histories(value)


def _output_refs(output_layers):
    """The [layer, node, tensor] entries of a config's `output_layers`."""
    if output_layers and isinstance(output_layers[0], str):
        return [output_layers]
    return list(output_layers)


def _channel_axis(layer, ndim):
    if isinstance(layer, keras.layers.Dense):
        return ndim - 1
    return 1 if layer.data_format == "channels_first" else ndim - 1


def _normalized_axis(batch_norm, ndim):
    """The one axis `batch_norm` keeps, or None when it keeps several."""
    axes = batch_norm.axis if isinstance(batch_norm.axis, list) else [batch_norm.axis]
    return axes[0] % ndim if len(axes) == 1 else None


def _fold_source(entry, entries, layers, uses):
    """The name of the layer the BN of config `entry` folds into, or None."""
    if not isinstance(layers[entry["name"]], BATCH_NORM_TYPES):
        return None
    inbound = list(_histories(entry["inbound_nodes"]))
    if len(entry["inbound_nodes"]) != 1 or len(inbound) != 1:
        return None
    source = layers[inbound[0][0]]
    if not (
        isinstance(source, _FOLDABLE_TYPES)
        and source.activation is keras.activations.linear
        and len(entries[source.name]["inbound_nodes"]) == 1
        and uses[source.name] == 1
    ):
        return None
    ndim = len(source.output.shape)
    channel_axis = _channel_axis(source, ndim)
    if _normalized_axis(layers[entry["name"]], ndim) != channel_axis:
        return None
    return source.name


def _numpy(variable, default, size):
    if variable is None:
        return np.full(size, default)
    return keras.ops.convert_to_numpy(variable).astype("float64")


def folded_weights(layer, batch_norm):
    """Kernel and bias of `layer` followed by inference-mode `batch_norm`.

    With a = gamma / sqrt(moving_variance + epsilon), BN(W x + c) =
    (a * W) x + (a * c + beta - a * moving_mean), a scaling each output
    channel. Computed in float64, returned in the variables' dtypes.
    """
    kernel = keras.ops.convert_to_numpy(layer.kernel).astype("float64")
    # DepthwiseConv2D's output channel c * multiplier + m is kernel[..., c, m].
    depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
    channel_shape = kernel.shape[-2:] if depthwise else kernel.shape[-1:]
    channels = int(np.prod(channel_shape))
    bias = _numpy(layer.bias if layer.use_bias else None, 0.0, channels)
    gamma = _numpy(batch_norm.gamma, 1.0, channels)
    beta = _numpy(batch_norm.beta, 0.0, channels)
    mean = _numpy(batch_norm.moving_mean, 0.0, channels)
    variance = _numpy(batch_norm.moving_variance, 1.0, channels)
    a = gamma / np.sqrt(variance + batch_norm.epsilon)
    new_kernel = kernel * a.reshape(channel_shape)
    new_bias = a * bias + beta - a * mean
    return [
        new_kernel.astype(layer.kernel.dtype),
        new_bias.astype(layer.kernel.dtype),
    ]


def _functional_config(model):
    if isinstance(model, keras.Sequential):
        if not model.built or not getattr(model, "inputs", None):
            raise _validation.invalid(
                "model", model.name, "a built Sequential model with an Input"
            )
        model = keras.Model(model.inputs, model.outputs, name=model.name)
    config = model.get_config() if isinstance(model, keras.Model) else {}
    if not isinstance(config, dict) or "input_layers" not in config:
        raise _validation.invalid(
            "model",
            getattr(model, "name", model),
            "a functional or Sequential Keras model",
            error=TypeError,
        )
    # Through JSON: a deep copy with lists for tuples, as a saved file has it.
    return model, json.loads(json.dumps(config))


def fold_batch_norm(model):
    """A copy of `model` for inference with batch normalization folded away.

    Every BatchNormalization layer (kerasreg's or Keras') that directly
    follows a Dense, Conv1D, Conv2D, Conv3D or DepthwiseConv2D layer with
    linear activation, normalizes that layer's channel axis, and is the only
    consumer of its output, is removed; the layer gets, with
    a = gamma / sqrt(moving_variance + epsilon),

        kernel' = a * kernel (per output channel),
        bias' = a * bias + beta - a * moving_mean

    (a bias is added where it had none). Inference outputs equal the
    original's up to rounding; other BN layers stay. Training the copy is
    meaningless: it has no batch statistics. Layers of models nested inside
    `model` are copied, not folded.

    Args:
        model: a built functional or Sequential Keras model.

    Returns:
        A new model of the same kind (functional or Sequential) with its own
        weights; `model` is unchanged.

    Example:

    >>> model = keras.Sequential([
    ...     keras.Input((8, 8, 3)),
    ...     keras.layers.Conv2D(4, 3, use_bias=False),
    ...     kerasreg.layers.BatchNormalization(),
    ...     keras.layers.ReLU(),
    ... ])
    >>> folded = kerasreg.layers.fold_batch_norm(model)
    >>> [type(layer).__name__ for layer in folded.layers]
    ['Conv2D', 'ReLU']
    >>> x = np.random.default_rng(0).random((2, 8, 8, 3), "float32")
    >>> same = model.predict(x, verbose=0), folded.predict(x, verbose=0)
    >>> np.allclose(*same, atol=1e-5)
    True

    Reference:
        Jacob et al., 2018. Quantization and Training of Neural Networks for
        Efficient Integer-Arithmetic-Only Inference. CVPR (section 3.2).
    """
    graph, config = _functional_config(model)
    layers = {layer.name: layer for layer in graph.layers}
    entries = {entry["name"]: entry for entry in config["layers"]}
    uses = dict.fromkeys(entries, 0)
    for entry in config["layers"]:
        for history in _histories(entry["inbound_nodes"]):
            uses[history[0]] += 1
    for history in _output_refs(config["output_layers"]):
        uses[history[0]] += 1

    folds = {}  # source layer name -> batch norm layer name
    for entry in config["layers"]:
        source = _fold_source(entry, entries, layers, uses)
        if source is not None:
            folds[source] = entry["name"]
    renamed = {batch_norm: source for source, batch_norm in folds.items()}
    config["layers"] = [e for e in config["layers"] if e["name"] not in renamed]
    references = [*_histories(config["layers"]), *_output_refs(config["output_layers"])]
    for history in references:
        history[0] = renamed.get(history[0], history[0])
    for entry in config["layers"]:
        if entry["name"] in folds:
            entry["config"]["use_bias"] = True

    folded = keras.Model.from_config(config)
    for layer in folded.layers:
        original = layers[layer.name]
        if layer.name in folds:
            layer.set_weights(folded_weights(original, layers[folds[layer.name]]))
        else:
            layer.set_weights(original.get_weights())
    if isinstance(model, keras.Sequential):
        return keras.Sequential(folded.layers, name=model.name)
    return folded
