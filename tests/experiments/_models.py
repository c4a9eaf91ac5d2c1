"""The small model the study's tests train on 8×8 digits, shared by the
modules that run whole studies."""

import keras


def digits_mlp(switches):
    """Flatten, Dense(16) with the penalty, ReLU and dropout, 10 logits."""
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(16, kernel_regularizer=switches.kernel_regularizer)(x)
    x = switches.dropout(keras.layers.ReLU()(x))
    return keras.Model(inputs, keras.layers.Dense(10)(x))
