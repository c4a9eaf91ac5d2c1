"""RandomZoom: its matrix, draws, boxes and masks (what it shares with
RandomTranslation is in test_axis_factor_layers)."""

import keras
import numpy as np

from kerasreg.augmentation import RandomRotation, RandomScale, RandomZoom, functional
from kerasreg.augmentation.pipeline import split_runs
from kerasreg.augmentation.random_zoom import zoom_matrix
from tests.augmentation._affine_reference import to_numpy

IMAGES = np.random.default_rng(0).random((6, 9, 7, 3)).astype("float32")


def test_zoom_matrix_by_hand_and_as_the_inverse_scale():
    # 5 x 3 image: centre (1, 2); x_in = 1 + 2 (x - 1), y_in = 2 + 0.5 (y - 2).
    m = to_numpy(zoom_matrix(np.array([0.5]), np.array([2.0]), 5, 3))
    np.testing.assert_allclose(m[0], [[2, 0, -1], [0, 0.5, 1], [0, 0, 1]])
    scales = np.array([0.8, 1.25, 2.0], "float32")
    np.testing.assert_allclose(
        to_numpy(zoom_matrix(1 / scales, 1 / scales, 9, 7)),
        to_numpy(functional.scale_matrix(scales, 9, 7)),
        atol=1e-6,
    )


def test_channels_first_masks_in_tf_data_are_the_channels_last_result_moved():
    import tensorflow as tf

    labels = np.random.default_rng(2).integers(0, 5, (6, 9, 7, 1)).astype("int32")
    data = {"images": IMAGES, "segmentation_masks": labels}

    def run(data_format, move):
        layer = RandomZoom(0.3, 0.2, seed=4, data_format=data_format)
        ds = tf.data.Dataset.from_tensors({k: move(v) for k, v in data.items()})
        out = next(iter(ds.map(lambda d: layer(d, training=True))))
        return {k: np.asarray(v) for k, v in out.items()}

    last = run("channels_last", lambda x: x)
    first = run("channels_first", lambda x: np.moveaxis(x, -1, 1))
    for key in data:
        np.testing.assert_array_equal(np.moveaxis(first[key], 1, -1), last[key])
    assert last["segmentation_masks"].dtype == np.int32


def test_draws_per_image_in_range_and_width_follows_height_when_none():
    draws = RandomZoom((-0.2, 0.3), seed=1).get_random_transformation(500, 9, 7)
    zooms = to_numpy(draws["height_zooms"])
    assert zooms.min() >= 0.8 and zooms.max() <= 1.3 and np.ptp(zooms) > 0.45
    np.testing.assert_array_equal(to_numpy(draws["width_zooms"]), zooms)
    apart = RandomZoom(0.3, 0.3, seed=1).get_random_transformation(500, 9, 7)
    assert not np.allclose(
        to_numpy(apart["height_zooms"]), to_numpy(apart["width_zooms"])
    )


def test_zoom_out_by_two_is_a_half_size_copy_of_the_image():
    # z = 2 on 8 pixels: output x samples 3.5 + 2 (x - 3.5) = 2x - 3.5, halfway
    # between input pixels 2x - 4 and 2x - 3: their mean. "constant" fills
    # two columns each side.
    image = np.arange(64, dtype="float32").reshape(1, 8, 8, 1)
    out = to_numpy(RandomZoom((1.0, 1.0), fill_mode="constant")(image))[0, ..., 0]
    pairs = image[0, :, :, 0].reshape(4, 2, 4, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(out[2:6, 2:6], pairs, atol=1e-5)
    assert not out[:2].any() and not out[:, 6:].any()


def test_masks_and_boxes_follow_the_image_matrix():
    # A 2x zoom out of an 8 x 8 image: box edges move to 4 + (x - 4) / 2, the
    # whole image (0, 0, 8, 8) to (2, 2, 6, 6); the mask is the label image
    # warped with nearest neighbours by the same matrix.
    labels = np.random.default_rng(1).integers(0, 5, (2, 8, 8, 1)).astype("int32")
    boxes = np.array([[[0, 0, 8, 8], [2, 4, 6, 8]]] * 2, "float32")
    layer = RandomZoom(
        (1.0, 1.0),
        fill_mode="constant",
        interpolation="nearest",
        bounding_box_format="xyxy",
    )
    out = layer(
        {
            "images": labels.astype("float32"),
            "segmentation_masks": labels,
            "bounding_boxes": {"boxes": boxes, "labels": np.ones((2, 2))},
        }
    )
    masks = to_numpy(out["segmentation_masks"])
    assert masks.dtype == np.int32
    np.testing.assert_array_equal(masks, to_numpy(out["images"]).astype("int32"))
    np.testing.assert_allclose(
        to_numpy(out["bounding_boxes"]["boxes"]),
        [[[2, 2, 6, 6], [3, 4, 5, 6]]] * 2,
        atol=1e-5,
    )


def test_boxes_keep_to_the_content_where_keras_is_off_by_a_fraction_of_a_pixel():
    # A bright block over columns 2-3 and rows 2-5 (edges 2..4, 2..6); a 2x
    # zoom out shows it in column 3 and rows 3-4 only: box (3, 3, 4, 5).
    # Keras maps box corners like pixel centres and lands 0.5 (1 - 1 / z) =
    # 0.25 px off its own image: the documented difference.
    image = np.zeros((1, 8, 8, 1), "float32")
    image[0, 2:6, 2:4] = 1.0
    data = {
        "images": image,
        "bounding_boxes": {
            "boxes": np.array([[[2.0, 2.0, 4.0, 6.0]]], "float32"),
            "labels": np.array([[1]]),
        },
    }
    ours = RandomZoom((1.0, 1.0), fill_mode="constant", bounding_box_format="xyxy")(
        dict(data)
    )
    theirs = keras.layers.RandomZoom(
        (1.0, 1.0), fill_mode="constant", bounding_box_format="xyxy"
    )(dict(data), training=True)
    np.testing.assert_array_equal(to_numpy(ours["images"]), to_numpy(theirs["images"]))
    assert np.flatnonzero(to_numpy(ours["images"])[0, 4, :, 0]).tolist() == [3]
    np.testing.assert_allclose(
        to_numpy(ours["bounding_boxes"]["boxes"]), [[[3, 3, 4, 5]]]
    )
    np.testing.assert_allclose(
        to_numpy(theirs["bounding_boxes"]["boxes"]), [[[2.75, 2.75, 3.75, 4.75]]]
    )


def test_a_different_fill_mode_splits_the_run():
    zoom = RandomZoom(0.2, fill_mode="constant")
    rotation = RandomRotation(0.1)
    assert split_runs([zoom, rotation]) == [[zoom], [rotation]]
    assert RandomScale(0.1).resampling == RandomZoom(0.1).resampling
