"""The public surface: exports, registration, string ids, no private Keras."""

import inspect
import pathlib
import re

import keras
import pytest

import kerasreg

PACKAGE = pathlib.Path(kerasreg.__file__).parent
SAVEABLE = (keras.regularizers.Regularizer, keras.optimizers.Optimizer, keras.Layer)
PUBLIC_CLASSES = [
    obj
    for obj in (getattr(kerasreg, name) for name in kerasreg.__all__)
    if inspect.isclass(obj) and issubclass(obj, SAVEABLE)
]


def test_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", kerasreg.__version__)


def test_every_export_exists():
    for name in kerasreg.__all__:
        assert hasattr(kerasreg, name), name


@pytest.mark.parametrize("cls", PUBLIC_CLASSES, ids=lambda c: c.__name__)
def test_public_class_is_registered_and_documented(cls):
    assert keras.saving.get_registered_name(cls) == f"kerasreg>{cls.__name__}"
    doc = inspect.getdoc(cls) or ""
    assert "Args:" in doc and "Example:" in doc, cls
    assert "Arguments:" not in doc


def test_regularizer_ids_in_docstrings_resolve():
    doc = inspect.getdoc(kerasreg.regularizers.get)
    for name in re.findall(r'`"([a-z_]+)"`', doc):
        assert kerasreg.regularizers.get(name) is not None, name


# The one adapter allowed to use private Keras; its own test
# (tests/test_keras_private.py) fails when Keras changes.
PRIVATE_KERAS_ADAPTER = "_keras_private.py"


def test_no_private_keras_imports():
    importers = [
        path.relative_to(PACKAGE).as_posix()
        for path in PACKAGE.rglob("*.py")
        if re.search(r"^\s*(from|import) keras\.src", path.read_text(), re.M)
    ]
    assert importers == [PRIVATE_KERAS_ADAPTER]
