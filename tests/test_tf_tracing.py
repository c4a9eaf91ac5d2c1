"""`inside_traced_function`: True only while TensorFlow traces a graph."""

import keras
import pytest

from kerasreg._tf_tracing import inside_traced_function


def test_false_eagerly():
    assert inside_traced_function() is False


@pytest.mark.tensorflow_only
def test_true_while_tensorflow_traces():
    import tensorflow as tf

    seen = []

    @tf.function
    def traced():
        seen.append(inside_traced_function())
        return tf.constant(0.0)

    traced()
    assert seen == [True]


def test_false_under_another_backend(monkeypatch):
    # The check asks TensorFlow only when TensorFlow is Keras' backend.
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    assert inside_traced_function() is False
