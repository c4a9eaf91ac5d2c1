"""Keras' own `random_crop_test` run against `kerasreg.augmentation.RandomCrop`."""

from kerasreg.augmentation import RandomCrop
from tests.keras_compat._harness import keras_test_classes

globals().update(
    keras_test_classes(
        "keras.src.layers.preprocessing.image_preprocessing.random_crop_test",
        {"keras.src.layers": {"RandomCrop": RandomCrop}},
    )
)
