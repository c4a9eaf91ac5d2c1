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


@pytest.mark.parametrize("state", [None, "before", "after"])
def test_a_crash_at_an_epoch_end_resumes_where_keras_does(tmp_path, state):
    """A later callback raises in `on_epoch_end` of epoch 2: Keras' backup of
    epoch 2 is committed, and so is kerasreg's, with an EarlyStopping state
    before or after the backup in `callbacks`, or none."""

    def callbacks(backup, run):
        if state is None:
            return [backup]
        stop = EarlyStopping(patience=9, state_path=str(tmp_path / run / "es.json"))
        return [stop, backup] if state == "before" else [backup, stop]

    resumed = {}
    for run, cls in [
        ("keras", keras.callbacks.BackupAndRestore),
        ("kerasreg", BackupAndRestore),
    ]:
        backup_dir = str(tmp_path / run / "backup")
        model = tiny_model()
        _interrupted(model, [*callbacks(cls(backup_dir), run), _Raise(epoch_end=2)])
        history = _fit(model, callbacks(cls(backup_dir), run))
        resumed[run] = (history.epoch, model.get_weights())
    assert resumed["kerasreg"][0] == resumed["keras"][0] == [3, 4, 5]
    assert_weights_equal(resumed["kerasreg"][1], resumed["keras"][1])


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
        (
            dict(backup_dir="b", double_checkpoint=1),
            TypeError,
            "double_checkpoint",
            1,
            "a bool",
        ),
    ],
    ids=["empty", "none", "zero", "batch", "bool", "delete", "double"],
)
def test_bad_arguments(kwargs, error, argument, value, expected):
    message = invalid_argument_message(argument, value, expected)
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        BackupAndRestore(**kwargs)


def test_config_round_trip_and_registration():
    assert_config_round_trip(
        BackupAndRestore(
            "b", save_freq=5, double_checkpoint=True, delete_checkpoint=False
        )
    )
    assert (
        keras.saving.get_registered_name(BackupAndRestore)
        == "kerasreg>BackupAndRestore"
    )


def test_is_keras_backup_and_restore(tmp_path):
    backup_dir = str(tmp_path / "backup")
    backup = BackupAndRestore(backup_dir)
    assert isinstance(backup, keras.callbacks.BackupAndRestore)
    assert isinstance(backup, keras.callbacks.Callback)
    # Keras' own writes its files in place, without a commit.
    theirs = keras.callbacks.BackupAndRestore(backup_dir)
    assert not isinstance(theirs, BackupAndRestore)
    assert not os.path.exists(backup_dir)  # Neither writes before `fit`.


def test_positional_arguments_in_keras_order():
    ours = BackupAndRestore("b", 3, True, False)
    theirs = keras.callbacks.BackupAndRestore("b", 3, True, False)
    for name in ("backup_dir", "save_freq", "double_checkpoint", "delete_checkpoint"):
        assert getattr(ours, name) == getattr(theirs, name), name


def test_bad_backup_dir_on_disk(tmp_path):
    file = tmp_path / "f"
    file.write_text("")
    with pytest.raises(
        ValueError,
        match="^"
        + re.escape(
            invalid_argument_message(
                "backup_dir",
                str(file),
                "the path of a folder, but it is an existing file",
            )
        )
        + "$",
    ):
        BackupAndRestore(str(file))
    under = str(file / "backup")
    with pytest.raises(
        ValueError,
        match="^"
        + re.escape(
            invalid_argument_message(
                "backup_dir",
                under,
                f"a path inside a folder, but {str(file)!r} is a file",
            )
        )
        + "$",
    ):
        BackupAndRestore(under)


class _CountEpochs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.begun = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.begun += 1


