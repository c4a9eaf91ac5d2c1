"""Pipeline: fusion is one warp of the composed matrix, and equals the chain."""

import re

import keras
import numpy as np
import pytest
from scipy import ndimage

from kerasreg.augmentation import (
    Pipeline,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomScale,
    functional,
)
from kerasreg.augmentation.pipeline import split_runs
from tests.contracts import assert_config_round_trip, assert_layer_contract

RNG = np.random.default_rng(0)
IMAGES = RNG.random((6, 32, 32, 3)).astype("float32")


def _np(x):
    return keras.ops.convert_to_numpy(x)


def _geometric(seed=0):
    return [
        RandomRotation(0.1, seed=seed + 1),
        RandomScale((0.8, 1.25), seed=seed + 2),
        RandomFlip("horizontal_and_vertical", seed=seed + 3),
        RandomCrop(20, 24, seed=seed + 4),
    ]


def test_pipeline_contract():
    assert_layer_contract(
        Pipeline,
        {"layers": [RandomRotation(0.1), RandomFlip(), RandomCrop(10, 12)], "seed": 3},
        (4, 16, 16, 3),
        (4, 10, 12, 3),
    )


def test_fused_run_is_one_warp_of_the_composed_matrix():
    fused = _np(Pipeline(_geometric())(IMAGES, training=True))
    # The same draws, from fresh copies seeded alike, composed by hand.
    size, matrices = (32, 32), []
    for layer in _geometric():
        matrices.append(layer.get_random_transformation(6, *size)["matrix"])
        size = layer.compute_output_size(*size)
    matrix = _np(functional.compose(*matrices))
    for image, m, out in zip(IMAGES, matrix, fused, strict=True):
        swap = np.array([[m[1, 1], m[1, 0]], [m[0, 1], m[0, 0]]])
        shift = np.array([m[1, 2], m[0, 2]])
        reference = np.stack(
            [
                ndimage.affine_transform(
                    image[..., c],
                    swap,
                    shift,
                    output_shape=(20, 24),
                    order=1,
                    mode="reflect",
                )
                for c in range(3)
            ],
            -1,
        )
        np.testing.assert_allclose(out, reference, atol=1e-5)


def test_pipeline_equals_the_layers_called_in_turn_on_exact_maps():
    # Flips, crops and quarter turns land on pixel centres: exactly equal.
    def layers():
        return [
            RandomRotation((0.25, 0.25), seed=1),
            RandomFlip("horizontal_and_vertical", seed=2),
            RandomCrop(20, 24, seed=3),
            RandomFlip("vertical", seed=4),
        ]

    fused = _np(Pipeline(layers())(IMAGES, training=True))
    chained = IMAGES
    for layer in layers():
        chained = layer(chained, training=True)
    np.testing.assert_allclose(fused, _np(chained), atol=1e-5)


def test_pipeline_equals_the_layers_called_in_turn_on_a_linear_image():
    # Bilinear interpolation reproduces a linear image exactly away from the
    # borders, so the one warp and the four must agree there: the same draws.
    # A 2.5x zoom keeps every sample inside the 64x64 image.
    ys, xs = np.mgrid[0:64, 0:64].astype("float32")
    ramp = np.stack([xs + 2 * ys, 3 * xs - ys, xs * 0 + 1], -1)[None].repeat(4, 0)

    def layers():
        return [
            RandomRotation(0.1, seed=1),
            RandomScale((2.5, 3.0), seed=2),
            RandomFlip("horizontal_and_vertical", seed=3),
            RandomCrop(24, 24, seed=4),
        ]

    fused = _np(Pipeline(layers())(ramp, training=True))
    chained = ramp
    for layer in layers():
        chained = layer(chained, training=True)
    np.testing.assert_allclose(fused, _np(chained), atol=2e-3)
    assert np.ptp(fused[..., 0]) > 1.0  # the draws did move the ramp


def test_one_warp_is_sharper_than_the_keras_chain_with_the_same_parameters():
    smooth = ndimage.gaussian_filter(IMAGES, (0, 1, 1, 0))
    angle, zoom = 0.02, -0.1  # Keras' zoom -0.1 is a magnification of 1 / 0.9
    keras_chain = smooth
    for layer in [
        keras.layers.RandomRotation((angle, angle)),
        keras.layers.RandomZoom((zoom, zoom)),
    ]:
        keras_chain = layer(keras_chain, training=True)
    keras_chain = _np(keras_chain)[:, 6:26, 6:26]
    ours = [RandomRotation((angle, angle)), RandomScale((1 / 0.9, 1 / 0.9))]
    chained = smooth
    for layer in ours:
        chained = layer(chained, training=True)
    fused = _np(Pipeline(ours)(smooth, training=True))[:, 6:26, 6:26]
    # Same geometry as Keras' layers (same parameters, same result when
    # chained), but one interpolation keeps more contrast than two.
    np.testing.assert_allclose(_np(chained)[:, 6:26, 6:26], keras_chain, atol=1e-4)
    assert fused.std() > 1.03 * keras_chain.std()


def test_seeded_pipeline_is_reproducible_and_seed_matters():
    first = _np(Pipeline(_geometric(), seed=7)(IMAGES, training=True))
    again = _np(Pipeline(_geometric(), seed=7)(IMAGES, training=True))
    other = _np(Pipeline(_geometric(), seed=8)(IMAGES, training=True))
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


