"""Keras' own `random_crop_test` run against `kerasreg.augmentation.RandomCrop`."""

from kerasreg.augmentation import RandomCrop
from tests.keras_compat._harness import keras_test_classes

globals().update(
    keras_test_classes(
        "keras.src.layers.preprocessing.image_preprocessing.random_crop_test",
        {"keras.src.layers": {"RandomCrop": RandomCrop}},
        differ={
            # Passes on Keras only because Keras' layer writes its outputs
            # into the dict it is given and cuts one window per batch (its
            # boxes are (1, 4) for a batch of 2); kerasreg never changes the
            # caller's dict and draws a window per image.
            "test_dict_input": "the caller's dict is not changed",
        },
    )
)
