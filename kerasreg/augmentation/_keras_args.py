"""Keras' argument forms shared by `RandomZoom` and `RandomTranslation`.

`keras_factor` reads a `height_factor` / `width_factor` the way Keras' two
layers do.
"""

import numbers

from kerasreg import _validation


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
