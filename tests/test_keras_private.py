"""Every private Keras name kerasreg uses still means what kerasreg expects.

If a test here fails after a Keras upgrade, `kerasreg/_keras_private.py` needs
updating (or Keras now exports what it takes).
"""

import inspect
import pathlib
import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras.src.layers.preprocessing import data_layer
from keras.src.utils import backend_utils, jax_utils

from kerasreg import _keras_private, augmentation
from kerasreg.augmentation import functional

FUNCTIONAL_SOURCE = pathlib.Path(functional.__file__).read_text()
# (backend name, ops, seed generator) per Probe call; outside the layer, which
# would track a generator stored on it as its own state.
SEEN = []


@pytest.mark.parametrize(
    "metric,expected",
    [
        (keras.metrics.Accuracy(), "max"),
        (keras.metrics.AUC(), "max"),
        (keras.metrics.F1Score(), "max"),
        (keras.metrics.MeanSquaredError(), "min"),
        (keras.metrics.Hinge(), "min"),
        (keras.metrics.Mean(), None),
    ],
    ids=["accuracy", "auc", "f1", "mse", "hinge", "mean"],
)
def test_metric_direction_reads_keras_private_direction(metric, expected):
    # Keras' own callbacks infer mode="auto" from `_direction`; if Keras drops
    # or renames it, the "max" metrics above stop reporting their direction.
    assert _keras_private.metric_direction(metric) == expected
    marked = getattr(metric, "_direction", None)
    assert marked in ({"max": "up", "min": "down"}.get(expected), None)


class _StartAt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_train_begin(self, logs=None):
        _keras_private.set_initial_epoch(self.model, self.epoch)


def test_set_initial_epoch_chooses_where_fit_starts():
    # BackupAndRestore resumes through it; if Keras renames `_initial_epoch`,
    # fit starts at epoch 0 and this fails.
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 2), "float32"), np.ones((4, 1), "float32")
    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[_StartAt(3)])
    assert history.epoch == [3, 4]
    history = model.fit(x, y, epochs=5, verbose=0, callbacks=[_StartAt(None)])
    assert history.epoch == [0, 1, 2, 3, 4]


class Probe(_keras_private.DataLayer):
    """Records the backend, ops and seed generator it sees and keeps dtypes."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, data):
        generator = self.seed_generator()
        SEEN.append((self.backend.name, self.ops, generator))
        noise = self.backend.random.uniform((2,), seed=generator)
        return {**data, "images": data["images"] + self.ops.cast(noise[0], "float32")}


def test_data_layer_api_is_where_the_adapter_expects_it():
    assert issubclass(data_layer.DataLayer, keras.layers.Layer)
    layer = data_layer.DataLayer()
    assert isinstance(layer.backend, backend_utils.DynamicBackend)
    assert layer.backend.name == keras.backend.backend()
    for name in ("set_backend", "reset"):
        assert callable(getattr(layer.backend, name)), name
    assert callable(data_layer.DataLayer._get_seed_generator)
    assert list(inspect.signature(layer._get_seed_generator).parameters) == ["backend"]
    assert isinstance(layer._convert_input_args, bool)
    assert callable(backend_utils.in_tf_graph)
    assert callable(jax_utils.is_in_jax_tracing_scope)


def test_every_op_the_kernels_use_exists_in_the_tensorflow_backend():
    names = sorted(set(re.findall(r"\bops\.(\w+)\(", FUNCTIONAL_SOURCE)))
    assert "take" in names and "cast" in names  # the regex still finds them
    tf_ops = _keras_private._BackendOps("tensorflow")
    for name in [*names, "convert_to_tensor"]:
        assert callable(getattr(tf_ops, name)), name


def test_backend_ops_is_keras_ops_on_the_running_backend():
    assert _keras_private.backend_ops(keras.backend.backend()) is keras.ops


def test_runs_on_tensorflow_in_tf_data_and_keeps_input_dtypes():
    layer = Probe(seed=3)
    data = {
        "images": np.zeros((2, 4, 4, 1), "float32"),
        "masks": np.ones((2, 4, 4, 1), "uint8"),
        "labels": np.arange(2, dtype="int64"),
    }
    ds = tf.data.Dataset.from_tensors(data).map(layer)
    out = next(iter(ds))
    assert out["masks"].dtype == tf.uint8 and out["labels"].dtype == tf.int64
    name, ops, generator = SEEN[-1]
    assert name == "tensorflow"
    assert ops is _keras_private.backend_ops("tensorflow")
    assert isinstance(generator.state.value, tf.Variable | tf.Tensor)
    # Back on the running backend after the map: its own ops and generator.
    assert layer.backend.name == keras.backend.backend()
    layer(data)
    assert SEEN[-1][1:] == (keras.ops, layer.generator)


def test_keras_preprocessing_layers_are_data_layers():
    # Pipeline accepts exactly these; a Keras release that moved a
    # preprocessing layer off DataLayer would make Pipeline reject it.
    for layer in (
        keras.layers.RandomContrast(0.1),
        keras.layers.RandomFlip(),
        keras.layers.Rescaling(1 / 255),
        keras.layers.Resizing(8, 8),
        keras.layers.CenterCrop(4, 4),
    ):
        assert _keras_private.is_preprocessing_layer(layer), layer
    for layer in (keras.layers.Dense(2), keras.layers.Dropout(0.1)):
        assert not _keras_private.is_preprocessing_layer(layer), layer


def test_keras_flip_and_crop_switch_off_the_input_conversion():
    # `convert_inputs` switches it on again for kerasreg's subclasses; if Keras
    # renames the attribute, the setting would land on nothing.
    assert keras.layers.Dense(2)._convert_input_args is True
    for layer in (keras.layers.RandomFlip(), keras.layers.RandomCrop(2, 2)):
        assert layer._convert_input_args is False

    class Flip(_keras_private.DataLayer, keras.layers.RandomFlip):
        pass

    layer = Flip()
    layer.convert_inputs()
    assert layer._convert_input_args is True


def test_kerasreg_subclasses_of_keras_layers_take_the_adapter_first():
    # The adapter's `__call__` must come before DataLayer's in the MRO.
    for ours, theirs in (
        (augmentation.RandomFlip, keras.layers.RandomFlip),
        (augmentation.RandomRotation, keras.layers.RandomRotation),
        (augmentation.RandomZoom, keras.layers.RandomZoom),
        (augmentation.RandomTranslation, keras.layers.RandomTranslation),
        (augmentation.RandomCrop, keras.layers.RandomCrop),
    ):
        mro = ours.__mro__
        assert mro.index(_keras_private.DataLayer) < mro.index(theirs)
        assert mro.index(theirs) < mro.index(data_layer.DataLayer)
        assert ours.__call__ is _keras_private.DataLayer.__call__


def test_keras_backup_names_are_those_keras_backup_and_restore_sets():
    # Keras' own tests read these private names of its BackupAndRestore, and
    # kerasreg's serves them (`KerasBackupNames`); if Keras renames one, the
    # name served here no longer means anything to Keras and this fails.
    served = {
        name
        for name in vars(_keras_private.KerasBackupNames)
        if name.startswith("_") and not name.startswith("__")
    }
    assert len(served) == 6
    assert served <= set(vars(keras.callbacks.BackupAndRestore("unused_backup_dir")))
