"""WeightRegularizer: `strength · term(w)`, term "l1", "l2" or a callable."""

import keras
from keras import ops

from kerasreg._validation import check_choice, check_strength, invalid
from kerasreg.regularizers import functional
from kerasreg.regularizers.base import Penalty, checked_config


@keras.saving.register_keras_serializable(package="kerasreg")
class WeightRegularizer(Penalty):
    """A generic weight penalty: `strength · term(w)`.

    `term` is `Σ|w|` for `"l1"`, `Σ w²` for `"l2"` (no 1/2, unlike `L2`), or a
    callable `w -> scalar`. A callable must be registered with
    `keras.saving.register_keras_serializable` for the model to save and load;
    it always stays in the loss (Proximal cannot split it). It is called once
    at construction on a probe tensor, to check that it maps a weight tensor
    to a scalar.

    Args:
        strength: float >= 0, the factor in front of the term. Defaults to `0.01`.
        penalty: `"l1"`, `"l2"` or a callable. Defaults to `"l2"`.

    Example:

    >>> reg = kerasreg.WeightRegularizer(1e-3, penalty="l1")
    >>> round(float(reg(keras.ops.ones((2, 2)))), 6)
    0.004
    """

    _SUPPORTED_PENALTIES = ("l1", "l2")

    def __init__(self, strength=0.01, penalty="l2"):
        self.strength = check_strength("strength", strength)
        if isinstance(penalty, str):
            penalty = check_choice("penalty", penalty, self._SUPPORTED_PENALTIES)
        else:
            _check_penalty_callable(penalty)
        self.penalty = penalty
        self.splits = isinstance(penalty, str)
        self.has_proximal_step = penalty == "l1"

    def value(self, w):
        if self.penalty == "l1":
            return self.strength * functional.l1(w)
        if self.penalty == "l2":
            return self.strength * functional.l2(w)
        return self.strength * ops.cast(self.penalty(w), "float32")

    def smooth_gradient(self, w):
        if self.penalty == "l2":
            return ops.cast(2.0 * self.strength, ops.dtype(w)) * w
        return None

    def nonsmooth_gradient(self, w):
        if self.penalty == "l1":
            return ops.cast(self.strength, ops.dtype(w)) * ops.sign(w)
        return None

    def proximal_step(self, w, step):
        if self.penalty == "l1":
            return functional.soft_threshold(w, step * self.strength)
        return None

    def get_config(self):
        penalty = self.penalty
        if callable(penalty):
            penalty = keras.saving.serialize_keras_object(penalty)
        return {"strength": self.strength, "penalty": penalty}

    @classmethod
    def from_config(cls, config):
        config = checked_config(cls, config)
        if isinstance(config["penalty"], dict):
            config["penalty"] = keras.saving.deserialize_keras_object(config["penalty"])
        return cls(**config)


_CALLABLE_PENALTY = "'l1', 'l2' or a callable mapping one weight tensor to a scalar"
# A small weight matrix: any penalty meant for Dense or Conv kernels takes it.
_PROBE_SHAPE = (3, 2)


def _check_penalty_callable(penalty, argument="penalty", expected=_CALLABLE_PENALTY):
    """Call `penalty` on a probe weight matrix: it must give a numeric scalar.

    A penalty that returns a string or a vector is otherwise accepted and
    fails only in training, inside Keras' loss. The error names `argument`.
    """
    if not callable(penalty):
        raise invalid(argument, penalty, expected, error=TypeError)
    try:
        result = ops.convert_to_tensor(penalty(ops.ones(_PROBE_SHAPE, "float32")))
        dtype = keras.backend.standardize_dtype(result.dtype)
    except Exception as error:
        raise invalid(argument, penalty, expected, error=TypeError) from error
    if not (keras.backend.is_float_dtype(dtype) or keras.backend.is_int_dtype(dtype)):
        raise invalid(argument, penalty, expected, error=TypeError)
    if tuple(ops.shape(result)) != ():
        raise invalid(argument, penalty, expected)
