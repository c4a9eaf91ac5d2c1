"""apply_regularization and regularization_report on existing models."""

import re

import keras
import numpy as np
import pytest

import kerasreg
from tests.contracts import assert_saves_and_loads

X = np.random.default_rng(0).normal(size=(8, 8, 8, 3)).astype("float32")


def _NO_ARGUMENT():
    return True


def _TEXT_PENALTY(w):
    return "x"


def _pretrained():
    inputs = keras.Input((8, 8, 3))
    h = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    h = keras.layers.BatchNormalization(name="bn")(h)
    h = keras.layers.Flatten()(h)
    outputs = keras.layers.Dense(2, name="head")(h)
    return keras.Model(inputs, outputs)


def test_attaches_to_kernels_not_normalization():
    model = _pretrained()
    assert model.losses == []
    attached = kerasreg.apply_regularization(model, kernel_regularizer=kerasreg.L2(0.1))
    assert attached == ["conv/kernel", "head/kernel"]
    conv, head = model.get_layer("conv"), model.get_layer("head")
    expected = 0.05 * sum((v.numpy() ** 2).sum() for v in (conv.kernel, head.kernel))
    np.testing.assert_allclose(float(sum(model.losses)), expected, rtol=1e-5)
    assert all(w.regularizer is None for w in model.get_layer("bn").weights)


def test_bias_activity_and_filter():
    model = _pretrained()
    attached = kerasreg.apply_regularization(
        model,
        bias_regularizer="l1",
        activity_regularizer=kerasreg.L1(1e-3),
        layer_filter=lambda layer: layer.name == "head",
    )
    assert attached == ["head/bias", "head/activity"]
    model(X)
    assert len(model.losses) == 2


def test_existing_regularizer_kept_unless_overwrite():
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, kernel_regularizer=kerasreg.L1(1.0))]
    )
    assert kerasreg.apply_regularization(model, kernel_regularizer="l2") == []
    assert isinstance(model.layers[0].kernel.regularizer, kerasreg.L1)
    kerasreg.apply_regularization(model, kernel_regularizer="l2", overwrite=True)
    assert isinstance(model.layers[0].kernel.regularizer, kerasreg.L2)


def test_training_uses_the_penalty():
    model = _pretrained()
    kerasreg.apply_regularization(model, kernel_regularizer=kerasreg.L2(100.0))
    model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")
    before = np.abs(model.get_layer("head").kernel.numpy()).sum()
    model.fit(X, np.zeros((8, 2)), epochs=3, verbose=0)
    # A strong L2 shrinks weights whose data gradient is near zero.
    assert np.abs(model.get_layer("head").kernel.numpy()).sum() < 0.8 * before


def test_survives_save_and_load(tmp_path):
    model = _pretrained()
    kerasreg.apply_regularization(model, kernel_regularizer=kerasreg.ElasticNet())
    assert_saves_and_loads(model, X, tmp_path)


def test_nested_model_is_walked():
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="inner")])
    outer = keras.Sequential([keras.Input((4,)), inner, keras.layers.Dense(1)])
    attached = kerasreg.apply_regularization(outer, kernel_regularizer="l1")
    assert "inner/kernel" in attached and len(attached) == 2
    assert len(outer.losses) == 2


def test_report_counts_penalty_and_zeros():
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, kernel_regularizer=kerasreg.L1(0.5))]
    )
    kernel = np.array([[1.0, 0.0], [0.0, -2.0], [0.0, 0.0]], "float32")
    model.layers[0].set_weights([kernel, np.zeros(2, "float32")])
    (row,) = kerasreg.regularization_report(model)
    assert row["layer"] == model.layers[0].name
    assert row["penalty"] == pytest.approx(1.5)
    assert (row["weights"], row["zeros"]) == (8, 6)
    assert row["zero_fraction"] == pytest.approx(0.75)
    assert "75.00%" in str(kerasreg.regularization_report(model))


def _column_ends(line):
    """Where each right-aligned column ends: the end of each word but the first
    (the layer name), with "zero %" read as one word."""
    return [m.end() for m in re.finditer(r"\S+(?: %)?", line)][1:]


