"""The layer contract, config round trips, save/load and docstring examples."""

import doctest
import inspect

import keras
import numpy as np
import pytest

import kerasreg.layers
from kerasreg.layers import (
    BatchNormalization,
    DropBlock2D,
    Dropout,
    StochasticDepth,
)
from tests.contracts import (
    assert_config_round_trip,
    assert_layer_contract,
    assert_saves_and_loads,
)

SHAPE = (4, 6, 6, 3)
CASES = {
    "Dropout": (Dropout, {"rate": 0.5, "seed": 1}, SHAPE),
    "DropBlock2D": (
        DropBlock2D,
        {"rate": 0.2, "block_size": 3, "seed": 1},
        SHAPE,
    ),
    "StochasticDepth": (StochasticDepth, {"rate": 0.2, "seed": 1}, SHAPE),
    "BatchNormalization": (BatchNormalization, {}, SHAPE),
    "BatchNormalization_ghost": (
        BatchNormalization,
        {"virtual_batch_size": 3, "axis": [1, 3]},
        SHAPE,
    ),
    "BatchNormalization_renorm": (
        BatchNormalization,
        {"renorm": True, "renorm_clipping": {"rmax": 3.0}},
        SHAPE,
    ),
}

PUBLIC_LAYERS = {
    obj
    for name in kerasreg.layers.__all__
    if inspect.isclass(obj := getattr(kerasreg.layers, name))
    and issubclass(obj, keras.layers.Layer)
}


def test_every_public_layer_is_covered():
    covered = {cls for cls, _, _ in CASES.values()}
    assert PUBLIC_LAYERS - covered == set()


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_layer_contract(case):
    cls, kwargs, shape = CASES[case]
    # Only TensorFlow runs non-preprocessing layers inside tf.data (Keras' own
    # Dropout cannot either on JAX).
    on_tensorflow = keras.backend.backend() == "tensorflow"
    assert_layer_contract(cls, kwargs, shape, shape, run_tf_data=on_tensorflow)


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_seeded_copy_from_config_gives_the_same_outputs(case):
    cls, kwargs, shape = CASES[case]
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    layer = cls(**kwargs)
    clone = assert_config_round_trip(layer)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(layer(x, training=True)),
        keras.ops.convert_to_numpy(clone(x, training=True)),
    )


@pytest.mark.parametrize("cls", sorted(PUBLIC_LAYERS, key=lambda c: c.__name__))
def test_public_layers_are_registered(cls):
    name = f"kerasreg>{cls.__name__}"
    assert keras.saving.get_registered_object(name) is cls


def test_model_of_every_layer_saves_and_loads_in_a_fresh_process(tmp_path):
    inputs = keras.Input((6, 6, 3))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    x = BatchNormalization(virtual_batch_size=2, gamma_regularizer="l2")(x)
    x = DropBlock2D(0.1, 2, seed=1)(x)
    x = x + StochasticDepth(0.1, seed=2)(keras.layers.Conv2D(4, 1)(x))
    x = Dropout(keep_prob=0.9, seed=3)(keras.layers.Flatten()(x))
    model = keras.Model(inputs, keras.layers.Dense(2)(x))
    data = np.random.default_rng(0).normal(size=(8, 6, 6, 3)).astype("float32")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(data, np.zeros((8, 2)), epochs=1, verbose=0)
    assert_saves_and_loads(model, data, tmp_path, atol=1e-5)


@pytest.mark.parametrize("name", kerasreg.layers.__all__)
def test_docstring_example_runs(name):
    # The names the examples use, as `conftest.py` gives them to doctests.
    names = {"keras": keras, "kerasreg": kerasreg, "np": np}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    obj = getattr(kerasreg.layers, name)
    for test in doctest.DocTestFinder(recurse=False).find(obj, name, globs=names):
        runner.run(test)
    summary = runner.summarize(verbose=False)
    assert summary.attempted > 0, f"{name} has no Example"
    assert summary.failed == 0
