"""RandomZoom and RandomTranslation, Keras' two per-axis factor layers: what
they share, run over both (Keras' output, config, saving, factor checks)."""

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
    RandomZoom,
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
from tests.contracts import assert_config_round_trip, load_in_fresh_process

IMAGES = np.random.default_rng(0).random((6, 9, 7, 3)).astype("float32")
# Each layer with Keras' twin and the factors of the fill-mode comparison
# (a pair out of order: Keras sorts it).
TWINS = {
    "zoom": (RandomZoom, keras.layers.RandomZoom, ((-0.3, 0.5), (0.4, -0.2))),
    "translation": (
        RandomTranslation,
        keras.layers.RandomTranslation,
        ((0.3, -0.5), 0.4),
    ),
}
# (height_factor, width_factor) in every form Keras takes, per layer.
FACTOR_FORMS = {
    "zoom-float": (RandomZoom, 0.4, None),
    "zoom-negative-float": (RandomZoom, -0.4, None),  # symmetric, as in Keras
    "zoom-one": (RandomZoom, 1.0, 0.5),
    "zoom-degenerate-out": (RandomZoom, (0.5, 0.5), (0.8, 0.8)),
    "zoom-degenerate-in": (RandomZoom, (-0.5, -0.5), -0.25),
    "zoom-int-and-list": (RandomZoom, 0, [-0.1, 0.3]),
    "translation-floats": (RandomTranslation, 0.2, 0.3),
    "translation-negative-floats": (RandomTranslation, -0.3, -0.1),
    "translation-full-range": (RandomTranslation, 1.0, (-1.0, 1.0)),
    "translation-degenerate": (RandomTranslation, (0.25, 0.25), (-0.5, -0.5)),
    "translation-int-and-list": (RandomTranslation, 0, [-0.1, 0.3]),
}
KERAS_TWIN = {ours: theirs for ours, theirs, _ in TWINS.values()}
LAYERS = pytest.mark.parametrize(
    "cls", [RandomZoom, RandomTranslation], ids=["zoom", "translation"]
)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("fill_mode", FILL_MODES)
@pytest.mark.parametrize("ours, theirs, factors", TWINS.values(), ids=list(TWINS))
def test_equals_keras_for_every_fill_mode_and_interpolation(
    ours, theirs, factors, fill_mode, interpolation
):
    kwargs = dict(
        height_factor=factors[0],
        width_factor=factors[1],
        fill_mode=fill_mode,
        interpolation=interpolation,
        seed=7,
        fill_value=0.25,
    )
    assert_matches_keras(
        lambda: ours(**kwargs),
        lambda: theirs(**kwargs),
        IMAGES,
        fill_mode,
        interpolation,
    )


@pytest.mark.parametrize(
    "cls, height_factor, width_factor",
    FACTOR_FORMS.values(),
    ids=list(FACTOR_FORMS),
)
def test_equals_keras_for_every_factor_form(cls, height_factor, width_factor):
    kwargs = dict(height_factor=height_factor, width_factor=width_factor, seed=3)
    assert_matches_keras(
        lambda: cls(**kwargs),
        lambda: KERAS_TWIN[cls](**kwargs),
        IMAGES,
        "reflect",
        "bilinear",
    )


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
@LAYERS
def test_equals_keras_channels_first_and_single_image(cls, data_format):
    kwargs = dict(height_factor=0.3, width_factor=0.2, seed=5, data_format=data_format)
    x = np.moveaxis(IMAGES, -1, 1) if data_format == "channels_first" else IMAGES
    for data in (x, x[0]):
        assert_matches_keras(
            lambda: cls(**kwargs),
            lambda: KERAS_TWIN[cls](**kwargs),
            data,
            "reflect",
            "bilinear",
        )


@LAYERS
def test_inactive_at_inference_and_saved_model_loads_in_fresh_process(cls, tmp_path):
    model = keras.Sequential([keras.Input((9, 7, 3)), cls(0.3, (-0.2, 0.4), seed=4)])
    np.testing.assert_array_equal(to_numpy(model(IMAGES, training=False)), IMAGES)
    assert not np.allclose(to_numpy(model(IMAGES, training=True)), IMAGES)
    path = str(tmp_path / "layer.keras")
    model.save(path)
    outputs, _, classes = load_in_fresh_process(path, IMAGES)
    np.testing.assert_array_equal(outputs, IMAGES)
    assert f"{cls.__module__}.{cls.__name__}" in classes


@LAYERS
def test_config_round_trip_keeps_every_argument(cls):
    layer = cls(
        [-0.2, 0.1], np.float32(0.5), "constant", "nearest", 9, 0.5, "channels_first"
    )
    config = assert_config_round_trip(layer).get_config()
    assert config["height_factor"] == (-0.2, 0.1) and config["width_factor"] == 0.5
    assert (config["fill_mode"], config["interpolation"]) == ("constant", "nearest")
    assert (config["seed"], config["fill_value"]) == (9, 0.5)
    assert config["data_format"] == "channels_first"
    assert cls(0.1, 0.1).data_format == keras.config.image_data_format()


def _factor_message(interval, argument, value):
    return (
        f"Invalid value for argument `{argument}`. Expected a float in {interval} "
        f"or a pair of floats in {interval}. Received: {argument}={value!r}"
    )


