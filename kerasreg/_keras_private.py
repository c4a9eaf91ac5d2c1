"""The one place kerasreg uses private Keras names.

Keras keeps a few facts and one base class that kerasreg needs behind private
names. Each use is a small named function or class here, and
`tests/test_keras_private.py` checks every one against the installed Keras, so
that a Keras release that renames or changes one fails that test loudly instead
of changing kerasreg's behaviour silently. `tests/test_public_api.py` checks
that no other module imports `keras.src` or reads or writes a private attribute
of a Keras object.

The private names, and why kerasreg needs each:

- `Metric._direction` ("up" / "down"): the only place a Keras metric says
  whether it improves upwards; EarlyStopping's `mode="auto"` reads it as
  Keras' own callbacks do (`metric_direction`).
- `Model._initial_epoch`: the epoch `fit` starts from, which Keras' trainers
  read right after `on_train_begin`; BackupAndRestore resumes through it
  (`set_initial_epoch`).
- `keras.src.layers.preprocessing.data_layer.DataLayer`, not exported: the
  base of Keras' preprocessing layers that lets them run in a `tf.data` map
  under any backend. `RandomScale` and `Pipeline`, which have no Keras
  counterpart, subclass it through kerasreg's adapter (`DataLayer`); the
  layers that subclass a Keras preprocessing layer (`keras.layers.RandomFlip`
  ...) reach it through that public class, with the adapter before it in
  their MRO. `Pipeline` recognizes Keras' preprocessing layers by it
  (`is_preprocessing_layer`). Of it kerasreg uses `self.backend` (a
  `DynamicBackend` that switches to TensorFlow inside tf.data, with
  `set_backend`, `reset`, `name`, `random`), `_get_seed_generator(backend)` (a
  seed generator for that backend) and `_convert_input_args` (switched off
  while inputs are already TensorFlow tensors, and on again where the
  constructors of Keras' RandomFlip and RandomCrop switch it off:
  `convert_inputs`).
- `keras.src.utils.backend_utils.DynamicBackend` and `in_tf_graph`,
  `keras.src.utils.jax_utils.is_in_jax_tracing_scope`: DataLayer's own test
  for "inside a tf.data graph", and the ops of a backend other than the
  running one (`backend_ops`).
- `BackupAndRestore`'s `_current_epoch`, `_last_batch_seen`, `_weights_path`,
  `_prev_weights_path`, `_training_metadata_path` and
  `_prev_training_metadata_path`: Keras' own tests of its callback read them;
  kerasreg's subclass serves them from its own state (`KerasBackupNames`).
"""

import contextlib
import functools

import keras
from keras.src.layers.preprocessing import data_layer
from keras.src.utils import backend_utils, jax_utils


def metric_direction(metric):
    """ "min" or "max": whether `metric` improves downwards or upwards; `None`
    when Keras does not say.

    Keras marks a metric's direction only in the private `_direction` ("up" or
    "down"); its own callbacks (`MonitorCallback._set_monitor_op`) read it the
    same way.
    """
    marked = getattr(metric, "_direction", None)
    if marked is None:
        return None
    return "max" if marked == "up" else "min"


def set_initial_epoch(model, epoch):
    """Make `model.fit` start at `epoch` (`None`: at its `initial_epoch`).

    Keras offers no public way for a callback to choose the epoch `fit` starts
    from; its trainers read `model._initial_epoch` right after
    `on_train_begin`, which Keras' own BackupAndRestore sets.
    """
    model._initial_epoch = epoch


