"""The warm-started regularization path against closed forms and scikit-learn."""

import dataclasses
import itertools
import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_diabetes
from sklearn.linear_model import lasso_path

import kerasreg
from kerasreg.experiments.records import PathPoint
from kerasreg.experiments.regularization_path import warm_started_path, zero_share
from tests.contracts import invalid_argument_message


def _linear(features, l1, learning_rate, steps=1):
    """Dense(1) without bias, L1 applied as exact proximal steps (ISTA)."""
    model = keras.Sequential(
        [
            keras.Input((features,)),
            keras.layers.Dense(1, use_bias=False, kernel_regularizer=kerasreg.L1(l1)),
        ]
    )
    optimizer = kerasreg.optimizers.Proximal(keras.optimizers.SGD(learning_rate))
    model.compile(optimizer, "mse", steps_per_execution=steps)
    model.optimizer.build(model.trainable_variables)
    return model


def _build(l1):
    return _linear(2, l1, learning_rate=0.1)


def _full_batch_trainer(x, y, steps):
    # One full-batch step per "batch": proximal gradient descent on all data.
    data = tf.data.Dataset.from_tensors((x, y)).repeat()

    def train(model):
        model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0, shuffle=False)

    return train


def _recorder(kernels):
    """A `measure` that keeps each trained kernel and returns its L1 norm."""

    def measure(model):
        kernels.append(model.layers[0].kernel.numpy()[:, 0])
        return {"l1_norm": np.abs(kernels[-1]).sum()}

    return measure


def test_zero_share_is_non_increasing_on_an_orthogonal_design():
    # With X^T X / n = I the Keras objective (1/n)||y - Xw||^2 + l1 ||w||_1 is
    # solved by soft-thresholding the least-squares coefficients at l1 / 2,
    # so each weaker strength frees exactly one more weight.
    n = 64
    q, _ = np.linalg.qr(np.random.default_rng(0).normal(size=(n, 6)))
    x = (q * np.sqrt(n)).astype("float32")
    beta = np.array([3.0, -2.0, 1.5, 0.8, -0.4, 0.1])
    y = (x @ beta).astype("float32")[:, None]
    strengths = [7.0, 5.0, 3.5, 2.0, 1.0, 0.4, 0.1]
    kernels = []
    path = warm_started_path(
        # Each step halves the distance to the solution: 100 steps are plenty.
        lambda l1: _linear(6, l1, learning_rate=0.25, steps=100),
        strengths,
        _full_batch_trainer(x, y, steps=100),
        _recorder(kernels),
    )
    shares = [point.zero_share for point in path]
    assert shares == [k / 6 for k in range(6, -1, -1)]
    assert all(a >= b for a, b in itertools.pairwise(shares))
    for point, w in zip(path, kernels, strict=True):
        expected = np.sign(beta) * np.maximum(np.abs(beta) - point.strength / 2, 0)
        np.testing.assert_allclose(w, expected, atol=1e-5)
        assert point.measures == {"l1_norm": pytest.approx(np.abs(expected).sum())}


def _diabetes():
    x, y = load_diabetes(return_X_y=True)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return x, (y - y.mean()) / y.std()


def _unambiguous_alphas(x, y, alphas, coefs):
    """One alpha per zero count where sklearn's zero pattern is clear-cut.

    A nonzero coefficient within 1e-2 of 0, or a zero one whose correlation
    with the residual is within 5% of alpha (about to enter), could fall
    either way at float32 precision; such alphas are skipped.
    """
    correlations = np.abs(x.T @ (y[:, None] - x @ coefs)) / len(x)
    by_zeros = {}
    for i, alpha in enumerate(alphas):
        zero = coefs[:, i] == 0
        clear_nonzero = np.all(np.abs(coefs[~zero, i]) > 1e-2)
        clear_zero = np.all(correlations[zero, i] < 0.95 * alpha)
        if clear_nonzero and clear_zero and 0 < zero.sum() < len(zero):
            by_zeros.setdefault(int(zero.sum()), []).append(i)
    return sorted(indices[len(indices) // 2] for indices in by_zeros.values())


def test_matches_sklearn_lasso_path_on_diabetes():
    x, y = _diabetes()
    alphas, coefs, _ = lasso_path(x, y, eps=1e-3, tol=1e-12, max_iter=100_000)
    picked = _unambiguous_alphas(x, y, alphas, coefs)
    assert len(picked) >= 6
    # sklearn minimizes (1/(2n))||y - Xw||^2 + alpha ||w||_1; Keras' mse is
    # (1/n)||y - Xw||^2, so kerasreg.L1(l1) with l1 = 2 alpha is the same problem.
    kernels = []
    path = warm_started_path(
        lambda l1: _linear(10, l1, learning_rate=0.1, steps=1000),
        [2 * alphas[i] for i in picked],
        _full_batch_trainer(
            x.astype("float32"), y.astype("float32")[:, None], steps=1000
        ),
        _recorder(kernels),
    )
    scale = np.abs(coefs).max()
    for i, point, w in zip(picked, path, kernels, strict=True):
        np.testing.assert_array_equal(w == 0.0, coefs[:, i] == 0.0)
        np.testing.assert_allclose(w, coefs[:, i], atol=1e-3 * scale)
        assert point.zero_share == np.mean(coefs[:, i] == 0)
    assert len({point.zero_share for point in path}) == len(path)


def test_each_model_starts_from_the_previous_trained_weights():
    x = np.random.default_rng(1).normal(size=(32, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-0.5], [0.0]])).astype("float32")
    seen = []

    def train(model):
        before = model.get_weights()
        iterations = int(model.optimizer.iterations.numpy())
        model.fit(x, y, batch_size=8, verbose=0)
        seen.append((model, before, iterations, model.get_weights()))

    build = lambda l1: _linear(3, l1, learning_rate=0.1)  # noqa: E731
    warm_started_path(build, [0.3, 0.1, 0.01], train, lambda model: {})
    models = [model for model, *_ in seen]
    assert len({id(model) for model in models}) == 3
    for (_, _, _, trained), (_, before, _, _) in itertools.pairwise(seen):
        for a, b in zip(trained, before, strict=True):
            np.testing.assert_array_equal(a, b)
    # The first model starts from its own initialization, and every
    # optimizer starts fresh (no step taken, no moments carried over).
    assert not np.array_equal(seen[0][1][0], seen[0][3][0])
    assert [iterations for _, _, iterations, _ in seen] == [0, 0, 0]


