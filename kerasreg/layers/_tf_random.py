"""Uniform noise from TensorFlow's Philox kernel.

Keras draws dropout noise with `alg="auto_select"`, which XLA on CPU compiles to
a generator tens of times slower than Philox; a jit-compiled step then spends
much of its time making random numbers. Philox is also TensorFlow's default
outside XLA, so nothing is lost there.
"""

import tensorflow as tf

# `tf.random.stateless_*` take int32 seeds under XLA while Keras keeps its seed
# state in int64; folding into [0, 2**31 - 1) keeps every state distinct.
_INT32_RANGE = 2**31 - 1


def philox_uniform(shape, seed_state):
    """Float32 samples from U[0, 1), drawn from the two-int `seed_state`."""
    seed = tf.cast(tf.math.floormod(seed_state, _INT32_RANGE), tf.int32)
    return tf.random.stateless_uniform(shape, seed=seed, alg="philox")
