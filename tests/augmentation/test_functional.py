"""The pure kernels: hand-computed matrices, warp against scipy, boxes."""

import re

import numpy as np
import pytest

from kerasreg.augmentation import _tf_xla_warp
from kerasreg.augmentation import functional as F
from tests.augmentation._affine_reference import scipy_warp

RNG = np.random.default_rng(0)
IMAGES = RNG.random((2, 20, 24, 3)).astype("float32")


def _np(x):
    return np.asarray(x)


def _random_matrices():
    return F.compose(
        F.rotation_matrix(np.array([0.3, -1.0], "float32"), 20, 24),
        F.scale_matrix(np.array([1.2, 0.8], "float32"), 20, 24),
        F.crop_matrix(np.array([2, 3]), np.array([1, 4])),
    )


FILL_MODES = pytest.mark.parametrize("fill_mode", F.FILL_MODES)


@FILL_MODES
def test_bilinear_warp_matches_scipy_everywhere(fill_mode):
    matrices = _random_matrices()
    out = F.warp(IMAGES, matrices, (16, 18), "bilinear", fill_mode, 0.5)
    ref = scipy_warp(IMAGES, matrices, "bilinear", fill_mode, 0.5, (16, 18))
    np.testing.assert_allclose(_np(out), ref, atol=1e-5)


@FILL_MODES
def test_nearest_warp_matches_scipy_order_0(fill_mode):
    matrices = _random_matrices()
    out = F.warp(IMAGES, matrices, (16, 18), "nearest", fill_mode, 0.5)
    ref = scipy_warp(IMAGES, matrices, "nearest", fill_mode, 0.5, (16, 18))
    np.testing.assert_array_equal(_np(out), ref)


@pytest.mark.parametrize("fill_value", [7.0, 0.5, 300.0], ids=["held", "frac", "big"])
def test_integer_pixels_take_the_fill_value_as_given(fill_value):
    # uint8 pixels resample in float32: a fill that uint8 cannot hold (0.5,
    # 300) must come out as given, not rounded or wrapped.
    pixels = (IMAGES * 255).astype("uint8")
    matrices = _random_matrices()
    out = F.warp(pixels, matrices, (16, 18), "bilinear", "constant", fill_value)
    ref = F.warp(
        pixels.astype("float32"), matrices, (16, 18), "bilinear", "constant", fill_value
    )
    np.testing.assert_allclose(_np(out), _np(ref), atol=1e-4)


@pytest.mark.parametrize("interpolation", F.INTERPOLATIONS)
def test_identity_returns_input_exactly(interpolation):
    for matrices in (
        F.rotation_matrix(np.zeros(2, "float32"), 20, 24),
        F.scale_matrix(np.ones(2, "float32"), 20, 24),
    ):
        out = F.warp(IMAGES, matrices, (20, 24), interpolation, "reflect")
        np.testing.assert_array_equal(_np(out), IMAGES)


@pytest.mark.parametrize("quarter_turns", [1, 2, 3], ids=["90", "180", "270"])
def test_quarter_turn_equals_rot90(quarter_turns):
    square = RNG.random((1, 9, 9, 2)).astype("float32")
    angle = np.array([quarter_turns * np.pi / 2], "float32")
    out = F.warp(square, F.rotation_matrix(angle, 9, 9), (9, 9))
    # float32 cos(pi / 2) is 4e-8, not 0: equal up to that rounding.
    np.testing.assert_allclose(
        _np(out)[0], np.rot90(square[0], quarter_turns), atol=1e-5
    )


def test_scale_two_magnifies_the_centre():
    image = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    out = F.warp(image, F.scale_matrix(np.array([2.0]), 4, 4), (4, 4), "nearest")
    expected = [[5, 5, 6, 6], [5, 5, 6, 6], [9, 9, 10, 10], [9, 9, 10, 10]]
    np.testing.assert_array_equal(_np(out)[0, ..., 0], expected)
    # Bilinear: centre c = 1.5, output x = 0 samples 1.5 - 1.5 / 2 = 0.75.
    out = F.warp(image, F.scale_matrix(np.array([2.0]), 4, 4), (4, 4))
    np.testing.assert_allclose(_np(out)[0, 0, 0, 0], 0.75 * 4 + 0.75, rtol=1e-6)


