"""BatchNormalization against Keras' layer, numpy, and under tf.distribute."""

import json
import pathlib
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
        ({}, np.zeros((0, 5, 4, 3), "float32"), None),
    ],
    ids=["ghost_empty", "ghost_masked", "empty", "masked", "renorm_masked", "empty_4d"],
)
def test_a_batch_that_counts_nothing_leaves_the_statistics(kwargs, x, mask):
    layer = BatchNormalization(momentum=0.5, **kwargs)
    layer(X4 if x.ndim == 4 else X4[:, 0, 0], training=True)
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


# Keras' configuration arguments beside kerasreg's ghost batches.
_CONFIGS = [
    {},
    {"axis": 1, "momentum": 0.9, "epsilon": 1e-5, "center": False},
    {
        "scale": False,
        "beta_initializer": "ones",
        "gamma_regularizer": "l2",
        "beta_constraint": "non_neg",
        "moving_variance_initializer": keras.initializers.Constant(2.0),
    },
    pytest.param(
        {"renorm": True, "renorm_clipping": {"rmax": 3.0}, "renorm_momentum": 0.5},
        marks=NEEDS_KERAS_RENORM,
    ),
]


@pytest.mark.parametrize(
    "kwargs", _CONFIGS, ids=["default", "axis1", "initializers", "renorm"]
)
def test_is_keras_layer_and_config_holds_what_keras_holds(kwargs):
    ours = BatchNormalization(name="bn", **kwargs)
    theirs = keras.layers.BatchNormalization(name="bn", **kwargs)
    assert isinstance(ours, keras.layers.BatchNormalization)
    config = ours.get_config()
    expected = theirs.get_config()
    assert {key: config[key] for key in expected} == expected
    assert set(config) - set(expected) <= {
        "virtual_batch_size",
        # Keras' config lacks these before Keras 3.14.
        "renorm",
        "renorm_clipping",
        "renorm_momentum",
    }
    assert config["virtual_batch_size"] is None


# Saved by kerasreg's BatchNormalization before it subclassed Keras' (commit
# 5ab07c6): Input (4, 4, 3), then layers "plain" (defaults), "axes"
# (axis=[1, 3], momentum=0.9), "renorm" (renorm_clipping={"rmax": 2.0}) and
# "ghost" (virtual_batch_size=2, center=False). Weight k of each layer holds
# linspace(0.5, 1.5, size) + k.
_SAVED_BEFORE = (
    pathlib.Path(__file__).parent
    / "data"
    / ("batch_normalization_before_subclassing.keras")
)


def test_keras_file_saved_before_subclassing_still_loads():
    model = keras.saving.load_model(_SAVED_BEFORE)
    layers = {layer.name: layer for layer in model.layers}
    assert all(type(layer) is BatchNormalization for layer in layers.values())
    assert layers["axes"].axis == [1, 3]
    assert layers["axes"].momentum == 0.9
    assert layers["renorm"].renorm_clipping == {"rmax": 2.0}
    assert layers["ghost"].virtual_batch_size == 2
    assert layers["ghost"].beta is None
    names = {
        "plain": ["gamma", "beta", "moving_mean", "moving_variance"],
        "renorm": [
            "gamma",
            "beta",
            "moving_mean",
            "moving_variance",
            "moving_stddev",
            "renorm_mean",
            "renorm_stddev",
        ],
    }
    for name, layer in layers.items():
        if name in names:
            assert [w.name for w in layer.weights] == names[name]
        for k, weight in enumerate(layer.get_weights()):
            expected = np.linspace(0.5, 1.5, weight.size).reshape(weight.shape) + k
            np.testing.assert_allclose(weight, expected, rtol=1e-6)
    x = RNG.normal(size=(2, 4, 4, 3)).astype("float32")
    plain = layers["plain"]
    gamma, beta, mean, variance = plain.get_weights()
    np.testing.assert_allclose(
        _numpy(plain(x)),
        gamma * (x - mean) / np.sqrt(variance + 1e-3) + beta,
        rtol=1e-5,
        atol=1e-5,
    )


