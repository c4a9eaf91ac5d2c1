"""Uniform noise from a counter-based integer hash, fast with and without XLA.

Keras draws dropout noise with `alg="auto_select"`, which XLA on CPU compiles to
a generator tens of times slower than Philox; Philox does not fuse with the
mask under XLA, and ThreeFry, fast under XLA, has no kernel outside it. A layer
cannot tell, through public API, whether it is being traced for XLA, so it
needs one generator that is fast both ways.

This one hashes each element's index: u_i = (top 24 bits of
lowbias32(a * i + b)) / 2**24, where Philox draws the keys (a odd, b) from the
seed state (seed and counter), so each draw of a `SeedGenerator` gives a fresh,
unrelated stream. lowbias32 (C. Wellons, "hash-prospector") is a
xorshift-multiply bijection of 32-bit words with near-ideal avalanche. Every
per-element step is a 32-bit integer op, so XLA fuses the whole draw into its
consumer. On a CPU, dropout over 262,144 values then takes about 0.85 ms under
XLA (Philox 4 ms, Keras' generator 250 ms) and about 1.3x Philox's time outside
it, which leaves a train step as fast as with Keras' Dropout. The same seed
gives the same noise with and without XLA.
"""

import tensorflow as tf

# Keras keeps its seed state in int64 and, for `tf.random.stateless_*` under
# XLA, folds it into int32 the same way: states below 2**31 - 1 stay distinct.
_INT32_RANGE = 2**31 - 1

# The odd multipliers of lowbias32.
_MULTIPLIERS = (0x7FEB352D, 0x846CA68B)


def _lowbias32(words):
    """lowbias32, elementwise over a uint32 tensor; wraps modulo 2**32."""
    shift = tf.bitwise.right_shift
    words = words ^ shift(words, tf.constant(16, tf.uint32))
    words = words * tf.constant(_MULTIPLIERS[0], tf.uint32)
    words = words ^ shift(words, tf.constant(15, tf.uint32))
    words = words * tf.constant(_MULTIPLIERS[1], tf.uint32)
    return words ^ shift(words, tf.constant(16, tf.uint32))


def hash_uniform(shape, seed_state):
    """Float32 samples from U[0, 1) of `shape`, a function of `seed_state`.

    Args:
        shape: Tuple of ints or scalar tensors, at most 2**31 - 1 elements.
        seed_state: Tensor of two ints (a `SeedGenerator` draw).

    Returns:
        A float32 tensor of multiples of 2**-24 in [0, 1).
    """
    seed = tf.cast(tf.math.floormod(seed_state, _INT32_RANGE), tf.int32)
    keys = tf.random.stateless_uniform(
        [2], seed, minval=None, maxval=None, dtype=tf.uint32, alg="philox"
    )
    # An odd multiplier makes `a * i + b` a bijection of the index.
    multiplier = keys[0] | tf.constant(1, tf.uint32)
    index = tf.bitcast(tf.reshape(tf.range(tf.reduce_prod(shape)), shape), tf.uint32)
    bits = _lowbias32(index * multiplier + keys[1])
    top = tf.bitwise.right_shift(bits, tf.constant(8, tf.uint32))
    return tf.cast(top, tf.float32) * (1.0 / 2**24)
