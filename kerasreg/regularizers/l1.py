"""L1: `l1 · Σ|w|`, Keras' own formula."""

import keras
from keras import ops

from kerasreg._validation import check_strength
from kerasreg.regularizers import functional
from kerasreg.regularizers.base import Penalty


@keras.saving.register_keras_serializable(package="kerasreg")
class L1(Penalty, keras.regularizers.L1):
    """L1 (lasso) penalty: `l1 · Σ|w|`.

    Pushes weights towards zero at a constant rate. With a plain optimizer the
    subgradient never lands exactly on 0.0; wrap the optimizer in
    `kerasreg.optimizers.Proximal` to get the exact zeros (soft-thresholding).
    Same formula as `keras.regularizers.L1`, and a subclass of it: code that
    checks `isinstance(r, keras.regularizers.L1)` or reads `r.l1` gets the
    same penalty. (`L2` and `ElasticNet` are not subclasses of Keras' `L2` and
    `L1L2`: their formulas carry a 1/2 that Keras' do not.)

    Args:
        l1: float >= 0, the strength λ. Defaults to `0.01`.

    Example:

    >>> layer = keras.layers.Dense(4, kernel_regularizer=kerasreg.L1(1e-3))
    """

    def __init__(self, l1=0.01):
        self.l1 = check_strength("l1", l1)

    def value(self, w):
        return self.l1 * functional.l1(w)

    def nonsmooth_gradient(self, w):
        return ops.cast(self.l1, ops.dtype(w)) * ops.sign(w)

    def proximal_step(self, w, step):
        return functional.soft_threshold(w, step * self.l1)

    def get_config(self):
        return {"l1": self.l1}
