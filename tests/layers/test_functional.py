"""Exact, hand-computed results of the pure kernels."""

import numpy as np
import pytest
from keras import ops

from kerasreg.layers import functional


def test_dropout_keeps_where_noise_reaches_rate_and_scales_by_inverse_keep():
    x = np.array([1.0, 2.0, 3.0, 4.0], "float32")
    noise = np.array([0.1, 0.25, 0.5, 0.9], "float32")
    y = ops.convert_to_numpy(functional.dropout(x, 0.25, noise))
    scale = np.float32(1 / 0.75)
    # Within one float32 ulp: x / 0.75 and x * float32(1 / 0.75) may round apart.
    np.testing.assert_allclose(
        y, [0.0, 2.0 * scale, 3.0 * scale, 4.0 * scale], rtol=1.2e-7, atol=0
    )


def test_dropout_keeps_the_input_dtype():
    x = np.array([1.0, 2.0], "float16")
    noise = np.array([0.1, 0.9], "float32")
    y = functional.dropout(x, 0.5, noise)
    assert ops.convert_to_numpy(y).dtype == np.float16
    np.testing.assert_array_equal(ops.convert_to_numpy(y), [0.0, 4.0])


def test_dropout_with_per_sample_noise_is_drop_path():
    x = np.ones((2, 3), "float32")
    noise = np.array([[0.2], [0.7]], "float32")
    y = ops.convert_to_numpy(functional.dropout(x, 0.5, noise))
    np.testing.assert_array_equal(y, [[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]])


@pytest.mark.parametrize("block_size", [1, 2, 3], ids=lambda b: f"block{b}")
def test_drop_block_mask_drops_the_square_of_one_seed(block_size):
    # One seed at (2, 2) of a 6x6 map: a block_size square at rows and cols
    # [2 - block_size // 2, 2 + (block_size - 1) // 2] is dropped.
    noise = np.ones((1, 6, 6, 1), "float32")
    noise[0, 2, 2, 0] = 0.0
    mask = ops.convert_to_numpy(
        functional.drop_block_keep_mask(noise, 0.1, block_size)
    )[0, :, :, 0]
    expected = np.ones((6, 6), "float32")
    low, high = 2 - block_size // 2, 2 + (block_size - 1) // 2 + 1
    expected[low:high, low:high] = 0.0
    np.testing.assert_array_equal(mask, expected)


def test_drop_block_mask_ignores_seeds_whose_block_would_not_fit():
    noise = np.ones((1, 5, 5, 1), "float32")
    noise[0, 0, 0, 0] = 0.0  # a 3x3 block centred at a corner would be cut
    mask = functional.drop_block_keep_mask(noise, 0.1, 3)
    np.testing.assert_array_equal(ops.convert_to_numpy(mask), np.ones((1, 5, 5, 1)))


def test_drop_block_rescales_by_count_over_kept():
    x = np.full((1, 2, 2, 1), 3.0, "float32")
    mask = np.array([1.0, 1.0, 1.0, 0.0], "float32").reshape(1, 2, 2, 1)
    y = ops.convert_to_numpy(functional.drop_block(x, mask)).ravel()
    np.testing.assert_allclose(y, [4.0, 4.0, 4.0, 0.0], rtol=1e-7)


def test_drop_block_with_everything_dropped_gives_zeros():
    x = np.ones((1, 2, 2, 1), "float32")
    y = functional.drop_block(x, np.zeros((1, 2, 2, 1), "float32"))
    np.testing.assert_array_equal(ops.convert_to_numpy(y), np.zeros((1, 2, 2, 1)))


def test_weighted_moments_match_numpy_on_the_counted_elements():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5)).astype("float32")
    weights = np.array([1, 1, 0, 1], "float32")[:, None]
    mean, variance, count = functional.weighted_moments(x, weights, (0,))
    kept = x[[0, 1, 3]]
    np.testing.assert_allclose(ops.convert_to_numpy(mean)[0], kept.mean(0), 1e-6)
    np.testing.assert_allclose(
        ops.convert_to_numpy(variance)[0], kept.var(0), rtol=1e-5
    )
    np.testing.assert_array_equal(ops.convert_to_numpy(count), np.full((1, 5), 3.0))


def test_scale_and_shift_is_the_normalization_formula():
    x = np.array([1.0, 3.0], "float32")
    a, b = functional.scale_and_shift(2.0, 4.0, 3.0, 0.5, 0.0)
    y = ops.convert_to_numpy(x * a + b)
    np.testing.assert_allclose(y, 3.0 * (x - 2.0) / 2.0 + 0.5, rtol=1e-7)
