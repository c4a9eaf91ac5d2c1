"""Uniform noise for the dropout family: the one place the layers draw random
numbers, dispatched per backend."""

import keras


def uniform(shape, seed_generator):
    """Float32 samples from U[0, 1) of `shape`, advancing `seed_generator`.

    Float32 even under mixed precision: float16 noise has too few values in
    [0, 1) to keep units with probability exactly 1 - rate. On TensorFlow the
    samples come from an integer hash that stays fast under XLA (see
    `_tf_hash_noise`); the other backends' generators already are.
    """
    if keras.backend.backend() == "tensorflow":
        from kerasreg.layers import _tf_hash_noise

        return _tf_hash_noise.hash_uniform(shape, seed_generator.next())
    return keras.random.uniform(shape, dtype="float32", seed=seed_generator)
