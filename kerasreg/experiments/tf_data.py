"""The input pipelines a study's runs train from: tf.data, TensorFlow's job,
in the one module named for it. `data` is a `kerasreg.experiments.data.Dataset`."""

import tensorflow as tf


def training_data(data, seed, batch_size):
    """The training split, shuffled per `seed`, batched, repeated forever."""
    # Shuffled afresh each epoch, in batches that never straddle two epochs,
    # repeated so that Keras keeps one iterator for the whole run.
    return (
        tf.data.Dataset.from_tensor_slices((data.x_train, data.y_train))
        .shuffle(len(data.x_train), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size)
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )


def validation_data(data):
    """The validation split as one batch, repeated forever."""
    # The whole validation set in one batch, kept in memory across epochs.
    return tf.data.Dataset.from_tensors((data.x_val, data.y_val)).repeat()
