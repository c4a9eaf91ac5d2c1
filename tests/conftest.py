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
    # Keras' own test modules (tests/keras_compat/) carry Keras' marker.
    config.addinivalue_line(
        "markers", "requires_trainable_backend: Keras' marker, every backend here is"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return
    skip = pytest.mark.skip(reason=f"TensorFlow-only feature; backend is {backend}")
    for item in items:
        if item.get_closest_marker("tensorflow_only") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _seed_and_policy():
    keras.utils.set_random_seed(1234)
    yield
    keras.config.set_dtype_policy("float32")