# (make, argument, value): the numbers of a zoom lie in (-1, 1], of a
# translation in [-1, 1].
BAD_VALUES = {
    "zoom-above-one": (lambda: RandomZoom(1.5), "height_factor", 1.5),
    "zoom-minus-one": (lambda: RandomZoom(-1.0), "height_factor", -1.0),
    "zoom-pair-below": (lambda: RandomZoom((-1.2, 0.1)), "height_factor", (-1.2, 0.1)),
    "zoom-nan": (lambda: RandomZoom(float("nan")), "height_factor", float("nan")),
    "translation-below": (
        lambda: RandomTranslation(-1.1, 0.0),
        "height_factor",
        -1.1,
    ),
    "translation-pair-above": (
        lambda: RandomTranslation(0.0, (0.5, 1.5)),
        "width_factor",
        (0.5, 1.5),
    ),
    "translation-infinite": (
        lambda: RandomTranslation(float("inf"), 0.0),
        "height_factor",
        1e999,
    ),
}
# Keras raises ValueError for these too; kerasreg's error is also a TypeError.
BAD_TYPES = {
    "zoom-length": (
        lambda: RandomZoom([0.1, 0.2, 0.3]),
        "height_factor",
        [0.1, 0.2, 0.3],
    ),
    "zoom-type": (lambda: RandomZoom("big"), "height_factor", "big"),
    "zoom-bool": (lambda: RandomZoom(True), "height_factor", True),
    "zoom-width-dict": (lambda: RandomZoom(0.1, {}), "width_factor", {}),
    "translation-length": (
        lambda: RandomTranslation([0.1, 0.2, 0.3], 0.0),
        "height_factor",
        [0.1, 0.2, 0.3],
    ),
    "translation-dict": (
        lambda: RandomTranslation(0.0, {"dummy": 0.3}),
        "width_factor",
        {"dummy": 0.3},
    ),
    "translation-none": (lambda: RandomTranslation(0.1, None), "width_factor", None),
}


BAD_FACTORS = [
    *[(name, *case, ValueError) for name, case in BAD_VALUES.items()],
    *[(name, *case, _validation.TypeAndValueError) for name, case in BAD_TYPES.items()],
]


@pytest.mark.parametrize(
    "name, make, argument, value, error",
    BAD_FACTORS,
    ids=[case[0] for case in BAD_FACTORS],
)
def test_bad_factor_messages(name, make, argument, value, error):
    interval = "(-1, 1]" if name.startswith("zoom") else "[-1, 1]"
    message = _factor_message(interval, argument, value)
    with pytest.raises(error, match=re.escape(message)) as raised:
        make()
    # A wrong type is also a TypeError; a wrong number only a ValueError.
    assert isinstance(raised.value, TypeError) == (error is not ValueError)


@LAYERS
def test_bad_resampling_and_data_format(cls):
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
            cls(0.1, 0.1, **kwargs)


def _zoom_rotation_translation():
    # The magnifying layer last keeps every sample of the chain inside the
    # image, where bilinear interpolation of a linear image is exact.
    return [
        RandomTranslation(0.05, 0.05, seed=1),
        RandomRotation(0.1, seed=2),
        RandomZoom((-0.6, -0.5), (-0.55, -0.5), seed=3),
    ]


def _translation_rotation_flip():
    return [
        RandomTranslation(0.2, (-0.1, 0.3), seed=1),
        RandomRotation(0.1, seed=2),
        RandomFlip(seed=3),
    ]


@pytest.mark.parametrize(
    "make_layers",
    [_zoom_rotation_translation, _translation_rotation_flip],
    ids=["zoom-rotation-translation", "translation-rotation-flip"],
)
def test_pipeline_fuses_the_run_into_one_warp(make_layers):
    layers = make_layers()
    assert split_runs(layers) == [layers]
    fused = to_numpy(Pipeline(layers)(IMAGES, training=True))
    matrices = [
        layer.get_random_transformation(6, 9, 7)["matrix"] for layer in make_layers()
    ]
    matrix = to_numpy(functional.compose(*matrices))
    np.testing.assert_allclose(
        fused, scipy_warp(IMAGES, matrix, "bilinear", "reflect"), atol=1e-5
    )


def _whole_pixel_shifts_and_flips():
    # Shifts by whole pixels and flips land on pixel centres: exactly equal.
    return [
        RandomTranslation((0.25, 0.25), (-0.5, -0.5), "wrap", seed=1),
        RandomFlip(seed=2),
        RandomTranslation((-0.5, -0.5), (0.25, 0.25), "wrap", seed=3),
    ]


_YS, _XS = np.mgrid[0:64, 0:64].astype("float32")
# (layers, images, atol): on a linear image bilinear resampling is exact up to
# float32 rounding; whole-pixel moves are exact.
IN_TURN = {
    "zoom-on-a-linear-image": (
        _zoom_rotation_translation,
        np.stack([_XS + 2 * _YS, 3 * _XS - _YS], -1)[None].repeat(4, 0),
        2e-3,
    ),
    "whole-pixel-shifts": (
        _whole_pixel_shifts_and_flips,
        np.random.default_rng(1).random((6, 8, 4, 3)).astype("float32"),
        1e-6,
    ),
}


@pytest.mark.parametrize(
    "make_layers, images, atol", IN_TURN.values(), ids=list(IN_TURN)
)
def test_pipeline_equals_the_layers_called_in_turn(make_layers, images, atol):
    fused = to_numpy(Pipeline(make_layers())(images, training=True))
    chained = images
    for layer in make_layers():
        chained = layer(chained, training=True)
    np.testing.assert_allclose(fused, to_numpy(chained), atol=atol)
    assert np.abs(fused - images).max() > 0.5  # the draws did move it
