"""Weight penalties: L1, L2, ElasticNet, WeightRegularizer and GroupLasso.

Each is a `keras.regularizers.Regularizer`, so it goes wherever Keras takes one
(`kernel_regularizer=`, `bias_regularizer=`, `activity_regularizer=`). The
formulas follow the source document, not Keras: kerasreg's L2 carries a 1/2.

Conversions (the same gradient λ·w on the weights):
kerasreg `L2(λ)` = `keras.regularizers.L2(λ / 2)` = PyTorch
`torch.optim.SGD(..., weight_decay=λ)`.

Every penalty that splits into a smooth part and a proximal part can hand both
to `kerasreg.optimizers.Proximal`: the smooth gradient is then added inside the
optimizer's update and the non-smooth part becomes an exact proximal step.
"""

import inspect
import weakref

import keras
from keras import ops

from kerasreg import penalties
from kerasreg._validation import check_choice, check_int, check_strength, invalid

_L2_FORMULA = "l2 / 2 * sum(w ** 2)"


__all__ = [
    "L1",
    "L2",
    "ElasticNet",
    "WeightRegularizer",
    "GroupLasso",
    "get",
    "serialize",
    "deserialize",
]


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


class _Penalty(keras.regularizers.Regularizer):
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
        return cls(**_checked_config(cls, config))


def _checked_config(cls, config, optional=()):
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
    if isinstance(penalty, _Penalty) and penalty.splits:
        return penalty
    return None


@keras.saving.register_keras_serializable(package="kerasreg")
class L1(_Penalty):
    """L1 (lasso) penalty: `l1 · Σ|w|`.

    Pushes weights towards zero at a constant rate. With a plain optimizer the
    subgradient never lands exactly on 0.0; wrap the optimizer in
    `kerasreg.optimizers.Proximal` to get the exact zeros (soft-thresholding).
    Same formula as `keras.regularizers.L1`.

    Args:
        l1: float >= 0, the strength λ. Defaults to `0.01`.

    Example:

    >>> layer = keras.layers.Dense(4, kernel_regularizer=kerasreg.L1(1e-3))
    """

    def __init__(self, l1=0.01):
        self.l1 = check_strength("l1", l1)

    def value(self, w):
        return self.l1 * penalties.l1(w)

    def nonsmooth_gradient(self, w):
        return ops.cast(self.l1, ops.dtype(w)) * ops.sign(w)

    def proximal_step(self, w, step):
        return penalties.soft_threshold(w, step * self.l1)

    def get_config(self):
        return {"l1": self.l1}


@keras.saving.register_keras_serializable(package="kerasreg")
class L2(_Penalty):
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
        return 0.5 * self.l2 * penalties.l2(w)

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
        config = _checked_config(cls, config, optional=("formula",))
        formula = config.pop("formula", _L2_FORMULA)
        if formula != _L2_FORMULA:
            raise invalid("formula", formula, repr(_L2_FORMULA))
        return cls(**config)


@keras.saving.register_keras_serializable(package="kerasreg")
class ElasticNet(_Penalty):
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
        return self.l1 * penalties.l1(w) + 0.5 * self.l2 * penalties.l2(w)

    def smooth_gradient(self, w):
        return ops.cast(self.l2, ops.dtype(w)) * w

    def nonsmooth_gradient(self, w):
        return ops.cast(self.l1, ops.dtype(w)) * ops.sign(w)

    def proximal_step(self, w, step):
        return penalties.soft_threshold(w, step * self.l1)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


@keras.saving.register_keras_serializable(package="kerasreg")
class WeightRegularizer(_Penalty):
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
            return self.strength * penalties.l1(w)
        if self.penalty == "l2":
            return self.strength * penalties.l2(w)
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
            return penalties.soft_threshold(w, step * self.strength)
        return None

    def get_config(self):
        penalty = self.penalty
        if callable(penalty):
            penalty = keras.saving.serialize_keras_object(penalty)
        return {"strength": self.strength, "penalty": penalty}

    @classmethod
    def from_config(cls, config):
        config = _checked_config(cls, config)
        if isinstance(config["penalty"], dict):
            config["penalty"] = keras.saving.deserialize_keras_object(config["penalty"])
        return cls(**config)


