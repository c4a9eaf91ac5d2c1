"""Quiet TensorFlow, seed every test, and skip TensorFlow-only tests elsewhere.

`KERAS_BACKEND` from the environment wins (`KERAS_BACKEND=jax python -m pytest`
runs the suite on JAX); tests of TensorFlow-only features (`tf.distribute`,
`tf.data` pipelines, TensorFlow kernels) carry `@pytest.mark.tensorflow_only`
and are skipped under any other backend.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import pytest  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "tensorflow_only: tests a TensorFlow-only feature (tf.distribute, tf.data, "
        "a TensorFlow kernel); skipped under another Keras backend",
    )


# Known bugs under other backends, by node id prefix (remove each entry once
# its fix lands).
_AUGMENTATION_IN_TF_DATA = (
    "kerasreg augmentation layers call keras.ops (the JAX backend) on the "
    "symbolic tf.Tensors of a tf.data map: NotImplementedError 'Cannot convert a "
    "symbolic tf.Tensor'. They must run on TensorFlow ops inside tf.data, as "
    "Keras' own preprocessing layers do."
)
_KNOWN_BACKEND_BUGS = {
    "tests/augmentation/test_layers.py::test_layer_contract": _AUGMENTATION_IN_TF_DATA,
    "tests/augmentation/test_layers.py::test_in_tf_data_per_image_and_batched": (
        _AUGMENTATION_IN_TF_DATA
    ),
    "tests/augmentation/test_pipeline.py::test_pipeline_contract": (
        _AUGMENTATION_IN_TF_DATA
    ),
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return
    skip = pytest.mark.skip(reason=f"TensorFlow-only feature; backend is {backend}")
    for item in items:
        if item.get_closest_marker("tensorflow_only") is not None:
            item.add_marker(skip)
            continue
        for prefix, bug in _KNOWN_BACKEND_BUGS.items():
            if item.nodeid.startswith(prefix):
                item.add_marker(
                    pytest.mark.skip(reason=f"known bug on {backend}: {bug}")
                )


@pytest.fixture(autouse=True)
def _seed_and_policy():
    keras.utils.set_random_seed(1234)
    yield
    keras.config.set_dtype_policy("float32")
