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

import keras

from kerasreg._validation import invalid
from kerasreg.regularizers.elastic_net import ElasticNet
from kerasreg.regularizers.group_lasso import GroupLasso
from kerasreg.regularizers.l1 import L1
from kerasreg.regularizers.l2 import L2
from kerasreg.regularizers.weight_regularizer import (
    WeightRegularizer,
    _check_penalty_callable,
)

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
    if not callable(identifier):
        raise invalid(argument, identifier, _IDENTIFIER, error=TypeError)
    # A plain callable is probed as WeightRegularizer probes its penalty: one
    # that gives no numeric scalar would fail only in training.
    _check_penalty_callable(identifier, argument, _IDENTIFIER)
    return identifier


_IDENTIFIER = (
    "a Regularizer instance, a config dict, a name, None or a callable "
    "mapping one weight tensor to a scalar"
)
