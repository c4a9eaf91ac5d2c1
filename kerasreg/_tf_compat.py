"""The few places where kerasreg must step outside `keras.ops` for TensorFlow."""

import keras


def inside_traced_function():
    """True while TensorFlow traces a graph function (always False elsewhere)."""
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return tf.inside_function()
