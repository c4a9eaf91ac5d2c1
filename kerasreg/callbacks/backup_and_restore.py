"""BackupAndRestore whose every backup is committed atomically."""

import re
import secrets
import warnings

import keras

from kerasreg import _filesystem, _keras_private, _validation
from kerasreg.callbacks import _epoch_end, _paths
from kerasreg.callbacks._chief import is_chief

_POINTER = "checkpoint.json"
_POINTER_KIND = "kerasreg.BackupAndRestore"
_FORMAT = 1
_WHAT = "kerasreg BackupAndRestore pointer"
_WEIGHTS = "model.weights.h5"
_KERAS_METADATA = "training_metadata.json"  # keras.callbacks.BackupAndRestore's
# The backup folders this callback writes, and the only names it deletes.
_FOLDER = re.compile(r"backup-[0-9]{6,}-[0-9]+-[0-9a-f]{8}")


@keras.saving.register_keras_serializable(package="kerasreg")
class BackupAndRestore(
    _keras_private.KerasBackupNames, keras.callbacks.BackupAndRestore
):
    """Back up the training state and restore it after an interruption.

    A drop-in for `keras.callbacks.BackupAndRestore`: at the end of each epoch
    (or every `save_freq` batches) the model's and optimizer's variables are
    backed up in `backup_dir`; a later `fit` with the same callback restores
    them and continues from the epoch after the backup.

    Unlike Keras 3.15's callback, which overwrites its weights file and then
    its metadata in place (a process killed in between leaves a broken or
    mismatched backup), every backup here goes to a new folder, is synced to
    the disk, and is then committed by atomically replacing one small pointer
    file (`checkpoint.json`) that names the folder and its epoch. A process
    killed at any instant leaves the previous backup or the new one,
    complete. An epoch's backup is committed at the epoch's end, as in Keras;
    when a kerasreg `EarlyStopping` with a `state_path` comes later in
    `callbacks`, once that has saved its state of the epoch too, so the state
    is never older than the backup, whatever the order of the callbacks.
    Under `tf.distribute` only the chief writes.

    A pointer or backup that cannot be read (empty, truncated, corrupt, from
    another program or another model) is an error naming the file and what is
    wrong; with `double_checkpoint`, a damaged newest backup falls back to the
    one before it, with a warning, as in Keras. `backup_dir` may be on any
    file system TensorFlow knows (`gs://...`, `ram://...`), and may hold other
    files: the callback deletes only the backups it wrote (and the folder, if
    that leaves it empty). It may not hold the paths of other kerasreg
    callbacks of the same `fit` (e.g. an `EarlyStopping` `state_path`).

    Args:
        backup_dir: path of the folder where the backups are kept.
        save_freq: `"epoch"` or an int >= 1, back up at the end of every epoch
            or every `save_freq` batches. Defaults to `"epoch"`.
        double_checkpoint: bool, keep the backup before the newest too, and
            restore it when the newest cannot be loaded. Defaults to `False`.
        delete_checkpoint: bool, delete the backups when training ends.
            Defaults to `True`.

    Example:

    >>> import tempfile
    >>> class Interrupt(keras.callbacks.Callback):
    ...     def on_epoch_begin(self, epoch, logs=None):
    ...         if epoch == 4:
    ...             raise RuntimeError("interrupted")
    >>> backup_dir = tempfile.mkdtemp()
    >>> x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> try:
    ...     model.fit(x, y, epochs=10, verbose=0,
    ...               callbacks=[kerasreg.BackupAndRestore(backup_dir), Interrupt()])
    ... except RuntimeError:
    ...     pass
    >>> history = model.fit(x, y, epochs=10, verbose=0,
    ...                     callbacks=[kerasreg.BackupAndRestore(backup_dir)])
    >>> history.epoch  # Resumed at epoch 4.
    [4, 5, 6, 7, 8, 9]
    """

    def __init__(
        self,
        backup_dir,
        save_freq="epoch",
        double_checkpoint=False,
        delete_checkpoint=True,
    ):
        # Not Keras' __init__: it sets the private names that here are
        # properties (`KerasBackupNames`) over this callback's own state.
        keras.callbacks.Callback.__init__(self)
        self.backup_dir = _paths.check_path(
            "backup_dir", backup_dir, kind=_paths.FOLDER
        )
        valid_int = isinstance(save_freq, int) and not isinstance(save_freq, bool)
        if save_freq != "epoch" and not (valid_int and save_freq >= 1):
            raise _validation.invalid("save_freq", save_freq, "'epoch' or an int >= 1")
        self.save_freq = save_freq
        self.double_checkpoint = _validation.check_bool(
            "double_checkpoint", double_checkpoint
        )
        self.delete_checkpoint = _validation.check_bool(
            "delete_checkpoint", delete_checkpoint
        )
        self._pointer_path = _filesystem.join(self.backup_dir, _POINTER)
        self._committed = None
        self._pending = None
        self._epoch = 0
        self._batch = 0
        self._batches_since_save = 0

    def get_config(self):
        return {
            "backup_dir": self.backup_dir,
            "save_freq": self.save_freq,
            "double_checkpoint": self.double_checkpoint,
            "delete_checkpoint": self.delete_checkpoint,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # The weights files that Keras' names give (`KerasBackupNames`): the newest
    # backup written (perhaps not yet committed), and the one before it.

    def _newest_weights(self):
        newest = self._pending or self._committed
        return newest and self._weights_of(newest)

    def _previous_weights(self):
        previous = self._committed if self._pending else self._previous()
        return previous and self._weights_of(previous)

    # Training hooks.

    def on_train_begin(self, logs=None):
        if not self.model.built:
            raise ValueError(
                "BackupAndRestore needs a built model: build it (e.g. call it on "
                "a batch) before `fit`."
            )
        self._chief = is_chief(self.model)
        self._pending = None
        self._batches_since_save = self._batch = 0
        if self._chief:
            _paths.check_writable("backup_dir", self.backup_dir, self._pointer_path)
            _paths.claim(
                self, self.model, {"backup_dir": (self.backup_dir, _paths.FOLDER)}
            )
        self._committed = self._read_pointer()
        if self._committed is not None:
            optimizer = self.model.optimizer
            if optimizer is not None and not optimizer.built:
                # The file holds optimizer variables, which must exist to load.
                optimizer.build(self.model.trainable_variables)
            self._epoch = self._restore()
            _keras_private.set_initial_epoch(self.model, self._epoch)
        # Only now: a backup that failed to load is left as it was found.
        if self._chief:
            self._remove_stale()

    def on_epoch_begin(self, epoch, logs=None):
        # A batch backup resumes this epoch (Keras keeps the previous fit's).
        self._epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._epoch = epoch + 1
        self._batch = 0
        if self.save_freq == "epoch":
            self._pending = self._write()
            # Now, or once the EarlyStopping states of this `fit` hold the epoch.
            _epoch_end.commit_when_saved(self.model, epoch, self._commit_pending)

    def on_train_batch_end(self, batch, logs=None):
        if self._batch_backup_due(batch):
            self._pending = self._write()
            self._commit_pending()

    def on_train_end(self, logs=None):
        if self.delete_checkpoint:
            if self._chief:
                self._delete_backups()
            self._pending = self._committed = None
        _epoch_end.forget(self.model)
        if self._chief:
            _paths.release(self, self.model)
        # Keras leaves it set, so a later `fit` would skip epochs.
        _keras_private.set_initial_epoch(self.model, None)

    def _batch_backup_due(self, batch):
        # Keras' rule, which also counts steps run by `steps_per_execution`.
        if self.save_freq == "epoch":
            return False
        if batch <= self._batch:  # A new epoch started.
            self._batches_since_save += batch + 1
        else:
            self._batches_since_save += batch - self._batch
        self._batch = batch
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            return True
        return False

    # Writing.

    def _weights_of(self, backup):
        return _filesystem.join(self.backup_dir, backup["folder"], _WEIGHTS)

    def _previous(self):
        return (self._committed or {}).get("previous")

    def _write(self):
        """Write a backup to a new folder; return the entry that commits it."""
        if not self._chief:
            return None
        name = f"backup-{self._epoch:06d}-{self._batch}-{secrets.token_hex(4)}"
        folder = _filesystem.join(self.backup_dir, name)
        _filesystem.makedirs(folder)
        self.model.save_weights(_filesystem.join(folder, _WEIGHTS))
        _filesystem.sync_tree(folder)
        _filesystem.fsync_folder(self.backup_dir)
        return {
            "folder": name,
            "epoch": self._epoch,
            "batch": self._batch,
        }

    def _commit_pending(self):
        if self._pending is None:
            return
        previous = None
        if self.double_checkpoint and self._committed is not None:
            previous = {k: self._committed[k] for k in ("folder", "epoch", "batch")}
        pointer = _filesystem.record(
            _POINTER_KIND, _FORMAT, **self._pending, previous=previous
        )
        _filesystem.write_json(self._pointer_path, pointer)
        self._committed, self._pending = pointer, None
        self._remove_stale()

    def _remove_stale(self):
        """Delete the backup folders the pointer does not name, and temporaries."""
        if not _filesystem.isdir(self.backup_dir):
            return
        keep = {b["folder"] for b in (self._committed, self._previous()) if b}
        for name in _filesystem.listdir(self.backup_dir):
            if _FOLDER.fullmatch(name) and name not in keep:
                _filesystem.remove(_filesystem.join(self.backup_dir, name))
        _filesystem.remove_temporaries(self._pointer_path)

    def _delete_backups(self):
        """Delete what this callback wrote, then the folder if that empties it."""
        # Removing the pointer first invalidates the backup in one step.
        _filesystem.remove(self._pointer_path)
        if not _filesystem.isdir(self.backup_dir):
            return
        _filesystem.fsync_folder(self.backup_dir)
        self._committed = None
        self._remove_stale()
        if not _filesystem.listdir(self.backup_dir):
            _filesystem.remove(self.backup_dir)

    # Reading.

    def _damaged(self, path, what):
        return ValueError(
            f"BackupAndRestore cannot resume from {path!r}: {what}. Delete "
            f"{self._pointer_path!r} to train from the start instead."
        )

    def _read_pointer(self):
        """The committed pointer, checked; `None` when there is none."""
        path = self._pointer_path
        if not _filesystem.exists(path):
            keras_metadata = _filesystem.join(self.backup_dir, _KERAS_METADATA)
            if _filesystem.exists(keras_metadata):
                # Starting afresh would silently lose the run Keras backed up.
                raise ValueError(
                    f"BackupAndRestore cannot resume from {keras_metadata!r}: "
                    "it is a backup of keras.callbacks.BackupAndRestore, which "
                    "this callback does not read. Resume with Keras' callback, "
                    "or delete it to train from the start."
                )
            return None
        try:
            pointer = _filesystem.read_record(path, _POINTER_KIND, _FORMAT, _WHAT)
        except _filesystem.DamagedRecord as reason:
            raise self._damaged(path, reason) from None
        self._check_entry(pointer, path)
        if pointer.get("previous") is not None:
            self._check_entry(pointer["previous"], path, "previous.")
        return pointer

    def _check_entry(self, entry, path, prefix=""):
        if not isinstance(entry, dict):
            raise self._damaged(path, f"the file is corrupt: `{prefix}` is not a dict")
        folder = entry.get("folder")
        if not (isinstance(folder, str) and _FOLDER.fullmatch(folder)):
            raise self._damaged(
                path,
                f"the file is corrupt: `{prefix}folder` is {folder!r}, not the "
                "name of a backup folder",
            )
        for key in ("epoch", "batch"):
            value = entry.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise self._damaged(
                    path,
                    f"the file is corrupt: `{prefix}{key}` is {value!r}, not an "
                    "int >= 0",
                )

    def _restore(self):
        """Load the newest backup that loads; return its epoch."""
        backups = [b for b in (self._committed, self._previous()) if b]
        for i, backup in enumerate(backups):
            try:
                self._load(backup)
            except ValueError as error:
                if i + 1 == len(backups):
                    raise
                warnings.warn(
                    f"{error} Restoring the backup before it instead, of epoch "
                    f"{backups[i + 1]['epoch'] + 1} (double_checkpoint).",
                    stacklevel=3,
                )
                continue
            if backup is not self._committed:
                # Resume from it alone: the damaged one is stale.
                self._committed = {**self._committed, **backup, "previous": None}
            return backup["epoch"]

    def _load(self, backup):
        folder = _filesystem.join(self.backup_dir, backup["folder"])
        if not _filesystem.isdir(folder):
            raise self._damaged(
                self._pointer_path,
                f"the backup folder it names, {folder!r}, does not exist",
            )
        weights = self._weights_of(backup)
        if not _filesystem.exists(weights):
            raise self._damaged(weights, "the backup's weights file does not exist")
        try:
            self.model.load_weights(weights)
        except Exception as error:  # h5py, Keras: the cause is in the message.
            raise self._damaged(
                weights,
                "the weights file is truncated, corrupt or from another model "
                f"({type(error).__name__}: {error})",
            ) from error
