"""Keras' own Dropout tests, run against `kerasreg.layers.Dropout`."""

from kerasreg.layers import Dropout
from tests.keras_compat._harness import keras_test_classes

# kerasreg raises ValueError for each of these too, in its own message form
# (tests/layers/test_dropout.py checks those messages whole).
_WORDING = "asserts Keras' exact error wording"

globals().update(
    keras_test_classes(
        "keras.src.layers.regularization.dropout_test",
        {"keras.src.layers": {"Dropout": Dropout}},
        skip={
            "test_dropout_negative_rate": _WORDING,
            "test_dropout_rate_greater_than_one": _WORDING,
            "test_validate_noise_shape_non_iterable": _WORDING,
            "test_validate_noise_shape_invalid_type": _WORDING,
            "test_validate_noise_shape_negative_value": _WORDING,
            "test_validate_noise_shape_zero_value": _WORDING,
        },
    )
)