def test_unwritable_backup_dir_fails_before_an_epoch(tmp_path):
    backup = BackupAndRestore(str(tmp_path / "taken" / "backup"))
    (tmp_path / "taken").write_text("")  # Root may write anywhere: block it.
    count = _CountEpochs()
    prefix = "Invalid value for argument `backup_dir`. Expected a writable path ("
    with pytest.raises(ValueError, match="^" + re.escape(prefix)):
        _fit(tiny_model(), [count, backup])
    assert count.begun == 0


def test_double_checkpoint_restores_the_backup_before_a_damaged_one(tmp_path):
    backup_dir = str(tmp_path / "backup")
    expected = tiny_model()
    _fit(expected, [])
    model = tiny_model()
    callback = BackupAndRestore(backup_dir, double_checkpoint=True)
    _interrupted(model, [callback, _Raise(epoch_begin=3)])
    pointer = _pointer(backup_dir)
    assert (pointer["epoch"], pointer["previous"]["epoch"]) == (3, 2)
    assert len(os.listdir(backup_dir)) == 3  # The pointer and two backups.
    damaged = os.path.join(backup_dir, pointer["folder"], "model.weights.h5")
    with open(damaged, "wb") as f:
        f.write(b"0")
    with pytest.warns(UserWarning) as caught:
        history = _fit(model, [BackupAndRestore(backup_dir, double_checkpoint=True)])
    message = str(caught[0].message)
    assert message.startswith(f"BackupAndRestore cannot resume from {damaged!r}: ")
    assert message.endswith(
        "Restoring the backup before it instead, of epoch 3 (double_checkpoint)."
    )
    assert history.epoch == [2, 3, 4, 5]
    assert_weights_equal(model.get_weights(), expected.get_weights())


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def _damage_pointer(data):
    def damage(backup_dir, pointer):
        _write(os.path.join(backup_dir, "checkpoint.json"), data(pointer))

    return damage


def _damage_entry(**changes):
    return _damage_pointer(lambda p: json.dumps({**p, **changes}).encode())


def _damage_weights(data):
    def damage(backup_dir, pointer):
        path = os.path.join(backup_dir, pointer["folder"], "model.weights.h5")
        if data is None:
            os.remove(path)
        else:
            _write(path, data(path))

    return damage


def _other_model_weights(path):
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    other_path = path + ".other.weights.h5"
    other.save_weights(other_path)
    with open(other_path, "rb") as f:
        return f.read()


