"""Keras' own RandomTranslation tests, run against kerasreg's RandomTranslation."""

from kerasreg.augmentation import RandomTranslation
from tests.keras_compat._harness import keras_test_classes

globals().update(
    keras_test_classes(
        "keras.src.layers.preprocessing.image_preprocessing.random_translation_test",
        {"keras.src.layers": {"RandomTranslation": RandomTranslation}},
    )
)
