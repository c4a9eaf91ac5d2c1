"""RandomRotation: rotate each image by its own random angle."""

import math

import keras

from kerasreg import _validation
from kerasreg.augmentation import _factors, functional
from kerasreg.augmentation.base import BaseGeometricLayer


@keras.saving.register_keras_serializable(package="kerasreg")
class RandomRotation(BaseGeometricLayer, keras.layers.RandomRotation):
    """Rotates each image by a random angle about its centre, in training only.

    A subclass of `keras.layers.RandomRotation` (see `BaseGeometricLayer`);
    `factor` holds the range (lower, upper), as in Keras.

    Each image n draws its own angle θ_n = 2π · t_n, with t_n uniform in
    [lower, upper] (a fraction of a full turn, as in
    `keras.layers.RandomRotation`; positive is counter-clockwise on screen).
    Output pixel p samples the input at

        M @ p,  M = T(c) @ [[cos θ, −sin θ, 0], [sin θ, cos θ, 0], [0, 0, 1]] @ T(−c)

    with c = ((W − 1) / 2, (H − 1) / 2) the centre and T a translation
    (pixel centres at integer coordinates). At inference (`training=False`)
    the input is returned unchanged (cast to the layer's compute dtype).

    Args:
        factor: float or pair of floats, as in Keras. A float f in [−1, 1]
            draws t from [−|f|, |f|]; a pair of finite floats draws from
            [min, max] of the two. 0.25 is a quarter turn.
        fill_mode: str, how points outside the image are filled: "reflect"
            (d c b a | a b c d | d c b a), "constant" (`fill_value`),
            "nearest" (a a a a | a b c d) or "wrap" (a b c d | a b c d).
            Defaults to `"reflect"`.
        interpolation: str, "bilinear" or "nearest". Defaults to `"bilinear"`.
        seed: int or None, seed of the layer's random draws. Defaults to `None`.
        fill_value: float, the value outside the image for "constant".
            Defaults to `0.0`.
        data_format: "channels_last" or "channels_first", or None for
            `keras.config.image_data_format()`. Defaults to `None`.
        **kwargs: base layer arguments (`name`, `dtype`) and
            `bounding_box_format`: the format of the boxes in a dict input,
            one of `keras.utils.bounding_boxes`' ("xyxy", "yxyx", "xywh",
            "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx",
            "rel_xywh", "rel_center_xywh"); needed only with boxes.

    Call arguments:
        data: images (H, W, C) or (N, H, W, C) in "channels_last", (C, H, W)
            or (N, C, H, W) in "channels_first", uint8 or float; or a dict
            with "images" and optional "segmentation_masks" (same layout as
            the images, resampled with nearest neighbours) and
            "bounding_boxes" (as Keras passes them: {"boxes": (N, B, 4) or
            (B, 4), "labels": ...}, or the boxes alone, in
            `bounding_box_format`; each box becomes the enclosing box of its
            moved corners, clipped to the image, and a box clipped to
            nothing gets label -1, as in Keras). Other entries pass
            through.
        training: bool, rotate when True. Defaults to `True` (so that
            `dataset.map(layer)` augments); a model passes False outside `fit`.

    Input shape:
        (N, H, W, C) or (H, W, C); (N, C, H, W) or (C, H, W) in
        "channels_first".

    Output shape:
        Same as the input; images in the layer's compute dtype (float32).

    Example:

    >>> # factor=0.25 is a quarter turn.
    >>> layer = kerasreg.augmentation.RandomRotation(factor=(0.25, 0.25), seed=0)
    >>> image = np.arange(9, dtype="float32").reshape(3, 3, 1)
    >>> out = keras.ops.convert_to_numpy(layer(image, training=True))
    >>> np.allclose(out[..., 0], np.rot90(image[..., 0]), atol=1e-5)
    True
    """

    _RESAMPLES = True
    _FACTOR_EXPECTED = "a float in [-1, 1] or a pair of finite floats"

    def __init__(
        self,
        factor,
        fill_mode="reflect",
        interpolation="bilinear",
        seed=None,
        fill_value=0.0,
        data_format=None,
        **kwargs,
    ):
        lower, upper = _factors.factor_range(
            "factor", factor, _factors.symmetric, self._FACTOR_EXPECTED
        )
        if not (
            math.isfinite(lower)
            and math.isfinite(upper)
            and (isinstance(factor, (tuple, list)) or upper <= 1.0)
        ):
            raise _validation.invalid("factor", factor, self._FACTOR_EXPECTED)
        # Keras' constructor checks a factor against [-1, 1], where kerasreg
        # takes any finite pair (whole turns too): it gets a neutral factor,
        # and the checked range is set after it, as Keras keeps it (sorted).
        super().__init__(
            factor=0.0,
            seed=seed,
            data_format=data_format,
            **self._checked_resampling(interpolation, fill_mode, fill_value),
            **kwargs,
        )
        self.factor = tuple(sorted((lower, upper)))

    def get_random_transformation(self, batch_size, height, width, seed=None):
        turns = self._uniform_per_image(batch_size, self._seed(seed), *self.factor)
        angles = 2.0 * math.pi * turns
        return {
            "angles": angles,
            "matrix": functional.rotation_matrix(angles, height, width, ops=self.ops),
        }