def test_flip_and_crop_matrices_move_whole_pixels():
    flips = F.flip_matrix(np.array([True, False]), np.array([True, True]), 20, 24)
    out = _np(F.warp(IMAGES, flips, (20, 24), "nearest"))
    np.testing.assert_array_equal(out[0], IMAGES[0, ::-1, ::-1])
    np.testing.assert_array_equal(out[1], IMAGES[1, ::-1])
    crop = F.crop_matrix(np.array([3, 0]), np.array([5, 2]))
    out = _np(F.warp(IMAGES, crop, (10, 12), "bilinear"))
    np.testing.assert_array_equal(out[0], IMAGES[0, 3:13, 5:17])
    np.testing.assert_array_equal(out[1], IMAGES[1, 0:10, 2:14])


def test_compose_is_application_order():
    flips = F.flip_matrix(np.array([True, True]), np.array([False, False]), 20, 24)
    crop = F.crop_matrix(np.array([1, 1]), np.array([2, 2]))
    fused = _np(F.warp(IMAGES, F.compose(flips, crop), (10, 12), "nearest"))
    np.testing.assert_array_equal(fused, IMAGES[:, :, ::-1][:, 1:11, 2:14])


def test_invert_affine():
    matrices = _random_matrices()
    product = _np(F.compose(matrices, F.invert_affine(matrices)))
    np.testing.assert_allclose(
        product, np.broadcast_to(np.eye(3), (2, 3, 3)), atol=1e-5
    )


def test_transform_boxes_flip_crop_and_quarter_turn():
    boxes = np.array([[[1.0, 2.0, 5.0, 4.0]]], "float32")  # (x0, y0, x1, y1)
    flip = F.flip_matrix(np.array([True]), np.array([False]), 10, 20)
    np.testing.assert_allclose(
        _np(F.transform_boxes(boxes, flip, (10, 20))), [[[15.0, 2.0, 19.0, 4.0]]]
    )
    crop = F.crop_matrix(np.array([3.0]), np.array([2.0]))  # top 3, left 2
    np.testing.assert_allclose(
        _np(F.transform_boxes(boxes, crop, (4, 4))), [[[0.0, 0.0, 3.0, 1.0]]]
    )
    # A quarter turn counter-clockwise of a 10x10 image: (x, y) -> (y, 10 - x).
    turn = F.rotation_matrix(np.array([np.pi / 2], "float32"), 10, 10)
    np.testing.assert_allclose(
        _np(F.transform_boxes(boxes, turn, (10, 10))),
        [[[2.0, 5.0, 4.0, 9.0]]],
        atol=1e-5,
    )


def test_warp_dtypes():
    pixels = (IMAGES * 255).astype("uint8")
    matrices = _random_matrices()
    assert _np(F.warp(pixels, matrices, (8, 8), "nearest")).dtype == np.uint8
    assert _np(F.warp(pixels, matrices, (8, 8), "bilinear")).dtype == np.float32
    half = IMAGES.astype("float16")
    assert _np(F.warp(half, matrices, (8, 8), "bilinear")).dtype == np.float16


@pytest.mark.tensorflow_only
def test_xla_kernel_is_the_same_kernel():
    matrices = _random_matrices()
    for mode in F.FILL_MODES:
        np.testing.assert_allclose(
            _np(_tf_xla_warp.warp(IMAGES, matrices, (16, 18), "bilinear", mode, 0.5)),
            _np(F.warp(IMAGES, matrices, (16, 18), "bilinear", mode, 0.5)),
            # XLA may contract the coordinate arithmetic into fused
            # multiply-adds: a last-bit difference in a sample position.
            atol=1e-5,
        )


