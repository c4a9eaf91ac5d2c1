"""Regularizers: formulas, Keras compatibility, configs, save/load, bad input."""

import re

import keras
import numpy as np
import pytest
from keras import ops

import kerasreg
from kerasreg import regularizers
from tests.contracts import assert_config_round_trip, assert_saves_and_loads
from tests.gradients import gradient

RNG = np.random.default_rng(0)
W = RNG.normal(size=(6, 4)).astype("float32")

CASES = [
    (kerasreg.L1(0.3), 0.3 * np.abs(W).sum()),
    (kerasreg.L2(0.3), 0.15 * (W**2).sum()),
    (kerasreg.ElasticNet(0.2, 0.4), 0.2 * np.abs(W).sum() + 0.2 * (W**2).sum()),
    (kerasreg.WeightRegularizer(0.5, "l1"), 0.5 * np.abs(W).sum()),
    (kerasreg.WeightRegularizer(0.5, "l2"), 0.5 * (W**2).sum()),
    (kerasreg.GroupLasso(0.7, axis=0), 0.7 * np.linalg.norm(W, axis=1).sum()),
    (kerasreg.GroupLasso(0.7, axis=-1), 0.7 * np.linalg.norm(W, axis=0).sum()),
]
IDS = ["l1", "l2", "elastic_net", "wr_l1", "wr_l2", "group_rows", "group_cols"]


@pytest.mark.parametrize("regularizer,expected", CASES, ids=IDS)
def test_penalty_matches_formula(regularizer, expected):
    np.testing.assert_allclose(float(regularizer(W)), expected, rtol=1e-5)


@pytest.mark.parametrize("regularizer,expected", CASES, ids=IDS)
def test_config_round_trip_and_get(regularizer, expected):
    clone = assert_config_round_trip(regularizer)
    np.testing.assert_allclose(float(clone(W)), expected, rtol=1e-5)
    again = regularizers.get(regularizers.serialize(regularizer))
    assert type(again) is type(regularizer)
    assert again.get_config() == regularizer.get_config()
    assert regularizers.get(regularizer) is regularizer


# Where the formulas overlap with Keras' built-ins (kerasreg's L2 term is
# Keras' with half the strength): (kerasreg, Keras) pairs, same value.
KERAS_TWINS = [
    (kerasreg.L1(0.3), keras.regularizers.L1(0.3)),
    (kerasreg.L2(0.3), keras.regularizers.L2(0.15)),
    (kerasreg.ElasticNet(0.1, 0.3), keras.regularizers.L1L2(0.1, 0.15)),
    (kerasreg.ElasticNet(l1=0.1), keras.regularizers.L1L2(l1=0.1)),
    (kerasreg.ElasticNet(l2=0.3), keras.regularizers.L1L2(l2=0.15)),
    (kerasreg.WeightRegularizer(0.3, "l1"), keras.regularizers.L1(0.3)),
    (kerasreg.WeightRegularizer(0.3, "l2"), keras.regularizers.L2(0.3)),
]
TWIN_IDS = ["l1", "l2", "elastic_net", "en_l1_only", "en_l2_only", "wr_l1", "wr_l2"]


@pytest.mark.parametrize("ours,theirs", KERAS_TWINS, ids=TWIN_IDS)
def test_value_and_gradient_equal_keras_builtin(ours, theirs):
    np.testing.assert_allclose(float(ours(W)), float(theirs(W)), rtol=1e-6)
    np.testing.assert_allclose(
        gradient(ours, W), gradient(theirs, W), rtol=1e-6, atol=1e-7
    )


def test_elastic_net_term_not_named_is_zero():
    assert kerasreg.ElasticNet(l1=1e-4).get_config() == {"l1": 1e-4, "l2": 0.0}
    assert kerasreg.ElasticNet(l2=1e-4).get_config() == {"l1": 0.0, "l2": 1e-4}
    assert float(kerasreg.ElasticNet()(W)) == float(keras.regularizers.L1L2()(W))
    assert float(kerasreg.ElasticNet()(W)) == 0.0


def test_l2_gradient_equals_torch_weight_decay():
    # torch SGD(weight_decay=λ) adds λ·w to the gradient: so does L2(λ).
    grad = gradient(kerasreg.L2(0.3), W)
    np.testing.assert_allclose(grad, 0.3 * W, rtol=1e-6)