# Input layouts of TensorFlow's fused kernel: (shape, axis).
_LAYOUTS = {
    "nhwc": ((6, 5, 4, 3), -1),
    "nchw": ((6, 3, 5, 4), 1),
    "ndhwc": ((4, 3, 4, 2, 3), 4),
    "ncdhw": ((4, 3, 3, 4, 2), 1),
}

# One unit in the last place (at most) of outputs in a mixed-precision
# policy's compute dtype: both layers round the same float32 value to it.
_ULP = {"float32": 1e-5, "mixed_float16": 2.0**-10, "mixed_bfloat16": 2.0**-7}


def _step(layer, upstream, training, mode):
    """y and d(sum(y * upstream)) / d(x, gamma, beta), eagerly, in a
    `tf.function` or compiled with XLA."""
    import tensorflow as tf

    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=training)
            loss = tf.reduce_sum(tf.cast(y, "float32") * upstream)
        return y, tape.gradient(loss, [x, *layer.trainable_variables])

    return step if mode == "eager" else tf.function(step, jit_compile=mode == "xla")


def _assert_close(ours, theirs, rtol):
    np.testing.assert_allclose(
        _numpy(ours).astype("float32"),
        _numpy(theirs).astype("float32"),
        rtol=rtol,
        atol=1e-5,
    )


@pytest.mark.tensorflow_only
@pytest.mark.parametrize("mode", ["eager", "graph", "xla"])
@pytest.mark.parametrize("policy", list(_ULP))
@pytest.mark.parametrize("layout", list(_LAYOUTS))
def test_fused_kernel_matches_keras_outputs_statistics_and_gradients(
    layout, policy, mode
):
    # Outputs and the input's gradient are in the policy's compute dtype, so
    # within one unit in its last place; statistics and the gradients of the
    # float32 weights within 1e-5.
    import tensorflow as tf

    shape, axis = _LAYOUTS[layout]
    keras.config.set_dtype_policy(policy)
    ours, theirs = _pair({"axis": axis, "momentum": 0.9}, shape)
    assert _uses_fused_kernel(ours, shape, training=True)
    upstream = RNG.normal(size=shape).astype("float32")
    for training, step in ((True, 0), (True, 1), (False, 2)):
        x = (RNG.normal(size=shape) * 3 + step).astype("float32")
        x = tf.cast(x, keras.config.dtype_policy().compute_dtype)
        y, grads = _step(ours, upstream, training, mode)(x)
        y_ref, grads_ref = _step(theirs, upstream, training, mode)(x)
        assert y.dtype == y_ref.dtype
        _assert_close(y, y_ref, _ULP[policy])
        _assert_close(grads[0], grads_ref[0], _ULP[policy])
        for mine, reference in zip(grads[1:], grads_ref[1:], strict=True):
            _assert_close(mine, reference, 1e-5)
        for mine, reference in zip(ours.weights, theirs.weights, strict=True):
            _assert_close(mine, reference, 1e-5)


def _uses_fused_kernel(layer, shape, training, mask=None):
    import tensorflow as tf

    spec = tf.TensorSpec(shape, keras.config.dtype_policy().compute_dtype)
    graph = (
        tf.function(lambda x: layer(x, training=training, mask=mask))
        .get_concrete_function(spec)
        .graph
    )
    return any(op.type == "FusedBatchNormV3" for op in graph.get_operations())


