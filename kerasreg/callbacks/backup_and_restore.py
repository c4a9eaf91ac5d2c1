"""BackupAndRestore whose every backup is committed atomically."""

import os
import secrets

import keras

from kerasreg import _validation
from kerasreg.callbacks import _atomic_io
from kerasreg.callbacks._distribute import is_chief

_POINTER = "checkpoint.json"
_FOLDER_PREFIX = "backup-"
_WEIGHTS = "model.weights.h5"


def _set_initial_epoch(model, epoch):
    # Keras offers no public way for a callback to choose the epoch `fit`
    # starts from; its own BackupAndRestore sets this attribute. The resume
    # tests count the epochs run, so a change in Keras fails them loudly.
    model._initial_epoch = epoch


@keras.saving.register_keras_serializable(package="kerasreg")
class BackupAndRestore(keras.callbacks.Callback):
    """Back up the training state and restore it after an interruption.

    A drop-in for `keras.callbacks.BackupAndRestore`: at the end of each epoch
    (or every `save_freq` batches) the model's and optimizer's variables are
    backed up in `backup_dir`; a later `fit` with the same callback restores
    them and continues from the epoch after the backup.

    Unlike Keras 3.15's callback, which overwrites its weights file and then
    its metadata in place (a process killed in between leaves a broken or
    mismatched backup), every backup here goes to a new folder, is synced to
    the disk, and is then committed by atomically replacing one small pointer
    file that names the folder and its epoch. A process killed at any instant
    leaves the previous backup or the new one, complete. An epoch's backup is
    committed when the next epoch begins (or at the end of training), after
    every callback has finished the epoch, so an `EarlyStopping` state saved
    at the end of an epoch is never older than the backup, whatever the order
    of the callbacks. Under `tf.distribute` only the chief writes.

    Args:
        backup_dir: path of a folder used by this callback alone.
        save_freq: `"epoch"` or an int >= 1, back up at the end of every epoch
            or every `save_freq` batches. Defaults to `"epoch"`.
        delete_checkpoint: bool, delete `backup_dir` when training ends.
            Defaults to `True`.

    Example:

    ```python
    import tempfile

    import keras
    import numpy as np
    from kerasreg.callbacks import BackupAndRestore

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 4:
                raise RuntimeError("interrupted")

    backup_dir = tempfile.mkdtemp()
    x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    try:
        model.fit(x, y, epochs=10, verbose=0, callbacks=[
            BackupAndRestore(backup_dir), Interrupt()])
    except RuntimeError:
        pass
    history = model.fit(x, y, epochs=10, verbose=0, callbacks=[
        BackupAndRestore(backup_dir)])
    assert len(history.history["loss"]) == 6  # epochs 4 to 9
    ```
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not isinstance(backup_dir, str | os.PathLike):
            raise _validation.invalid(
                "backup_dir", backup_dir, "a path", error=TypeError
            )
        if not os.fspath(backup_dir):
            raise _validation.invalid("backup_dir", backup_dir, "a non-empty path")
        valid_int = isinstance(save_freq, int) and not isinstance(save_freq, bool)
        if save_freq != "epoch" and not (valid_int and save_freq >= 1):
            raise _validation.invalid("save_freq", save_freq, "'epoch' or an int >= 1")
        if not isinstance(delete_checkpoint, bool):
            raise _validation.invalid(
                "delete_checkpoint", delete_checkpoint, "a bool", error=TypeError
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._pointer_path = os.path.join(self.backup_dir, _POINTER)
        self._pending = None
        self._current_epoch = 0
        self._last_batch_seen = 0
        self._batches_since_save = 0

    def get_config(self):
        return {
            "backup_dir": self.backup_dir,
            "save_freq": self.save_freq,
            "delete_checkpoint": self.delete_checkpoint,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def on_train_begin(self, logs=None):
        if not self.model.built:
            raise ValueError(
                "BackupAndRestore needs a built model: build it (e.g. call it on "
                "a batch) before `fit`."
            )
        self._chief = is_chief(self.model)
        self._pending = None
        self._batches_since_save = 0
        pointer = None
        if os.path.exists(self._pointer_path):
            pointer = _atomic_io.read_json(self._pointer_path)
        if self._chief:
            self._remove_stale(pointer and pointer["folder"])
        if pointer is None:
            return
        optimizer = self.model.optimizer
        if optimizer is not None and not optimizer.built:
            # The file holds optimizer variables, which must exist to be loaded.
            optimizer.build(self.model.trainable_variables)
        self.model.load_weights(
            os.path.join(self.backup_dir, pointer["folder"], _WEIGHTS)
        )
        self._current_epoch = pointer["epoch"]
        _set_initial_epoch(self.model, pointer["epoch"])

    def on_epoch_begin(self, epoch, logs=None):
        self._commit_pending()

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._pending = self._write()

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._pending = self._write()
            self._commit_pending()

    def on_train_end(self, logs=None):
        if self.delete_checkpoint:
            if self._chief:
                # Removing the pointer first invalidates the backup in one step.
                _atomic_io.remove(self._pointer_path)
                _atomic_io.fsync_folder(self.backup_dir)
                _atomic_io.remove(self.backup_dir)
            self._pending = None
        else:
            self._commit_pending()
        # Keras leaves it set, so a later `fit` would skip epochs.
        _set_initial_epoch(self.model, None)

    def _should_save_on_batch(self, batch):
        # Keras' rule, which also counts steps run by `steps_per_execution`.
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # A new epoch started.
            self._batches_since_save += batch + 1
        else:
            self._batches_since_save += batch - self._last_batch_seen
        self._last_batch_seen = batch
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            return True
        return False

    def _write(self):
        """Write a backup to a new folder; return the pointer that commits it."""
        if not self._chief:
            return None
        name = (
            f"{_FOLDER_PREFIX}{self._current_epoch:06d}-{self._last_batch_seen}-"
            f"{secrets.token_hex(4)}"
        )
        folder = os.path.join(self.backup_dir, name)
        os.makedirs(folder)
        self.model.save_weights(os.path.join(folder, _WEIGHTS))
        _atomic_io.sync_tree(folder)
        _atomic_io.fsync_folder(self.backup_dir)
        return {
            "folder": name,
            "epoch": self._current_epoch,
            "batch": self._last_batch_seen,
        }

    def _commit_pending(self):
        if self._pending is None:
            return
        _atomic_io.write_json(self._pointer_path, self._pending)
        self._remove_stale(self._pending["folder"])
        self._pending = None

    def _remove_stale(self, committed):
        """Delete backup folders other than `committed`, and temporaries."""
        if not os.path.isdir(self.backup_dir):
            return
        for name in os.listdir(self.backup_dir):
            if name.startswith(_FOLDER_PREFIX) and name != committed:
                _atomic_io.remove(os.path.join(self.backup_dir, name))
        _atomic_io.remove_temporaries(self._pointer_path)
