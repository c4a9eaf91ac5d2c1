"""ElasticNet: `l1 · Σ|w| + (l2 / 2) · Σ w²`."""

import keras
from keras import ops

from kerasreg._validation import check_strength
from kerasreg.regularizers import functional
from kerasreg.regularizers.base import Penalty


@keras.saving.register_keras_serializable(package="kerasreg")
class ElasticNet(Penalty):
    """Elastic net penalty: `l1 · Σ|w| + (l2 / 2) · Σ w²`.

    Differs from `keras.regularizers.L1L2(l1, l2)` by the 1/2 on the L2 term:
    kerasreg `ElasticNet(a, b)` = `keras.regularizers.L1L2(a, b / 2)`. As in
    `L1L2`, a term not named is 0: `ElasticNet(l1=1e-4)` is a pure L1. With
    `Proximal`, the L1 part is an exact soft-threshold and the L2 part's
    gradient is added inside the optimizer's update. scikit-learn's
    `ElasticNet(alpha, l1_ratio)` under the "mse" loss corresponds to
    `ElasticNet(l1=2·alpha·l1_ratio, l2=2·alpha·(1 − l1_ratio))`.

    Args:
        l1: float >= 0, the L1 strength λ₁. Defaults to `0.0`.
        l2: float >= 0, the L2 strength λ₂. Defaults to `0.0`.

    Example:

    >>> reg = kerasreg.ElasticNet(l1=1e-3, l2=1e-4)
    >>> layer = keras.layers.Dense(4, kernel_regularizer=reg)
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = check_strength("l1", l1)
        self.l2 = check_strength("l2", l2)

    def value(self, w):
        return self.l1 * functional.l1(w) + 0.5 * self.l2 * functional.l2(w)

    def smooth_gradient(self, w):
        return ops.cast(self.l2, ops.dtype(w)) * w

    def nonsmooth_gradient(self, w):
        return ops.cast(self.l1, ops.dtype(w)) * ops.sign(w)

    def proximal_step(self, w, step):
        return functional.soft_threshold(w, step * self.l1)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}