def test_report_table_stays_aligned_for_long_layer_names():
    long_name = "a_layer_name_sixty_characters_long_" + "x" * 25
    assert len(long_name) == 60
    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(2, kernel_regularizer=kerasreg.L1(0.5), name="d"),
            keras.layers.Dense(1, kernel_regularizer=kerasreg.L2(0.1), name=long_name),
        ]
    )
    header, rule, *rows = str(kerasreg.regularization_report(model)).splitlines()
    assert [row.split()[0] for row in rows] == ["d", long_name]
    assert rule == "-" * len(header)
    assert {len(line) for line in rows} == {len(header)}
    ends = _column_ends(header)
    assert len(ends) == 4
    for row in rows:
        assert _column_ends(row) == ends, row
    # Two spaces at least between the longest name and the next column.
    assert rows[1].index(long_name) == 0
    assert rows[1][60:62] == "  "


def test_report_shows_value_while_proximal_applies_it():
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(2, kernel_regularizer=kerasreg.L1(0.5))]
    )
    model.compile(optimizer=kerasreg.Proximal("sgd"), loss="mse")
    model.optimizer.build(model.trainable_variables)
    assert float(sum(model.losses)) == 0.0
    expected = 0.5 * np.abs(model.layers[0].kernel.numpy()).sum()
    (row,) = kerasreg.regularization_report(model)
    assert row["penalty"] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        (
            {"model": "m"},
            TypeError,
            "Invalid value for argument `model`. Expected a keras.Model. "
            "Received: model='m'",
        ),
        (
            {"model": None, "layer_filter": 3},
            TypeError,
            "Invalid value for argument `layer_filter`. Expected a callable "
            "layer -> bool. Received: layer_filter=3",
        ),
        (
            {"model": None, "layer_filter": _NO_ARGUMENT},
            TypeError,
            "Invalid value for argument `layer_filter`. Expected a callable "
            f"layer -> bool. Received: layer_filter={_NO_ARGUMENT!r}",
        ),
        (
            {"model": None, "kernel_regularizer": "lasso2"},
            ValueError,
            "Invalid value for argument `kernel_regularizer`. Expected a "
            "regularizer name ('l1', 'l2', 'elastic_net', 'elasticnet', "
            "'group_lasso', 'weight_regularizer', 'L1', 'L2', 'ElasticNet', "
            "'WeightRegularizer', 'GroupLasso', 'kerasreg>L1', ... or a Keras "
            "name). Received: kernel_regularizer='lasso2'",
        ),
        (
            {"model": None, "bias_regularizer": 3},
            TypeError,
            "Invalid value for argument `bias_regularizer`. Expected a "
            "Regularizer instance, a config dict, a name, None or a callable "
            "mapping one weight tensor to a scalar. Received: bias_regularizer=3",
        ),
        (
            {"model": None, "kernel_regularizer": _TEXT_PENALTY},
            TypeError,
            "Invalid value for argument `kernel_regularizer`. Expected a "
            "Regularizer instance, a config dict, a name, None or a callable "
            "mapping one weight tensor to a scalar. "
            f"Received: kernel_regularizer={_TEXT_PENALTY!r}",
        ),
        (
            {"model": None, "activity_regularizer": keras.ops.abs},
            ValueError,
            "Invalid value for argument `activity_regularizer`. Expected a "
            "Regularizer instance, a config dict, a name, None or a callable "
            "mapping one weight tensor to a scalar. "
            f"Received: activity_regularizer={keras.ops.abs!r}",
        ),
        (
            {"model": None, "activity_regularizer": {"class_name": "Nope"}},
            ValueError,
            "Invalid value for argument `activity_regularizer`. Expected the "
            "config dict of a registered regularizer. "
            "Received: activity_regularizer={'class_name': 'Nope'}",
        ),
        (
            {"model": None, "kernel_regularizer": "l1", "overwrite": "yes"},
            TypeError,
            "Invalid value for argument `overwrite`. Expected a bool. "
            "Received: overwrite='yes'",
        ),
    ],
    ids=[
        "model",
        "layer_filter",
        "layer_filter_arity",
        "kernel_regularizer",
        "bias_regularizer",
        "kernel_regularizer_text",
        "activity_regularizer_vector",
        "activity_regularizer",
        "overwrite",
    ],
)
def test_bad_input(kwargs, error, message):
    if kwargs["model"] is None:
        kwargs["model"] = _pretrained()
    with pytest.raises(error, match=re.escape(message)):
        kerasreg.apply_regularization(**kwargs)


@pytest.mark.parametrize(
    "function",
    [kerasreg.apply_regularization, kerasreg.regularization_report],
    ids=["apply_regularization", "regularization_report"],
)
def test_unbuilt_model_raises(function):
    model = keras.Sequential([keras.layers.Dense(2)])
    message = (
        "Invalid value for argument `model`. Expected a built model (call it on "
        f"data first). Received: model={model!r}"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        function(model)
