"""RandomTranslation: Keras' layer's output for the same draws, fused by its matrix."""

import re

import keras
import numpy as np
import pytest

from kerasreg import _validation
from kerasreg.augmentation import (
    Pipeline,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    functional,
)
from kerasreg.augmentation.pipeline import split_runs
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


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_equals_keras_for_every_fill_mode_and_interpolation(fill_mode, interpolation):
    kwargs = dict(
        height_factor=(0.3, -0.5),  # Keras sorts a pair
        width_factor=0.4,
        fill_mode=fill_mode,
        interpolation=interpolation,
        seed=7,
        fill_value=0.25,
    )
    assert_matches_keras(
        lambda: RandomTranslation(**kwargs),
        lambda: keras.layers.RandomTranslation(**kwargs),
        IMAGES,
        fill_mode,
        interpolation,
    )


FACTOR_FORMS = {
    "floats": (0.2, 0.3),
    "negative-float": (-0.3, -0.1),  # symmetric ranges, as in Keras
    "full-range": (1.0, (-1.0, 1.0)),
    "degenerate": ((0.25, 0.25), (-0.5, -0.5)),
    "int-and-list": (0, [-0.1, 0.3]),
}


@pytest.mark.parametrize(
    "height_factor, width_factor", FACTOR_FORMS.values(), ids=list(FACTOR_FORMS)
)
def test_equals_keras_for_every_factor_form(height_factor, width_factor):
    kwargs = dict(height_factor=height_factor, width_factor=width_factor, seed=3)
    assert_matches_keras(
        lambda: RandomTranslation(**kwargs),
        lambda: keras.layers.RandomTranslation(**kwargs),
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
        for data in (x, x[0]):
            assert_matches_keras(
                lambda: RandomTranslation(**kwargs),
                lambda: keras.layers.RandomTranslation(**kwargs),
                data,
                "reflect",
                "bilinear",
            )


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


def _layers():
    return [
        RandomTranslation(0.2, (-0.1, 0.3), seed=1),
        RandomRotation(0.1, seed=2),
        RandomFlip(seed=3),
    ]


def test_pipeline_fuses_translation_with_the_other_layers_into_one_warp():
    layers = _layers()
    assert split_runs(layers) == [layers]
    fused = to_numpy(Pipeline(layers)(IMAGES, training=True))
    matrices = [
        layer.get_random_transformation(6, 9, 7)["matrix"] for layer in _layers()
    ]
    matrix = to_numpy(functional.compose(*matrices))
    np.testing.assert_allclose(
        fused, scipy_warp(IMAGES, matrix, "bilinear", "reflect"), atol=1e-5
    )


def test_pipeline_equals_the_layers_called_in_turn_on_whole_pixel_shifts():
    # Shifts by whole pixels and flips land on pixel centres: exactly equal.
    def layers():
        return [
            RandomTranslation((0.25, 0.25), (-0.5, -0.5), "wrap", seed=1),
            RandomFlip(seed=2),
            RandomTranslation((-0.5, -0.5), (0.25, 0.25), "wrap", seed=3),
        ]

    images = np.random.default_rng(1).random((6, 8, 4, 3)).astype("float32")
    fused = to_numpy(Pipeline(layers())(images, training=True))
    chained = images
    for layer in layers():
        chained = layer(chained, training=True)
    np.testing.assert_allclose(fused, to_numpy(chained), atol=1e-6)
    assert not np.allclose(fused, images)


def test_layer_contract():
    assert_layer_contract(
        RandomTranslation,
        {"height_factor": 0.2, "width_factor": 0.1, "seed": 1},
        (4, 16, 16, 3),
        (4, 16, 16, 3),
    )


def test_inactive_at_inference_and_saved_model_loads_in_fresh_process(tmp_path):
    model = keras.Sequential(
        [keras.Input((9, 7, 3)), RandomTranslation(0.3, (-0.2, 0.4), seed=4)]
    )
    np.testing.assert_array_equal(to_numpy(model(IMAGES, training=False)), IMAGES)
    assert not np.allclose(to_numpy(model(IMAGES, training=True)), IMAGES)
    path = str(tmp_path / "translation.keras")
    model.save(path)
    outputs, _, classes = load_in_fresh_process(path, IMAGES)
    np.testing.assert_array_equal(outputs, IMAGES)
    assert "kerasreg.augmentation.random_translation.RandomTranslation" in classes


def test_config_round_trip_keeps_every_argument():
    layer = RandomTranslation(
        [-0.2, 0.1], np.float32(0.5), "constant", "nearest", 9, 0.5, "channels_first"
    )
    config = assert_config_round_trip(layer).get_config()
    assert config["height_factor"] == (-0.2, 0.1) and config["width_factor"] == 0.5
    assert (config["fill_mode"], config["interpolation"]) == ("constant", "nearest")
    assert (config["seed"], config["fill_value"]) == (9, 0.5)
    assert config["data_format"] == "channels_first"


def _factor_message(argument, value):
    return (
        f"Invalid value for argument `{argument}`. Expected a float in [-1, 1] or "
        f"a pair of floats in [-1, 1]. Received: {argument}={value!r}"
    )


BAD_INPUT = {
    "height-below": (lambda: RandomTranslation(-1.1, 0.0), "height_factor", -1.1),
    "pair-above": (
        lambda: RandomTranslation(0.0, (0.5, 1.5)),
        "width_factor",
        (0.5, 1.5),
    ),
    "infinite": (lambda: RandomTranslation(float("inf"), 0.0), "height_factor", 1e999),
}
# Keras raises ValueError for these too; kerasreg's error is also a TypeError.
BAD_TYPES = {
    "length": (
        lambda: RandomTranslation([0.1, 0.2, 0.3], 0.0),
        "height_factor",
        [0.1, 0.2, 0.3],
    ),
    "dict": (
        lambda: RandomTranslation(0.0, {"dummy": 0.3}),
        "width_factor",
        {"dummy": 0.3},
    ),
    "none": (lambda: RandomTranslation(0.1, None), "width_factor", None),
}


@pytest.mark.parametrize(
    "make, argument, value", list(BAD_INPUT.values()), ids=list(BAD_INPUT)
)
def test_bad_factor_values(make, argument, value):
    with pytest.raises(ValueError, match=re.escape(_factor_message(argument, value))):
        make()


@pytest.mark.parametrize(
    "make, argument, value", list(BAD_TYPES.values()), ids=list(BAD_TYPES)
)
def test_bad_factor_types_are_type_and_value_errors(make, argument, value):
    message = re.escape(_factor_message(argument, value))
    with pytest.raises(_validation.TypeAndValueError, match=message):
        make()
    assert issubclass(_validation.TypeAndValueError, TypeError)
    assert issubclass(_validation.TypeAndValueError, ValueError)
