"""RandomZoom: Keras' layer's output for the same draws, fused by its matrix."""

import re

import keras
import numpy as np
import pytest

from kerasreg import _validation
from kerasreg.augmentation import (
    Pipeline,
    RandomRotation,
    RandomScale,
    RandomTranslation,
    RandomZoom,
    functional,
)
from kerasreg.augmentation.pipeline import split_runs
from kerasreg.augmentation.random_zoom import zoom_matrix
from tests.augmentation._affine_reference import (
    FILL_MODES,
    INTERPOLATIONS,
    assert_matches_keras,
    scipy_warp,
    to_numpy,
)
from tests.contracts import (
    assert_config_round_trip,
    assert_layer_contract,
    load_in_fresh_process,
)

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


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_equals_keras_for_every_fill_mode_and_interpolation(fill_mode, interpolation):
    kwargs = dict(
        height_factor=(-0.3, 0.5),
        width_factor=(0.4, -0.2),  # Keras sorts a pair
        fill_mode=fill_mode,
        interpolation=interpolation,
        seed=7,
        fill_value=0.25,
    )
    assert_matches_keras(
        lambda: RandomZoom(**kwargs),
        lambda: keras.layers.RandomZoom(**kwargs),
        IMAGES,
        fill_mode,
        interpolation,
    )


FACTOR_FORMS = {
    "float": (0.4, None),
    "negative-float": (-0.4, None),  # a symmetric range, as in Keras
    "one": (1.0, 0.5),
    "degenerate-out": ((0.5, 0.5), (0.8, 0.8)),
    "degenerate-in": ((-0.5, -0.5), -0.25),
    "int-and-list": (0, [-0.1, 0.3]),
}


@pytest.mark.parametrize(
    "height_factor, width_factor", FACTOR_FORMS.values(), ids=list(FACTOR_FORMS)
)
def test_equals_keras_for_every_factor_form(height_factor, width_factor):
    kwargs = dict(height_factor=height_factor, width_factor=width_factor, seed=3)
    assert_matches_keras(
        lambda: RandomZoom(**kwargs),
        lambda: keras.layers.RandomZoom(**kwargs),
        IMAGES,
        "reflect",
        "bilinear",
    )


