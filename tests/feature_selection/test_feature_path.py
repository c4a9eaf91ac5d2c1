"""feature_path: directions, stopping at k inputs, and its arguments."""

import re

import keras
import numpy as np
import pytest

import kerasreg
from kerasreg.feature_selection import FeaturePath, FeaturePoint, feature_path
from tests.contracts import invalid_argument_message

rng = np.random.default_rng(0)
X = rng.normal(size=(128, 4)).astype("float32")
Y = X @ np.array([[2.0], [0.0], [0.5], [1.0]], "float32")
REPEAT = 20  # full-batch steps per compiled call


def _build(strength):
    keras.utils.set_random_seed(0)
    penalty = kerasreg.GroupLasso(strength, axis=0)
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(1, kernel_regularizer=penalty)]
    )
    optimizer = kerasreg.optimizers.Proximal(keras.optimizers.SGD(0.1))
    model.compile(optimizer, "mse", steps_per_execution=REPEAT)
    model.optimizer.build(model.trainable_variables)
    return model


def _train(model):
    xs, ys = np.tile(X, (REPEAT, 1)), np.tile(Y, (REPEAT, 1))
    model.fit(xs, ys, batch_size=128, epochs=3, shuffle=False, verbose=0)


def test_stop_at_ends_a_weakening_path_at_k_inputs():
    trained = []

    def train(model):
        trained.append(model)
        _train(model)

    # Lasso: x_j enters below λ = 2·|cov(x_j, y)|, about 4, 2 and 1.
    path = feature_path(_build, [8.0, 3.0, 1.5, 0.5], train, stop_at=2)
    assert path.n_features == [0, 1, 2]
    assert len(trained) == 3
    assert path.entry_order == [0, 3]


def test_weak_to_strong_has_the_same_entry_order():
    path = feature_path(_build, [0.5, 1.5, 3.0, 8.0], _train)
    stopped = feature_path(_build, [0.5, 1.5, 3.0, 8.0], _train, stop_at=2)
    assert stopped.n_features == [3, 2]
    assert path.n_features == [3, 2, 1, 0]
    assert path.strengths == [0.5, 1.5, 3.0, 8.0]
    assert path.entry_order == [0, 3, 2]
    assert path.point_for(2).strength == 1.5
    assert path.to_json()[-1] == {"strength": 8.0, "n_features": 0.0, "features": []}


def test_point_for_more_inputs_than_any_point_keeps():
    norms = np.array([1.0, 0.0])
    path = FeaturePath([FeaturePoint(1.0, {}, [0], norms, None)])
    message = invalid_argument_message(
        "k", 2, "an int in [1, 1] (the most inputs a point keeps)"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        path.point_for(2)


def _point(strength, norms, val_accuracy):
    """A point whose model's first kernel has the given row norms."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.set_weights([np.array(norms, "float32")[:, None], np.zeros(1, "float32")])
    indices = [int(j) for j in np.flatnonzero(norms)]
    measures = {"val_accuracy": val_accuracy}
    return FeaturePoint(strength, measures, indices, np.array(norms), model)


# Weak to strong, as trained. λ = 2.0 measures best but keeps 1 input only;
# λ = 0.1 and 0.05 tie for the best among those that keep at least 2.
BEST_PATH = [
    _point(0.05, [1.0, 2.0, 0.5], 0.9),
    _point(0.1, [1.0, 2.0, 0.5], 0.9),
    _point(0.5, [3.0, 0.0, 1.0], 0.7),
    _point(2.0, [3.0, 0.0, 0.0], 0.95),
]


def test_best_ranks_where_the_measure_is_highest_among_points_keeping_k():
    path = FeaturePath(BEST_PATH, feature_names=["a", "b", "c"])
    assert path.point_for(2).strength == 0.5
    assert path.selector(2).get_feature_names_out() == ["a", "c"]
    assert path.point_for(2, best="val_accuracy").strength == 0.1
    select = path.selector(2, best="val_accuracy")
    assert select.get_feature_names_out() == ["b", "a"]
    assert path.point_for(1, best="val_accuracy").strength == 2.0


def test_best_must_name_a_measure_of_every_point():
    path = FeaturePath(BEST_PATH)
    message = invalid_argument_message(
        "best", "val_loss", "None or a measure of every point: ['val_accuracy']"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        path.selector(2, best="val_loss")


MONOTONE = "a non-empty sequence of finite floats > 0, strictly monotone"


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"strengths": [1.0, 2.0, 0.5]},
            ValueError,
            invalid_argument_message("strengths", [1.0, 2.0, 0.5], MONOTONE),
        ),
        (
            {"strengths": [1.0, 0.0]},
            ValueError,
            invalid_argument_message("strengths", [1.0, 0.0], MONOTONE),
        ),
        (
            {"strengths": None},
            TypeError,
            invalid_argument_message("strengths", None, MONOTONE),
        ),
        (
            {"measure": 3},
            TypeError,
            invalid_argument_message("measure", 3, "a callable"),
        ),
        (
            {"stop_at": 0},
            ValueError,
            invalid_argument_message("stop_at", 0, "an int in [1, inf]"),
        ),
        (
            {"feature_names": ["a", "a", "b", "c"]},
            ValueError,
            invalid_argument_message(
                "feature_names",
                ["a", "a", "b", "c"],
                "a sequence of 4 distinct feature names, or None",
            ),
        ),
    ],
    ids=["not-monotone", "zero", "not-a-sequence", "measure", "max", "names"],
)
def test_bad_input_is_refused_before_training(kwargs, error, message):
    def train(model):
        raise AssertionError("trained despite a bad argument")

    arguments = {"build": _build, "strengths": [1.0], "train": train, **kwargs}
    with pytest.raises(error, match=re.escape(message)):
        feature_path(**arguments)
