"""Whether TensorFlow is tracing a graph function (Proximal warns when it is
built inside the first traced train step)."""

import keras


def inside_traced_function():
    """True while TensorFlow traces a graph function (always False elsewhere)."""
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return tf.inside_function()