def _half(path):
    with open(path, "rb") as f:
        data = f.read()
    return data[: len(data) // 2]


POINTER = "{backup}/checkpoint.json"
WEIGHTS = "{backup}/{folder}/model.weights.h5"
DAMAGES = {
    "empty": (_damage_pointer(lambda p: b""), POINTER, "the file is empty"),
    "truncated": (
        _damage_pointer(lambda p: json.dumps(p).encode()[:20]),
        POINTER,
        "the file is truncated or corrupt, not valid JSON (",
    ),
    "binary": (
        _damage_pointer(lambda p: b"\xff\xfe\x00garbage"),
        POINTER,
        "the file is truncated or corrupt, not valid JSON (",
    ),
    "foreign": (
        _damage_pointer(lambda p: b'{"epoch": 3, "batch": 0}'),  # Keras' metadata
        POINTER,
        "the file is not a kerasreg BackupAndRestore pointer (it lacks "
        '"kind": "kerasreg.BackupAndRestore")',
    ),
    "format": (
        _damage_entry(format=99),
        POINTER,
        "the file has format 99, and this version of kerasreg reads format 1",
    ),
    "folder": (
        _damage_entry(folder="../elsewhere"),
        POINTER,
        "the file is corrupt: `folder` is '../elsewhere', not the name of a "
        "backup folder",
    ),
    "epoch": (
        _damage_entry(epoch="3"),
        POINTER,
        "the file is corrupt: `epoch` is '3', not an int >= 0",
    ),
    "previous": (
        _damage_entry(previous={"folder": "x"}),
        POINTER,
        "the file is corrupt: `previous.folder` is 'x', not the name of a "
        "backup folder",
    ),
    "missing folder": (
        _damage_entry(folder="backup-000009-0-0badf00d"),
        POINTER,
        "the backup folder it names, '{backup}/backup-000009-0-0badf00d', does "
        "not exist",
    ),
    "missing weights": (
        _damage_weights(None),
        WEIGHTS,
        "the backup's weights file does not exist",
    ),
    "truncated weights": (
        _damage_weights(_half),
        WEIGHTS,
        "the weights file is truncated, corrupt or from another model (",
    ),
    "other model": (
        _damage_weights(_other_model_weights),
        WEIGHTS,
        "the weights file is truncated, corrupt or from another model (",
    ),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_damaged_backup_is_one_clear_error_naming_the_file(tmp_path, damage):
    backup_dir = str(tmp_path / "backup")
    model = tiny_model()
    _interrupted(model, [BackupAndRestore(backup_dir), _Raise(epoch_begin=3)])
    pointer = _pointer(backup_dir)
    apply, where, what = DAMAGES[damage]
    apply(backup_dir, pointer)
    before = sorted(os.listdir(backup_dir))
    path = where.format(backup=backup_dir, folder=pointer["folder"])
    what = what.format(backup=backup_dir)
    start = f"BackupAndRestore cannot resume from {path!r}: {what}"
    end = (
        f". Delete {os.path.join(backup_dir, 'checkpoint.json')!r} to train from "
        "the start instead."
    )
    with pytest.raises(ValueError) as info:
        _fit(tiny_model(), [BackupAndRestore(backup_dir)])
    message = str(info.value)
    if what.endswith("("):  # The rest is the reader's own error.
        assert message.startswith(start) and message.endswith(end), message
    else:
        assert message == start + end
    assert sorted(os.listdir(backup_dir)) == before  # Nothing deleted.


def test_deletes_only_what_it_wrote(tmp_path):
    backup_dir = tmp_path / "backup"
    backup_dir.mkdir()
    theirs = {
        "notes.txt": "notes",
        "best.keras": "a model",
        "backup-notes.txt": "not a backup folder's name",
        "checkpoint": "tf.train.Checkpoint's index",
    }
    for name, text in theirs.items():
        (backup_dir / name).write_text(text)
    (backup_dir / "backup-old").mkdir()
    (backup_dir / "backup-old" / "x").write_text("kept")
    model = tiny_model()
    _interrupted(model, [BackupAndRestore(str(backup_dir)), _Raise(epoch_begin=3)])
    _fit(model, [BackupAndRestore(str(backup_dir))])
    assert sorted(os.listdir(backup_dir)) == sorted([*theirs, "backup-old"])
    for name, text in theirs.items():
        assert (backup_dir / name).read_text() == text
    assert (backup_dir / "backup-old" / "x").read_text() == "kept"


def test_refuses_a_folder_another_kerasreg_path_lies_in(tmp_path):
    outer, inner = str(tmp_path / "backup"), str(tmp_path / "backup" / "inner")
    count = _CountEpochs()
    message = invalid_argument_message(
        "backup_dir",
        inner,
        f"a path outside BackupAndRestore's backup_dir={outer!r}, a folder that "
        "callback manages",
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _fit(tiny_model(), [count, BackupAndRestore(outer), BackupAndRestore(inner)])
    assert count.begun == 0
    message = invalid_argument_message(
        "backup_dir",
        outer,
        "a path no other callback uses, but it is BackupAndRestore's "
        f"backup_dir={outer!r}",
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _fit(tiny_model(), [BackupAndRestore(outer), BackupAndRestore(outer)])


def test_refuses_a_folder_holding_early_stopping_state(tmp_path):
    backup_dir = str(tmp_path / "backup")
    state = os.path.join(backup_dir, "es.json")
    message = invalid_argument_message(
        "backup_dir",
        backup_dir,
        "a folder that holds no other callback's path, but EarlyStopping's "
        f"state_path={state!r} lies in it",
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _fit(
            tiny_model(),
            [EarlyStopping(patience=2, state_path=state), BackupAndRestore(backup_dir)],
        )


def _ram_dir(name):
    return f"ram://{name}-{os.urandom(4).hex()}"


def test_backup_dir_on_a_tensorflow_file_system(tmp_path, monkeypatch):
    import tensorflow as tf

    monkeypatch.chdir(tmp_path)
    backup_dir = _ram_dir("backup")
    expected = tiny_model()
    _fit(expected, [])
    model = tiny_model()
    _interrupted(model, [BackupAndRestore(backup_dir), _Raise(epoch_begin=3)])
    pointer = json.loads(
        tf.io.gfile.GFile(f"{backup_dir}/checkpoint.json", "rb").read()
    )
    assert pointer["epoch"] == 3
    history = _fit(model, [BackupAndRestore(backup_dir)])
    assert history.epoch == [3, 4, 5]
    assert_weights_equal(model.get_weights(), expected.get_weights())
    assert not tf.io.gfile.exists(backup_dir)
    assert os.listdir(tmp_path) == []  # No local folder named "ram:".


def test_resume_recipe_on_a_tensorflow_file_system(tmp_path, monkeypatch):
    import tensorflow as tf

    monkeypatch.chdir(tmp_path)
    run = _ram_dir("run")
    reference = tiny_model()
    _fit(reference, [ScriptedLogs(VAL), EarlyStopping(patience=2)], epochs=10)

    def callbacks(*extra):
        stop = EarlyStopping(
            patience=2,
            state_path=f"{run}/es.json",
            best_model_path=f"{run}/best.keras",
        )
        return stop, [
            ScriptedLogs(VAL),
            BackupAndRestore(f"{run}/backup"),
            *extra,
            stop,
        ]

    model = tiny_model()
    # Resumed at epoch 4: a state lost on the way would stop at 6, best 4.
    _, found = callbacks(_Raise(epoch_end=4))
    with pytest.raises(RuntimeError, match="interrupted"):
        _fit(model, found, epochs=10)
    stop, found = callbacks()
    _fit(model, found, epochs=10)
    assert (stop.stopped_epoch, stop.best_epoch) == (5, 3)
    assert_weights_equal(model.get_weights(), reference.get_weights())
    best = keras.saving.load_model(f"{run}/best.keras")
    assert_weights_equal(best.get_weights(), reference.get_weights())
    assert not tf.io.gfile.exists(f"{run}/backup")
    assert os.listdir(tmp_path) == []  # No local folder named "ram:".


def test_a_keras_backup_is_not_silently_ignored(tmp_path):
    backup_dir = str(tmp_path / "backup")
    model = tiny_model()
    _interrupted(
        model, [keras.callbacks.BackupAndRestore(backup_dir), _Raise(epoch_begin=3)]
    )
    metadata = os.path.join(backup_dir, "training_metadata.json")
    message = (
        f"BackupAndRestore cannot resume from {metadata!r}: it is a backup of "
        "keras.callbacks.BackupAndRestore, which this callback does not read. "
        "Resume with Keras' callback, or delete it to train from the start."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _fit(model, [BackupAndRestore(backup_dir)])


def test_batch_backup_of_a_second_fit_records_its_own_epoch(tmp_path):
    backup_dir = str(tmp_path / "backup")
    callback = BackupAndRestore(backup_dir, save_freq=2)
    model = tiny_model()
    _fit(model, [callback])
    # 4 batches per epoch: backups after batches 2 and 4, interrupted after 5.
    _interrupted(model, [callback, _Raise(batch=5)])
    pointer = _pointer(backup_dir)
    assert (pointer["epoch"], pointer["batch"]) == (0, 3)
    assert _fit(model, [callback]).epoch == [0, 1, 2, 3, 4, 5]