def test_path_points():
    # No data signal: ten proximal steps of 0.1 * 2 shrink the Glorot kernel
    # (entries below sqrt(6 / 3) = 1.41 for this shape) to exact zeros.
    x = np.zeros((10, 2), "float32")
    path = warm_started_path(
        _build,
        [2, 1.5],
        lambda model: model.fit(x, x[:, :1], batch_size=1, verbose=0),
        lambda model: {"answer": np.float32(0.5), 3: 1},
    )
    assert path == [
        PathPoint(2.0, {"answer": 0.5, "3": 1.0}, 1.0),
        PathPoint(1.5, {"answer": 0.5, "3": 1.0}, 1.0),
    ]
    assert all(type(value) is float for value in path[0].measures.values())
    assert all(type(point.strength) is float for point in path)
    with pytest.raises(dataclasses.FrozenInstanceError):
        path[0].zero_share = 0.0


def test_zero_share_counts_kernels_only():
    model = keras.Sequential(
        [
            keras.Input((4, 4, 1)),
            keras.layers.Conv2D(2, 3, bias_initializer="zeros"),
            keras.layers.BatchNormalization(),
            keras.layers.Flatten(),
            keras.layers.Dense(3, bias_initializer="zeros"),
        ]
    )
    conv, dense = model.layers[0], model.layers[3]
    conv.kernel.assign(np.zeros((3, 3, 1, 2)))  # 18 zeros
    dense.kernel.assign(np.ones((8, 3)))  # 24 ones
    assert zero_share(model) == 18 / 42
    dense.kernel.assign(np.zeros((8, 3)))
    assert zero_share(model) == 1.0


def test_zero_share_needs_kernels():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dropout(0.5)])
    message = invalid_argument_message(
        "model", model, "a built keras.Model with kernel weights"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        zero_share(model)
    message = invalid_argument_message("model", "dense", "a keras.Model")
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        zero_share("dense")


def _never(model):
    raise AssertionError("not reached")


@pytest.mark.parametrize(
    ("strengths", "error"),
    [
        ([], ValueError),
        ([0.1, 0.2], ValueError),
        ([0.1, 0.1], ValueError),
        ([0.1, 0.0], ValueError),
        ([float("inf"), 1.0], ValueError),
        ([float("nan")], ValueError),
        (0.1, TypeError),
        (["strong"], TypeError),
    ],
    ids=["empty", "increasing", "repeated", "zero", "inf", "nan", "scalar", "str"],
)
def test_bad_strengths(strengths, error):
    message = invalid_argument_message(
        "strengths",
        strengths,
        "a non-empty sequence of finite floats > 0, strictly decreasing",
    )
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        warm_started_path(_build, strengths, _never, _never)


@pytest.mark.parametrize("argument", ["build", "train", "measure", "stop"])
def test_callables_required(argument):
    arguments = {"build": _build, "train": _never, "measure": _never, "stop": None}
    arguments[argument] = 3
    message = invalid_argument_message(argument, 3, "a callable")
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        warm_started_path(strengths=[0.1], **arguments)


def test_stop_ends_the_path_after_its_first_true():
    trained = []
    points = warm_started_path(
        _build,
        [1.0, 0.5, 0.1],
        train=trained.append,
        measure=lambda model: {"n": float(len(trained))},
        stop=lambda point: point.measures["n"] == 2,
    )
    assert [p.strength for p in points] == [1.0, 0.5]
    assert len(trained) == 2


def test_build_must_return_a_built_model():
    def build(l1):
        return keras.Sequential([keras.layers.Dense(1)], name="unbuilt")

    message = invalid_argument_message(
        "build",
        build,
        "a callable returning a built keras.Model; it returned "
        "<Sequential name=unbuilt, built=False>",
    )
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        warm_started_path(build, [0.1], _never, _never)


def test_measure_must_return_a_dict_of_floats():
    def measure(model):
        return [0.5]

    message = invalid_argument_message(
        "measure", measure, "a callable returning a dict of floats; it returned [0.5]"
    )
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        warm_started_path(_build, [0.1], lambda model: None, measure)