def test_equals_keras_channels_first_and_single_image():
    images = np.moveaxis(IMAGES, -1, 1)
    kwargs = dict(height_factor=0.3, width_factor=0.2, seed=5)
    for data_format in ("channels_first", "channels_last"):
        kwargs["data_format"] = data_format
        x = images if data_format == "channels_first" else IMAGES
        assert_matches_keras(
            lambda: RandomZoom(**kwargs),
            lambda: keras.layers.RandomZoom(**kwargs),
            x,
            "reflect",
            "bilinear",
        )
        assert_matches_keras(
            lambda: RandomZoom(**kwargs),
            lambda: keras.layers.RandomZoom(**kwargs),
            x[0],
            "reflect",
            "bilinear",
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


def _zoom_rotation_translation():
    # The magnifying layer last keeps every sample of the chain inside the
    # image, where bilinear interpolation of a linear image is exact.
    return [
        RandomTranslation(0.05, 0.05, seed=1),
        RandomRotation(0.1, seed=2),
        RandomZoom((-0.6, -0.5), (-0.55, -0.5), seed=3),
    ]


def test_pipeline_fuses_zoom_with_the_other_layers_into_one_warp():
    layers = _zoom_rotation_translation()
    assert split_runs(layers) == [layers]
    fused = to_numpy(Pipeline(layers)(IMAGES, training=True))
    matrices = [
        layer.get_random_transformation(6, 9, 7)["matrix"]
        for layer in _zoom_rotation_translation()
    ]
    matrix = to_numpy(functional.compose(*matrices))
    np.testing.assert_allclose(
        fused, scipy_warp(IMAGES, matrix, "bilinear", "reflect"), atol=1e-5
    )


def test_pipeline_equals_the_layers_called_in_turn_on_a_linear_image():
    ys, xs = np.mgrid[0:64, 0:64].astype("float32")
    ramp = np.stack([xs + 2 * ys, 3 * xs - ys], -1)[None].repeat(4, 0)
    fused = to_numpy(Pipeline(_zoom_rotation_translation())(ramp, training=True))
    chained = ramp
    for layer in _zoom_rotation_translation():
        chained = layer(chained, training=True)
    np.testing.assert_allclose(fused, to_numpy(chained), atol=2e-3)
    assert not np.allclose(fused, ramp, atol=1.0)  # the draws did move it


def test_a_different_fill_mode_splits_the_run():
    zoom = RandomZoom(0.2, fill_mode="constant")
    rotation = RandomRotation(0.1)
    assert split_runs([zoom, rotation]) == [[zoom], [rotation]]
    assert RandomScale(0.1).resampling == RandomZoom(0.1).resampling


def test_layer_contract():
    assert_layer_contract(
        RandomZoom, {"height_factor": 0.2, "seed": 1}, (4, 16, 16, 3), (4, 16, 16, 3)
    )


def test_inactive_at_inference_and_saved_model_loads_in_fresh_process(tmp_path):
    model = keras.Sequential(
        [keras.Input((9, 7, 3)), RandomZoom(0.3, (-0.2, 0.4), "wrap", seed=4)]
    )
    np.testing.assert_array_equal(to_numpy(model(IMAGES, training=False)), IMAGES)
    assert not np.allclose(to_numpy(model(IMAGES, training=True)), IMAGES)
    path = str(tmp_path / "zoom.keras")
    model.save(path)
    outputs, _, classes = load_in_fresh_process(path, IMAGES)
    np.testing.assert_array_equal(outputs, IMAGES)
    assert "kerasreg.augmentation.random_zoom.RandomZoom" in classes


def test_config_round_trip_keeps_every_argument():
    layer = RandomZoom(
        [-0.2, 0.1], np.float32(0.5), "constant", "nearest", 9, 0.5, "channels_first"
    )
    config = assert_config_round_trip(layer).get_config()
    assert config["height_factor"] == (-0.2, 0.1) and config["width_factor"] == 0.5
    assert (config["fill_mode"], config["interpolation"]) == ("constant", "nearest")
    assert (config["seed"], config["fill_value"]) == (9, 0.5)
    assert config["data_format"] == "channels_first"
    assert RandomZoom(0.1).data_format == keras.config.image_data_format()


def _factor_message(argument, value):
    return (
        f"Invalid value for argument `{argument}`. Expected a float in (-1, 1] or "
        f"a pair of floats in (-1, 1]. Received: {argument}={value!r}"
    )


BAD_INPUT = {
    "height-above-one": (lambda: RandomZoom(1.5), ValueError, 1.5),
    "height-minus-one": (lambda: RandomZoom(-1.0), ValueError, -1.0),
    "pair-below": (lambda: RandomZoom((-1.2, 0.1)), ValueError, (-1.2, 0.1)),
    "nan": (lambda: RandomZoom(float("nan")), ValueError, float("nan")),
    "length": (
        lambda: RandomZoom([0.1, 0.2, 0.3]),
        _validation.TypeAndValueError,
        [0.1, 0.2, 0.3],
    ),
    "type": (lambda: RandomZoom("big"), _validation.TypeAndValueError, "big"),
    "bool": (lambda: RandomZoom(True), _validation.TypeAndValueError, True),
}


@pytest.mark.parametrize(
    "make, error, value", list(BAD_INPUT.values()), ids=list(BAD_INPUT)
)
def test_bad_factor_messages(make, error, value):
    with pytest.raises(error, match=re.escape(_factor_message("height_factor", value))):
        make()


def test_bad_width_factor_and_other_arguments():
    # A wrong type is a TypeError, and also the ValueError Keras raises.
    for error in (TypeError, ValueError):
        with pytest.raises(error, match=re.escape(_factor_message("width_factor", {}))):
            RandomZoom(0.1, {})
    cases = [
        (
            dict(data_format="channels_middle"),
            "Invalid value for argument `data_format`. Expected one of "
            "'channels_last', 'channels_first'. Received: data_format="
            "'channels_middle'",
        ),
        (
            dict(fill_mode="mirror"),
            "Invalid value for argument `fill_mode`. Expected one of 'reflect', "
            "'constant', 'nearest', 'wrap'. Received: fill_mode='mirror'",
        ),
        (
            dict(interpolation="bicubic"),
            "Invalid value for argument `interpolation`. Expected one of "
            "'bilinear', 'nearest'. Received: interpolation='bicubic'",
        ),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=re.escape(message)):
            RandomZoom(0.1, **kwargs)