class DataLayer(data_layer.DataLayer):
    """Keras' `DataLayer`, keeping the dtypes of its inputs.

    Keras' version casts every input in a TensorFlow graph to the compute
    dtype, masks and labels included; kerasreg keeps integer masks and other
    entries as given (the layers cast the images themselves). `self.ops` is
    `keras.ops` of the backend the layer runs on.
    """

    def __call__(self, inputs, **kwargs):
        if keras.backend.backend() == "tensorflow":
            # TensorFlow already runs everywhere: nothing to switch.
            return keras.layers.Layer.__call__(self, inputs, **kwargs)
        if not _in_tf_graph(inputs):
            return super().__call__(inputs, **kwargs)
        # A tf.data map (or another TensorFlow graph) under another backend.
        inputs = keras.tree.map_structure(
            lambda x: backend_ops("tensorflow").convert_to_tensor(x), inputs
        )
        convert, self._convert_input_args = self._convert_input_args, False
        try:
            with backend_scope([self], "tensorflow"):
                return keras.layers.Layer.__call__(self, inputs, **kwargs)
        finally:
            self._convert_input_args = convert

    def convert_inputs(self):
        """Convert the inputs as every Keras layer does by default (arrays to
        tensors, floats to the compute dtype): Keras' RandomFlip and
        RandomCrop constructors switch it off, and kerasreg's layers treat
        their inputs alike whatever their Keras base."""
        self._convert_input_args = True

    def running_on(self, inputs):
        """A scope in which the layer runs where `inputs` live: on TensorFlow
        for the tensors of a tf.data graph under another backend, as in
        `__call__`, for Keras' hooks that code calls directly."""
        if keras.backend.backend() != "tensorflow" and _in_tf_graph(inputs):
            return backend_scope([self], "tensorflow")
        return contextlib.nullcontext()

    @property
    def ops(self):
        return backend_ops(self.backend.name)

    def seed_generator(self):
        """The layer's `generator`, or its twin for the backend it runs on."""
        return self._get_seed_generator(self.backend.name)


def is_preprocessing_layer(layer):
    """Whether `layer` is a Keras preprocessing layer (or a kerasreg one):
    all of them, and only they, are `DataLayer`s."""
    return isinstance(layer, data_layer.DataLayer)


def _in_tf_graph(inputs):
    # DataLayer's own test: tensors in a TensorFlow graph that JAX is not tracing.
    sample = keras.tree.flatten(inputs)[0]
    return (
        not isinstance(sample, keras.KerasTensor)
        and backend_utils.in_tf_graph()
        and not jax_utils.is_in_jax_tracing_scope(sample)
    )


@contextlib.contextmanager
def backend_scope(layers, name):
    """Run `layers` (kerasreg DataLayers) on backend `name`, then reset them.

    A `Pipeline` fuses its members without calling them, so it switches their
    backends to its own.
    """
    for layer in layers:
        layer.backend.set_backend(name)
    try:
        yield
    finally:
        for layer in layers:
            layer.backend.reset()


class _BackendOps:
    """The `keras.ops` names used by kerasreg, from backend `name`'s modules."""

    _MODULES = ("numpy", "core", "math", "nn")

    def __init__(self, name):
        self.name = name
        self._backend = backend_utils.DynamicBackend(name)

    def __getattr__(self, attribute):
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        for module in self._MODULES:
            found = getattr(getattr(self._backend, module), attribute, None)
            if found is not None:
                return found
        found = getattr(self._backend, attribute, None)
        if found is None:
            raise AttributeError(f"Keras' {self.name} backend has no op `{attribute}`")
        return found


@functools.cache
def backend_ops(name):
    """`keras.ops` on the running backend; the same ops of backend `name` else."""
    return keras.ops if name == keras.backend.backend() else _BackendOps(name)


class KerasBackupNames:
    """The private names under which `keras.callbacks.BackupAndRestore` holds
    its progress and the paths of its files, which its own tests read, for a
    subclass that keeps them otherwise: `_current_epoch` is `self._epoch`,
    `_last_batch_seen` is `self._batch`, `_weights_path` is
    `self._newest_weights()`, `_prev_weights_path` is
    `self._previous_weights()`, and both metadata paths are
    `self._pointer_path`.
    """

    @property
    def _current_epoch(self):
        return self._epoch

    @property
    def _last_batch_seen(self):
        return self._batch

    @property
    def _weights_path(self):
        return self._newest_weights()

    @property
    def _prev_weights_path(self):
        return self._previous_weights()

    @property
    def _training_metadata_path(self):
        return self._pointer_path

    _prev_training_metadata_path = _training_metadata_path
