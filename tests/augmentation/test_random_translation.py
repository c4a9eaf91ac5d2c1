"""RandomTranslation: its draws and its matrix by hand (what it shares with
RandomZoom is in test_axis_factor_layers)."""

import numpy as np

from kerasreg.augmentation import RandomTranslation
from tests.augmentation._affine_reference import to_numpy


def test_shifts_are_fractions_of_the_size_drawn_per_image():
    layer = RandomTranslation((-0.2, 0.4), (0.1, 0.3), seed=1)
    draws = layer.get_random_transformation(500, 10, 20)
    down, right = to_numpy(draws["shifts_y"]), to_numpy(draws["shifts_x"])
    assert down.min() >= -2.0 and down.max() <= 4.0 and np.ptp(down) > 5.5
    assert right.min() >= 2.0 and right.max() <= 6.0 and np.ptp(right) > 3.5
    np.testing.assert_allclose(
        to_numpy(draws["matrix"])[:, :2, 2], np.stack([-right, -down], -1)
    )


def test_whole_pixel_shift_by_hand_with_masks_and_boxes():
    # 0.25 of 8 rows = 2 down, -0.5 of 4 columns = 2 left: exact, any
    # interpolation. Boxes move by (-2, +2) and are clipped to the image.
    image = np.arange(32, dtype="float32").reshape(1, 8, 4, 1)
    labels = image.astype("int32")
    boxes = np.array([[[0, 0, 4, 8], [2, 1, 3, 4]]], "float32")
    layer = RandomTranslation(
        (0.25, 0.25), (-0.5, -0.5), fill_mode="constant", bounding_box_format="xyxy"
    )
    out = layer(
        {
            "images": image,
            "segmentation_masks": labels,
            "bounding_boxes": {"boxes": boxes, "labels": np.ones((1, 2))},
        }
    )
    expected = np.zeros((8, 4), "float32")
    expected[2:, :2] = image[0, :6, 2:, 0]
    np.testing.assert_array_equal(to_numpy(out["images"])[0, ..., 0], expected)
    np.testing.assert_array_equal(
        to_numpy(out["segmentation_masks"])[0, ..., 0], expected.astype("int32")
    )
    np.testing.assert_allclose(
        to_numpy(out["bounding_boxes"]["boxes"]), [[[0, 2, 2, 8], [0, 3, 1, 6]]]
    )
