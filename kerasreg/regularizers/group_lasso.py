"""GroupLasso: `strength · Σ_g ‖w_g‖₂`, whole groups zeroed at once."""

import keras
from keras import ops

from kerasreg._validation import check_int, check_strength
from kerasreg.regularizers import functional
from kerasreg.regularizers.base import Penalty


@keras.saving.register_keras_serializable(package="kerasreg")
class GroupLasso(Penalty):
    """Group lasso: `strength · Σ_g ‖w_g‖₂`, one group per index along `axis`.

    Zeroes whole groups at once. With the default `axis=0` a Dense kernel of
    shape (inputs, units) has one group per input feature, so an irrelevant
    input loses all its outgoing weights (feature selection); `axis=-1` gives
    one group per output unit or convolution filter (structured pruning).
    With `Proximal` the non-smooth step is block soft-thresholding:
    `w_g ← w_g · max(1 − lr · strength / ‖w_g‖₂, 0)`.

    Args:
        strength: float >= 0, the factor λ. Defaults to `0.01`.
        axis: int, the axis that indexes the groups. Defaults to `0`.

    Example:

    >>> layer = keras.layers.Dense(8, kernel_regularizer=kerasreg.GroupLasso(1e-3))

    Reference:
        Yuan & Lin, "Model selection and estimation in regression with grouped
        variables", JRSS-B 2006.
    """

    def __init__(self, strength=0.01, axis=0):
        self.strength = check_strength("strength", strength)
        self.axis = check_int("axis", axis)

    def value(self, w):
        return self.strength * ops.sum(functional.group_norms(w, self.axis))

    def nonsmooth_gradient(self, w):
        directions = functional.group_directions(w, self.axis)
        return ops.cast(self.strength, ops.dtype(w)) * directions

    def proximal_step(self, w, step):
        return functional.block_soft_threshold(w, step * self.strength, self.axis)

    def get_config(self):
        return {"strength": self.strength, "axis": self.axis}
