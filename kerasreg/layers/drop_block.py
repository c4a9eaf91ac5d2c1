"""DropBlock: dropout of contiguous square regions of 2D feature maps."""

import keras
from keras import ops

from kerasreg import _validation
from kerasreg.layers import _noise, functional
from kerasreg.layers._dropout_family import StochasticLayer


@keras.saving.register_keras_serializable(package="kerasreg")
class DropBlock2D(StochasticLayer):
    """Drops contiguous `block_size` x `block_size` blocks of feature maps.

    Neighbouring activations of a convolutional feature map are correlated,
    so dropping single units barely removes information; DropBlock drops
    whole squares instead, independently per sample and channel.

    Training: block centres are drawn with probability
    gamma = rate * H * W / (block_size**2 * (H - block_size + 1) *
    (W - block_size + 1)) among the positions whose whole block fits in the
    map; the units of every block are set to 0 and the survivors scaled by
    count(units) / count(kept units) of the batch, which preserves the
    expectation. Inference: identity (unless `always_on=True`).

    Args:
        rate: float in [0, 1), about the fraction of units dropped.
        block_size: int >= 1, the side of the dropped squares; at most the
            smaller spatial size of the inputs.
        seed: int in [0, 2**31 - 2] or None, seed of the layer's random
            stream. Defaults to `None`.
        data_format: "channels_last" or "channels_first", or None for
            `keras.config.image_data_format()`. Defaults to `None`.
        always_on: bool, keep dropping at inference (Monte Carlo);
            keyword-only. Defaults to `False`.
        **kwargs: base layer arguments (`name`, `dtype`).

    Call arguments:
        inputs: 4D tensor with static height and width; a floating-point one
            when the layer drops blocks (integer and bool inputs raise a
            `TypeError` there, as in Keras' Dropout).
        training: bool, drop blocks (True) or pass the inputs through.

    Input shape:
        `(batch, height, width, channels)` with "channels_last",
        `(batch, channels, height, width)` with "channels_first".

    Output shape:
        Same as the input.

    Example:

    >>> layer = kerasreg.layers.DropBlock2D(rate=0.1, block_size=3, seed=0)
    >>> x = np.ones((2, 8, 8, 4), "float32")
    >>> keras.ops.convert_to_numpy(layer(x, training=True)).shape
    (2, 8, 8, 4)
    >>> bool(np.all(keras.ops.convert_to_numpy(layer(x, training=False)) == x))
    True

    Reference:
        Ghiasi, Lin and Le, 2018. DropBlock: A regularization method for
        convolutional networks. NeurIPS.
    """

    _SUPPORTED_DATA_FORMATS = ("channels_last", "channels_first")

    def __init__(
        self,
        rate,
        block_size,
        seed=None,
        data_format=None,
        *,
        always_on=False,
        **kwargs,
    ):
        super().__init__(seed=seed, always_on=always_on, **kwargs)
        self.rate = _validation.check_float("rate", rate, 0.0, 1.0)
        self.block_size = _validation.check_int("block_size", block_size, low=1)
        self.data_format = _validation.check_choice(
            "data_format",
            keras.config.image_data_format() if data_format is None else data_format,
            self._SUPPORTED_DATA_FORMATS,
        )
        self._make_seed_generator()

    def _spatial_size(self, input_shape):
        if self.data_format == "channels_last":
            return tuple(input_shape[1:3])
        return tuple(input_shape[2:4])

    def _check_inputs(self, input_shape):
        if len(input_shape) != 4:
            raise _validation.invalid(
                "inputs", f"a tensor of shape {tuple(input_shape)}", "a 4D tensor"
            )
        size = self._spatial_size(input_shape)
        if None in size:
            raise _validation.invalid(
                "inputs",
                f"a tensor of shape {tuple(input_shape)}",
                f"static height and width ({self.data_format})",
            )
        if self.block_size > min(size):
            raise _validation.invalid(
                "block_size",
                self.block_size,
                f"an int in [1, {min(size)}] for feature maps of size {size}",
            )

    def call(self, inputs, training=False):
        self._check_inputs(inputs.shape)
        if not self._active(inputs, training):
            return inputs
        shape = ops.shape(inputs)
        if self.data_format == "channels_first":
            shape = (shape[0], shape[2], shape[3], shape[1])
        # The mask needs the static spatial size, which ops.shape may hide.
        height, width = self._spatial_size(inputs.shape)
        noise = ops.reshape(
            _noise.uniform(shape, self.seed_generator), (-1, height, width, shape[3])
        )
        mask = functional.drop_block_keep_mask(noise, self.rate, self.block_size)
        if self.data_format == "channels_first":
            mask = ops.transpose(mask, (0, 3, 1, 2))
        return functional.drop_block(inputs, mask)

    def get_config(self):
        return {
            **super().get_config(),
            "rate": self.rate,
            "block_size": self.block_size,
            "data_format": self.data_format,
        }
