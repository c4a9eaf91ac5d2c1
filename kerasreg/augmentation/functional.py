"""Pure geometry for augmentation: 3x3 matrices, their composition, and one warp.

Conventions, shared by every function here:

- Pixel (row i, column j) has its centre at (x, y) = (j, i); the image covers
  [-0.5, width - 0.5] x [-0.5, height - 0.5].
- A matrix M (shape (N, 3, 3), one per image, float32) maps the homogeneous
  coordinates (x, y, 1) of an OUTPUT pixel to the input location it samples:
  the inverse map, as in `scipy.ndimage.affine_transform` and
  `keras.ops.image.affine_transform`. The last row is always [0, 0, 1].
- Applying A and then B samples the input at A @ B @ p, so
  `compose(A, B) = A @ B`: matrices are listed in the order the transforms
  are applied.

Nothing here draws random numbers: the layers draw parameters and build the
matrices with these functions, and `warp` is the only resampler. Every
function computes with its `ops` argument, `keras.ops` unless a layer running
in a `tf.data` map under another backend passes TensorFlow's ops.
"""

import math
import numbers

import keras

from kerasreg import _validation

INTERPOLATIONS = ("bilinear", "nearest")
FILL_MODES = ("reflect", "constant", "nearest", "wrap")


def _affine(ops, a0, a1, a2, b0, b1, b2):
    """Stack per-image coefficients (each (N,)) into (N, 3, 3) matrices."""
    zeros = ops.zeros_like(a0)
    rows = [a0, a1, a2, b0, b1, b2, zeros, zeros, ops.ones_like(a0)]
    rows = [ops.broadcast_to(ops.cast(r, "float32"), ops.shape(a0)) for r in rows]
    return ops.reshape(ops.stack(rows, axis=-1), (-1, 3, 3))


def _centre(ops, height, width):
    return (ops.cast(width, "float32") - 1.0) / 2.0, (
        ops.cast(height, "float32") - 1.0
    ) / 2.0


def rotation_matrix(angles, height, width, ops=keras.ops):
    """Rotation by `angles` (radians, (N,)) about the image centre.

    Positive angles turn the content counter-clockwise on screen (as
    `keras.layers.RandomRotation` and `np.rot90`). With c the centre
    ((width - 1) / 2, (height - 1) / 2):

        input = R(angle) @ (output - c) + c,   R = [[cos, -sin], [sin, cos]]

    Example:

    >>> functional = kerasreg.augmentation.functional
    >>> m = functional.rotation_matrix(np.array([np.pi / 2]), 3, 3)
    >>> quarter_turn = [[0, -1, 2], [1, 0, 0], [0, 0, 1]]
    >>> np.allclose(keras.ops.convert_to_numpy(m)[0], quarter_turn, atol=1e-6)
    True
    """
    angles = ops.cast(angles, "float32")
    cos, sin = ops.cos(angles), ops.sin(angles)
    cx, cy = _centre(ops, height, width)
    return _affine(
        ops, cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy
    )


def scale_matrix(scales, height, width, ops=keras.ops):
    """Magnification by `scales` ((N,), s > 1 zooms in) about the image centre.

    input = (output - c) / s + c

    Example:

    >>> functional = kerasreg.augmentation.functional
    >>> m = functional.scale_matrix(np.array([2.0]), 5, 5)
    >>> keras.ops.convert_to_numpy(m)[0].tolist()
    [[0.5, 0.0, 1.0], [0.0, 0.5, 1.0], [0.0, 0.0, 1.0]]
    """
    inverse = 1.0 / ops.cast(scales, "float32")
    cx, cy = _centre(ops, height, width)
    zeros = ops.zeros_like(inverse)
    return _affine(
        ops, inverse, zeros, cx * (1.0 - inverse), zeros, inverse, cy * (1.0 - inverse)
    )