def test_other_layers_run_between_fused_runs():
    contrast = keras.layers.RandomContrast(0.5, seed=0)
    layers = [
        RandomRotation(0.1),
        RandomFlip(),
        contrast,
        RandomScale(0.1),
        RandomScale(0.2, fill_mode="constant"),
        RandomCrop(8, 8),
    ]
    stages = split_runs(layers)
    assert stages == [layers[:2], contrast, [layers[3]], layers[4:]]
    out = Pipeline(layers)(IMAGES, training=True)
    assert tuple(out.shape) == (6, 8, 8, 3)


def test_inference_keeps_only_the_centre_windows():
    pipeline = Pipeline(
        [RandomCrop(24, 24), RandomRotation(0.2), RandomCrop(10, 12)], seed=0
    )
    out = _np(pipeline(IMAGES, training=False))
    np.testing.assert_array_equal(out, IMAGES[:, 11:21, 10:22])


def test_dict_masks_and_boxes_take_the_fused_geometry():
    masks = np.arange(6 * 32 * 32).reshape(6, 32, 32, 1) % 251
    boxes = np.tile(np.array([[[4.0, 4.0, 20.0, 12.0]]], "float32"), (6, 1, 1))
    data = {"images": IMAGES, "segmentation_masks": masks, "bounding_boxes": boxes}
    layers = _geometric()
    for layer in layers:
        layer.bounding_box_format = "xyxy"
    out = Pipeline(layers)(dict(data), training=True)
    # The masks move like the images: warp the masks as images with the same
    # draws and nearest sampling.
    ref = Pipeline(
        [
            RandomRotation(0.1, interpolation="nearest", seed=1),
            RandomScale((0.8, 1.25), interpolation="nearest", seed=2),
            RandomFlip("horizontal_and_vertical", seed=3),
            RandomCrop(20, 24, seed=4),
        ]
    )(masks.astype("float32"), training=True)
    np.testing.assert_array_equal(_np(out["segmentation_masks"]), _np(ref))
    new = _np(out["bounding_boxes"])
    assert new.shape == (6, 1, 4)
    assert (new[..., 2] <= 24).all() and (new[..., 3] <= 20).all()


def test_config_round_trip():
    pipeline = Pipeline(_geometric() + [keras.layers.RandomContrast(0.2)], seed=4)
    clone = assert_config_round_trip(pipeline)
    assert [type(layer) for layer in clone.pipeline_layers] == [
        type(layer) for layer in pipeline.pipeline_layers
    ]


def test_channels_first_pipeline_is_channels_last_transposed():
    def layers(data_format):
        return [
            RandomRotation(0.1, seed=1, data_format=data_format),
            RandomFlip(seed=2, data_format=data_format),
            keras.layers.RandomContrast(0.0, data_format=data_format),
            RandomCrop(20, 24, seed=3, data_format=data_format),
            RandomCrop(40, 36, seed=4, data_format=data_format),  # resizes
        ]

    last = Pipeline(layers("channels_last"), seed=5)(IMAGES, training=True)
    first = Pipeline(layers("channels_first"), seed=5, data_format="channels_first")(
        np.moveaxis(IMAGES, -1, 1), training=True
    )
    assert tuple(first.shape) == (6, 3, 40, 36)
    np.testing.assert_allclose(_np(first), np.moveaxis(_np(last), -1, 1), atol=1e-6)


KINDS = "kerasreg.augmentation's or Keras' own, such as keras.layers.RandomContrast"
BAD_PIPELINES = {
    "empty": (
        lambda: Pipeline([]),
        ValueError,
        "Invalid value for argument `layers`. Expected a non-empty list of "
        f"preprocessing layers ({KINDS}). Received: layers=[]",
    ),
    "not-a-list": (
        lambda: Pipeline("flip"),
        TypeError,
        "Invalid value for argument `layers`. Expected a non-empty list of "
        f"preprocessing layers ({KINDS}). Received: layers='flip'",
    ),
    "a-string": (
        lambda: Pipeline([RandomFlip(), "flip"]),
        TypeError,
        "Invalid value for argument `layers[1]`. Expected a preprocessing layer "
        f"({KINDS}). Received: layers[1]='flip'",
    ),
    "a-dense-layer": (
        lambda: Pipeline([RandomFlip(), keras.layers.Dense(2, name="dense")]),
        TypeError,
        "Invalid value for argument `layers[1]`. Expected a preprocessing layer "
        f"({KINDS}). Received: layers[1]=<Dense name=dense, built=False>",
    ),
    "data_format": (
        lambda: Pipeline([RandomFlip(data_format="channels_first")]),
        ValueError,
        "Invalid value for argument `layers[0].data_format`. Expected "
        "'channels_last', as the pipeline's data_format. Received: "
        "layers[0].data_format='channels_first'",
    ),
    "bounding_box_format": (
        lambda: Pipeline(
            [
                RandomFlip(bounding_box_format="xyxy"),
                keras.layers.RandomContrast(0.1, bounding_box_format="yxyx"),
            ]
        ),
        ValueError,
        "Invalid value for argument `layers[1].bounding_box_format`. Expected "
        "'xyxy', as the pipeline's other layers. Received: "
        "layers[1].bounding_box_format='yxyx'",
    ),
}


@pytest.mark.parametrize(
    "make, error, message", list(BAD_PIPELINES.values()), ids=list(BAD_PIPELINES)
)
def test_bad_pipelines(make, error, message):
    with pytest.raises(error, match=re.escape(message)):
        make()
