"""Pure kernels against hand-computed values."""

import keras
import numpy as np
import pytest
from keras import ops

from kerasreg.regularizers import functional
from tests.gradients import gradient

W = np.array([[1.0, -2.0], [0.5, 0.0], [-3.0, 4.0]], "float32")


def test_l1_and_l2_by_hand():
    assert float(functional.l1(W)) == 10.5
    assert float(functional.l2(W)) == 1 + 4 + 0.25 + 9 + 16


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"], ids=["f16", "bf16"])
def test_half_precision_sums_in_float32(dtype):
    # 70,000 ones squared overflows float16 (max 65504); float32 is exact.
    w = ops.ones((70_000,), dtype=dtype)
    assert ops.dtype(functional.l2(w)) == "float32"
    assert float(functional.l2(w)) == 70_000.0


def test_group_norms_by_hand():
    np.testing.assert_allclose(
        functional.group_norms(W, axis=0), [np.sqrt(5), 0.5, 5.0], rtol=1e-6
    )
    np.testing.assert_allclose(
        functional.group_norms(W, axis=-1),
        [np.sqrt(1 + 0.25 + 9), np.sqrt(4 + 16)],
        rtol=1e-6,
    )


def test_soft_threshold_by_hand():
    out = ops.convert_to_numpy(functional.soft_threshold(W, 1.0))
    np.testing.assert_array_equal(out, [[0.0, -1.0], [0.0, 0.0], [-2.0, 3.0]])
    # Exactly zero, not merely small, inside the threshold.
    assert np.count_nonzero(out == 0.0) == 3


def test_soft_threshold_zero_is_identity():
    np.testing.assert_array_equal(functional.soft_threshold(W, 0.0), W)


def test_block_soft_threshold_by_hand():
    # Row norms: sqrt(5), 0.5, 5. Threshold 1: row 1 vanishes, others shrink.
    out = ops.convert_to_numpy(functional.block_soft_threshold(W, 1.0, axis=0))
    expected = W * np.array([[1 - 1 / np.sqrt(5)], [0.0], [0.8]], "float32")
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert np.all(out[1] == 0.0)


def test_block_soft_threshold_keeps_zero_group_finite():
    w = np.array([[0.0, 0.0], [3.0, 4.0]], "float32")
    for t in (0.0, 1.0):
        out = ops.convert_to_numpy(functional.block_soft_threshold(w, t, axis=0))
        assert np.all(np.isfinite(out))
        np.testing.assert_array_equal(out[0], [0.0, 0.0])


def test_bad_axis_names_the_argument():
    with pytest.raises(ValueError, match=r"argument `axis`.*Received: axis=2"):
        functional.group_norms(keras.ops.ones((2, 2)), axis=2)


def test_group_norms_gradient_is_finite_at_zero():
    grad = gradient(
        lambda w: ops.sum(functional.group_norms(w, axis=0)),
        np.zeros((3, 2), "float32"),
    )
    np.testing.assert_array_equal(grad, np.zeros((3, 2)))
