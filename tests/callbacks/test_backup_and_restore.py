"""BackupAndRestore: Keras' resume semantics, committed atomically."""

import json
import os
import re

import keras
import pytest

from kerasreg.callbacks import BackupAndRestore, EarlyStopping
from tests.callbacks._support import (
    ScriptedLogs,
    assert_weights_equal,
    regression_data,
    tiny_model,
)
from tests.contracts import assert_config_round_trip, invalid_argument_message

VAL = [1.0, 0.75, 0.875, 0.5, 0.625, 0.625, 0.75, 0.875, 1.0, 1.0]


class _Raise(keras.callbacks.Callback):
    """Raise at the start or the end of an epoch, or after a batch."""

    def __init__(self, epoch_begin=None, epoch_end=None, batch=None):
        super().__init__()
        self.epoch_begin, self.epoch_end, self.batch = epoch_begin, epoch_end, batch
        self.batches = 0

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch_begin:
            raise RuntimeError("interrupted")

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch_end:
            raise RuntimeError("interrupted")

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
        if self.batches == self.batch:
            raise RuntimeError("interrupted")


def _fit(model, callbacks, epochs=6):
    x, y = regression_data()
    return model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=16,
        shuffle=False,
        verbose=0,
        validation_data=(x[:16], y[:16]),
        callbacks=callbacks,
    )


def _interrupted(model, callbacks):
    with pytest.raises(RuntimeError, match="interrupted"):
        _fit(model, callbacks)


def _pointer(backup_dir):
    with open(os.path.join(backup_dir, "checkpoint.json")) as f:
        return json.load(f)


def test_resumes_like_keras_and_leaves_one_committed_backup(tmp_path):
    backup_dir = str(tmp_path / "backup")
    expected = tiny_model()
    _fit(expected, [])
    model = tiny_model()
    _interrupted(model, [BackupAndRestore(backup_dir), _Raise(epoch_begin=3)])
    pointer = _pointer(backup_dir)
    assert (pointer["epoch"], pointer["batch"]) == (3, 0)
    assert sorted(os.listdir(backup_dir)) == sorted(
        ["checkpoint.json", pointer["folder"]]
    )
    history = _fit(model, [BackupAndRestore(backup_dir)])
    assert len(history.history["loss"]) == 3  # epochs 3, 4, 5
    assert_weights_equal(model.get_weights(), expected.get_weights())
    assert not os.path.exists(backup_dir)  # delete_checkpoint=True
    # Keras would leave the model starting every later fit at epoch 3.
    assert len(_fit(model, [], epochs=2).history["loss"]) == 2


def test_uncommitted_or_broken_folders_are_ignored_and_removed(tmp_path):
    backup_dir = tmp_path / "backup"
    model = tiny_model()
    _interrupted(model, [BackupAndRestore(str(backup_dir)), _Raise(epoch_begin=2)])
    committed = _pointer(backup_dir)["folder"]
    junk = backup_dir / "backup-000009-0-deadbeef"
    junk.mkdir()
    (junk / "model.weights.h5").write_bytes(b"half a file")
    (backup_dir / ".checkpoint.json.tmp-0badf00d.json").write_text('{"fol')
    history = _fit(model, [BackupAndRestore(str(backup_dir), delete_checkpoint=False)])
    assert len(history.history["loss"]) == 4  # resumed at epoch 2
    assert _pointer(backup_dir)["epoch"] == 6  # kept, committed at the end
    names = os.listdir(backup_dir)
    assert committed not in names and junk.name not in names and len(names) == 2


def test_save_freq_in_batches_resumes_the_interrupted_epoch(tmp_path):
    backup_dir = str(tmp_path / "backup")
    model = tiny_model()
    # 4 batches per epoch; saves after batches 3 and 6; interrupted after 7.
    _interrupted(model, [BackupAndRestore(backup_dir, save_freq=3), _Raise(batch=7)])
    pointer = _pointer(backup_dir)
    assert (pointer["epoch"], pointer["batch"]) == (1, 1)
    history = _fit(model, [BackupAndRestore(backup_dir, save_freq=3)])
    assert len(history.history["loss"]) == 5  # epoch 1 again, as in Keras


@pytest.mark.parametrize("backup", ["kerasreg", "keras"])
def test_any_callback_order_with_early_stopping_state(tmp_path, backup):
    """Interrupted after the backup's epoch end but before EarlyStopping's."""
    backup_cls = {
        "kerasreg": BackupAndRestore,
        "keras": keras.callbacks.BackupAndRestore,
    }
    reference = tiny_model()
    _fit(reference, [ScriptedLogs(VAL), EarlyStopping(patience=2)], epochs=10)

    def callbacks(*extra):
        stop = EarlyStopping(patience=2, state_path=str(tmp_path / "es.json"))
        backup_callback = backup_cls[backup](str(tmp_path / "backup"))
        return stop, [ScriptedLogs(VAL), backup_callback, *extra, stop]

    model = tiny_model()
    _, found = callbacks(_Raise(epoch_end=3))
    with pytest.raises(RuntimeError, match="interrupted"):
        _fit(model, found, epochs=10)
    stop, found = callbacks()
    if backup == "keras":
        # Keras committed epoch 3's backup; the state never saw epoch 3.
        with pytest.raises(
            ValueError,
            match=re.escape("ends at epoch 3, but training resumes at epoch 5"),
        ):
            _fit(model, found, epochs=10)
        return
    _fit(model, found, epochs=10)
    assert (stop.stopped_epoch, stop.best_epoch) == (5, 3)
    assert_weights_equal(model.get_weights(), reference.get_weights())


@pytest.mark.parametrize(
    "kwargs,error,argument,value,expected",
    [
        (dict(backup_dir=""), ValueError, "backup_dir", "", "a non-empty path"),
        (dict(backup_dir=None), TypeError, "backup_dir", None, "a path"),
        (
            dict(backup_dir="b", save_freq=0),
            ValueError,
            "save_freq",
            0,
            "'epoch' or an int >= 1",
        ),
        (
            dict(backup_dir="b", save_freq="batch"),
            ValueError,
            "save_freq",
            "batch",
            "'epoch' or an int >= 1",
        ),
        (
            dict(backup_dir="b", save_freq=True),
            ValueError,
            "save_freq",
            True,
            "'epoch' or an int >= 1",
        ),
        (
            dict(backup_dir="b", delete_checkpoint="yes"),
            TypeError,
            "delete_checkpoint",
            "yes",
            "a bool",
        ),
    ],
    ids=["empty", "none", "zero", "batch", "bool", "delete"],
)
def test_bad_arguments(kwargs, error, argument, value, expected):
    message = invalid_argument_message(argument, value, expected)
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        BackupAndRestore(**kwargs)


def test_config_round_trip_and_registration():
    assert_config_round_trip(
        BackupAndRestore("b", save_freq=5, delete_checkpoint=False)
    )
    assert (
        keras.saving.get_registered_name(BackupAndRestore)
        == "kerasreg>BackupAndRestore"
    )
