"""BatchNormalization against Keras' layer, numpy, and under tf.distribute."""

import json
import re
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from kerasreg.layers import BatchNormalization
from tests.contracts import NEEDS_KERAS_RENORM, invalid_argument_message

RNG = np.random.default_rng(0)
X4 = (RNG.normal(size=(6, 5, 4, 3)) * 3 + 2).astype("float32")


def _numpy(value):
    return keras.ops.convert_to_numpy(value)


def _pair(kwargs, shape):
    ours = BatchNormalization(**kwargs)
    theirs = keras.layers.BatchNormalization(**kwargs)
    theirs.build(shape)
    ours.build(shape)
    weights = [w + RNG.uniform(0.1, 0.5, size=w.shape) for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return ours, theirs


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"axis": 1, "momentum": 0.9, "epsilon": 1e-5},
        {"center": False, "scale": False},
        pytest.param(
            {
                "renorm": True,
                "renorm_clipping": {"rmax": 1.5, "rmin": 0.5, "dmax": 0.3},
            },
            marks=NEEDS_KERAS_RENORM,
        ),
        pytest.param(
            {"renorm": True, "renorm_momentum": 0.5}, marks=NEEDS_KERAS_RENORM
        ),
    ],
    ids=["default", "axis1", "no_affine", "renorm_clipped", "renorm"],
)
def test_matches_keras_in_training_and_inference(kwargs):
    # Keras' BatchNormalization is the independent reference, within 1e-5.
    ours, theirs = _pair(kwargs, X4.shape)
    for step in range(3):
        x = X4 + step
        np.testing.assert_allclose(
            _numpy(ours(x, training=True)), _numpy(theirs(x, training=True)), atol=1e-5
        )
    np.testing.assert_allclose(
        _numpy(ours(X4, training=False)), _numpy(theirs(X4, training=False)), atol=1e-5
    )
    for mine, reference in zip(ours.weights, theirs.weights, strict=True):
        assert mine.name == reference.name
        np.testing.assert_allclose(_numpy(mine), _numpy(reference), atol=1e-5)


def test_masked_statistics_match_keras():
    x = RNG.normal(size=(4, 7, 3)).astype("float32")
    mask = RNG.uniform(size=(4, 7)) > 0.3
    ours, theirs = _pair({}, x.shape)
    np.testing.assert_allclose(
        _numpy(ours(x, training=True, mask=mask)),
        _numpy(theirs(x, training=True, mask=mask)),
        atol=1e-5,
    )
    np.testing.assert_allclose(
        _numpy(ours.moving_variance), _numpy(theirs.moving_variance), atol=1e-5
    )


def test_fit_matches_keras_drop_in():
    x = RNG.normal(size=(64, 6)).astype("float32")
    y = RNG.normal(size=(64, 1)).astype("float32")

    def model(batch_norm):
        keras.utils.set_random_seed(3)
        return keras.Sequential(
            [
                keras.Input((6,)),
                keras.layers.Dense(8),
                batch_norm(),
                keras.layers.Dense(1),
            ]
        )

    ours, theirs = model(BatchNormalization), model(keras.layers.BatchNormalization)
    for m in (ours, theirs):
        m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        m.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for mine, reference in zip(ours.weights, theirs.weights, strict=True):
        np.testing.assert_allclose(_numpy(mine), _numpy(reference), atol=1e-5)


def _normalize(x, axes, epsilon=1e-3):
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + epsilon)


def test_ghost_batches_use_their_own_statistics_with_any_batch_size():
    x = (RNG.normal(size=(10, 3)) * 2 + 1).astype("float32")
    layer = BatchNormalization(virtual_batch_size=4, momentum=0.5)
    y = _numpy(layer(x, training=True))
    groups = [slice(0, 4), slice(4, 8), slice(8, 10)]  # the last one is short
    expected = np.concatenate([_normalize(x[g], 0) for g in groups])
    np.testing.assert_allclose(y, expected, atol=1e-5)
    counts = np.array([4, 4, 2])
    mean = sum(c * x[g].mean(0) for c, g in zip(counts, groups, strict=True)) / 10
    variance = sum(c * x[g].var(0) for c, g in zip(counts, groups, strict=True)) / 10
    np.testing.assert_allclose(_numpy(layer.moving_mean), 0.5 * mean, atol=1e-6)
    np.testing.assert_allclose(
        _numpy(layer.moving_variance), 0.5 + 0.5 * variance, atol=1e-5
    )
    # Inference ignores the ghost batches.
    plain = BatchNormalization(momentum=0.5)
    plain.build(x.shape)
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(_numpy(layer(x)), _numpy(plain(x)), atol=1e-6)