_CALLABLE_PENALTY = "'l1', 'l2' or a callable mapping one weight tensor to a scalar"
# A small weight matrix: any penalty meant for Dense or Conv kernels takes it.
_PROBE_SHAPE = (3, 2)


def _check_penalty_callable(penalty):
    if not callable(penalty):
        raise invalid("penalty", penalty, _CALLABLE_PENALTY, error=TypeError)
    try:
        result = ops.convert_to_tensor(penalty(ops.ones(_PROBE_SHAPE, "float32")))
    except Exception as error:
        raise invalid("penalty", penalty, _CALLABLE_PENALTY, error=TypeError) from error
    if tuple(ops.shape(result)) != ():
        raise invalid("penalty", penalty, _CALLABLE_PENALTY)


@keras.saving.register_keras_serializable(package="kerasreg")
class GroupLasso(_Penalty):
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
        return self.strength * ops.sum(penalties.group_norms(w, self.axis))

    def nonsmooth_gradient(self, w):
        directions = penalties.group_directions(w, self.axis)
        return ops.cast(self.strength, ops.dtype(w)) * directions

    def proximal_step(self, w, step):
        return penalties.block_soft_threshold(w, step * self.strength, self.axis)

    def get_config(self):
        return {"strength": self.strength, "axis": self.axis}


_ALIASES = {
    "l1": L1,
    "l2": L2,
    "elastic_net": ElasticNet,
    "elasticnet": ElasticNet,
    "group_lasso": GroupLasso,
    "weight_regularizer": WeightRegularizer,
}
_CLASSES = {
    cls.__name__: cls for cls in (L1, L2, ElasticNet, WeightRegularizer, GroupLasso)
}


def serialize(regularizer):
    """The Keras config dict of a regularizer (kerasreg's or Keras')."""
    return keras.regularizers.serialize(regularizer)


def deserialize(config, custom_objects=None):
    """Rebuild a regularizer from `serialize`'s output."""
    return keras.regularizers.deserialize(config, custom_objects=custom_objects)


def get(identifier):
    """A regularizer from an instance, a config dict, a name, or None.

    Names: `"l1"`, `"l2"`, `"elastic_net"`, `"group_lasso"`,
    `"weight_regularizer"` (with their default strengths), the class names
    (`"L1"`, `"ElasticNet"`, ...), the registered names (`"kerasreg>L2"`, ...)
    and any name Keras' own `keras.regularizers.get` knows.

    Example:

    >>> kerasreg.regularizers.get("kerasreg>L1")
    L1(l1=0.01)
    """
    return _get(identifier, "identifier")


def _get(identifier, argument):
    """`get(identifier)`, with errors naming the caller's `argument`."""
    if identifier is None or isinstance(identifier, keras.regularizers.Regularizer):
        return identifier
    if isinstance(identifier, dict):
        regularizer = deserialize(identifier)
        if not callable(regularizer):
            raise invalid(
                argument, identifier, "the config dict of a registered regularizer"
            )
        return regularizer
    if isinstance(identifier, str):
        cls = (
            _ALIASES.get(identifier.lower())
            or _CLASSES.get(identifier)
            or keras.saving.get_registered_object(identifier)
        )
        if isinstance(cls, type) and issubclass(cls, keras.regularizers.Regularizer):
            return cls()
        try:
            return keras.regularizers.get(identifier)
        except ValueError:
            names = ", ".join(repr(n) for n in (*_ALIASES, *_CLASSES))
            raise invalid(
                argument,
                identifier,
                f"a regularizer name ({names}, 'kerasreg>L1', ... or a Keras name)",
            ) from None
    if callable(identifier):
        return identifier
    raise invalid(
        argument,
        identifier,
        "a Regularizer instance, a config dict, a name or None",
        error=TypeError,
    )
