"""RandomTranslation: Keras' random shift, fused with the other geometric layers."""

import keras

from kerasreg.augmentation import functional
from kerasreg.augmentation.base import AxisFactorLayer


@keras.saving.register_keras_serializable(package="kerasreg")
class RandomTranslation(AxisFactorLayer, keras.layers.RandomTranslation):
    """Shifts each image by a random fraction of its height and width, in training.

    Keras' `keras.layers.RandomTranslation`, a subclass of it (see
    `BaseGeometricLayer`), with the same arguments, defaults, draws and
    output. Each image n draws u_h uniform in [height_lower, height_upper]
    and then u_w in [width_lower, width_upper], and its content moves by
    d_y = u_h · H pixels down and d_x = u_w · W pixels right (negative: up,
    left); `fill_mode` fills the uncovered border. Output pixel p samples the
    input at

        M @ p,  M = [[1, 0, −d_x], [0, 1, −d_y], [0, 0, 1]]

    (`functional.crop_matrix(−d_y, −d_x)`: the window moves against the
    content). In a `Pipeline` the matrix is fused with the other geometric
    layers' into one resampling. With the same `seed`, kerasreg's and Keras'
    layers draw the same shifts. At inference (`training=False`) the input
    is returned unchanged (cast to the layer's compute dtype).

    Args:
        height_factor: float or pair of floats, the vertical shift u_h as a
            fraction of the height: a float f draws from [−|f|, |f|], a pair
            (a, b) from [min(a, b), max(a, b)]; every number in [−1, 1].
            (−0.2, 0.3) shifts from 20% up to 30% down.
        width_factor: float or pair of floats, the horizontal shift u_w as a
            fraction of the width, in the same forms (positive: right).
        fill_mode, interpolation, seed, fill_value, data_format, **kwargs:
            as in `RandomRotation`, with the same defaults.

    Call arguments:
        data: images or a dict with "images", optional "segmentation_masks"
            and "bounding_boxes", as in `RandomRotation`.
        training: bool, shift when True. Defaults to `True`; a model passes
            False outside `fit`.

    Input shape:
        (N, H, W, C) or (H, W, C); (N, C, H, W) or (C, H, W) in
        "channels_first".

    Output shape:
        Same as the input; images in the layer's compute dtype (float32).

    Example:

    >>> layer = kerasreg.augmentation.RandomTranslation(
    ...     (0.25, 0.25), 0.0, fill_mode="constant"
    ... )
    >>> image = np.arange(16, dtype="float32").reshape(4, 4, 1)
    >>> out = layer(image, training=True)
    >>> keras.ops.convert_to_numpy(out)[..., 0]  # one row down
    array([[ 0.,  0.,  0.,  0.],
           [ 0.,  1.,  2.,  3.],
           [ 4.,  5.,  6.,  7.],
           [ 8.,  9., 10., 11.]], dtype=float32)
    """

    def __init__(
        self,
        height_factor,
        width_factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        factors = self._checked_axis_factors(
            height_factor, width_factor, -1.0, low_inclusive=True, optional_width=False
        )
        super().__init__(
            **factors,
            seed=seed,
            data_format=data_format,
            **self._checked_resampling(interpolation, fill_mode, fill_value),
            **kwargs,
        )

    def get_random_transformation(self, batch_size, height, width, seed=None):
        ops = self.ops
        fraction_y, fraction_x = self._draw_per_axis(batch_size, seed)
        shifts_y = ops.cast(height, "float32") * fraction_y
        shifts_x = ops.cast(width, "float32") * fraction_x
        return {
            "shifts_y": shifts_y,
            "shifts_x": shifts_x,
            "matrix": functional.crop_matrix(-shifts_y, -shifts_x, ops=ops),
        }

    def _transformation_matrix(self, transformation, height, width):
        if "translations" not in transformation:
            return transformation["matrix"]
        # Keras' form: (N, 2) shifts in pixels, x first.
        shifts = self.ops.convert_to_tensor(transformation["translations"], "float32")
        return functional.crop_matrix(-shifts[:, 1], -shifts[:, 0], ops=self.ops)
