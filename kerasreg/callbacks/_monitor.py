"""What EarlyStopping monitors: an epoch's logged values, and their direction.

A direction is "min" (lower is better) or "max"; Keras' `monitor_op` says the
same with a comparison (`keras.ops.less` or `keras.ops.greater`).
`mode="auto"` infers it as Keras' `EarlyStopping` does: "loss" and "val_loss"
decrease, and a metric of that name says its own direction. kerasreg does not
call Keras' inference (`MonitorCallback._set_monitor_op`, private): that one
looks only among the metrics `compile` made, misses those of a model with its
own `train_step`, and negates `min_delta` in place.

The values are read as the chief logged them (`_chief.chief_values`), so that
under `MultiWorkerMirroredStrategy` every worker takes the chief's decision.
"""

import warnings

import keras
import numpy as np

from kerasreg import _keras_private, _validation
from kerasreg.callbacks import criteria
from kerasreg.callbacks._chief import chief_values

_COMPARISONS = {"min": keras.ops.less, "max": keras.ops.greater}
# The comparisons Keras' code may write to `monitor_op`, NumPy's included.
_DIRECTIONS = {
    keras.ops.less: "min",
    np.less: "min",
    keras.ops.greater: "max",
    np.greater: "max",
}


def comparison(direction):
    """Keras' `monitor_op` for `direction`; `None` for `None`."""
    return None if direction is None else _COMPARISONS[direction]


def direction_of(monitor_op):
    """The direction that `monitor_op` (a comparison or `None`) stands for."""
    if monitor_op is None:
        return None
    if monitor_op not in _DIRECTIONS:
        raise _validation.invalid(
            "monitor_op",
            monitor_op,
            "keras.ops.less, keras.ops.greater (or NumPy's) or None",
            error=TypeError,
        )
    return _DIRECTIONS[monitor_op]


def _flat_metrics(metrics):
    for metric in metrics:
        nested = getattr(metric, "metrics", None)
        if isinstance(nested, list):
            yield from _flat_metrics(nested)
        else:
            yield metric


def infer_direction(model, monitor, criterion):
    """The direction of `monitor` in `model`'s logs, for `mode="auto"`.

    Raises `ValueError` when no metric says it, or when `criterion` cannot
    follow it (a quantity to maximize under "gl" or "pq").
    """
    name = monitor.removeprefix("val_")
    direction = "min" if name == "loss" else None
    for metric in _flat_metrics(getattr(model, "metrics", [])):
        marked = _keras_private.metric_direction(metric)
        if metric.name == name and marked is not None:
            direction = marked
    if direction is None:
        raise _validation.invalid(
            "mode",
            "auto",
            f"'min' or 'max', because the direction of `{monitor}` cannot be inferred",
        )
    if not criteria.follows(criterion, direction):
        raise _validation.invalid(
            "monitor", monitor, f"a quantity to minimize with criterion={criterion!r}"
        )
    return direction


def _scalar(key, value):
    """A logged value as a float (Keras logs one-element arrays too)."""
    if value is None:
        return None
    array = np.asarray(value)
    if array.size != 1:
        raise _validation.invalid(
            "monitor",
            key,
            "a quantity with one value per epoch; the logs hold "
            f"{array.size} values for it",
        )
    return float(array.reshape(()))


class LoggedValues:
    """Reads the values of `keys` from each epoch's logs, as the chief logged
    them; warns once per key missing from the logs.

    Every worker must call `read` once per epoch (it may be a collective).
    """

    def __init__(self, model, keys):
        self._model = model
        self._keys = list(keys)
        self._warned = set()

    def read(self, logs, epoch):
        """The values of the keys in `logs` as floats, `None` for a missing one."""
        local = [_scalar(key, logs.get(key)) for key in self._keys]
        agreed = chief_values(self._model, local)
        for key, value in zip(self._keys, agreed, strict=True):
            if value is None and key not in self._warned:
                self._warned.add(key)
                available = ", ".join(sorted(logs)) or "none"
                warnings.warn(
                    f"EarlyStopping needs `{key}`, which is not in the logs of "
                    f"epoch {epoch + 1}; epochs without it are not counted. "
                    f"Available keys: {available}.",
                    stacklevel=3,
                )
        return agreed
