"""Keras' own `random_rotation_test` run against kerasreg's RandomRotation."""

from kerasreg.augmentation import RandomRotation
from tests.keras_compat._harness import keras_test_classes

globals().update(
    keras_test_classes(
        "keras.src.layers.preprocessing.image_preprocessing.random_rotation_test",
        {"keras.src.layers": {"RandomRotation": RandomRotation}},
    )
)
