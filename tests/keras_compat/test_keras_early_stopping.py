"""Keras' own `early_stopping_test` run against `kerasreg.callbacks.EarlyStopping`."""

from kerasreg.callbacks import EarlyStopping
from tests.keras_compat._harness import keras_test_classes

globals().update(
    keras_test_classes(
        "keras.src.callbacks.early_stopping_test",
        {"keras.src.callbacks": {"EarlyStopping": EarlyStopping}},
    )
)
