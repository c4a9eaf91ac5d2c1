"""A copy of a model's weights kept where the weights live (on the device).

Keras' EarlyStopping calls `model.get_weights()` at every improvement: a full
device-to-host transfer into freshly allocated NumPy arrays. Here each weight
has a twin variable, and saving or restoring is one variable-to-variable
assignment per weight, with no host round trip and no new allocation.
"""

import keras


def _copied(variable):
    # A distinct buffer: under JAX, `fit` donates the arrays it trains (and so
    # deletes them), and an assignment alone would share the array. Under
    # TensorFlow this is an identity and the assignment makes the one copy.
    return keras.ops.copy(variable.value)


class DeviceCopy:
    """Twin variables for `variables`, created at the first `capture`."""

    def __init__(self, variables):
        self._sources = list(variables)
        self._copies = None

    @property
    def empty(self):
        return self._copies is None

    def capture(self):
        """Copy the current values of the sources into the twins."""
        self._assign([_copied(source) for source in self._sources])

    def restore(self):
        """Copy the twins back into the sources."""
        for source, copy in zip(self._sources, self._copies, strict=True):
            source.assign(_copied(copy))

    def to_numpy(self):
        return [keras.ops.convert_to_numpy(copy.value) for copy in self._copies]

    def load_numpy(self, arrays):
        """Set the twins from host arrays (a state read back from disk)."""
        if len(arrays) != len(self._sources):
            raise ValueError(
                f"The saved best weights hold {len(arrays)} arrays, but the model "
                f"has {len(self._sources)} weights: it is not the model they "
                "were saved from."
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
                for source in self._sources
            ]
        for copy, value in zip(self._copies, values, strict=True):
            copy.assign(value)
