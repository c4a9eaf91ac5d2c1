"""The public surface: exports, registration, string ids, no private Keras."""

import ast
import functools
import importlib
import inspect
import pathlib
import re

import keras
import numpy as np
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


SUBPACKAGES = (
    kerasreg,
    kerasreg.regularizers,
    kerasreg.optimizers,
    kerasreg.layers,
    kerasreg.callbacks,
    kerasreg.augmentation,
    kerasreg.experiments,
    kerasreg.feature_selection,
)
EVERY_PUBLIC_CLASS = sorted(
    {
        obj
        for module in SUBPACKAGES
        for obj in (getattr(module, name) for name in module.__all__)
        if inspect.isclass(obj)
    },
    key=lambda c: c.__qualname__,
)
KERAS_BASES = (*SAVEABLE, keras.callbacks.Callback)


def test_every_subpackage_exports_its_classes_at_the_top():
    names = {c.__name__ for c in EVERY_PUBLIC_CLASS}
    assert {"EarlyStopping", "BackupAndRestore", "Pipeline", "RandomCrop"} <= names
    assert {"Switches", "StudyResult", "L1", "Proximal", "SelectFeatures"} <= names


@pytest.mark.parametrize("cls", EVERY_PUBLIC_CLASS, ids=lambda c: c.__name__)
def test_every_public_class_of_every_subpackage_is_documented(cls):
    doc = inspect.getdoc(cls) or ""
    if issubclass(cls, Exception):
        # An exception is raised, not built: it says when.
        assert len(doc.split()) > 10, cls
        return
    assert "Example:" in doc and ">>>" in doc, cls
    assert "Args:" in doc or "Attributes:" in doc, cls
    if issubclass(cls, KERAS_BASES):
        # Keras' convention: the arguments back from `get_config`, and the
        # object rebuilt from them.
        own = [k for k in cls.__mro__ if k.__module__.startswith("kerasreg")]
        assert any("get_config" in vars(klass) for klass in own), cls


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


def _keras_samples():
    """Instances of Keras' public classes, a model trained one step included,
    so that `dir()` lists the private attributes they carry at run time."""
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(np.ones((2, 2)), np.ones((2, 1)), verbose=0)
    return [
        model,
        keras.Model,
        keras.layers.Layer(),
        keras.layers.Dropout(0.1),
        keras.layers.BatchNormalization(),
        keras.layers.RandomFlip(),
        keras.optimizers.SGD(),
        keras.optimizers.Adam(),
        keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD()),
        keras.callbacks.Callback(),
        keras.callbacks.EarlyStopping(),
        keras.callbacks.BackupAndRestore("unused_backup_dir"),
        keras.metrics.Accuracy(),
        keras.metrics.Mean(),
        keras.losses.MeanSquaredError(),
        keras.regularizers.Regularizer(),
        keras.initializers.GlorotUniform(),
        keras.constraints.NonNeg(),
        keras.Variable(1.0),
        keras.random.SeedGenerator(1),
    ]


def _private_names(obj):
    return {n for n in dir(obj) if n.startswith("_") and not n.startswith("__")}


def _names_self(node):
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def _own_private_names(tree):
    """`_`-prefixed names a module defines: functions, classes, methods,
    assigned names and `self._x` / `cls._x` attributes."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in (n for t in targets for n in ast.walk(t)):
                if isinstance(target, ast.Name):
                    names.add(target.id)
                elif isinstance(target, ast.Attribute) and _names_self(target.value):
                    names.add(target.attr)
    return {n for n in names if n.startswith("_")}


_ATTRIBUTE_BUILTINS = ("getattr", "setattr", "hasattr", "delattr")


def private_keras_uses(tree, private):
    """(line, what) for each import of `keras.src`, `keras.src` attribute and
    read or write of an attribute named in `private`, by dot or by
    `getattr`-style string, in the module `tree`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.Attribute):
            if node.attr == "src" and getattr(node.value, "id", None) == "keras":
                yield node.lineno, "keras.src"
            elif node.attr in private:
                yield node.lineno, f".{node.attr}"
            continue
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) in _ATTRIBUTE_BUILTINS
            and len(node.args) > 1
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in private
        ):
            yield node.lineno, f"{node.func.id}(..., {node.args[1].value!r})"
            continue
        else:
            continue
        imported = [n for n in names if n == "keras.src" or n.startswith("keras.src.")]
        if imported:
            yield node.lineno, f"import {imported[-1]}"


