"""SelectFeatures: the kept columns as a layer and as a transformer."""

import re

import keras
import numpy as np
import pytest

from kerasreg.feature_selection import SelectFeatures
from tests.contracts import (
    assert_config_round_trip,
    assert_layer_contract,
    assert_saves_and_loads,
    invalid_argument_message,
)

X = np.arange(12, dtype="float32").reshape(3, 4)


def _model_with_rows(norms):
    kernel = np.zeros((len(norms), 2), "float32")
    kernel[:, 0] = norms
    model = keras.Sequential([keras.Input((len(norms),)), keras.layers.Dense(2)])
    model.layers[0].kernel.assign(kernel)
    return model


def test_transform_keeps_the_columns_in_order():
    select = SelectFeatures([3, 1], n_features=4)
    np.testing.assert_array_equal(select.transform(X), X[:, [3, 1]])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(select(X)), X[:, [3, 1]])
    np.testing.assert_array_equal(select.fit_transform(X), X[:, [3, 1]])


def test_layer_contract():
    on_tensorflow = keras.backend.backend() == "tensorflow"
    kwargs = {"indices": [3, 0], "n_features": 4, "feature_names": list("abcd")}
    assert_layer_contract(
        SelectFeatures, kwargs, (5, 4), (5, 2), run_tf_data=on_tensorflow
    )


def test_support_and_names():
    select = SelectFeatures([3, 1], n_features=4, feature_names=list("abcd"))
    assert select.get_support().tolist() == [False, True, False, True]
    assert select.get_support(indices=True).tolist() == [3, 1]
    assert select.get_feature_names_out() == ["d", "b"]
    assert SelectFeatures([0], n_features=2).get_feature_names_out() == ["x0"]


def test_a_dataframe_keeps_its_column_names():
    pandas = pytest.importorskip("pandas")
    frame = pandas.DataFrame(X, columns=["a", "b", "c", "d"])
    kept = SelectFeatures([2, 0], n_features=4).transform(frame)
    assert list(kept.columns) == ["c", "a"]


def test_from_model_keeps_non_zero_rows_or_the_k_largest():
    model = _model_with_rows([0.5, 0.0, 2.0, 1.0])
    assert list(SelectFeatures.from_model(model).indices) == [0, 2, 3]
    top = SelectFeatures.from_model(model, feature_names=list("abcd"), k=2)
    assert top.get_feature_names_out() == ["c", "d"]


def test_config_round_trip_and_a_saved_model(tmp_path):
    select = SelectFeatures([3, 1], n_features=4, feature_names=list("abcd"))
    clone = assert_config_round_trip(select)
    assert clone.get_feature_names_out() == ["d", "b"]
    model = keras.Sequential(
        [keras.Input((4,)), select, keras.layers.Dense(1, name="small")]
    )
    assert_saves_and_loads(model, X, tmp_path)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: SelectFeatures([4], n_features=4),
            ValueError,
            invalid_argument_message(
                "indices", [4], "a non-empty sequence of distinct ints in [0, 3]"
            ),
        ),
        (
            lambda: SelectFeatures([1, 1], n_features=4),
            ValueError,
            invalid_argument_message(
                "indices", [1, 1], "a non-empty sequence of distinct ints in [0, 3]"
            ),
        ),
        (
            lambda: SelectFeatures(["a"], n_features=4),
            TypeError,
            invalid_argument_message(
                "indices", ["a"], "a non-empty sequence of distinct ints in [0, 3]"
            ),
        ),
        (
            lambda: SelectFeatures([0], n_features=0),
            ValueError,
            invalid_argument_message("n_features", 0, "an int in [1, inf]"),
        ),
        (
            lambda: SelectFeatures([0], n_features=4).transform(np.ones((2, 3))),
            ValueError,
            invalid_argument_message(
                "x", "<data of shape (2, 3)>", "data with 4 columns"
            ),
        ),
        (
            lambda: SelectFeatures.from_model(_model_with_rows([1.0, 0.0]), k=2),
            ValueError,
            invalid_argument_message(
                "k", 2, "an int in [1, 1] (this model uses 1 of its 2 inputs)"
            ),
        ),
    ],
    ids=["out-of-range", "repeated", "not-int", "no-features", "width", "k"],
)
def test_bad_input(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()