@pytest.mark.tensorflow_only
@pytest.mark.parametrize("interpolation", F.INTERPOLATIONS)
@pytest.mark.parametrize("fill_mode", F.FILL_MODES)
def test_warp_traces_with_unknown_sizes(fill_mode, interpolation):
    # In a tf.data map or a tf.function without a fixed signature the sizes
    # are int32 tensors, not Python ints.
    import tensorflow as tf

    warp = tf.function(
        lambda images, matrices: F.warp(
            images, matrices, (16, 18), interpolation, fill_mode, 0.5
        ),
        input_signature=[
            tf.TensorSpec((None, None, None, 3)),
            tf.TensorSpec((None, 3, 3)),
        ],
    )
    matrices = _random_matrices()
    np.testing.assert_allclose(
        _np(warp(IMAGES, matrices)),
        _np(F.warp(IMAGES, matrices, (16, 18), interpolation, fill_mode, 0.5)),
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"interpolation": "bicubic"},
            "Invalid value for argument `interpolation`. Expected one of "
            "'bilinear', 'nearest'. Received: interpolation='bicubic'",
        ),
        (
            {"fill_mode": "mirror"},
            "Invalid value for argument `fill_mode`. Expected one of 'reflect', "
            "'constant', 'nearest', 'wrap'. Received: fill_mode='mirror'",
        ),
    ],
    ids=["interpolation", "fill_mode"],
)
def test_warp_rejects_unknown_options(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        F.warp(IMAGES, _random_matrices(), (8, 8), **kwargs)


@FILL_MODES
@pytest.mark.parametrize("shape", [(1, 7), (6, 1), (2, 2)], ids=str)
def test_bilinear_warp_of_thin_images_matches_scipy(fill_mode, shape):
    # The top-left neighbour stops at the second-last pixel: one-pixel-wide
    # images have none, and must still sample their only column or row.
    images = RNG.random((2, *shape, 2)).astype("float32")
    matrices = F.compose(
        F.rotation_matrix(np.array([0.4, -2.0], "float32"), *shape),
        F.scale_matrix(np.array([0.7, 1.3], "float32"), *shape),
    )
    out = F.warp(images, matrices, (5, 4), "bilinear", fill_mode)
    ref = scipy_warp(images, matrices, "bilinear", fill_mode, output_size=(5, 4))
    np.testing.assert_allclose(_np(out), ref, atol=1e-5)
    xla = _tf_xla_warp.warp(images, matrices, (5, 4), "bilinear", fill_mode, 0.0)
    np.testing.assert_allclose(_np(xla), ref, atol=1e-5)


def _random_affine(rng, count, height, width):
    """Rotations, anisotropic scales, shears and shifts that leave the image."""
    matrices = np.zeros((count, 3, 3), "float32")
    matrices[:, :2, :2] = rng.uniform(-1.6, 1.6, (count, 2, 2))
    matrices[:, 0, 2] = rng.uniform(-1.5 * width, 1.5 * width, count)
    matrices[:, 1, 2] = rng.uniform(-1.5 * height, 1.5 * height, count)
    matrices[:, 2, 2] = 1.0
    return matrices


def _random_batch(rng, dtype, shape=(6, 13, 17, 3)):
    if dtype == "uint8":
        return rng.integers(0, 256, shape).astype("uint8")
    return rng.uniform(-100.0, 100.0, shape).astype(dtype)


# Tolerances: float32 coordinates move a bilinear sample by ~1e-5 px between
# pixels up to 255 apart; float16 keeps 11 bits of values up to 100.
TOLERANCES = {"float32": 1e-2, "uint8": 1e-2, "float16": 0.1}


@pytest.mark.parametrize("dtype", TOLERANCES)
@pytest.mark.parametrize("interpolation", F.INTERPOLATIONS)
@FILL_MODES
def test_warp_of_affines_leaving_the_image_matches_scipy(
    fill_mode, interpolation, dtype
):
    rng = np.random.default_rng(16)
    for output_size in ((11, 19), (1, 5)):
        images = _random_batch(rng, dtype)
        matrices = _random_affine(rng, len(images), 13, 17)
        out = _np(F.warp(images, matrices, output_size, interpolation, fill_mode, 2.0))
        ref = scipy_warp(images, matrices, interpolation, fill_mode, 2.0, output_size)
        if interpolation == "nearest":
            assert out.dtype == images.dtype
            np.testing.assert_array_equal(out, ref.astype(dtype))
        else:
            np.testing.assert_allclose(out, ref, atol=TOLERANCES[dtype], rtol=0)


# Matrices whose sample points are exact in float32, so that the pixels of
# weight 0 are known: the identity, half- and quarter-pixel shifts (with a
# flip), a quarter turn and a magnification by 2.
EXACT_MATRICES = {
    "identity": [[1, 0, 0], [0, 1, 0]],
    "half_pixel": [[1, 0, 0.5], [0, 1, 0]],
    "quarter_flip": [[-1, 0, 9.25], [0, 1, -0.75]],
    "quarter_turn": [[0, -1, 8], [1, 0, 0]],
    "magnify": [[0.5, 0, 2.25], [0, 0.5, 1.75]],
}


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@FILL_MODES
@pytest.mark.parametrize("matrix", EXACT_MATRICES.values(), ids=EXACT_MATRICES)
def test_a_pixel_of_weight_zero_does_not_touch_the_output(matrix, fill_mode, bad):
    # Issue 12, item 10: one non-finite pixel reaches exactly the outputs that
    # sample it with a positive weight (scipy's weights of an indicator
    # image); every other output is the warp of the finite image.
    images = RNG.random((1, 9, 10, 2)).astype("float32")
    where = (4, 6)
    indicator = np.zeros_like(images)
    indicator[0, where[0], where[1]] = 1.0
    matrices = np.array([matrix + [[0, 0, 1]]], "float32")
    finite = _np(F.warp(images, matrices, (8, 9), "bilinear", fill_mode, 0.5))
    reached = scipy_warp(indicator, matrices, "bilinear", fill_mode, 0.0, (8, 9)) > 0
    images[0, where[0], where[1]] = bad
    out = _np(F.warp(images, matrices, (8, 9), "bilinear", fill_mode, 0.5))
    expected = np.where(reached, bad, finite)
    np.testing.assert_array_equal(out, expected)
    if matrix == EXACT_MATRICES["identity"]:
        assert reached.sum() == 2  # the pixel itself, in each channel


@pytest.mark.parametrize("interpolation", F.INTERPOLATIONS)
def test_warp_takes_one_matrix_for_every_image(interpolation):
    matrices = _random_matrices()
    one = matrices[:1]
    expected = _np(F.warp(IMAGES, np.concatenate([one, one]), (8, 9), interpolation))
    for shared in (one, one[0]):
        out = F.warp(IMAGES, shared, (8, 9), interpolation)
        np.testing.assert_array_equal(_np(out), expected)


@pytest.mark.parametrize(
    "images, matrices, output_size, message",
    [
        (
            IMAGES[0],
            np.eye(3, dtype="float32")[None],
            (8, 8),
            "Invalid value for argument `images.shape`. Expected rank 4: (batch, "
            "height, width, channels). Received: images.shape=(20, 24, 3)",
        ),
        (
            IMAGES,
            np.zeros((2, 2, 3), "float32"),
            (8, 8),
            "Invalid value for argument `matrices.shape`. Expected (2, 3, 3) (one "
            "matrix per image of images.shape=(2, 20, 24, 3)), or (1, 3, 3) or "
            "(3, 3) (one for all). Received: matrices.shape=(2, 2, 3)",
        ),
        (
            IMAGES,
            np.zeros((3, 3, 3), "float32"),
            (8, 8),
            "Invalid value for argument `matrices.shape`. Expected (2, 3, 3) (one "
            "matrix per image of images.shape=(2, 20, 24, 3)), or (1, 3, 3) or "
            "(3, 3) (one for all). Received: matrices.shape=(3, 3, 3)",
        ),
        (
            IMAGES,
            np.zeros((2, 1, 3, 3), "float32"),
            (8, 8),
            "Invalid value for argument `matrices.shape`. Expected (2, 3, 3) (one "
            "matrix per image of images.shape=(2, 20, 24, 3)), or (1, 3, 3) or "
            "(3, 3) (one for all). Received: matrices.shape=(2, 1, 3, 3)",
        ),
        (
            IMAGES,
            np.eye(3, dtype="float32"),
            (0, 8),
            "Invalid value for argument `output_size`. Expected (height, width), "
            "two positive ints. Received: output_size=(0, 8)",
        ),
        (
            IMAGES,
            np.eye(3, dtype="float32"),
            (8,),
            "Invalid value for argument `output_size`. Expected (height, width), "
            "two positive ints. Received: output_size=(8,)",
        ),
    ],
    ids=["images_rank", "matrix_size", "batch_mismatch", "matrix_rank", "size", "pair"],
)
def test_warp_rejects_shapes_it_cannot_take(images, matrices, output_size, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        F.warp(images, matrices, output_size)
