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
matrices with these functions, and `warp` is the only resampler.
"""

import keras
from keras import ops

from kerasreg import _validation

INTERPOLATIONS = ("bilinear", "nearest")
FILL_MODES = ("reflect", "constant", "nearest", "wrap")


def _affine(a0, a1, a2, b0, b1, b2):
    """Stack per-image coefficients (each (N,)) into (N, 3, 3) matrices."""
    zeros = ops.zeros_like(a0)
    rows = [a0, a1, a2, b0, b1, b2, zeros, zeros, ops.ones_like(a0)]
    rows = [ops.broadcast_to(ops.cast(r, "float32"), ops.shape(a0)) for r in rows]
    return ops.reshape(ops.stack(rows, axis=-1), (-1, 3, 3))


def _centre(height, width):
    return (ops.cast(width, "float32") - 1.0) / 2.0, (
        ops.cast(height, "float32") - 1.0
    ) / 2.0


def rotation_matrix(angles, height, width):
    """Rotation by `angles` (radians, (N,)) about the image centre.

    Positive angles turn the content counter-clockwise on screen (as
    `keras.layers.RandomRotation` and `np.rot90`). With c the centre
    ((width - 1) / 2, (height - 1) / 2):

        input = R(angle) @ (output - c) + c,   R = [[cos, -sin], [sin, cos]]
    """
    angles = ops.cast(angles, "float32")
    cos, sin = ops.cos(angles), ops.sin(angles)
    cx, cy = _centre(height, width)
    return _affine(
        cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy
    )


def scale_matrix(scales, height, width):
    """Magnification by `scales` ((N,), s > 1 zooms in) about the image centre.

    input = (output - c) / s + c
    """
    inverse = 1.0 / ops.cast(scales, "float32")
    cx, cy = _centre(height, width)
    zeros = ops.zeros_like(inverse)
    return _affine(
        inverse, zeros, cx * (1.0 - inverse), zeros, inverse, cy * (1.0 - inverse)
    )


def flip_matrix(horizontal, vertical, height, width):
    """Mirror images whose `horizontal` / `vertical` flag ((N,) bool) is set.

    x_in = width - 1 - x_out  (horizontal),   y_in = height - 1 - y_out  (vertical)
    """
    sx = ops.where(horizontal, -1.0, 1.0)
    sy = ops.where(vertical, -1.0, 1.0)
    tx = ops.where(horizontal, ops.cast(width, "float32") - 1.0, 0.0)
    ty = ops.where(vertical, ops.cast(height, "float32") - 1.0, 0.0)
    zeros = ops.zeros_like(sx)
    return _affine(sx, zeros, tx, zeros, sy, ty)


def crop_matrix(tops, lefts):
    """A window whose top-left input pixel is (`tops`, `lefts`) ((N,) each).

    input = output + (left, top)
    """
    lefts = ops.cast(lefts, "float32")
    ones, zeros = ops.ones_like(lefts), ops.zeros_like(lefts)
    return _affine(ones, zeros, lefts, zeros, ones, ops.cast(tops, "float32"))


def compose(*matrices):
    """The single matrix of transforms applied in the given order: M1 @ M2 @ ..."""
    result = matrices[0]
    for matrix in matrices[1:]:
        result = ops.matmul(result, matrix)
    return result


def invert_affine(matrices):
    """Closed-form inverse of affine (N, 3, 3) matrices: the forward map."""
    a, b, c = matrices[:, 0, 0], matrices[:, 0, 1], matrices[:, 0, 2]
    d, e, f = matrices[:, 1, 0], matrices[:, 1, 1], matrices[:, 1, 2]
    det = a * e - b * d
    ia, ib, id_, ie = e / det, -b / det, -d / det, a / det
    return _affine(ia, ib, -(ia * c + ib * f), id_, ie, -(id_ * c + ie * f))


def transform_boxes(boxes, matrices, output_size):
    """Move boxes with the geometry that `warp(images, matrices, ...)` applies.

    Boxes are (N, B, 4) absolute pixel coordinates "xyxy" = (x_min, y_min,
    x_max, y_max), pixel edges included (a box over the whole image is
    (0, 0, width, height)). Each result is the enclosing box of the four
    transformed corners, clipped to the output image [0, w] x [0, h]; a box
    that leaves the image keeps its slot with zero width or height.
    """
    dtype = keras.backend.standardize_dtype(boxes.dtype)
    # Pixel coordinates need more precision than float16 keeps.
    boxes = ops.cast(boxes, "float32")
    forward = invert_affine(matrices)
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


def _fold(coord, size, fill_mode):
    """Map float coordinates into the image [-0.5, size - 0.5] by `fill_mode`.

    Reflection about the outer pixel edges and wrapping move pixel centres
    onto pixel centres, so folding the sample point once gives the same
    neighbours and weights as folding each of its neighbours, at half the
    index work.
    """
    size = ops.cast(size, "float32")
    if fill_mode == "reflect":  # d c b a | a b c d | d c b a
        shifted = ops.mod(coord + 0.5, 2.0 * size)
        return ops.where(shifted >= size, 2.0 * size - shifted, shifted) - 0.5
    if fill_mode == "wrap":  # a b c d | a b c d | a b c d
        return ops.mod(coord + 0.5, size) - 0.5
    if fill_mode == "nearest":  # a a a a | a b c d | d d d d
        return ops.clip(coord, 0.0, size - 1.0)
    return coord  # "constant": neighbours outside are masked instead


def _neighbour(index, size, fill_mode):
    """Valid integer index for a neighbour of a folded point; also its inside flag."""
    inside = ops.logical_and(index >= 0, index < size)
    if fill_mode == "wrap":  # a folded point's neighbours overshoot by one
        index = ops.where(index < 0, index + size, index)
        return ops.where(index >= size, index - size, index), inside
    return ops.clip(index, 0, size - 1), inside


def warp(
    images,
    matrices,
    output_size,
    interpolation="bilinear",
    fill_mode="reflect",
    fill_value=0.0,
):
    """Resample a batch of images once, at the given output size.

    output[n, y, x] = images[n] sampled at M[n] @ (x, y, 1), bilinearly
    (weights from the fractional parts) or at the nearest pixel. Samples
    outside the image follow `fill_mode`: "reflect" (d c b a | a b c d),
    "wrap" (a b c d | a b c d), "nearest" (a a a a | a b c d) or "constant"
    (`fill_value`), applied per source pixel as in `scipy.ndimage` modes
    "reflect", "grid-wrap", "nearest" and "grid-constant".

    Args:
        images: tensor (N, H, W, C), any real dtype.
        matrices: tensor (N, 3, 3), output-to-input pixel maps (module docstring).
        output_size: `(height, width)` of the result.
        interpolation: "bilinear" or "nearest". Defaults to `"bilinear"`.
        fill_mode: "reflect", "constant", "nearest" or "wrap". Defaults to
            `"reflect"`.
        fill_value: float, the value outside the image for "constant".
            Defaults to `0.0`.

    Returns:
        (N, height, width, C). "nearest" keeps the input dtype; "bilinear"
        returns the input dtype if it is floating, else float32.
    """
    _validation.check_choice("interpolation", interpolation, INTERPOLATIONS)
    _validation.check_choice("fill_mode", fill_mode, FILL_MODES)
    batch, height, width, channels = ops.shape(images)
    out_h, out_w = output_size
    matrices = ops.cast(matrices, "float32")
    xs = ops.cast(ops.arange(out_w), "float32")[None, None, :]
    ys = ops.cast(ops.arange(out_h), "float32")[None, :, None]

    def source(k):
        m = matrices[:, k, :, None, None]
        return m[:, 0] * xs + m[:, 1] * ys + m[:, 2]

    # (N, out_h, out_w) input coordinates, folded into the image.
    x = _fold(source(0), width, fill_mode)
    y = _fold(source(1), height, fill_mode)
    flat = ops.reshape(images, (-1, channels))
    offsets = ops.reshape(
        ops.arange(batch, dtype="int32") * (height * width), (-1, 1, 1)
    )
    dtype = keras.backend.standardize_dtype(images.dtype)

    if interpolation == "nearest":
        ix, inside_x = _neighbour(
            ops.cast(ops.floor(x + 0.5), "int32"), width, fill_mode
        )
        iy, inside_y = _neighbour(
            ops.cast(ops.floor(y + 0.5), "int32"), height, fill_mode
        )
        result = ops.take(flat, offsets + iy * width + ix, axis=0)
        if fill_mode == "constant":
            inside = ops.logical_and(inside_x, inside_y)[..., None]
            result = ops.where(inside, result, ops.cast(fill_value, dtype))
        return result

    x0, y0 = ops.floor(x), ops.floor(y)
    # Work in float32: float16 or integer pixels would round the weights.
    work = "float64" if dtype == "float64" else "float32"
    fx, fy = ops.cast(x - x0, work)[..., None], ops.cast(y - y0, work)[..., None]
    # Map the two columns and two rows once; the four corners combine them.
    x0, y0 = ops.cast(x0, "int32"), ops.cast(y0, "int32")
    columns = [_neighbour(x0 + k, width, fill_mode) for k in (0, 1)]
    rows = [_neighbour(y0 + k, height, fill_mode) for k in (0, 1)]
    corners = []
    for row, inside_y in rows:
        for column, inside_x in columns:
            # Gather whole pixels (all channels) in the input dtype: for uint8
            # that moves a quarter of the bytes float32 would.
            sample = ops.cast(
                ops.take(flat, offsets + row * width + column, axis=0), work
            )
            if fill_mode == "constant":
                inside = ops.logical_and(inside_x, inside_y)[..., None]
                sample = ops.where(inside, sample, ops.cast(fill_value, work))
            corners.append(sample)
    top = corners[0] + fx * (corners[1] - corners[0])
    bottom = corners[2] + fx * (corners[3] - corners[2])
    result = top + fy * (bottom - top)
    return ops.cast(result, dtype if "float" in dtype else "float32")
