"""Keras' own BatchNormalization tests, run against kerasreg's layer."""

from kerasreg.layers import BatchNormalization
from tests.keras_compat._harness import keras_test_classes

globals().update(
    keras_test_classes(
        "keras.src.layers.normalization.batch_normalization_test",
        {"keras.src.layers": {"BatchNormalization": BatchNormalization}},
        # kerasreg raises ValueError for each of its three cases too, in its
        # own message form (tests/layers/test_batch_normalization.py).
        skip={
            "test_renorm_invalid_clipping_keys": "asserts Keras' exact error wording"
        },
    )
)
