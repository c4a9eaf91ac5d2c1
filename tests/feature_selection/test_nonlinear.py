"""Known truth: 5 inputs act through products and a square among 45 noise inputs.

The label is [x0·x1 + x2² − 1 + x3·x4 > 0]: no informative input is
correlated with the label on its own, so a linear model cannot see them.
A small MLP with the input-group penalty, on a path from weak to strong λ
(a dense fit first, as LassoNet's path), keeps exactly the 5 at some λ;
L1 logistic regression with `SelectFromModel`, on the same data, never does.
"""

import keras
import numpy as np
import pytest
from sklearn.feature_selection import SelectFromModel
from sklearn.linear_model import LogisticRegression

import kerasreg
from kerasreg.feature_selection import feature_path

TRUTH = [0, 1, 2, 3, 4]
N, N_TRAIN, D = 6000, 4200, 50
REPEAT = 20  # full-batch steps per compiled call


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, D)).astype("float32")
    score = x[:, 0] * x[:, 1] + x[:, 2] ** 2 - 1 + x[:, 3] * x[:, 4]
    y = (score > 0).astype("float32")[:, None]
    return x[:N_TRAIN], y[:N_TRAIN], x[N_TRAIN:], y[N_TRAIN:]


def _build(strength):
    keras.utils.set_random_seed(0)
    penalty = kerasreg.GroupLasso(strength, axis=0)
    model = keras.Sequential(
        [
            keras.Input((D,)),
            keras.layers.Dense(32, "tanh", kernel_regularizer=penalty),
            keras.layers.Dense(1, "sigmoid"),
        ]
    )
    optimizer = kerasreg.optimizers.Proximal(keras.optimizers.SGD(0.5))
    model.compile(
        optimizer,
        "binary_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=REPEAT,
    )
    model.optimizer.build(model.trainable_variables)
    return model


def _scores(selected):
    hits = len(set(selected) & set(TRUTH))
    precision = hits / len(selected) if selected else 0.0
    return precision, hits / len(TRUTH)


def test_path_keeps_exactly_the_informative_inputs(data):
    x, y, x_val, y_val = data
    xs, ys = np.tile(x, (REPEAT, 1)), np.tile(y, (REPEAT, 1))
    epochs = iter([100, 50, 50, 50])  # full-batch steps / REPEAT, per strength

    def train(model):
        model.fit(
            xs, ys, batch_size=len(x), epochs=next(epochs), shuffle=False, verbose=0
        )

    def measure(model):
        return {"val_accuracy": model.evaluate(x_val, y_val, verbose=0)[1]}

    path = feature_path(_build, [0.002, 0.04, 0.06, 0.08], train, measure)
    assert path.n_features[0] > 40  # the weak start keeps nearly every input
    exact = [p for p in path.points if _scores(p.indices) == (1.0, 1.0)]
    assert exact, [(p.indices, p.measures) for p in path.points]
    # Well above the majority class (53% of the validation labels).
    assert exact[0].measures["val_accuracy"] > 0.65, path.to_json()
    assert sorted(path.entry_order[:5]) == TRUTH


@pytest.mark.parametrize("c", [0.003, 0.01, 0.03, 0.1, 0.3, 1.0], ids=str)
def test_l1_logistic_regression_misses_them(data, c):
    x, y, _, _ = data
    logistic = LogisticRegression(penalty="l1", C=c, solver="liblinear")
    selector = SelectFromModel(logistic).fit(x, y[:, 0])
    selected = [int(j) for j in selector.get_support(indices=True)]
    assert _scores(selected) != (1.0, 1.0)
    # Where it keeps every informative input, it keeps noise with them.
    assert set(TRUTH) - set(selected) or _scores(selected)[0] < 0.5
