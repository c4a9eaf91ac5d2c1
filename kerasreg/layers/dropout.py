"""Dropout with keep-probability or drop-rate parameters and fast noise."""

import keras
from keras import ops

from kerasreg import _validation
from kerasreg.layers import _noise, functional
from kerasreg.layers._dropout_family import StochasticLayer, check_seed


def _check_noise_shape(noise_shape):
    if noise_shape is None:
        return None
    expected = "a tuple of positive ints or None"
    if isinstance(noise_shape, str) or not isinstance(noise_shape, (tuple, list)):
        raise _validation.invalid("noise_shape", noise_shape, expected)
    for dim in noise_shape:
        is_int = isinstance(dim, int) and not isinstance(dim, bool)
        if dim is not None and not (is_int and dim > 0):
            raise _validation.invalid("noise_shape", noise_shape, expected)
    return tuple(noise_shape)


def _check_rate(rate, keep_prob):
    """The drop rate from exactly one of `rate` and `keep_prob`."""
    if rate is not None and keep_prob is not None:
        raise _validation.invalid(
            "keep_prob", keep_prob, f"None when `rate` is given (rate={rate!r})"
        )
    if keep_prob is not None:
        keep_prob = _validation.check_float(
            "keep_prob", keep_prob, 0.0, 1.0, low_inclusive=False, high_inclusive=True
        )
        return 1.0 - keep_prob
    if rate is None:
        raise _validation.invalid(
            "rate", rate, "a float in [0, 1), or `keep_prob` in (0, 1] instead"
        )
    return _validation.check_float("rate", rate, 0.0, 1.0)


@keras.saving.register_keras_serializable(package="kerasreg")
class Dropout(StochasticLayer, keras.layers.Dropout):
    """Inverted dropout, a drop-in for `keras.layers.Dropout`, and a subclass of it.

    Training: each unit is kept with probability p = 1 - rate and scaled by
    exactly 1 / p, else set to 0:

        h~ = h / (1 - rate)  with probability 1 - rate,  h~ = 0  otherwise.

    Inference: h~ = h (unless `always_on=True`, for Monte Carlo dropout).

    `isinstance(layer, keras.layers.Dropout)` holds, and the attributes Keras'
    Dropout has (`rate`, `noise_shape`, `seed`, `seed_generator`) mean what
    they mean there; kerasreg's own `call` draws the masks.

    Give exactly one of `rate` (Keras' convention, the fraction dropped) and
    `keep_prob` (the source's p, the fraction kept): `keep_prob=p` is
    `rate=1 - p`. Unlike Keras, `rate=1` is rejected: no unit would survive to
    be scaled by 1 / (1 - rate).

    On the TensorFlow backend the noise comes from a counter-based integer
    hash that XLA fuses into the mask, so `jit_compile=True` stays fast on CPU,
    where Keras' Dropout is slow; a seed gives the same masks with and without
    XLA.

    Args:
        rate: float in [0, 1), the probability of dropping a unit, or None
            when `keep_prob` is given. Defaults to `None`.
        noise_shape: tuple of positive ints or None, the shape of the binary
            mask broadcast over the inputs; None entries take the input's
            size, e.g. `(None, 1, None)` shares the mask across timesteps.
            None means the input's shape. Defaults to `None`.
        seed: int in [0, 2**31 - 2] or None, seed of the layer's random
            stream; the same seed gives the same masks. Defaults to `None`.
        keep_prob: float in (0, 1], the probability of keeping a unit, or
            None when `rate` is given; keyword-only. Defaults to `None`.
        always_on: bool, keep dropping units at inference (Monte Carlo
            dropout); keyword-only. Defaults to `False`.
        **kwargs: base layer arguments (`name`, `dtype`).

    Call arguments:
        inputs: tensor of any rank; a floating-point one when the layer
            drops units (integer and bool inputs raise a `TypeError` there,
            as in Keras, and pass through at inference).
        training: bool, apply dropout (True) or pass the inputs through.

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:

    >>> layer = kerasreg.layers.Dropout(keep_prob=0.8, seed=0)
    >>> y = layer(np.ones((4, 25), "float32"), training=True)
    >>> np.unique(keras.ops.convert_to_numpy(y)).tolist()  # dropped or 1 / 0.8
    [0.0, 1.25]

    Reference:
        Srivastava et al., 2014. Dropout: A Simple Way to Prevent Neural
        Networks from Overfitting. JMLR 15.
    """

    def __init__(
        self,
        rate=None,
        noise_shape=None,
        seed=None,
        *,
        keep_prob=None,
        always_on=False,
        **kwargs,
    ):
        rate = _check_rate(rate, keep_prob)
        noise_shape = _check_noise_shape(noise_shape)
        seed = check_seed(seed)
        # Keras' constructor sets Keras' attributes from the checked arguments
        # and makes the seed generator `call` draws from (none when rate=0).
        keras.layers.Dropout.__init__(
            self, rate, noise_shape=noise_shape, seed=seed, **kwargs
        )
        self._set_stochastic(seed, always_on)
        self.keep_prob = 1.0 - self.rate if keep_prob is None else float(keep_prob)
        self._given_keep_prob = keep_prob is not None

    def _noise_shape(self, inputs):
        """The mask's shape for `inputs`, checked to broadcast against them."""
        shape = ops.shape(inputs)
        if self.noise_shape is None:
            return shape
        static = tuple(inputs.shape)
        broadcasts = len(self.noise_shape) == len(static) and all(
            dim is None or size is None or dim in (1, size)
            for dim, size in zip(self.noise_shape, static, strict=True)
        )
        if not broadcasts:
            raise _validation.invalid(
                "noise_shape",
                self.noise_shape,
                f"a shape that broadcasts to the inputs' shape {static} (each "
                "entry None, 1 or the inputs' size)",
            )
        return tuple(
            shape[i] if dim is None else dim for i, dim in enumerate(self.noise_shape)
        )

    def call(self, inputs, training=False):
        if not self._active(inputs, training):
            return inputs
        noise = _noise.uniform(self._noise_shape(inputs), self.seed_generator)
        return functional.dropout(inputs, self.rate, noise)

    def get_config(self):
        return {
            **super().get_config(),
            "rate": None if self._given_keep_prob else self.rate,
            "keep_prob": self.keep_prob if self._given_keep_prob else None,
            "noise_shape": self.noise_shape,
        }
