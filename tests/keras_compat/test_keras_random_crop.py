"""Keras' own `random_crop_test` run against `kerasreg.augmentation.RandomCrop`."""

import unittest

from kerasreg.augmentation import RandomCrop
from tests.keras_compat._harness import keras_test_classes

globals().update(
    keras_test_classes(
        "keras.src.layers.preprocessing.image_preprocessing.random_crop_test",
        {"keras.src.layers": {"RandomCrop": RandomCrop}},
    )
)
# A deliberate difference, not a skip: `test_dict_input` passes on Keras only
# because Keras' layer writes its outputs into the dict it is given (the test
# then compares the input's "images" with the output masks) and cuts one
# window for the whole batch (its boxes are (1, 4) for a batch of 2).
# kerasreg never changes the caller's dict and draws a window per image, so
# boxes for a batch must be (batch, boxes, 4). Strict: it must keep failing.
_crop_test = globals()["KerasRandomCropTest"]
_crop_test.test_dict_input = unittest.expectedFailure(_crop_test.test_dict_input)
del _crop_test  # pytest would collect the alias as a second class
