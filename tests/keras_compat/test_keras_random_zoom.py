"""Keras' own RandomZoom tests, run against kerasreg's RandomZoom."""

from kerasreg.augmentation import RandomZoom
from tests.keras_compat._harness import keras_test_classes

globals().update(
    keras_test_classes(
        "keras.src.layers.preprocessing.image_preprocessing.random_zoom_test",
        {"keras.src.layers": {"RandomZoom": RandomZoom}},
        differ={
            # Keras maps box corners like pixel centres, 0.5 (1 - 1 / z) px
            # off its own zoomed image; kerasreg's boxes follow the content.
            "test_random_flip_bounding_boxes_with_zoom": "boxes follow the pixels",
            "test_random_flip_tf_data_bounding_boxes_with_zoom": "boxes follow "
            "the pixels",
        },
    )
)
