"""Contracts every public kerasreg object must honour, checked through public APIs.

- `assert_config_round_trip`: `from_config(get_config())` rebuilds an equal object.
- `load_in_fresh_process`: a `.keras` file loads in a new Python process that
  imports kerasreg (which registers its classes) and passes no `custom_objects`.
- `assert_layer_contract`: one layer checked symbolically, eagerly, in `fit`
  (also with `jit_compile=True`), under `mixed_float16`, inside `tf.data`, and
  through its config.
"""

import inspect
import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

_FRESH_PROCESS_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np
    import kerasreg  # registers kerasreg's classes; no custom_objects below
    model = keras.saving.load_model(sys.argv[1])
    x = np.load(sys.argv[2], allow_pickle=False)
    out = model(x, training=False)
    np.save(sys.argv[3], keras.ops.convert_to_numpy(out))
    losses = [float(keras.ops.convert_to_numpy(l)) for l in model.losses]
    classes = sorted({type(l).__module__ + "." + type(l).__name__
                      for l in model._flatten_layers()})
    print(json.dumps({"losses": losses, "layers": classes}))
    """
)


def invalid_argument_message(argument, value, expected):
    """kerasreg's bad-input message, spelled out here rather than imported."""
    return (
        f"Invalid value for argument `{argument}`. Expected {expected}. "
        f"Received: {argument}={value!r}"
    )


def assert_config_round_trip(obj):
    """`type(obj).from_config(obj.get_config())` has the same config."""
    config = obj.get_config()
    json.dumps(config)  # a config must be JSON-serializable to be saved
    clone = type(obj).from_config(config)
    assert clone.get_config() == config
    return clone


def load_in_fresh_process(model_path, x):
    """Load `model_path` in a new process; return (outputs, losses, layer classes).

    The child imports kerasreg and keras only, so kerasreg classes must resolve
    through their registered names alone.
    """
    folder = os.path.dirname(model_path)
    x_path = os.path.join(folder, "fresh_x.npy")
    y_path = os.path.join(folder, "fresh_y.npy")
    np.save(x_path, np.asarray(x))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", _FRESH_PROCESS_SCRIPT, model_path, x_path, y_path],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    info = json.loads(result.stdout.strip().splitlines()[-1])
    return np.load(y_path), info["losses"], info["layers"]


def assert_saves_and_loads(model, x, tmp_path, atol=1e-6):
    """Save `model` as .keras; a fresh process gives the same outputs and losses."""
    path = str(tmp_path / "model.keras")
    model.save(path)
    expected = keras.ops.convert_to_numpy(model(x, training=False))
    outputs, losses, _ = load_in_fresh_process(path, x)
    np.testing.assert_allclose(outputs, expected, atol=atol, rtol=1e-5)
    expected_losses = [float(keras.ops.convert_to_numpy(v)) for v in model.losses]
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-5, atol=1e-7)
    return outputs


def _random_input(shape, dtype):
    rng = np.random.default_rng(0)
    if "int" in dtype:
        return rng.integers(0, 255, size=shape).astype(dtype)
    return rng.normal(size=shape).astype(dtype)


def assert_layer_contract(
    layer_cls,
    init_kwargs,
    input_shape,
    expected_output_shape,
    input_dtype="float32",
    run_mixed_precision=True,
    run_tf_data=True,
):
    """Run the kerasreg layer contract over `layer_cls(**init_kwargs)`.

    `input_shape` includes the batch size; `expected_output_shape` likewise.
    """
    import tensorflow as tf

    layer = layer_cls(**init_kwargs)
    assert_config_round_trip(layer)

    # Symbolic call (functional API) with an unknown batch size.
    inputs = keras.Input(shape=input_shape[1:], dtype=input_dtype)
    symbolic = layer_cls(**init_kwargs)(inputs)
    assert tuple(symbolic.shape[1:]) == tuple(expected_output_shape[1:])

    # Eager calls, both modes.
    x = _random_input(input_shape, input_dtype)
    eager = layer_cls(**init_kwargs)
    for training in (True, False):
        y = eager(x, training=training)
        assert tuple(y.shape) == tuple(expected_output_shape), (training, y.shape)

    # One fit step, eager-graph and XLA.
    for jit in (False, True):
        model = keras.Sequential(
            [
                keras.Input(shape=input_shape[1:], dtype=input_dtype),
                layer_cls(**init_kwargs),
                keras.layers.Flatten(),
                keras.layers.Dense(1),
            ]
        )
        model.compile(optimizer="sgd", loss="mse", jit_compile=jit)
        target = np.zeros((input_shape[0], 1), "float32")
        history = model.fit(x, target, epochs=1, batch_size=input_shape[0], verbose=0)
        assert np.isfinite(history.history["loss"][0])

    if run_mixed_precision:
        keras.config.set_dtype_policy("mixed_float16")
        try:
            mixed = layer_cls(**init_kwargs)
            y = mixed(x, training=True)
            assert keras.backend.standardize_dtype(y.dtype) == "float16"
        finally:
            keras.config.set_dtype_policy("float32")

    if run_tf_data:
        mapped = layer_cls(**init_kwargs)
        ds = tf.data.Dataset.from_tensor_slices(x).batch(input_shape[0])
        ds = ds.map(lambda batch: mapped(batch, training=True))
        for batch in ds.take(1):
            assert tuple(batch.shape) == tuple(expected_output_shape)


# Keras' BatchNormalization has renorm from Keras 3.14 on; a reference that
# needs it is skipped on the older Keras of the minimum-versions CI leg.
NEEDS_KERAS_RENORM = pytest.mark.skipif(
    "renorm" not in inspect.signature(keras.layers.BatchNormalization).parameters,
    reason="Keras' BatchNormalization has no renorm before Keras 3.14",
)
