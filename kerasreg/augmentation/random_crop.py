"""RandomCrop: a random window per image in training, the centre at inference."""

import keras

from kerasreg import _validation
from kerasreg.augmentation import functional
from kerasreg.augmentation.base import BaseGeometricLayer


@keras.saving.register_keras_serializable(package="kerasreg")
class RandomCrop(BaseGeometricLayer, keras.layers.RandomCrop):
    """Cuts a `height` x `width` window, at a random place per image in training.

    A subclass of `keras.layers.RandomCrop` (see `BaseGeometricLayer`).

    Training, on an input of at least the window's size: image n draws an
    integer top-left corner (t_n, l_n) uniformly in [0, H − height] x
    [0, W − width] and

        output[n, y, x] = input[n, y + t_n, x + l_n],
        M = [[1, 0, l_n], [0, 1, t_n], [0, 0, 1]].

    Inference: the centre window, t = (H − height) // 2, l = (W − width) // 2.
    Windows move whole pixels: the result is exact. Unlike
    `keras.layers.RandomCrop`, which cuts one window for the whole batch,
    every image gets its own; and at inference Keras resizes the largest
    centred window with the output's aspect ratio to the output size, where
    kerasreg keeps the centre window (the object scale the model was trained
    on).

    An input smaller than the window (H < height or W < width, also when the
    size is only known at run time, as in a `tf.data` map over images of
    varying size) is resized as Keras does, in training and at inference:
    the centred window of h' = min(H, floor(W · height / width)) rows and
    w' = min(W, floor(H · width / height)) columns is resampled bilinearly
    (clamped at the edges, as `keras.ops.image.resize`) to height x width:

        x_in = (x + 1/2) · w' / width − 1/2 + (W − w') // 2, likewise y.

    Args:
        height: int >= 1, the output height.
        width: int >= 1, the output width.
        seed: int or None, seed of the layer's random draws. Defaults to `None`.
        data_format: "channels_last" or "channels_first", or None for
            `keras.config.image_data_format()`. Defaults to `None`.
        name: str or None, the layer's name. Defaults to `None`.
        **kwargs: base layer arguments (`dtype`) and
            `bounding_box_format`, as in `RandomRotation`.

    Call arguments:
        data: images or a dict with "images", optional "segmentation_masks"
            and "bounding_boxes", as in `RandomRotation`; boxes are moved
            into the window and clipped to it, also at inference.
        training: bool, a random window when True, the centre when False.
            Defaults to `True`; a model passes False outside `fit`.

    Input shape:
        (N, H, W, C) or (H, W, C); (N, C, H, W) or (C, H, W) in
        "channels_first".

    Output shape:
        (N, height, width, C) or (height, width, C), channels first alike;
        images in the layer's compute dtype (float32).

    Example:

    >>> layer = kerasreg.augmentation.RandomCrop(2, 2, seed=0)
    >>> image = np.arange(16, dtype="float32").reshape(4, 4, 1)
    >>> out = layer(image, training=False)
    >>> keras.ops.convert_to_numpy(out)[..., 0]  # the centre window
    array([[ 5.,  6.],
           [ 9., 10.]], dtype=float32)
    >>> keras.ops.shape(layer(image, training=True))
    (2, 2, 1)
    """

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        # `name` is positional, as in Keras' RandomCrop.
        super().__init__(
            height=_validation.check_int("height", height, low=1),
            width=_validation.check_int("width", width, low=1),
            seed=seed,
            data_format=data_format,
            name=name,
            **kwargs,
        )
        # Keras' constructor records a random seed for None, which its own
        # draws do not use; the seed stays the one given, as in the other
        # layers (None: unseeded draws, also after saving and loading).
        self.seed = seed

    def compute_output_size(self, height, width):
        return self.height, self.width

    def resizes(self, height, width):
        # An unknown size may be too small: it takes the resizing path.
        return not (
            isinstance(height, int)
            and isinstance(width, int)
            and height >= self.height
            and width >= self.width
        )

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
        matrix = functional.crop_matrix(tops, lefts, ops=ops)
        return {
            "tops": tops,
            "lefts": lefts,
            "matrix": self._or_resize(matrix, batch_size, height, width),
        }

    def inference_matrix(self, batch_size, height, width):
        ops = self.ops
        tops = ops.full((batch_size,), (height - self.height) // 2, "float32")
        lefts = ops.full((batch_size,), (width - self.width) // 2, "float32")
        matrix = functional.crop_matrix(tops, lefts, ops=ops)
        return self._or_resize(matrix, batch_size, height, width)

    def _or_resize(self, matrix, batch_size, height, width):
        """`matrix`, or Keras' resize of the input where it is too small."""
        if not self.resizes(height, width):
            return matrix
        ops = self.ops
        resize = self._resize_matrix(batch_size, height, width)
        small = ops.logical_or(height < self.height, width < self.width)
        return ops.where(small, resize, matrix)

    def _resize_matrix(self, batch_size, height, width):
        ops = self.ops
        # Keras' window: the largest centred one with the output's aspect,
        # in integers (a float32 quotient can round up to the next one).
        h, w = ops.cast(height, "int32"), ops.cast(width, "int32")
        window_h = ops.clip(w * self.height // self.width, 1, h)
        window_w = ops.clip(h * self.width // self.height, 1, w)
        top, left = (ops.cast(d // 2, "float32") for d in (h - window_h, w - window_w))
        scale_y = ops.cast(window_h, "float32") / self.height
        scale_x = ops.cast(window_w, "float32") / self.width
        ones = ops.ones((batch_size,), "float32")
        zeros = ops.zeros((batch_size,), "float32")
        rows = [
            scale_x * ones,
            zeros,
            (0.5 * scale_x - 0.5 + left) * ones,
            zeros,
            scale_y * ones,
            (0.5 * scale_y - 0.5 + top) * ones,
            zeros,
            zeros,
            ones,
        ]
        return ops.reshape(ops.stack(rows, axis=-1), (-1, 3, 3))