@pytest.mark.tensorflow_only
@pytest.mark.parametrize(
    "kwargs, shape, training, mask, fused",
    [
        ({}, (2, 4, 4, 3), True, None, True),
        ({"axis": 1}, (2, 3, 4, 4, 4), True, None, True),
        ({"epsilon": 1.001e-5}, (2, 4, 4, 3), True, None, True),
        ({}, (2, 4, 3), True, None, False),
        ({"axis": 2}, (2, 4, 4, 3), True, None, False),
        ({"axis": [1, 3]}, (2, 4, 4, 3), True, None, False),
        ({"epsilon": 1e-5}, (2, 4, 4, 3), True, None, False),
        ({"renorm": True}, (2, 4, 4, 3), True, None, False),
        ({"renorm": True}, (2, 4, 4, 3), False, None, True),
        ({"virtual_batch_size": 2}, (2, 4, 4, 3), True, None, False),
        ({"virtual_batch_size": 2}, (2, 4, 4, 3), False, None, True),
        ({}, (2, 4, 4, 3), True, np.ones((2, 4, 4), bool), False),
        ({}, (2, 4, 4, 3), False, np.ones((2, 4, 4), bool), True),
    ],
    ids=[
        "nhwc",
        "ncdhw",
        "min_epsilon",
        "rank3",
        "middle_axis",
        "axis_list",
        "small_epsilon",
        "renorm",
        "renorm_inference",
        "ghost",
        "ghost_inference",
        "mask",
        "mask_inference",
    ],
)
def test_the_fused_kernel_runs_where_it_gives_keras_numbers(
    kwargs, shape, training, mask, fused
):
    layer = BatchNormalization(**kwargs)
    layer.build(shape)
    assert _uses_fused_kernel(layer, shape, training, mask) is fused


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
    # Rank 4: TensorFlow's fused kernel where it applies (unsynchronized, no mask).
    for shape in ((4, 2), (4, 1, 1, 2)):
        for masked in (False, True):
            for synchronized in (True, False):
                with strategy.scope():
                    layer = BatchNormalization(
                        momentum=0.0, synchronized=synchronized)
                    layer.build((None, *shape[1:]))

                def step(x):
                    mask = tf.ones(tf.shape(x)[:-1], bool) if masked else None
                    return layer(x, training=True, mask=mask)

                values = strategy.experimental_distribute_values_from_function(
                    lambda ctx: tf.reshape(
                        halves[ctx.replica_id_in_sync_group], shape))
                strategy.run(tf.function(step), args=(values,))
                key = f"{'masked' if masked else 'plain'}_{synchronized}"
                key += f"_rank{len(shape)}"
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
    for rank in (2, 4):
        for key in ("plain_True", "masked_True"):
            np.testing.assert_allclose(
                result[f"{key}_rank{rank}"], [global_variance] * 2, rtol=1e-6
            )
        # Unsynchronized, each replica keeps its own; the first saw only zeros.
        for key in ("plain_False", "masked_False"):
            np.testing.assert_allclose(
                result[f"{key}_rank{rank}"], [0.0, 0.0], atol=1e-7
            )
    # Dropout runs per replica: zeros or 2 * input.
    second = np.asarray(result["dropout"][1])
    assert set(np.unique(second)) <= {0.0, 4.0, 10.0}


@pytest.mark.parametrize(
    "initializer",
    [
        keras.initializers.Constant(-1.0),
        keras.initializers.Constant(np.array([1.0, -0.5, 1.0])),
        {"class_name": "Constant", "config": {"value": -2.0}},
    ],
    ids=["constant", "array", "config"],
)
def test_a_negative_moving_variance_is_refused(initializer):
    # Inference would take sqrt(-1 + epsilon): NaN outputs, no error.
    message = (
        "Invalid value for argument `moving_variance_initializer`. Expected an "
        "initializer of variances >= 0 (a Constant of value >= 0). "
        f"Received: moving_variance_initializer={initializer!r}"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        BatchNormalization(moving_variance_initializer=initializer)


def test_a_zero_moving_variance_is_accepted():
    layer = BatchNormalization(
        moving_variance_initializer=keras.initializers.Constant(0.0)
    )
    assert np.all(np.isfinite(_numpy(layer(X4[:, 0, 0], training=False))))
