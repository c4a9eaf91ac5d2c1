"""L2: `(l2 / 2) · Σ w²`, the source document's formula (Keras' has no 1/2)."""

import keras
from keras import ops

from kerasreg._validation import check_strength, invalid
from kerasreg.regularizers import functional
from kerasreg.regularizers.base import Penalty, checked_config

_L2_FORMULA = "l2 / 2 * sum(w ** 2)"


@keras.saving.register_keras_serializable(package="kerasreg")
class L2(Penalty):
    """L2 (ridge) penalty: `(l2 / 2) · Σ w²`, gradient `l2 · w`.

    Differs from Keras: `keras.regularizers.L2(λ)` is `λ · Σ w²` without the 1/2.
    kerasreg `L2(λ)` = `keras.regularizers.L2(λ / 2)` = PyTorch SGD
    `weight_decay=λ`.

    Args:
        l2: float >= 0, the strength λ. Defaults to `0.01`.

    Example:

    >>> layer = keras.layers.Dense(4, kernel_regularizer=kerasreg.L2(1e-4))
    """

    has_proximal_step = False

    def __init__(self, l2=0.01):
        self.l2 = check_strength("l2", l2)

    def value(self, w):
        return 0.5 * self.l2 * functional.l2(w)

    def smooth_gradient(self, w):
        return ops.cast(self.l2, ops.dtype(w)) * w

    def get_config(self):
        # The formula key makes Keras' own `L2` (what Keras substitutes for
        # this class name when kerasreg was not imported) refuse the config,
        # instead of loading a penalty twice as strong.
        return {"l2": self.l2, "formula": _L2_FORMULA}

    @classmethod
    def from_config(cls, config):
        # Files saved before the formula key existed load as well.
        config = checked_config(cls, config, optional=("formula",))
        formula = config.pop("formula", _L2_FORMULA)
        if formula != _L2_FORMULA:
            raise invalid("formula", formula, repr(_L2_FORMULA))
        return cls(**config)
