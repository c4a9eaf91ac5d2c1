"""A Dense(1) with the input-group penalty is the lasso: scikit-learn's path.

scikit-learn's Lasso minimizes (1/2n)‖y − Xw‖² + α‖w‖₁. With one output unit
the group norm of a row is |w_j|, and Keras' "mse" is (1/n)‖y − Xw‖², twice
the data term, so the matching strength is λ = 2α. Full-batch proximal
gradient (ISTA) converges to the lasso solution with its exact zeros.
"""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import lasso_path
from sklearn.preprocessing import StandardScaler

import kerasreg
from kerasreg.feature_selection import SelectFeatures, feature_path

# Each α lies between two points where a feature enters scikit-learn's path
# (0.58, 0.55, 0.28, 0.19, 0.080, 0.055, 0.042, 0.012), away from both.
ALPHAS = [0.4, 0.23, 0.12, 0.065, 0.025]
REPEAT = 100  # full-batch steps per compiled call
STEPS = 1000  # full-batch steps per strength, warm-started


def _diabetes():
    data = load_diabetes()
    x = StandardScaler().fit_transform(data.data).astype("float32")
    y = ((data.target - data.target.mean()) / data.target.std()).astype("float32")
    return x, y[:, None], list(data.feature_names)


@pytest.fixture(scope="module")
def paths():
    x, y, names = _diabetes()
    _, coefs, _ = lasso_path(
        x.astype("float64"), y[:, 0].astype("float64"), alphas=ALPHAS, tol=1e-10
    )
    xs, ys = np.tile(x, (REPEAT, 1)), np.tile(y, (REPEAT, 1))

    def build(strength):
        keras.utils.set_random_seed(0)
        penalty = kerasreg.GroupLasso(strength, axis=0)
        model = keras.Sequential(
            [keras.Input((10,)), keras.layers.Dense(1, kernel_regularizer=penalty)]
        )
        optimizer = kerasreg.optimizers.Proximal(keras.optimizers.SGD(0.2))
        model.compile(optimizer, "mse", steps_per_execution=REPEAT)
        model.optimizer.build(model.trainable_variables)
        return model

    def train(model):
        epochs = STEPS // REPEAT
        model.fit(xs, ys, batch_size=len(x), epochs=epochs, shuffle=False, verbose=0)

    path = feature_path(build, [2 * a for a in ALPHAS], train, feature_names=names)
    return path, coefs.T, names, x


def test_selects_exactly_what_lasso_path_selects(paths):
    path, coefs, _, _ = paths
    for point, coef in zip(path.points, coefs, strict=True):
        assert point.indices == [int(j) for j in np.flatnonzero(coef)]
        kernel = keras.ops.convert_to_numpy(point.model.layers[0].kernel)[:, 0]
        np.testing.assert_allclose(kernel, coef, atol=2e-3)


def test_entry_order_is_lasso_paths(paths):
    path, coefs, names, _ = paths
    # scikit-learn's order on the same grid: by first α with a non-zero
    # coefficient, larger |coefficient| first among those entering together.
    first = [
        next(i for i, c in enumerate(coefs) if c[j] != 0)
        for j in range(10)
        if np.any(coefs[:, j] != 0)
    ]
    entered = [j for j in range(10) if np.any(coefs[:, j] != 0)]
    order = sorted(
        zip(first, entered, strict=True),
        key=lambda t: (t[0], -abs(coefs[t[0], t[1]])),
    )
    assert path.entry_order == [names[j] for _, j in order]
    assert path.n_features == [int(np.count_nonzero(c)) for c in coefs]
    assert [p.measures["n_features"] for p in path.points] == path.n_features


def test_selector_keeps_the_named_columns(paths):
    path, coefs, names, x = paths
    select = path.selector(3)
    expected = [int(j) for j in np.argsort(-np.abs(coefs[1]), kind="stable")[:3]]
    assert list(select.get_support(indices=True)) == expected
    assert select.get_feature_names_out() == [names[j] for j in expected]
    np.testing.assert_array_equal(select.transform(x), x[:, expected])
    assert isinstance(select, SelectFeatures)
