"""Stochastic depth (drop path) for residual branches, and its rate schedule."""

import keras
from keras import ops

from kerasreg import _validation
from kerasreg.layers import _noise, functional
from kerasreg.layers._dropout_family import StochasticLayer


def linear_drop_rates(n, max_rate):
    """Drop rates rising linearly over `n` residual blocks to `max_rate`.

    Block l of n (l = 1..n) gets rate_l = (l / n) * max_rate, the linear
    decay rule of Huang et al. (2016): early blocks, which compute low-level
    features every later block needs, are dropped least. (timm's
    `linspace(0, max_rate, n)` starts at 0 instead.)

    Args:
        n: int >= 1, the number of blocks.
        max_rate: float in [0, 1), the rate of the last block.

    Returns:
        A list of `n` Python floats.

    Example:

    >>> rates = kerasreg.layers.linear_drop_rates(4, 0.2)
    >>> [round(rate, 2) for rate in rates]
    [0.05, 0.1, 0.15, 0.2]
    >>> blocks = [kerasreg.layers.StochasticDepth(rate) for rate in rates]
    """
    n = _validation.check_int("n", n, low=1)
    max_rate = _validation.check_float("max_rate", max_rate, 0.0, 1.0)
    return [max_rate * block / n for block in range(1, n + 1)]


@keras.saving.register_keras_serializable(package="kerasreg")
class StochasticDepth(StochasticLayer):
    """Drop path: drops a whole residual branch per sample.

    Apply it to the residual branch, then add the shortcut:
    `x + StochasticDepth(rate)(branch(x))`. For each sample n:

        training:  f~(x)_n = f(x)_n / (1 - rate)  with probability 1 - rate,
                   f~(x)_n = 0  otherwise;
        inference: f~(x)_n = f(x)_n,

    so the expectation over samples is preserved (timm's `DropPath` with
    `scale_by_keep=True`). The original paper instead scales by 1 - rate at
    inference; the two agree in expectation. Build depth-wise schedules with
    `linear_drop_rates`.

    Args:
        rate: float in [0, 1), the probability of dropping the branch of a
            sample.
        seed: int in [0, 2**31 - 2] or None, seed of the layer's random
            stream. Defaults to `None`.
        always_on: bool, keep dropping at inference (Monte Carlo);
            keyword-only. Defaults to `False`.
        **kwargs: base layer arguments (`name`, `dtype`).

    Call arguments:
        inputs: the residual branch, a tensor of rank >= 1 with the samples
            on the first axis; a floating-point one when the layer drops
            paths (integer and bool inputs raise a `TypeError` there).
        training: bool, drop paths (True) or pass the inputs through.

    Input shape:
        Any, batch first.

    Output shape:
        Same as the input.

    Example:

    >>> inputs = keras.Input((8,))
    >>> branch = keras.layers.Dense(8)(inputs)
    >>> outputs = inputs + kerasreg.layers.StochasticDepth(0.2, seed=0)(branch)
    >>> model = keras.Model(inputs, outputs)
    >>> model.predict(np.ones((2, 8)), verbose=0).shape  # identity at inference
    (2, 8)

    Reference:
        Huang et al., 2016. Deep Networks with Stochastic Depth. ECCV.
    """

    def __init__(self, rate, seed=None, *, always_on=False, **kwargs):
        super().__init__(seed=seed, always_on=always_on, **kwargs)
        self.rate = _validation.check_float("rate", rate, 0.0, 1.0)
        self._make_seed_generator()

    def call(self, inputs, training=False):
        if len(inputs.shape) == 0:
            raise _validation.invalid(
                "inputs",
                "a tensor of shape ()",
                "a tensor of rank >= 1 with the samples on the first axis",
            )
        if not self._active(inputs, training):
            return inputs
        shape = (ops.shape(inputs)[0],) + (1,) * (len(inputs.shape) - 1)
        noise = _noise.uniform(shape, self.seed_generator)
        return functional.dropout(inputs, self.rate, noise)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}
