"""Argument checks shared by every public class, with one message form.

Every check raises ``TypeError`` for a wrong type and ``ValueError`` for a wrong
value, worded as::

    Invalid value for argument `rate`. Expected a float in [0, 1). Received: rate=1.5
"""

import math
import numbers


def invalid(argument, value, expected, error=ValueError):
    """Build the exception for `argument=value`, saying what is `expected`."""
    return error(
        f"Invalid value for argument `{argument}`. Expected {expected}. "
        f"Received: {argument}={value!r}"
    )


def _interval(low, high, low_inclusive, high_inclusive):
    left = ("[" if low_inclusive else "(") + ("-inf" if low is None else f"{low:g}")
    right = ("inf" if high is None else f"{high:g}") + ("]" if high_inclusive else ")")
    return f"{left}, {right}"


def check_float(
    argument,
    value,
    low=None,
    high=None,
    *,
    low_inclusive=True,
    high_inclusive=False,
):
    """Return `value` as a finite float inside the interval, or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise invalid(argument, value, "a float", error=TypeError)
    value = float(value)
    interval = _interval(low, high, low_inclusive, high_inclusive)
    expected = f"a finite float in {interval}"
    if not math.isfinite(value):
        raise invalid(argument, value, expected)
    too_low = low is not None and (value < low or (value == low and not low_inclusive))
    too_high = high is not None and (
        value > high or (value == high and not high_inclusive)
    )
    if too_low or too_high:
        raise invalid(argument, value, expected)
    return value


def check_strength(argument, value):
    """A regularization strength: a finite float >= 0."""
    return check_float(argument, value, low=0.0)


def check_int(argument, value, low=None, high=None):
    """Return `value` as an int in [low, high], or raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise invalid(argument, value, "an int", error=TypeError)
    if (low is not None and value < low) or (high is not None and value > high):
        raise invalid(argument, value, f"an int in {_interval(low, high, True, True)}")
    return int(value)


def check_choice(argument, value, choices):
    """Return `value` if it is one of `choices`, or raise."""
    if value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise invalid(argument, value, f"one of {listed}")
    return value


def check_bool(argument, value):
    """Return `value` if it is a bool (not merely truthy), or raise TypeError."""
    if not isinstance(value, bool):
        raise invalid(argument, value, "a bool", error=TypeError)
    return value


class TypeAndValueError(TypeError, ValueError):
    """A wrong type where Keras raises `ValueError`: catchable as either.

    kerasreg raises `TypeError` for a wrong type; where the Keras class it
    replaces raises `ValueError` for the same input, code written for Keras
    must still catch it (as NumPy's `AxisError` is both ValueError and
    IndexError).
    """
