"""Keras' argument forms shared by `RandomZoom` and `RandomTranslation`.

`keras_factor` reads a `height_factor` / `width_factor` the way Keras' two
layers do. `ChannelsFirstByTransposing` gives a geometric layer Keras'
`data_format` until `BaseGeometricLayer` takes it itself.
"""

import numbers

import keras

from kerasreg import _validation
from kerasreg.augmentation.base import IMAGES, MASKS


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def keras_factor(argument, value, low, low_inclusive):
    """(lower, upper) from a Keras factor: a number f or a pair of numbers.

    As in Keras, f means [−|f|, |f|] and a pair is sorted; each number must lie
    in the interval from `low` (included when `low_inclusive`) to 1, included.
    A wrong type or length raises `TypeAndValueError` (Keras: ValueError).
    """
    interval = ("[" if low_inclusive else "(") + f"{low:g}, 1]"
    expected = f"a float in {interval} or a pair of floats in {interval}"
    pair = isinstance(value, (tuple, list)) and len(value) == 2
    if not (_is_number(value) or (pair and all(map(_is_number, value)))):
        raise _validation.invalid(
            argument, value, expected, _validation.TypeAndValueError
        )
    numbers_given = [float(v) for v in value] if pair else [float(value)]
    for number in numbers_given:
        # NaN fails both comparisons, so it is refused too.
        if not ((low <= number if low_inclusive else low < number) and number <= 1.0):
            raise _validation.invalid(argument, value, expected)
    if pair:
        return tuple(sorted(numbers_given))
    return -abs(numbers_given[0]), abs(numbers_given[0])


def as_given(factor):
    """A checked factor as the config keeps it: Python floats, in the given order.

    A pair becomes a tuple (Keras' JSON makes it a list either way) and NumPy
    numbers become floats, which JSON can write.
    """
    if factor is None:
        return None
    if isinstance(factor, (tuple, list)):
        return tuple(float(v) for v in factor)
    return float(factor)


class ChannelsFirstByTransposing:
    """Keras' `data_format` for a geometric layer that resamples channels last.

    Channels-first images and masks are moved to channels last, warped, and
    moved back; boxes do not depend on the channel axis. A mixin placed
    before `BaseGeometricLayer`.
    """

    def _set_data_format(self, data_format):
        if data_format is None:
            data_format = keras.config.image_data_format()
        self.data_format = _validation.check_choice(
            "data_format", data_format, ("channels_last", "channels_first")
        )

    @staticmethod
    def _moved(data, source, destination, ops):
        def move(tensor):
            return ops.moveaxis(tensor, source, destination)

        if not isinstance(data, dict):
            return move(data)
        moved = {IMAGES: move(data[IMAGES])} if IMAGES in data else {}
        if data.get(MASKS) is not None:
            moved[MASKS] = move(data[MASKS])
        return dict(data, **moved)

    def call(self, data, training=True):
        if self.data_format == "channels_last":
            return super().call(data, training=training)
        # Taken before the warp: `apply_geometry` resets the layer's backend
        # when it ends, also inside a tf.data map under another backend.
        ops = self.ops
        out = super().call(self._moved(data, -3, -1, ops), training=training)
        return self._moved(out, -1, -3, ops)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