@functools.cache
def _kerasreg_trees():
    return {
        path.relative_to(PACKAGE).as_posix(): ast.parse(path.read_text(), str(path))
        for path in sorted(PACKAGE.rglob("*.py"))
    }


@functools.cache
def keras_private_names():
    """Private attribute names of Keras' public classes that kerasreg does not
    define itself (outside the adapter)."""
    keras_names = set().union(*map(_private_names, _keras_samples()))
    own = set().union(
        *(
            _own_private_names(tree) | {pathlib.PurePath(path).stem}
            for path, tree in _kerasreg_trees().items()
            if path != PRIVATE_KERAS_ADAPTER
        )
    )
    return keras_names - own


def test_the_private_name_list_holds_the_names_kerasreg_adapts():
    # The names the adapter reaches for, and one that the old Proximal used:
    # if the list lost them, the test below could not see such a use.
    names = keras_private_names()
    for name in ("_direction", "_initial_epoch", "_get_variable_index"):
        assert name in names, name
    for name in ("_convert_input_args", "_get_seed_generator"):
        assert name in names, name


def test_the_check_finds_every_form_of_a_private_keras_use():
    # What kerasreg once did outside the adapter, each one found.
    source = """
import keras.src.utils
from keras.src.layers import data_layer
from keras import src
model._initial_epoch = 3
index = optimizer._get_variable_index(variable)
direction = getattr(metric, "_direction", None)
backend = keras.src.backend
"""
    found = list(private_keras_uses(ast.parse(source), keras_private_names()))
    assert sorted(line for line, _ in found) == [2, 3, 4, 5, 6, 7, 8], found


def test_no_module_but_the_adapter_uses_private_keras():
    private = keras_private_names()
    uses = [
        f"{path}:{line} {what}"
        for path, tree in _kerasreg_trees().items()
        if path != PRIVATE_KERAS_ADAPTER
        for line, what in private_keras_uses(tree, private)
    ]
    assert uses == []


def _module_name(path):
    parts = pathlib.PurePath("kerasreg", path).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _keras_base(cls):
    """The nearest class above `cls` that kerasreg does not define."""
    return next(b for b in cls.__mro__[1:] if not b.__module__.startswith("kerasreg"))


def _keras_instance(base):
    if base is keras.callbacks.BackupAndRestore:  # needs a folder (not created)
        return base("unused_backup_dir")
    # Some bases need arguments: a rate or factor (Dropout, RandomRotation),
    # two (RandomTranslation, RandomCrop), the optimizer's learning rate.
    for args in ((), (0.1,), (0.1, 0.1)):
        try:
            return base(*args)
        except TypeError:
            continue
    return base(learning_rate=0.1)


def test_no_class_but_the_adapter_overrides_private_keras_state():
    # The read check above leaves out names kerasreg defines; a kerasreg
    # subclass of a Keras class that assigned one of its base's private
    # attributes would still reach into Keras, so each subclass is checked
    # against an instance of its Keras base.
    overrides = []
    for path, tree in _kerasreg_trees().items():
        if path == PRIVATE_KERAS_ADAPTER:
            continue
        module = importlib.import_module(_module_name(path))
        for node in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            cls = getattr(module, node.name, None)
            if cls is None:  # defined inside a function
                continue
            base = _keras_base(cls)
            if base.__module__.split(".")[0] != "keras":
                continue
            private = _private_names(_keras_instance(base))
            overrides += [
                f"{path}:{node.lineno} {node.name}.{name}"
                for name in sorted(_own_private_names(node) & private)
            ]
    assert overrides == []
