"""RandomFlip: mirror each image, independently per direction."""

import keras

from kerasreg import _validation
from kerasreg.augmentation import functional
from kerasreg.augmentation.base import BaseGeometricLayer


@keras.saving.register_keras_serializable(package="kerasreg")
class RandomFlip(BaseGeometricLayer, keras.layers.RandomFlip):
    """Mirrors each image with probability 1/2 per enabled direction, in training.

    A subclass of `keras.layers.RandomFlip` (see `BaseGeometricLayer`).

    Each image n draws h_n, v_n ~ Bernoulli(1/2) for the enabled directions
    (False for the others), independently: "horizontal_and_vertical" gives
    each of the four mirror images with probability 1/4. (Keras' RandomFlip
    draws once per image and flips both directions together, so it only
    gives the image or its half turn; with one direction enabled the two
    layers draw the same flips from the same seed.) Output pixel p = (x, y)
    samples the input at

        x_in = W − 1 − x if h_n else x,   y_in = H − 1 − y if v_n else y,

    i.e. M = [[±1, 0, W − 1 or 0], [0, ±1, H − 1 or 0], [0, 0, 1]]. Flips move
    whole pixels: the result is exact. At inference (`training=False`) the
    input is returned unchanged (cast to the layer's compute dtype).

    Args:
        mode: str, "horizontal" (left-right), "vertical" (up-down) or
            "horizontal_and_vertical" (each drawn independently). Defaults to
            `"horizontal_and_vertical"`, as in Keras.
        seed: int or None, seed of the layer's random draws. Defaults to `None`.
        data_format: "channels_last" or "channels_first", or None for
            `keras.config.image_data_format()`. Defaults to `None`.
        **kwargs: base layer arguments (`name`, `dtype`) and
            `bounding_box_format`, as in `RandomRotation`.

    Call arguments:
        data: images or a dict with "images", optional "segmentation_masks"
            and "bounding_boxes", as in `RandomRotation`.
        training: bool, flip when True. Defaults to `True`; a model passes
            False outside `fit`.

    Input shape:
        (N, H, W, C) or (H, W, C); (N, C, H, W) or (C, H, W) in
        "channels_first".

    Output shape:
        Same as the input; images in the layer's compute dtype (float32).

    Example:

    >>> layer = kerasreg.augmentation.RandomFlip("horizontal", seed=3)
    >>> images = np.arange(6, dtype="float32").reshape(2, 1, 3, 1)
    >>> out = keras.ops.convert_to_numpy(layer(images, training=True))
    >>> all(np.array_equal(o, i) or np.array_equal(o, i[:, ::-1])
    ...     for o, i in zip(out, images))
    True
    """

    _SUPPORTED_MODES = ("horizontal", "vertical", "horizontal_and_vertical")

    def __init__(
        self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs
    ):
        super().__init__(
            mode=_validation.check_choice("mode", mode, self._SUPPORTED_MODES),
            seed=seed,
            data_format=data_format,
            **kwargs,
        )

    def get_random_transformation(self, batch_size, height, width, seed=None):
        ops = self.ops
        seed = self._seed(seed)
        never = ops.zeros((batch_size,), "bool")
        # One draw of shape (N,) per enabled direction, u <= 1/2 flipping:
        # Keras' own draw, so that one direction repeats Keras' flips.
        horizontal, vertical = (
            self._flips(batch_size, seed) if direction in self.mode else never
            for direction in ("horizontal", "vertical")
        )
        return {
            "horizontal": horizontal,
            "vertical": vertical,
            "matrix": functional.flip_matrix(
                horizontal, vertical, height, width, ops=ops
            ),
        }

    def _flips(self, batch_size, seed):
        draws = self.backend.random.uniform((batch_size,), seed=seed)
        return self.ops.reshape(draws, (-1,)) <= 0.5

    def _transformation_matrix(self, transformation, height, width):
        if "flips" not in transformation:
            return transformation["matrix"]
        # Keras' form: one flag per image for every enabled direction.
        flips = self.ops.reshape(
            self.ops.convert_to_tensor(transformation["flips"], "bool"), (-1,)
        )
        never = self.ops.zeros_like(flips)
        return functional.flip_matrix(
            flips if "horizontal" in self.mode else never,
            flips if "vertical" in self.mode else never,
            height,
            width,
            ops=self.ops,
        )