def test_ghost_batch_size_of_the_whole_batch_is_plain_batch_norm():
    ghost = BatchNormalization(virtual_batch_size=6)
    plain = BatchNormalization()
    np.testing.assert_allclose(
        _numpy(ghost(X4, training=True)), _numpy(plain(X4, training=True)), atol=1e-5
    )
    np.testing.assert_allclose(
        _numpy(ghost.moving_variance), _numpy(plain.moving_variance), atol=1e-6
    )


def test_axis_list_normalizes_per_position_of_the_axes():
    layer = BatchNormalization(axis=[1, 3])
    y = _numpy(layer(X4, training=True))
    assert layer.gamma.shape == (5, 3)
    np.testing.assert_allclose(y, _normalize(X4, (0, 2)), atol=1e-5)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_keeps_statistics_in_float32(policy):
    reference = BatchNormalization()
    expected = _numpy(reference(X4, training=True))
    keras.config.set_dtype_policy(policy)
    layer = BatchNormalization()
    y = layer(X4, training=True)
    assert keras.backend.standardize_dtype(y.dtype) == policy.split("_")[1]
    assert keras.backend.standardize_dtype(layer.moving_mean.dtype) == "float32"
    np.testing.assert_allclose(
        _numpy(layer.moving_mean), _numpy(reference.moving_mean), rtol=1e-2
    )
    np.testing.assert_allclose(_numpy(y).astype("float32"), expected, atol=0.1)


def test_frozen_layer_runs_in_inference_mode_like_keras():
    layer = BatchNormalization()
    layer.build(X4.shape)
    layer.trainable = False
    np.testing.assert_allclose(
        _numpy(layer(X4, training=True)), _numpy(layer(X4)), atol=0
    )
    np.testing.assert_array_equal(_numpy(layer.moving_mean), np.zeros(3))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"momentum": 1.5},
            ValueError,
            "Invalid value for argument `momentum`. Expected a finite float in "
            "[0, 1]. Received: momentum=1.5",
        ),
        (
            {"epsilon": 0.0},
            ValueError,
            "Invalid value for argument `epsilon`. Expected a finite float in "
            "(0, inf). Received: epsilon=0.0",
        ),
        (
            {"axis": "channels"},
            TypeError,
            "Invalid value for argument `axis`. Expected an int. "
            "Received: axis='channels'",
        ),
        (
            {"axis": [1, 1]},
            ValueError,
            "Invalid value for argument `axis`. Expected distinct axes. "
            "Received: axis=[1, 1]",
        ),
        (
            {"renorm_clipping": {"rmax": 2.0}},
            ValueError,
            "Invalid value for argument `renorm_clipping`. Expected None when "
            "renorm=False. Received: renorm_clipping={'rmax': 2.0}",
        ),
        (
            {"renorm": True, "renorm_clipping": {"rmax": 0.5, "rmin": 1.0}},
            ValueError,
            "Invalid value for argument `renorm_clipping`. Expected rmin <= rmax. "
            "Received: renorm_clipping={'rmax': 0.5, 'rmin': 1.0}",
        ),
        (
            {"renorm": True, "renorm_clipping": {"rmix": 1.0}},
            ValueError,
            "Invalid value for argument `renorm_clipping`. Expected a dict with "
            "keys among 'rmax', 'rmin', 'dmax'. Received: "
            "renorm_clipping={'rmix': 1.0}",
        ),
        (
            {"virtual_batch_size": 0},
            ValueError,
            "Invalid value for argument `virtual_batch_size`. Expected an int in "
            "[1, inf]. Received: virtual_batch_size=0",
        ),
        (
            {"renorm": True, "virtual_batch_size": 4},
            ValueError,
            "Invalid value for argument `virtual_batch_size`. Expected None when "
            "renorm=True. Received: virtual_batch_size=4",
        ),
        (
            {"center": 1},
            TypeError,
            "Invalid value for argument `center`. Expected a bool. Received: center=1",
        ),
    ],
    ids=[
        "momentum",
        "epsilon",
        "axis_type",
        "axis_dup",
        "clip_no_renorm",
        "clip_order",
        "clip_key",
        "vbs",
        "vbs_renorm",
        "center",
    ],
)
def test_bad_arguments_are_named(kwargs, error, message):
    with pytest.raises(error, match=re.escape(message)):
        BatchNormalization(**kwargs)


_INITIALIZER = "a Keras initializer, its name or config"
_REGULARIZER = "a Keras regularizer, its name or config, or None"
_CONSTRAINT = "a Keras constraint, its name or config, or None"


