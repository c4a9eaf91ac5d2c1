"""RandomScale: magnify or shrink each image by its own random factor."""

import math

import keras

from kerasreg import _validation
from kerasreg.augmentation import _factors, functional
from kerasreg.augmentation.base import BaseGeometricLayer, StandaloneLayer


@keras.saving.register_keras_serializable(package="kerasreg")
class RandomScale(BaseGeometricLayer, StandaloneLayer):
    """Scales each image's content by a random factor about its centre, in training.

    Each image n draws s_n uniform in [min, max]; s > 1 zooms in (the content
    grows and the borders leave the frame), s < 1 zooms out (`fill_mode`
    fills the new border). Output pixel p samples the input at

        M @ p,  M = T(c) @ diag(1 / s, 1 / s, 1) @ T(−c)

    with c = ((W − 1) / 2, (H − 1) / 2) the centre. Unlike
    `keras.layers.RandomZoom` (whose factor −0.2 means "zoom in by 20%"), the
    argument is the magnification itself: RandomZoom(f) ≈ RandomScale(1 / (1 + f)).
    At inference (`training=False`) the input is returned unchanged (cast to
    the layer's compute dtype).

    Args:
        scale: float or pair of floats. A pair (min, max) with 0 < min <= max
            draws s from [min, max]; a float f in [0, 1) means (1 − f, 1 + f).
            Defaults to `(0.9, 1.1)`.
        fill_mode: str, "reflect", "constant", "nearest" or "wrap" (as in
            `RandomRotation`). Defaults to `"reflect"`.
        interpolation: str, "bilinear" or "nearest". Defaults to `"bilinear"`.
        seed: int or None, seed of the layer's random draws. Defaults to `None`.
        fill_value: float, the value outside the image for "constant".
            Defaults to `0.0`.
        data_format: "channels_last" or "channels_first", or None for
            `keras.config.image_data_format()`. Defaults to `None`.
        **kwargs: base layer arguments (`name`, `dtype`) and
            `bounding_box_format`, as in `RandomRotation`.

    Call arguments:
        data: images or a dict with "images", optional "segmentation_masks"
            and "bounding_boxes", as in `RandomRotation`.
        training: bool, scale when True. Defaults to `True`; a model passes
            False outside `fit`.

    Input shape:
        (N, H, W, C) or (H, W, C); (N, C, H, W) or (C, H, W) in
        "channels_first".

    Output shape:
        Same as the input; images in the layer's compute dtype (float32).

    Example:

    >>> layer = kerasreg.augmentation.RandomScale(
    ...     scale=(2.0, 2.0), interpolation="nearest"
    ... )
    >>> image = np.arange(16, dtype="float32").reshape(4, 4, 1)
    >>> out = layer(image, training=True)
    >>> keras.ops.convert_to_numpy(out)[..., 0]  # the centre, doubled
    array([[ 5.,  5.,  6.,  6.],
           [ 5.,  5.,  6.,  6.],
           [ 9.,  9., 10., 10.],
           [ 9.,  9., 10., 10.]], dtype=float32)
    """

    _RESAMPLES = True
    _SCALE_EXPECTED = (
        "a float in [0, 1) or a pair (min, max) of finite floats with 0 < min <= max"
    )

    def __init__(
        self,
        scale=(0.9, 1.1),
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        lower, upper = _factors.factor_range(
            "scale", scale, lambda f: (1.0 - f, 1.0 + f), self._SCALE_EXPECTED
        )
        # A negative f would pass the bounds when 1 - f rounds to 1.
        negative = not isinstance(scale, (tuple, list)) and scale < 0
        if negative or not (0.0 < lower <= upper < math.inf):
            raise _validation.invalid("scale", scale, self._SCALE_EXPECTED)
        resampling = self._checked_resampling(interpolation, fill_mode, fill_value)
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.lower, self.upper = lower, upper
        self.scale = _factors.config_form(scale)
        self.interpolation = resampling["interpolation"]
        self.fill_mode = resampling["fill_mode"]
        self.fill_value = resampling["fill_value"]

    def get_random_transformation(self, batch_size, height, width, seed=None):
        scales = self._uniform_per_image(
            batch_size, self._seed(seed), self.lower, self.upper
        )
        return {
            "scales": scales,
            "matrix": functional.scale_matrix(scales, height, width, ops=self.ops),
        }

    def get_config(self):
        return {
            **super().get_config(),
            "scale": self.scale,
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }
