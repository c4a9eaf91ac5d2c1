"""RandomFlip: mirror each image, independently per direction."""

import keras

from kerasreg import _validation
from kerasreg.augmentation import functional
from kerasreg.augmentation.base import BaseGeometricLayer


@keras.saving.register_keras_serializable(package="kerasreg")
class RandomFlip(BaseGeometricLayer):
    """Mirrors each image with probability 1/2 per enabled direction, in training.

    Each image n draws h_n, v_n ~ Bernoulli(1/2) for the enabled directions
    (False for the others). Output pixel p = (x, y) samples the input at

        x_in = W − 1 − x if h_n else x,   y_in = H − 1 − y if v_n else y,

    i.e. M = [[±1, 0, W − 1 or 0], [0, ±1, H − 1 or 0], [0, 0, 1]]. Flips move
    whole pixels: the result is exact. At inference (`training=False`) the
    input is returned unchanged (cast to the layer's compute dtype).

    Args:
        mode: str, "horizontal" (left-right), "vertical" (up-down) or
            "horizontal_and_vertical" (each drawn independently). Defaults to
            `"horizontal"`.
        seed: int or None, seed of the layer's random draws. Defaults to `None`.
        **kwargs: base layer arguments (`name`, `dtype`).

    Call arguments:
        data: images (H, W, C) or (N, H, W, C), uint8 or float, channels last;
            or a dict with "images", optional "segmentation_masks" and
            "bounding_boxes" (absolute "xyxy" pixels), as in `RandomRotation`.
        training: bool, flip when True. Defaults to `True`; a model passes
            False outside `fit`.

    Input shape:
        (N, H, W, C) or (H, W, C).

    Output shape:
        Same as the input; images in the layer's compute dtype (float32).

    Example:

    >>> import numpy as np
    >>> layer = RandomFlip("horizontal", seed=3)
    >>> images = np.arange(6, dtype="float32").reshape(2, 1, 3, 1)
    >>> out = layer(images, training=True).numpy()
    >>> all(np.array_equal(o, i) or np.array_equal(o, i[:, ::-1])
    ...     for o, i in zip(out, images))
    True
    """

    _SUPPORTED_MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(self, mode="horizontal", seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.mode = _validation.check_choice("mode", mode, self._SUPPORTED_MODES)

    def get_random_transformation(self, batch_size, height, width, seed=None):
        ops = self.ops
        draws = self.backend.random.uniform((batch_size, 2), seed=self._seed(seed))
        horizontal = ops.logical_and(draws[:, 0] < 0.5, "horizontal" in self.mode)
        vertical = ops.logical_and(draws[:, 1] < 0.5, "vertical" in self.mode)
        return {
            "horizontal": horizontal,
            "vertical": vertical,
            "matrix": functional.flip_matrix(
                horizontal, vertical, height, width, ops=ops
            ),
        }

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