@pytest.mark.parametrize(
    "argument, value, error, expected",
    [
        ("beta_initializer", "zeroes", ValueError, _INITIALIZER),
        ("gamma_initializer", 5, TypeError, _INITIALIZER),
        ("moving_mean_initializer", None, TypeError, _INITIALIZER),
        (
            "moving_variance_initializer",
            {"class_name": "Nope"},
            ValueError,
            _INITIALIZER,
        ),
        ("beta_regularizer", "l3", ValueError, _REGULARIZER),
        ("gamma_regularizer", 0.01, TypeError, _REGULARIZER),
        ("beta_constraint", "positive", ValueError, _CONSTRAINT),
        ("gamma_constraint", [1.0], TypeError, _CONSTRAINT),
    ],
    ids=lambda v: v if isinstance(v, str) and v.endswith(("izer", "aint")) else None,
)
def test_bad_initializers_regularizers_and_constraints_are_named(
    argument, value, error, expected
):
    message = invalid_argument_message(argument, value, expected)
    with pytest.raises(error, match=re.escape(message)):
        BatchNormalization(**{argument: value})


def _moving(layer):
    return _numpy(layer.moving_mean), _numpy(layer.moving_variance)


@pytest.mark.parametrize(
    "kwargs, x, mask",
    [
        ({"virtual_batch_size": 4}, np.zeros((0, 3), "float32"), None),
        ({"virtual_batch_size": 2}, X4[:, 0, 0], np.zeros((6,), bool)),
        ({}, np.zeros((0, 3), "float32"), None),
        ({}, X4[:, 0, 0], np.zeros((6,), bool)),
        ({"renorm": True}, X4[:, 0, 0], np.zeros((6,), bool)),
    ],
    ids=["ghost_empty", "ghost_masked", "empty", "masked", "renorm_masked"],
)
def test_a_batch_that_counts_nothing_leaves_the_statistics(kwargs, x, mask):
    layer = BatchNormalization(momentum=0.5, **kwargs)
    layer(X4[:, 0, 0], training=True)
    before = [_numpy(v) for v in layer.non_trainable_variables]
    layer(x, training=True, mask=mask)
    after = [_numpy(v) for v in layer.non_trainable_variables]
    for old, new in zip(before, after, strict=True):
        np.testing.assert_array_equal(new, old)


def test_axis_out_of_range_and_bad_mask_are_named():
    message = (
        "Invalid value for argument `axis`. Expected axes in [-4, 4) for inputs "
        "of rank 4. Received: axis=4"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        BatchNormalization(axis=4)(X4)
    message = (
        "Invalid value for argument `mask`. Expected a mask of rank 3 for inputs "
        "of shape (6, 5, 4, 3). Received: mask='a tensor of shape (6, 5)'"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        BatchNormalization()(X4, training=True, mask=np.ones((6, 5), bool))


_DISTRIBUTED = textwrap.dedent(
    """
    import json, os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    from kerasreg.layers import BatchNormalization, Dropout

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    halves = [np.full((4, 2), 0.0, "float32"), np.full((4, 2), 2.0, "float32")]
    halves[1][0] = 5.0
    result = {}
    for masked in (False, True):
        for synchronized in (True, False):
            with strategy.scope():
                layer = BatchNormalization(momentum=0.0, synchronized=synchronized)
                layer.build((None, 2))

            def step(x):
                mask = tf.ones(tf.shape(x)[:1], bool) if masked else None
                return layer(x, training=True, mask=mask)

            values = strategy.experimental_distribute_values_from_function(
                lambda ctx: tf.constant(halves[ctx.replica_id_in_sync_group]))
            strategy.run(tf.function(step), args=(values,))
            key = f"{'masked' if masked else 'plain'}_{synchronized}"
            result[key] = np.asarray(layer.moving_variance).tolist()
    with strategy.scope():
        dropout = Dropout(0.5, seed=1)
    dropped = strategy.run(
        tf.function(lambda x: dropout(x, training=True)), args=(values,))
    result["dropout"] = [
        np.asarray(v).tolist() for v in strategy.experimental_local_results(dropped)]
    print(json.dumps(result))
    """
)


@pytest.mark.tensorflow_only
def test_synchronized_uses_the_global_batch_under_mirrored_strategy():
    # Logical devices must be set before TensorFlow starts: a fresh process.
    run = subprocess.run(
        [sys.executable, "-c", _DISTRIBUTED],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    # The global batch, a column: four 0s, one 5 and three 2s (mean 1.375).
    global_variance = (4 * 0.0 + 25.0 + 3 * 4.0) / 8 - 1.375**2
    for key in ("plain_True", "masked_True"):
        np.testing.assert_allclose(result[key], [global_variance] * 2, rtol=1e-6)
    # Unsynchronized, each replica keeps its own; the first saw only zeros.
    for key in ("plain_False", "masked_False"):
        np.testing.assert_allclose(result[key], [0.0, 0.0], atol=1e-7)
    # Dropout runs per replica: zeros or 2 * input.
    second = np.asarray(result["dropout"][1])
    assert set(np.unique(second)) <= {0.0, 4.0, 10.0}
