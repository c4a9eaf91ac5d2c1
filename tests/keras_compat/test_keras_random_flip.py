"""Keras' own `random_flip_test` run against `kerasreg.augmentation.RandomFlip`."""

from kerasreg.augmentation import RandomFlip
from tests.keras_compat._harness import keras_test_classes

globals().update(
    keras_test_classes(
        "keras.src.layers.preprocessing.image_preprocessing.random_flip_test",
        {"keras.src.layers": {"RandomFlip": RandomFlip}},
    )
)
