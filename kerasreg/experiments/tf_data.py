"""The input pipeline a study's runs train from: tf.data, TensorFlow's job, in
the one module named for it. `data` is a `kerasreg.experiments.data.Dataset`."""

import tensorflow as tf


def training_data(data, seed, batch_size):
    """The training split, shuffled per `seed` and epoch, batched, repeated
    forever."""
    # Indices are shuffled and batched, then each batch is gathered whole: a
    # pipeline of single examples costs more per step than the step itself
    # of a small network. Batches never straddle two epochs, and the
    # repetition keeps one iterator for the whole run.
    x, y = tf.constant(data.x_train), tf.constant(data.y_train)
    return (
        tf.data.Dataset.range(len(data.x_train))
        .shuffle(len(data.x_train), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .map(lambda batch: (tf.gather(x, batch), tf.gather(y, batch)))
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )
