"""The base of kerasreg's penalties, and their hand-over to an optimizer.

A `Penalty` is a value, `value(w)`, and where it splits, a smooth gradient
plus a proximal step that `kerasreg.optimizers.Proximal` applies inside its
update. While an optimizer applies a penalty itself (a `HandOver`), the loss
leaves that penalty out.
"""

import inspect
import weakref

import keras
from keras import ops

from kerasreg._validation import invalid


class HandOver:
    """The penalties one optimizer applies itself to the variables of one model.

    While active, the loss leaves out exactly these (variable, penalty) pairs:
    a penalty object shared with another model, or called on any other tensor,
    keeps its value. Nothing is stored on the penalties or the variables.
    """

    def __init__(self, variables, log_penalty):
        self.variables = list(variables)
        self.log_penalty = log_penalty
        pairs = ((v, _splittable_penalty(v)) for v in self.variables)
        self._pairs = {id(v): (v, p) for v, p in pairs if p is not None}

    def __bool__(self):
        return bool(self._pairs)

    @property
    def active(self):
        return self in _ACTIVE_HAND_OVERS

    def activate(self):
        _ACTIVE_HAND_OVERS.add(self)

    def deactivate(self):
        _ACTIVE_HAND_OVERS.discard(self)

    def penalty_of(self, variable):
        """The penalty this hand-over applies to `variable`, or None."""
        return self._pairs.get(id(variable), (None, None))[1]

    def applies(self, penalty, x):
        """Whether this hand-over applies `penalty` to `x` (a variable or its value)."""
        if self.penalty_of(x) is penalty:
            return True
        # JAX's trainer hands the regularizer the variable's current value in
        # its stateless scope, which is what `variable.value` returns there.
        return any(p is penalty and v.value is x for v, p in self._pairs.values())


# Weak: a hand-over lives as long as the optimizer that owns it.
_ACTIVE_HAND_OVERS = weakref.WeakSet()


def _handed_over(penalty, x):
    """The active hand-over that applies `penalty` to `x`, or None."""
    for hand_over in _ACTIVE_HAND_OVERS:
        if hand_over.applies(penalty, x):
            return hand_over
    return None


class Penalty(keras.regularizers.Regularizer):
    """A penalty = value(w); optionally split as smooth_gradient + proximal_step.

    Subclasses implement `value(w)` and, where the split exists,
    `smooth_gradient(w)` (None when there is no smooth part) and, when
    `has_proximal_step`, `proximal_step(w, step)` and `nonsmooth_gradient(w)`
    (the gradient autodiff takes of the non-smooth part in the loss, 0 at its
    kinks).
    """

    splits = True
    has_proximal_step = True

    def value(self, w):
        raise NotImplementedError  # pragma: no cover - abstract

    def smooth_gradient(self, w):
        return None

    def nonsmooth_gradient(self, w):
        return None

    def proximal_step(self, w, step):
        return None

    def __call__(self, x):
        hand_over = _handed_over(self, x)
        if hand_over is None:
            return self.value(x)
        if hand_over.log_penalty:
            return ops.stop_gradient(self.value(x))
        return ops.zeros((), "float32")

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"

    @classmethod
    def from_config(cls, config):
        return cls(**checked_config(cls, config))


def checked_config(cls, config, optional=()):
    """`config` as `cls` keyword arguments, or a clear error saying what is off.

    Every constructor argument must be there: a saved strength that went
    missing must not silently become the default. `optional` keys may be
    left out.
    """
    arguments = tuple(inspect.signature(cls.__init__).parameters)[1:]
    keys = ", ".join(repr(k) for k in (*arguments, *optional))
    expected = f"a dict with the keys {keys}"
    if not isinstance(config, dict):
        raise invalid("config", config, expected, error=TypeError)
    if set(arguments) - set(config) or set(config) - {*arguments, *optional}:
        raise invalid("config", config, expected)
    return dict(config)


def _splittable_penalty(variable):
    """The kerasreg penalty on `variable` that an optimizer can apply, or None."""
    penalty = getattr(variable, "regularizer", None)
    if isinstance(penalty, Penalty) and penalty.splits:
        return penalty
    return None
