"""RandomZoom: Keras' random zoom per axis, fused with the other geometric layers."""

import keras

from kerasreg.augmentation import functional
from kerasreg.augmentation.base import AxisFactorLayer


def zoom_matrix(height_zooms, width_zooms, height, width, ops=keras.ops):
    """Zoom by `width_zooms` along x and `height_zooms` along y ((N,) each).

    As in `keras.layers.RandomZoom`, z > 1 zooms out (the output shows z
    times the input's extent) and z < 1 zooms in, about the centre c =
    ((width − 1) / 2, (height − 1) / 2):

        input = c + diag(z_x, z_y) @ (output − c)

    `zoom_matrix(1 / s, 1 / s, ...)` is `functional.scale_matrix(s, ...)`.
    """
    # Written with functional's private helpers so that it can move there.
    zx = ops.cast(width_zooms, "float32")
    zy = ops.cast(height_zooms, "float32")
    cx, cy = functional._centre(ops, height, width)
    zeros = ops.zeros_like(zx)
    return functional._affine(
        ops, zx, zeros, cx * (1.0 - zx), zeros, zy, cy * (1.0 - zy)
    )


@keras.saving.register_keras_serializable(package="kerasreg")
class RandomZoom(AxisFactorLayer, keras.layers.RandomZoom):
    """Zooms each image in or out by random factors about its centre, in training.

    Keras' `keras.layers.RandomZoom`, a subclass of it (see
    `BaseGeometricLayer`), with the same arguments, defaults, draws and
    output. Each image n draws z_h = 1 + u_h, u_h uniform in
    [height_lower, height_upper], and z_w = 1 + u_w from the width range (or
    z_w = z_h when `width_factor` is None: the aspect ratio is kept). A
    positive factor zooms out (z > 1: the content shrinks and `fill_mode`
    fills the new border), a negative one zooms in. Output pixel p samples
    the input at

        M @ p,  M = T(c) @ diag(z_w, z_h, 1) @ T(−c)

    with c = ((W − 1) / 2, (H − 1) / 2) the centre. In a `Pipeline` the matrix
    is fused with the other geometric layers' into one resampling. With the
    same `seed`, kerasreg's and Keras' layers draw the same factors. At
    inference (`training=False`) the input is returned unchanged (cast to
    the layer's compute dtype). `RandomScale(s)` is a uniform zoom by 1 / s.

    Args:
        height_factor: float or pair of floats, the vertical zoom u_h as a
            fraction: a float f draws from [−|f|, |f|], a pair (a, b) from
            [min(a, b), max(a, b)]; every number in (−1, 1]. (0.2, 0.3) zooms
            out by 20% to 30%, (−0.3, −0.2) zooms in by 20% to 30%.
        width_factor: float, pair of floats or None, the horizontal zoom u_w
            in the same forms; None zooms both axes by z_h. Defaults to
            `None`.
        fill_mode, interpolation, seed, fill_value, data_format, **kwargs:
            as in `RandomRotation`, with the same defaults.

    Call arguments:
        data: images or a dict with "images", optional "segmentation_masks"
            and "bounding_boxes", as in `RandomRotation`.
        training: bool, zoom when True. Defaults to `True`; a model passes
            False outside `fit`.

    Input shape:
        (N, H, W, C) or (H, W, C); (N, C, H, W) or (C, H, W) in
        "channels_first".

    Output shape:
        Same as the input; images in the layer's compute dtype (float32).

    Example:

    >>> layer = kerasreg.augmentation.RandomZoom((-0.5, -0.5), interpolation="nearest")
    >>> # A height factor of -0.5 zooms in 2x.
    >>> image = np.arange(16, dtype="float32").reshape(4, 4, 1)
    >>> out = layer(image, training=True)
    >>> keras.ops.convert_to_numpy(out)[..., 0]  # the centre, doubled
    array([[ 5.,  5.,  6.,  6.],
           [ 5.,  5.,  6.,  6.],
           [ 9.,  9., 10., 10.],
           [ 9.,  9., 10., 10.]], dtype=float32)
    """

    def __init__(
        self,
        height_factor,
        width_factor=None,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        factors = self._checked_axis_factors(
            height_factor, width_factor, -1.0, low_inclusive=False, optional_width=True
        )
        super().__init__(
            **factors,
            seed=seed,
            data_format=data_format,
            **self._checked_resampling(interpolation, fill_mode, fill_value),
            **kwargs,
        )

    def get_random_transformation(self, batch_size, height, width, seed=None):
        # Keras draws the zoom itself, from 1 + each range.
        height_zooms, width_zooms = self._draw_per_axis(batch_size, seed, offset=1.0)
        if width_zooms is None:
            width_zooms = height_zooms
        return {
            "height_zooms": height_zooms,
            "width_zooms": width_zooms,
            "matrix": zoom_matrix(
                height_zooms, width_zooms, height, width, ops=self.ops
            ),
        }

    def _transformation_matrix(self, transformation, height, width):
        if "height_zoom" not in transformation:
            return transformation["matrix"]
        # Keras' form: one zoom per image and axis, shaped (N, 1).
        ops = self.ops

        def zooms(key):
            return ops.reshape(
                ops.convert_to_tensor(transformation[key], "float32"), (-1,)
            )

        return zoom_matrix(
            zooms("height_zoom"), zooms("width_zoom"), height, width, ops=ops
        )
