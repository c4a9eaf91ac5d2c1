"""RandomZoom: Keras' random zoom per axis, fused with the other geometric layers."""

import keras

from kerasreg.augmentation import _keras_args, functional
from kerasreg.augmentation.base import BaseGeometricLayer


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
class RandomZoom(BaseGeometricLayer):
    """Zooms each image in or out by random factors about its centre, in training.

    Keras' `keras.layers.RandomZoom`, with the same arguments, defaults,
    draws and output. Each image n draws z_h = 1 + u_h, u_h uniform in
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
        fill_mode: str, how points outside the image are filled: "reflect"
            (d c b a | a b c d | d c b a), "constant" (`fill_value`),
            "nearest" (a a a a | a b c d) or "wrap" (a b c d | a b c d).
            Defaults to `"reflect"`.
        interpolation: str, "bilinear" or "nearest". Defaults to `"bilinear"`.
        seed: int or None, seed of the layer's random draws. Defaults to `None`.
        fill_value: float, the value outside the image for "constant".
            Defaults to `0.0`.
        data_format: str or None, "channels_last" (N, H, W, C) or
            "channels_first" (N, C, H, W); None reads
            `keras.config.image_data_format()`. Defaults to `None`.
        **kwargs: base layer arguments (`name`, `dtype`).

    Call arguments:
        data: images (H, W, C) or (N, H, W, C) (channels first: (C, H, W) or
            (N, C, H, W)), uint8 or float; or a dict with "images" and
            optional "segmentation_masks" and "bounding_boxes" (absolute
            "xyxy" pixels), moved by the same matrix as in `RandomRotation`.
        training: bool, zoom when True. Defaults to `True` (so that
            `dataset.map(layer)` augments); a model passes False outside `fit`.

    Input shape:
        (N, H, W, C) or (H, W, C), or channels first.

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
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height_lower, self.height_upper = _keras_args.keras_factor(
            "height_factor", height_factor, -1.0, low_inclusive=False
        )
        if width_factor is not None:
            self.width_lower, self.width_upper = _keras_args.keras_factor(
                "width_factor", width_factor, -1.0, low_inclusive=False
            )
        self.height_factor = _keras_args.as_given(height_factor)
        self.width_factor = _keras_args.as_given(width_factor)
        self._set_resampling(interpolation, fill_mode, fill_value)

    def get_random_transformation(self, batch_size, height, width, seed=None):
        # Keras' draws in Keras' order: height, then width from the next seed.
        seed = self._seed(seed)
        uniform = self.backend.random.uniform
        height_zooms = uniform(
            (batch_size,),
            minval=1.0 + self.height_lower,
            maxval=1.0 + self.height_upper,
            seed=seed,
        )
        width_zooms = height_zooms
        if self.width_factor is not None:
            width_zooms = uniform(
                (batch_size,),
                minval=1.0 + self.width_lower,
                maxval=1.0 + self.width_upper,
                seed=seed,
            )
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

    def get_config(self):
        return {
            **super().get_config(),
            "height_factor": self.height_factor,
            "width_factor": self.width_factor,
            **self._resampling_config(),
        }
