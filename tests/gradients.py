"""Gradients of a scalar function, through whichever backend Keras runs on."""

import keras
import numpy as np


def gradient(fn, value):
    """d fn / d value at `value` (a NumPy array), as a NumPy array."""
    value = np.asarray(value)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        variable = tf.Variable(value)
        with tf.GradientTape() as tape:
            result = fn(variable)
        return tape.gradient(result, variable).numpy()
    if backend == "jax":
        import jax

        return np.asarray(jax.grad(fn)(value))
    if backend == "torch":
        import torch

        tensor = torch.tensor(value, requires_grad=True)
        fn(tensor).backward()
        return tensor.grad.numpy()
    raise ValueError(f"No gradient for the {backend!r} backend in the tests.")