def flip_matrix(horizontal, vertical, height, width, ops=keras.ops):
    """Mirror images whose `horizontal` / `vertical` flag ((N,) bool) is set.

    x_in = width - 1 - x_out  (horizontal),   y_in = height - 1 - y_out  (vertical)

    Example:

    >>> functional = kerasreg.augmentation.functional
    >>> m = functional.flip_matrix(np.array([True]), np.array([False]), 4, 6)
    >>> keras.ops.convert_to_numpy(m)[0].tolist()
    [[-1.0, 0.0, 5.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    sx = ops.where(horizontal, -1.0, 1.0)
    sy = ops.where(vertical, -1.0, 1.0)
    tx = ops.where(horizontal, ops.cast(width, "float32") - 1.0, 0.0)
    ty = ops.where(vertical, ops.cast(height, "float32") - 1.0, 0.0)
    zeros = ops.zeros_like(sx)
    return _affine(ops, sx, zeros, tx, zeros, sy, ty)


def crop_matrix(tops, lefts, ops=keras.ops):
    """A window whose top-left input pixel is (`tops`, `lefts`) ((N,) each).

    input = output + (left, top)

    Example:

    >>> functional = kerasreg.augmentation.functional
    >>> m = functional.crop_matrix(np.array([1]), np.array([2]))
    >>> keras.ops.convert_to_numpy(m)[0].tolist()
    [[1.0, 0.0, 2.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]
    """
    lefts = ops.cast(lefts, "float32")
    ones, zeros = ops.ones_like(lefts), ops.zeros_like(lefts)
    return _affine(ops, ones, zeros, lefts, zeros, ones, ops.cast(tops, "float32"))


def compose(*matrices, ops=keras.ops):
    """The single matrix of transforms applied in the given order: M1 @ M2 @ ...

    Example:

    >>> functional = kerasreg.augmentation.functional
    >>> flip = functional.flip_matrix(np.array([True]), np.array([False]), 4, 6)
    >>> twice = functional.compose(flip, flip)  # a flip undone
    >>> keras.ops.convert_to_numpy(twice)[0].tolist()
    [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    result = matrices[0]
    for matrix in matrices[1:]:
        result = ops.matmul(result, matrix)
    return result


def invert_affine(matrices, ops=keras.ops):
    """Closed-form inverse of affine (N, 3, 3) matrices: the forward map.

    Example:

    >>> functional = kerasreg.augmentation.functional
    >>> m = functional.scale_matrix(np.array([2.0]), 5, 5)
    >>> forward = functional.invert_affine(m)  # output = 2 (input - c) + c
    >>> expected = [[2, 0, -2], [0, 2, -2], [0, 0, 1]]
    >>> np.allclose(keras.ops.convert_to_numpy(forward)[0], expected)
    True
    """
    a, b, c = matrices[:, 0, 0], matrices[:, 0, 1], matrices[:, 0, 2]
    d, e, f = matrices[:, 1, 0], matrices[:, 1, 1], matrices[:, 1, 2]
    det = a * e - b * d
    ia, ib, id_, ie = e / det, -b / det, -d / det, a / det
    return _affine(ops, ia, ib, -(ia * c + ib * f), id_, ie, -(id_ * c + ie * f))


def transform_boxes(boxes, matrices, output_size, ops=keras.ops):
    """Move boxes with the geometry that `warp(images, matrices, ...)` applies.

    Boxes are (N, B, 4) absolute pixel coordinates "xyxy" = (x_min, y_min,
    x_max, y_max), pixel edges included (a box over the whole image is
    (0, 0, width, height)). Each result is the enclosing box of the four
    transformed corners, clipped to the output image [0, w] x [0, h]; a box
    that leaves the image keeps its slot with zero width or height.

    Example:

    >>> functional = kerasreg.augmentation.functional
    >>> flip = functional.flip_matrix(np.array([True]), np.array([False]), 2, 3)
    >>> boxes = np.array([[[0.0, 0.0, 2.0, 1.0]]], "float32")
    >>> moved = functional.transform_boxes(boxes, flip, (2, 3))
    >>> keras.ops.convert_to_numpy(moved).tolist()  # x -> 3 - x
    [[[1.0, 0.0, 3.0, 1.0]]]
    """
    dtype = keras.backend.standardize_dtype(boxes.dtype)
    # Pixel coordinates need more precision than float16 keeps.
    boxes = ops.cast(boxes, "float32")
    forward = invert_affine(matrices, ops=ops)
    x0, y0, x1, y1 = (boxes[..., k] - 0.5 for k in range(4))  # edges -> centres
    xs = ops.stack([x0, x1, x0, x1], axis=-1)
    ys = ops.stack([y0, y0, y1, y1], axis=-1)

    def row(k):
        m = forward[:, k, :]
        return m[:, 0, None, None] * xs + m[:, 1, None, None] * ys + m[:, 2, None, None]

    new_x, new_y = row(0) + 0.5, row(1) + 0.5
    out_h, out_w = (ops.cast(size, "float32") for size in output_size)
    result = ops.stack(
        [
            ops.clip(ops.min(new_x, axis=-1), 0.0, out_w),
            ops.clip(ops.min(new_y, axis=-1), 0.0, out_h),
            ops.clip(ops.max(new_x, axis=-1), 0.0, out_w),
            ops.clip(ops.max(new_y, axis=-1), 0.0, out_h),
        ],
        axis=-1,
    )
    return ops.cast(result, dtype)


def _fold(ops, coord, size, fill_mode):
    """Map float coordinates into the image by `fill_mode`.

    Reflection about the outer pixel edges and wrapping move pixel centres
    onto pixel centres, so folding the sample point once gives the same
    neighbours and weights as folding each of its neighbours. "reflect" and
    "nearest" end clamped to the pixel centres [0, size - 1] (past them the
    outer pixel repeats), "wrap" in [-0.5, size - 0.5) and "constant" in
    [-1, size]: farther out only the fill is sampled. The remainder is taken
    with `floor`, not `ops.mod`: XLA on CPU calls `fmodf` for a float
    remainder, once per element, which cost more than the gathers.
    """
    if fill_mode == "reflect":  # d c b a | a b c d | d c b a
        period = 2.0 * size
        shifted = coord + 0.5
        shifted = shifted - period * ops.floor(shifted * (1.0 / period))
        coord = ops.where(shifted >= size, period - shifted, shifted) - 0.5
    if fill_mode == "wrap":  # a b c d | a b c d | a b c d
        shifted = coord + 0.5
        return shifted - size * ops.floor(shifted * (1.0 / size)) - 0.5
    if fill_mode == "constant":
        return ops.clip(coord, -1.0, size)
    return ops.clip(coord, 0.0, size - 1.0)  # nearest: a a a a | a b c d | d d d d


def _neighbours(ops, coord, size, fill_mode):
    """The two pixels that a folded coordinate falls between, and their weights.

    Returns (first, step, w0, w1): along this axis, sample = w0 *
    pixel[first] + w1 * pixel[first + step]; for "constant" the weights of
    pixels outside are 0 and `warp` gives the fill what the four corners'
    weights leave of 1. `first` (float, integer valued) and `first + step`
    are always valid indices; the step is 1 (0 for a one-pixel image) except
    across the seam of "wrap".
    """
    floor = ops.floor(coord)
    if fill_mode == "wrap":  # floor in [-1, size - 1]: the seam steps back
        # A dynamic size is an int32 tensor, which float32 will not mix with.
        float_size = ops.cast(size, "float32")
        first = ops.where(floor < 0, floor + float_size, floor)
        step = ops.where(first >= float_size - 1.0, 1 - size, 1)
        fraction = coord - floor
        return first, step, 1.0 - fraction, fraction
    # The first at most the second-last pixel, so that the second is inside
    # too; a one-pixel-wide image has no second one (step 0).
    first = ops.clip(floor, 0.0, ops.cast(ops.maximum(size - 2, 0), "float32"))
    step = ops.minimum(size - 1, 1)
    if fill_mode == "constant":
        # Hat weights max(0, 1 - |coord - pixel|): a neighbour outside the
        # image weighs 0, and the fill takes up the remainder.
        w0 = ops.relu(1.0 - ops.abs(coord - first))
        w1 = ops.relu(1.0 - ops.abs(coord - first - 1.0)) * ops.cast(step, "float32")
        return first, step, w0, w1
    fraction = coord - first
    return first, step, 1.0 - fraction, fraction


def warp(
    images,
    matrices,
    output_size,
    interpolation="bilinear",
    fill_mode="reflect",
    fill_value=0.0,
    ops=keras.ops,
):
    """Resample a batch of images once, at the given output size.

    output[n, y, x] = images[n] sampled at M[n] @ (x, y, 1), bilinearly
    (weights from the fractional parts) or at the nearest pixel. Samples
    outside the image follow `fill_mode`: "reflect" (d c b a | a b c d),
    "wrap" (a b c d | a b c d), "nearest" (a a a a | a b c d) or "constant"
    (`fill_value`), applied per source pixel as in `scipy.ndimage` modes
    "reflect", "grid-wrap", "nearest" and "grid-constant". A pixel of weight
    0 does not touch the output: a NaN or inf reaches only the samples that
    give it a positive weight.

    Args:
        images: tensor (N, H, W, C), any real dtype.
        matrices: tensor (N, 3, 3), output-to-input pixel maps (module
            docstring); (1, 3, 3) or (3, 3) applies one map to every image.
        output_size: `(height, width)` of the result, positive.
        interpolation: "bilinear" or "nearest". Defaults to `"bilinear"`.
        fill_mode: "reflect", "constant", "nearest" or "wrap". Defaults to
            `"reflect"`.
        fill_value: float, the value outside the image for "constant".
            Defaults to `0.0`.
        ops: the ops module to compute with: `keras.ops`, or the TensorFlow
            ops a layer passes inside `tf.data` under another backend.
            Defaults to `keras.ops`.

    Returns:
        (N, height, width, C). "nearest" keeps the input dtype; "bilinear"
        returns the input dtype if it is floating, else float32.

    Example:

    >>> functional = kerasreg.augmentation.functional
    >>> image = np.arange(6, dtype="float32").reshape(1, 2, 3, 1)
    >>> flip = functional.flip_matrix(np.array([True]), np.array([False]), 2, 3)
    >>> out = functional.warp(image, flip, (2, 3))
    >>> keras.ops.convert_to_numpy(out)[0, ..., 0].tolist()
    [[2.0, 1.0, 0.0], [5.0, 4.0, 3.0]]
    """
    _validation.check_choice("interpolation", interpolation, INTERPOLATIONS)
    _validation.check_choice("fill_mode", fill_mode, FILL_MODES)
    _check_shapes(images, matrices, output_size)
    dtype = keras.backend.standardize_dtype(images.dtype)
    batch, height, width, channels = ops.shape(images)
    out_h, out_w = output_size
    matrices = ops.reshape(ops.cast(matrices, "float32"), (-1, 3, 3))
    # The output is computed channels-first, (N, C, h, w), and transposed to
    # (N, h, w, C) at the end. With the channel axis innermost, XLA compiled
    # ~100 scalar instructions per output pixel and no vector gathers; with x
    # innermost it vectorises along x and fuses the indices, gathers, blend
    # and transpose into one kernel: 1.6-2.3x faster on CPU, and about even in
    # "wrap", which gathered whole pixels before. The input stays NHWC, read
    # at element pixel * C + c: transposing it instead was slower.
    xs = ops.cast(ops.arange(out_w), "float32")[None, None, None, :]
    ys = ops.cast(ops.arange(out_h), "float32")[None, None, :, None]

    # Coordinates are recomputed inside XLA's one loop over the output rather
    # than kept in (N, h, w) arrays: with those, its scratch memory passed
    # glibc's 32 MB mmap limit at batch 64 x 200 x 200 and every step paid
    # ~12,500 page faults, more than the recomputation costs.
    def source(k, size):
        m = matrices[:, k, :, None, None, None]
        coord = m[:, 0] * xs + m[:, 1] * ys + m[:, 2]
        return _fold(ops, coord, ops.cast(size, "float32"), fill_mode)

    # (N, 1, out_h, out_w) input coordinates, folded into the image.
    x, y = source(0, width), source(1, height)
    flat = ops.reshape(images, (-1,))
    # Strides in elements of `flat`, whose indices reach N * H * W * C:
    # int32 unless that may overflow it.
    index = "int32" if _elements(images) < 2**31 else "int64"
    column = ops.cast(channels, index)
    row = ops.cast(width, index) * column
    # (N, C, 1, 1): where each image's channel c starts.
    start = ops.reshape(
        ops.arange(batch, dtype=index) * (ops.cast(height, index) * row), (-1, 1, 1, 1)
    ) + ops.reshape(ops.arange(channels, dtype=index), (1, -1, 1, 1))

    def to_nhwc(result):
        return ops.transpose(result, (0, 2, 3, 1))

    if interpolation == "nearest":
        ix = ops.cast(ops.floor(x + 0.5), "int32")
        iy = ops.cast(ops.floor(y + 0.5), "int32")
        # Clamping also guards a float32 rounding up past the last pixel.
        inside = ops.logical_and(
            ops.logical_and(ix >= 0, ix < width), ops.logical_and(iy >= 0, iy < height)
        )
        ix, iy = ops.clip(ix, 0, width - 1), ops.clip(iy, 0, height - 1)
        at = start + ops.cast(iy, index) * row + ops.cast(ix, index) * column
        result = _take(ops, flat, at)
        if fill_mode == "constant":
            result = ops.where(inside, result, ops.cast(fill_value, dtype))
        return to_nhwc(result)

    # Work in float32: float16 or integer pixels would round the weights.
    work = "float64" if dtype == "float64" else "float32"
    x0, step_x, wx0, wx1 = _neighbours(ops, x, width, fill_mode)
    y0, step_y, wy0, wy1 = _neighbours(ops, y, height, fill_mode)
    first = start + ops.cast(y0, index) * row + ops.cast(x0, index) * column
    below = ops.cast(step_y, index) * row
    right = ops.cast(step_x, index) * column
    corners = [
        ops.cast(_take(ops, flat, first + step), work)
        for step in (0, right, below, below + right)
    ]
    wx0, wx1, wy0, wy1 = (ops.cast(w, work) for w in (wx0, wx1, wy0, wy1))

    def term(weight, value):
        # A pixel of weight 0 adds nothing, not 0 * value: a NaN or inf there
        # must not leak into its neighbours. The value is zeroed, not the
        # product, so that XLA contracts w0 a + w1 b into the same fused
        # multiply-adds as without the guard: finite pixels keep every bit.
        # Cast back: inside tf.data under JAX, Keras' dtype rules (no x64)
        # make `where` of float64 pixels float32.
        kept = ops.where(weight > 0, value, ops.zeros_like(value))
        return weight * ops.cast(kept, work)

    # w0 a + w1 b with w0 = 1 - f, not a + f (b - a): exact at f = 0 and 1.
    top = term(wx0, corners[0]) + term(wx1, corners[1])
    bottom = term(wx0, corners[2]) + term(wx1, corners[3])
    result = term(wy0, top) + term(wy1, bottom)
    if fill_mode == "constant":
        result = result + (1.0 - (wx0 + wx1) * (wy0 + wy1)) * ops.cast(fill_value, work)
    return to_nhwc(ops.cast(result, dtype if "float" in dtype else "float32"))


def _take(ops, flat, indices):
    """flat[indices] for indices that are all in range.

    The one place where the warp depends on the backend. `keras.ops.take`
    also makes ready for indices that `warp` never has: on JAX a NaN fill
    for those out of range (`mode="clip"` skips it, 1.75x faster on JAX's
    CPU), on TensorFlow a select for negative ones.
    """
    backend = keras.backend.backend() if ops is keras.ops else ops.name
    if backend == "jax":
        import jax.numpy as jnp

        return jnp.take(flat, indices, axis=0, mode="clip")
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.gather(flat, indices)
    return ops.take(flat, indices, axis=0)


def _elements(images):
    """The number of elements of `images`, infinite when not known statically."""
    shape = _static_shape(images)
    if shape is None or None in shape:
        return float("inf")
    return math.prod(shape)


def _static_shape(x):
    """x's shape as a tuple, None for an unknown size; None if the rank is unknown."""
    try:
        return tuple(None if size is None else int(size) for size in x.shape)
    except (TypeError, ValueError):  # a TensorShape of unknown rank
        return None


def _check_shapes(images, matrices, output_size):
    """Raise for shapes `warp` cannot take, as far as they are known."""
    image_shape, matrix_shape = _static_shape(images), _static_shape(matrices)
    if image_shape is not None and len(image_shape) != 4:
        raise _validation.invalid(
            "images.shape", image_shape, "rank 4: (batch, height, width, channels)"
        )
    batch = None if image_shape is None else image_shape[0]
    if matrix_shape is not None:
        wrong_size = len(matrix_shape) not in (2, 3) or any(
            size not in (None, 3) for size in matrix_shape[-2:]
        )
        wrong_batch = (
            len(matrix_shape) == 3
            and batch is not None
            and matrix_shape[0] not in (None, 1, batch)
        )
        if wrong_size or wrong_batch:
            per_image = "(N, 3, 3)" if batch is None else f"({batch}, 3, 3)"
            raise _validation.invalid(
                "matrices.shape",
                matrix_shape,
                f"{per_image} (one matrix per image of images.shape="
                f"{image_shape}), or (1, 3, 3) or (3, 3) (one for all)",
            )
    if len(output_size) != 2 or any(
        isinstance(size, bool) or (isinstance(size, numbers.Integral) and size < 1)
        for size in output_size
    ):
        raise _validation.invalid(
            "output_size", output_size, "(height, width), two positive ints"
        )
