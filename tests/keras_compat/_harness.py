"""Run Keras' own unit tests against kerasreg's classes.

Keras' test modules reach the class under test through a Keras namespace
module (`from keras.src import layers` ... `layers.Dropout(...)`), some of them
already at import (`class MockedRandomFlip(layers.RandomFlip)`).
`keras_test_classes` executes a fresh copy of such a module with kerasreg's
classes in place of Keras' and returns its test classes, subclassed so that
the swap is also in force while each test runs, and nowhere else: the rest of
the suite keeps seeing Keras' own classes.

A test module under `tests/keras_compat/` binds the returned classes to module
globals, where pytest collects them::

    globals().update(keras_test_classes(
        "keras.src.layers.regularization.dropout_test",
        {"keras.src.layers": {"Dropout": kerasreg.layers.Dropout}},
        skip={"test_invalid_rate": "asserts Keras' exact error wording"},
    ))

Only tests that assert Keras' exact error-message wording are skipped, and
only tests of a deliberate difference are expected to fail, each with its
reason (both listed in the README).
"""

import contextlib
import importlib
import importlib.util
import inspect
import unittest

import keras
import pytest


@contextlib.contextmanager
def swapped(replacements):
    """Set `replacements` ({module name: {attribute: value}}), then restore."""
    saved = []
    try:
        for module_name, attributes in replacements.items():
            module = importlib.import_module(module_name)
            for name, value in attributes.items():
                saved.append((module, name, getattr(module, name)))
                setattr(module, name, value)
        yield
    finally:
        for module, name, value in reversed(saved):
            setattr(module, name, value)


def _mark(classes, prefixes, mark):
    """Apply `mark` to the tests whose name starts with one of `prefixes`
    (parameterized tests carry a suffix); a prefix that matches nothing is an
    error, since a stale entry would hide that Keras renamed the test."""
    for prefix in prefixes:
        matched = False
        for cls in classes:
            for name in dir(cls):
                if name.startswith("test") and name.startswith(prefix):
                    setattr(cls, name, mark(getattr(cls, name)))
                    matched = True
        if not matched:
            raise ValueError(f"No Keras test named {prefix!r}")


def keras_test_classes(module_name, replacements, skip=None, differ=None):
    """The `unittest.TestCase` classes of Keras' test module `module_name`,
    run with `replacements` in force.

    `skip` maps a test-name prefix to the reason it is skipped (Keras' exact
    error wording). `differ` maps a prefix to a deliberate difference listed
    in the README: the test is a strict expected failure, so it fails the
    suite the day kerasreg and Keras agree again."""
    spec = importlib.util.find_spec(module_name)
    if spec is None:
        # Not every Keras wheel ships its test modules (3.12, which the
        # minimum-versions CI leg installs, does not).
        pytest.skip(
            f"this Keras ({keras.__version__}) ships no {module_name}",
            allow_module_level=True,
        )
    module = importlib.util.module_from_spec(spec)
    with swapped(replacements):
        spec.loader.exec_module(module)

    def set_up(self):
        stack = contextlib.ExitStack()
        stack.enter_context(swapped(replacements))
        self.addCleanup(stack.close)
        super(type(self), self).setUp()

    classes = [
        type(f"Keras{name}", (obj,), {"setUp": set_up})
        for name, obj in vars(module).items()
        if inspect.isclass(obj)
        and issubclass(obj, unittest.TestCase)
        and obj.__module__ == module.__name__
    ]
    for reason_by_prefix, mark in (
        (skip or {}, None),
        (differ or {}, unittest.expectedFailure),
    ):
        for prefix, reason in reason_by_prefix.items():
            _mark(classes, [prefix], mark or unittest.skip(reason))
    return {cls.__name__: cls for cls in classes}
