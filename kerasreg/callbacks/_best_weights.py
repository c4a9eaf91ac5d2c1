"""A copy of a model's best weights, kept where the weights live (on the device).

Keras' EarlyStopping calls `model.get_weights()` at every improvement: a full
device-to-host transfer into freshly allocated NumPy arrays. `DeviceCopy` gives
each weight a twin variable, and saving or restoring is one variable-to-variable
assignment per weight, with no host round trip and no new allocation. A model
that defines its own `get_weights`/`set_weights` gets `HostCopy`, which calls
them as Keras does. Both hold Keras' `best_weights` with its meaning: a list of
arrays (or whatever the user assigned) that the end of training restores.
"""

import keras
import numpy as np


def _copied(variable):
    # A distinct buffer: under JAX, `fit` donates the arrays it trains (and so
    # deletes them), and an assignment alone would share the array. Under
    # TensorFlow this is an identity and the assignment makes the one copy.
    return keras.ops.copy(variable.value)


def _check_count(arrays, expected, source):
    if len(arrays) != expected:
        raise ValueError(
            f"The saved best weights in {source!r} hold {len(arrays)} arrays, but "
            f"the model has {expected} weights: it is not the model they were "
            "saved from."
        )


def best_weights_copy(model):
    """A `DeviceCopy` of a Keras model's weights, or a `HostCopy` for a model
    whose `get_weights`/`set_weights` are its own."""
    own = isinstance(model, keras.Model) and all(
        getattr(type(model), name) is getattr(keras.Model, name)
        for name in ("get_weights", "set_weights")
    )
    return DeviceCopy(model) if own else HostCopy(model)


class DeviceCopy:
    """Twin variables for the model's weights, created at the first capture."""

    def __init__(self, model):
        self._model = model
        self._copies = None
        self._captured = False
        # Arrays assigned to `best_weights` by hand, restored as Keras would.
        self._written = None

    @property
    def empty(self):
        return not self._captured and self._written is None

    @property
    def value(self):
        """Keras' `best_weights`: host arrays of the best weights, or `None`."""
        if self._written is not None:
            return self._written
        return self.to_numpy() if self._captured else None

    def write(self, value):
        """Set `best_weights` by hand (`None` forgets them)."""
        self._written = value
        if value is None:
            self._captured = False

    def capture(self):
        """Copy the current values of the weights into the twins."""
        self._assign([_copied(source) for source in self._model.weights])

    def restore(self):
        """Copy the twins (or the arrays written by hand) back into the model."""
        if self._written is not None:
            self._model.set_weights(self._written)
            return
        for source, copy in zip(self._model.weights, self._copies, strict=True):
            source.assign(_copied(copy))

    def to_numpy(self):
        if self._written is not None:
            return [np.asarray(array) for array in self._written]
        return [keras.ops.convert_to_numpy(copy.value) for copy in self._copies]

    def current_numpy(self):
        """The model's weights now, as host arrays."""
        return [keras.ops.convert_to_numpy(v.value) for v in self._model.weights]

    def load_numpy(self, arrays, source):
        """Set the twins from host arrays read back from the file `source`."""
        weights = self._model.weights
        _check_count(arrays, len(weights), source)
        for array, weight in zip(arrays, weights, strict=True):
            if tuple(array.shape) != tuple(weight.shape):
                raise ValueError(
                    f"The saved best weights in {source!r} give `{weight.path}` "
                    f"the shape {tuple(array.shape)}, but the model's has "
                    f"{tuple(weight.shape)}: it is not the model they were saved "
                    "from."
                )
        self._assign(arrays)

    def _assign(self, values):
        if self._copies is None:
            # Created empty then assigned: a Keras variable initialized from
            # another variable would keep reading that variable.
            self._copies = [
                keras.Variable(
                    "zeros", shape=source.shape, dtype=source.dtype, trainable=False
                )
                for source in self._model.weights
            ]
        for copy, value in zip(self._copies, values, strict=True):
            copy.assign(value)
        self._captured = True
        self._written = None


class HostCopy:
    """The best weights as `model.get_weights()` returns them, as in Keras."""

    def __init__(self, model):
        self._model = model
        self.value = None

    @property
    def empty(self):
        return self.value is None

    def write(self, value):
        self.value = value

    def capture(self):
        self.value = self._model.get_weights()

    def restore(self):
        self._model.set_weights(self.value)

    def to_numpy(self):
        return [np.asarray(array) for array in self.value]

    def current_numpy(self):
        return [np.asarray(array) for array in self._model.get_weights()]

    def load_numpy(self, arrays, source):
        _check_count(arrays, len(self._model.get_weights()), source)
        self.value = arrays
