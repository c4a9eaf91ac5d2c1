"""Keras' own RandomZoom tests, run against kerasreg's RandomZoom."""

from kerasreg.augmentation import RandomZoom
from tests.keras_compat._harness import keras_test_classes

globals().update(
    keras_test_classes(
        "keras.src.layers.preprocessing.image_preprocessing.random_zoom_test",
        {"keras.src.layers": {"RandomZoom": RandomZoom}},
    )
)
