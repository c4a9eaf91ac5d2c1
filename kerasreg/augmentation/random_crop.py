"""RandomCrop: a random window per image in training, the centre at inference."""

import keras

from kerasreg import _validation
from kerasreg.augmentation import functional
from kerasreg.augmentation.base import BaseGeometricLayer


@keras.saving.register_keras_serializable(package="kerasreg")
class RandomCrop(BaseGeometricLayer):
    """Cuts a `height` x `width` window, at a random place per image in training.

    Training: image n draws an integer top-left corner (t_n, l_n) uniformly in
    [0, H − height] x [0, W − width] and

        output[n, y, x] = input[n, y + t_n, x + l_n],
        M = [[1, 0, l_n], [0, 1, t_n], [0, 0, 1]].

    Inference: the centre window, t = (H − height) // 2, l = (W − width) // 2.
    Windows move whole pixels: the result is exact. Unlike
    `keras.layers.RandomCrop`, which cuts one window for the whole batch,
    every image gets its own; the crop never resizes.

    Args:
        height: int >= 1, the output height, at most the input height.
        width: int >= 1, the output width, at most the input width.
        seed: int or None, seed of the layer's random draws. Defaults to `None`.
        **kwargs: base layer arguments (`name`, `dtype`).

    Call arguments:
        data: images (H, W, C) or (N, H, W, C), uint8 or float, channels last;
            or a dict with "images", optional "segmentation_masks" and
            "bounding_boxes" (absolute "xyxy" pixels; shifted into the window
            and clipped to it, also at inference), as in `RandomRotation`.
        training: bool, a random window when True, the centre when False.
            Defaults to `True`; a model passes False outside `fit`.

    Input shape:
        (N, H, W, C) or (H, W, C).

    Output shape:
        (N, height, width, C) or (height, width, C); images in the layer's
        compute dtype (float32).

    Example:

    >>> import numpy as np
    >>> layer = RandomCrop(2, 2, seed=0)
    >>> image = np.arange(16, dtype="float32").reshape(4, 4, 1)
    >>> layer(image, training=False)[..., 0].numpy()  # the centre window
    array([[ 5.,  6.],
           [ 9., 10.]], dtype=float32)
    >>> layer(image, training=True).shape
    TensorShape([2, 2, 1])
    """

    def __init__(self, height, width, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.height = _validation.check_int("height", height, low=1)
        self.width = _validation.check_int("width", width, low=1)

    def compute_output_size(self, height, width):
        for argument, size, image_size in (
            ("height", self.height, height),
            ("width", self.width, width),
        ):
            if isinstance(image_size, int) and size > image_size:
                raise _validation.invalid(
                    argument, size, f"an int <= the input {argument}, {image_size}"
                )
        return self.height, self.width

    def inference_offset(self, height, width):
        return (height - self.height) // 2, (width - self.width) // 2

    def get_random_transformation(self, batch_size, height, width, seed=None):
        ops = self.ops
        seed = self._seed(seed)
        draws = self.backend.random.uniform((batch_size, 2), seed=seed)
        # floor(u * (range + 1)) is uniform over 0..range; the minimum guards
        # against float32 rounding u * (range + 1) up to range + 1.
        ranges = ops.cast(
            ops.stack([height - self.height, width - self.width]), "float32"
        )
        offsets = ops.minimum(ops.floor(draws * (ranges + 1.0)), ranges)
        tops, lefts = offsets[:, 0], offsets[:, 1]
        return {
            "tops": tops,
            "lefts": lefts,
            "matrix": functional.crop_matrix(tops, lefts, ops=ops),
        }

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
