"""The factor arguments of the geometric layers: a number or a pair of numbers.

`factor_range` reads either form into (lower, upper) floats; each layer
checks its own bounds (`RandomRotation`, `RandomScale`), or takes them from
`keras_factor`, which reads a `height_factor` / `width_factor` the way Keras'
`RandomZoom` and `RandomTranslation` do. `config_form` and `as_given` give
the factor back for `get_config`.
"""

import numbers

from kerasreg import _validation


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def symmetric(factor):
    """Keras' range for one number f: [−|f|, |f|]."""
    return -abs(factor), abs(factor)


def factor_range(argument, value, from_number, expected, error=TypeError):
    """(lower, upper) floats from a pair, or `from_number(value)` for a number.

    The pair keeps its order and the caller checks the bounds; anything but a
    number or a pair of numbers raises `error`.
    """
    if isinstance(value, (tuple, list)) and len(value) == 2:
        if all(map(_is_number, value)):
            return float(value[0]), float(value[1])
    elif _is_number(value):
        return tuple(float(b) for b in from_number(value))
    raise _validation.invalid(argument, value, expected, error)


def keras_factor(argument, value, low, low_inclusive):
    """(lower, upper) from a Keras factor: a number f or a pair of numbers.

    As in Keras, f means [−|f|, |f|] and a pair is sorted; each number must lie
    in the interval from `low` (included when `low_inclusive`) to 1, included.
    A wrong type or length raises `TypeAndValueError` (Keras: ValueError).
    """
    interval = ("[" if low_inclusive else "(") + f"{low:g}, 1]"
    expected = f"a float in {interval} or a pair of floats in {interval}"
    lower, upper = factor_range(
        argument, value, symmetric, expected, _validation.TypeAndValueError
    )
    given = (lower, upper) if isinstance(value, (tuple, list)) else (float(value),)
    for number in given:
        # NaN fails both comparisons, so it is refused too.
        if not ((low <= number if low_inclusive else low < number) and number <= 1.0):
            raise _validation.invalid(argument, value, expected)
    return tuple(sorted((lower, upper)))


def config_form(factor):
    """A checked `factor` / `scale` as Keras' config keeps it: a pair as a tuple."""
    return tuple(factor) if isinstance(factor, list) else factor


def as_given(factor):
    """A checked Keras axis factor for the config: Python floats, in the given order.

    A pair becomes a tuple (Keras' JSON makes it a list either way) and NumPy
    numbers become floats, which JSON can write; None stays None.
    """
    if factor is None:
        return None
    if isinstance(factor, (tuple, list)):
        return tuple(float(v) for v in factor)
    return float(factor)