@pytest.mark.parametrize(
    "name,cls",
    [
        ("l1", kerasreg.L1),
        ("l2", kerasreg.L2),
        ("elastic_net", kerasreg.ElasticNet),
        ("group_lasso", kerasreg.GroupLasso),
        ("weight_regularizer", kerasreg.WeightRegularizer),
        ("ElasticNet", kerasreg.ElasticNet),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_get_by_name(name, cls):
    assert type(regularizers.get(name)) is cls


def test_get_passes_none_and_keras_names():
    assert regularizers.get(None) is None
    assert isinstance(regularizers.get("l1l2"), keras.regularizers.L1L2)


@pytest.mark.parametrize("name", sorted(regularizers._CLASSES))
def test_get_by_registered_name(name):
    registered = f"kerasreg>{name}"
    cls = keras.saving.get_registered_object(registered)
    assert cls is regularizers._CLASSES[name]
    assert type(regularizers.get(registered)) is cls
    # The config dict Keras itself takes for `kernel_regularizer=`.
    config = {"class_name": registered, "config": cls().get_config()}
    assert type(keras.regularizers.get(config)) is cls
    assert type(regularizers.get(config)) is cls


def test_get_unknown_class_name_in_a_config_raises():
    config = {"class_name": "kerasreg>Lasso", "config": {}}
    message = (
        "Invalid value for argument `identifier`. Expected the config dict of a "
        f"registered regularizer. Received: identifier={config!r}"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        regularizers.get(config)
    with pytest.raises(ValueError, match="Could not interpret"):
        keras.regularizers.get(config)  # Keras raises as well


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"], ids=["f16", "bf16"])
@pytest.mark.parametrize("regularizer", [c[0] for c in CASES], ids=IDS)
def test_half_precision_weights_give_float32_penalty(regularizer, dtype):
    value = regularizer(ops.cast(W, dtype))
    assert ops.dtype(value) == "float32"


def _model(regularizer):
    return keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(
                4,
                kernel_regularizer=regularizer,
                bias_regularizer=regularizer,
                activity_regularizer=regularizer,
            ),
            keras.layers.Dense(1),
        ]
    )


@pytest.mark.parametrize("regularizer", [c[0] for c in CASES], ids=IDS)
def test_trains_under_jit_compile(regularizer):
    model = _model(regularizer)
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    x, y = RNG.normal(size=(16, 6)), RNG.normal(size=(16, 1))
    history = model.fit(x, y, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    # The activity penalty is recorded by a call (JAX's fit keeps none).
    model(x[:2])
    assert len(model.losses) == 3


def test_mixed_precision_model_penalty_is_float32():
    keras.config.set_dtype_policy("mixed_float16")
    model = _model(kerasreg.ElasticNet(0.1, 0.1))
    model(np.ones((2, 6), "float32"))
    assert all(ops.dtype(loss) == "float32" for loss in model.losses)


def test_model_saves_and_loads_in_fresh_process(tmp_path):
    model = keras.Sequential(
        [keras.Input((6,))]
        + [keras.layers.Dense(4, kernel_regularizer=c[0]) for c in CASES]
    )
    x = RNG.normal(size=(3, 6)).astype("float32")
    assert_saves_and_loads(model, x, tmp_path)


BAD = [
    (kerasreg.L1, {"l1": -0.1}, ValueError, "l1", "-0.1", "a finite float in [0, inf)"),
    (
        kerasreg.L2,
        {"l2": float("nan")},
        ValueError,
        "l2",
        "nan",
        "a finite float in [0, inf)",
    ),
    (
        kerasreg.L2,
        {"l2": float("inf")},
        ValueError,
        "l2",
        "inf",
        "a finite float in [0, inf)",
    ),
    (kerasreg.L2, {"l2": "big"}, TypeError, "l2", "'big'", "a float"),
    (
        kerasreg.ElasticNet,
        {"l2": -1},
        ValueError,
        "l2",
        "-1.0",
        "a finite float in [0, inf)",
    ),
    (kerasreg.GroupLasso, {"axis": 1.5}, TypeError, "axis", "1.5", "an int"),
    (
        kerasreg.WeightRegularizer,
        {"penalty": "l3"},
        ValueError,
        "penalty",
        "'l3'",
        "one of 'l1', 'l2'",
    ),
    (
        kerasreg.WeightRegularizer,
        {"penalty": 3},
        TypeError,
        "penalty",
        "3",
        "'l1', 'l2' or a callable mapping one weight tensor to a scalar",
    ),
]


@pytest.mark.parametrize(
    "cls,kwargs,error,arg,received,expected", BAD, ids=[str(b[1]) for b in BAD]
)
def test_bad_input_message(cls, kwargs, error, arg, received, expected):
    message = (
        f"Invalid value for argument `{arg}`. Expected {expected}. "
        f"Received: {arg}={received}"
    )
    with pytest.raises(error, match=re.escape(message)):
        cls(**kwargs)


def test_get_unknown_name_lists_names():
    message = (
        "Invalid value for argument `identifier`. Expected a regularizer name "
        "('l1', 'l2', 'elastic_net', 'elasticnet', 'group_lasso', "
        "'weight_regularizer', 'L1', 'L2', 'ElasticNet', 'WeightRegularizer', "
        "'GroupLasso', 'kerasreg>L1', ... or a Keras name). "
        "Received: identifier='lasso2'"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        regularizers.get("lasso2")


def _vector_penalty(w):
    return keras.ops.abs(w)


def _failing_penalty(w):
    raise RuntimeError("no")


def _text_penalty(w):
    return "x"


def _bool_penalty(w):
    return keras.ops.any(w > 0)


@pytest.mark.parametrize(
    "penalty,error",
    [
        (_vector_penalty, ValueError),
        (_failing_penalty, TypeError),
        (_text_penalty, TypeError),
        (_bool_penalty, TypeError),
    ],
    ids=["not_scalar", "raises", "text", "bool"],
)
def test_callable_penalty_checked_on_a_probe(penalty, error):
    message = (
        "Invalid value for argument `penalty`. Expected 'l1', 'l2' or a callable "
        "mapping one weight tensor to a scalar. "
        f"Received: penalty={penalty!r}"
    )
    with pytest.raises(error, match=re.escape(message)):
        kerasreg.WeightRegularizer(0.1, penalty=penalty)


@pytest.mark.parametrize(
    "cls,config,keys",
    [
        (kerasreg.L1, {}, "'l1'"),
        (kerasreg.L2, {"l2": 0.1, "l1": 0.1}, "'l2', 'formula'"),
        (kerasreg.ElasticNet, {"l1": 0.1}, "'l1', 'l2'"),
        (kerasreg.WeightRegularizer, {"strength": 1.0}, "'strength', 'penalty'"),
        (kerasreg.GroupLasso, {"strength": 1.0}, "'strength', 'axis'"),
    ],
    ids=["l1", "l2", "elastic_net", "weight_regularizer", "group_lasso"],
)
def test_from_config_with_missing_or_unknown_keys(cls, config, keys):
    message = (
        "Invalid value for argument `config`. Expected a dict with the keys "
        f"{keys}. Received: config={config!r}"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        cls.from_config(config)


def test_callable_penalty_in_loss_and_saved(tmp_path):
    @keras.saving.register_keras_serializable(package="kerasreg_tests")
    def max_abs(w):
        return ops.max(ops.abs(w))

    reg = kerasreg.WeightRegularizer(2.0, penalty=max_abs)
    np.testing.assert_allclose(float(reg(W)), 2 * np.abs(W).max(), rtol=1e-6)
    clone = kerasreg.WeightRegularizer.from_config(reg.get_config())
    np.testing.assert_allclose(float(clone(W)), float(reg(W)), rtol=1e-6)


def test_l2_config_is_refused_by_keras_own_l2():
    # Without `import kerasreg`, Keras resolves the class name "L2" to its own
    # L2 (no 1/2): the config must fail loudly rather than double the penalty.
    config = kerasreg.L2(0.1).get_config()
    with pytest.raises(TypeError, match="formula"):
        keras.regularizers.L2.from_config(config)


def test_model_with_l2_fails_loudly_without_import(tmp_path):
    import subprocess
    import sys

    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, kernel_regularizer=kerasreg.L2(0.1))]
    )
    path = str(tmp_path / "m.keras")
    model.save(path)
    child = subprocess.run(
        [sys.executable, "-c", f"import keras; keras.saving.load_model({path!r})"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode != 0
    assert "formula" in child.stderr


# A kerasreg penalty is Keras' class of the same name only where the formula is
# the same: code reading `keras.regularizers.L2(...).l2` must not get a penalty
# half as strong.
@pytest.mark.parametrize(
    ("ours", "keras_class", "is_subclass"),
    [
        (kerasreg.L1, keras.regularizers.L1, True),
        (kerasreg.L2, keras.regularizers.L2, False),
        (kerasreg.ElasticNet, keras.regularizers.L1L2, False),
    ],
    ids=["l1", "l2", "elastic_net"],
)
def test_subclasses_keras_only_where_the_formula_is_keras(
    ours, keras_class, is_subclass
):
    assert isinstance(ours(), keras_class) is is_subclass
    assert not isinstance(keras_class(), ours)


def test_l1_is_keras_l1_in_value_attribute_and_config():
    ours, theirs = kerasreg.L1(0.3), keras.regularizers.L1(0.3)
    assert ours.l1 == theirs.l1
    # Keras stores the float32 rounding of the strength; kerasreg the float given.
    assert ours.get_config() == pytest.approx(theirs.get_config(), rel=1e-7)
    np.testing.assert_allclose(float(ours(W)), float(theirs(W)), rtol=1e-6)
