"""The argument checks of `kerasreg._validation`: what each accepts and returns,
and the one message form of what each refuses."""

import re

import numpy as np
import pytest

from kerasreg import _validation


def _message(argument, expected, received):
    return re.escape(
        f"Invalid value for argument `{argument}`. Expected {expected}. "
        f"Received: {argument}={received}"
    )


def test_invalid_builds_the_one_message_form():
    error = _validation.invalid("rate", 1.5, "a float in [0, 1)")
    assert type(error) is ValueError
    assert str(error) == (
        "Invalid value for argument `rate`. Expected a float in [0, 1). "
        "Received: rate=1.5"
    )
    error = _validation.invalid("mode", "up", "one of 'min', 'max'", error=TypeError)
    assert type(error) is TypeError
    assert str(error).endswith("Received: mode='up'")


@pytest.mark.parametrize(
    "value,kwargs,expected",
    [
        (1, {}, 1.0),
        (np.float32(0.5), {}, 0.5),
        (0.0, {"low": 0.0}, 0.0),
        (1.0, {"low": 0.0, "high": 1.0, "high_inclusive": True}, 1.0),
        (-3, {"high": 0.0}, -3.0),
    ],
    ids=["int", "numpy_float", "low_bound", "high_inclusive", "unbounded_below"],
)
def test_check_float_returns_a_python_float(value, kwargs, expected):
    out = _validation.check_float("x", value, **kwargs)
    assert type(out) is float and out == expected


@pytest.mark.parametrize(
    "value,kwargs,interval,received",
    [
        (1.0, {"low": 0.0, "high": 1.0}, "[0, 1)", "1.0"),
        (0.0, {"low": 0.0, "low_inclusive": False}, "(0, inf)", "0.0"),
        (-0.5, {"low": 0.0}, "[0, inf)", "-0.5"),
        (2.0, {"high": 1.0, "high_inclusive": True}, "[-inf, 1]", "2.0"),
        (float("nan"), {}, "[-inf, inf)", "nan"),
        (float("inf"), {"low": 0.0}, "[0, inf)", "inf"),
    ],
    ids=["high_excluded", "low_excluded", "below", "above", "nan", "inf"],
)
def test_check_float_refuses_values_outside_the_interval(
    value, kwargs, interval, received
):
    with pytest.raises(
        ValueError, match=_message("x", f"a finite float in {interval}", received)
    ):
        _validation.check_float("x", value, **kwargs)


@pytest.mark.parametrize(
    "value,received", [(True, "True"), ("0.5", "'0.5'"), (None, "None")]
)
def test_check_float_refuses_other_types(value, received):
    with pytest.raises(TypeError, match=_message("x", "a float", received)):
        _validation.check_float("x", value)


def test_check_float_takes_its_inclusivity_flags_by_keyword_only():
    with pytest.raises(TypeError, match="positional"):
        _validation.check_float("x", 0.5, 0.0, 1.0, True, True)


def test_check_strength_is_a_float_at_least_zero():
    assert _validation.check_strength("l1", 0) == 0.0
    with pytest.raises(
        ValueError, match=_message("l1", "a finite float in [0, inf)", "-1.0")
    ):
        _validation.check_strength("l1", -1)


@pytest.mark.parametrize(
    "value,kwargs", [(3, {}), (np.int64(3), {"low": 3}), (3, {"low": 0, "high": 3})]
)
def test_check_int_returns_a_python_int(value, kwargs):
    out = _validation.check_int("n", value, **kwargs)
    assert type(out) is int and out == 3


@pytest.mark.parametrize(
    "value,kwargs,interval",
    [(0, {"low": 1}, "[1, inf]"), (5, {"low": 0, "high": 4}, "[0, 4]")],
    ids=["below", "above"],
)
def test_check_int_refuses_values_outside_the_range(value, kwargs, interval):
    with pytest.raises(
        ValueError, match=_message("n", f"an int in {interval}", repr(value))
    ):
        _validation.check_int("n", value, **kwargs)


@pytest.mark.parametrize("value,received", [(True, "True"), (3.0, "3.0"), ("3", "'3'")])
def test_check_int_refuses_other_types(value, received):
    with pytest.raises(TypeError, match=_message("n", "an int", received)):
        _validation.check_int("n", value)


def test_check_choice_returns_the_value_or_lists_the_choices():
    assert _validation.check_choice("mode", "max", ("min", "max")) == "max"
    with pytest.raises(
        ValueError, match=_message("mode", "one of 'min', 'max'", "'up'")
    ):
        _validation.check_choice("mode", "up", ("min", "max"))


@pytest.mark.parametrize("value", [True, False])
def test_check_bool_returns_the_bool(value):
    assert _validation.check_bool("flag", value) is value


@pytest.mark.parametrize(
    "value,received", [(1, "1"), (np.bool_(True), repr(np.bool_(True))), (None, "None")]
)
def test_check_bool_refuses_anything_but_a_bool(value, received):
    with pytest.raises(TypeError, match=_message("flag", "a bool", received)):
        _validation.check_bool("flag", value)


def test_type_and_value_error_is_caught_as_either():
    for caught in (TypeError, ValueError):
        with pytest.raises(caught):
            raise _validation.TypeAndValueError("wrong type")
