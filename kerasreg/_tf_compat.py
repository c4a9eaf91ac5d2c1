"""The few places where kerasreg must step outside `keras.ops` for TensorFlow."""

import keras


def assign_now(variable, value):
    """Assign `value` to `variable` immediately, also while a tf.function traces.

    Keras' TensorFlow trainer builds the optimizer inside the first trace of the
    train step, after the loss has been traced; an assign recorded into that
    graph would only run after the loss had already read the old value.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        with tf.init_scope():
            variable.assign(value)
    else:
        variable.assign(value)


def inside_traced_function():
    """True while TensorFlow traces a graph function (always False elsewhere)."""
    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return tf.inside_function()
