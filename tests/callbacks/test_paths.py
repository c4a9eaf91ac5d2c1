"""The checks of callback paths: at construction, at train begin, across callbacks."""

import os
import pathlib
import re

import keras
import pytest

from kerasreg import _filesystem
from kerasreg.callbacks import _paths
from tests.contracts import invalid_argument_message


def _raises(error, argument, value, expected):
    message = invalid_argument_message(argument, value, expected)
    return pytest.raises(error, match=f"^{re.escape(message)}$")


@pytest.mark.parametrize(
    "value,error,expected",
    [
        (None, TypeError, "a path"),
        (3, TypeError, "a path"),
        (b"state.json", TypeError, "a path"),
        ("", ValueError, "a non-empty path"),
    ],
)
def test_check_path_rejects_what_is_not_a_path(value, error, expected):
    with _raises(error, "state_path", value, expected):
        _paths.check_path("state_path", value)


def test_check_path_suffixes():
    with _raises(
        ValueError, "best_model_path", "m.h5", "a path ending in '.keras' or '.x'"
    ):
        _paths.check_path("best_model_path", "m.h5", suffixes=(".keras", ".x"))
    assert _paths.check_path("p", pathlib.Path("m.keras"), suffixes=[".keras"]) == (
        "m.keras"
    )


def test_file_path_that_is_a_folder_and_folder_path_that_is_a_file(tmp_path):
    folder, file = str(tmp_path), str(tmp_path / "f.json")
    open(file, "w").close()
    with _raises(
        ValueError,
        "state_path",
        folder,
        "the path of a file, but it is an existing folder",
    ):
        _paths.check_path("state_path", folder)
    with _raises(
        ValueError,
        "backup_dir",
        file,
        "the path of a folder, but it is an existing file",
    ):
        _paths.check_path("backup_dir", file, kind=_paths.FOLDER)
    assert _paths.check_path("backup_dir", folder, kind=_paths.FOLDER) == folder
    assert _paths.check_path("state_path", file) == file


@pytest.mark.parametrize("kind", [_paths.FILE, _paths.FOLDER])
@pytest.mark.parametrize("root", ["local", "ram"])
def test_path_under_a_file(tmp_path, kind, root):
    base = str(tmp_path) if root == "local" else "ram://test_paths_under"
    file = _filesystem.join(base, "a.json")
    _filesystem.write_bytes(file, b"{}")
    value = _filesystem.join(file, "deeper", "state.json")
    with _raises(
        ValueError,
        "state_path",
        value,
        f"a path inside a folder, but {file!r} is a file",
    ):
        _paths.check_path("state_path", value, kind=kind)


def test_check_path_only_reads(tmp_path):
    _paths.check_path("backup_dir", str(tmp_path / "a" / "b"), kind=_paths.FOLDER)
    _paths.check_path("state_path", str(tmp_path / "c" / "s.json"))
    assert os.listdir(tmp_path) == []


def test_check_apart_same_path(tmp_path):
    state = str(tmp_path / "run.keras")
    same = os.path.join(str(tmp_path), ".", "run.keras")
    with _raises(
        ValueError, "best_model_path", same, f"a path other than state_path={state!r}"
    ):
        _paths.check_apart({"state_path": (state, []), "best_model_path": (same, [])})


def test_check_apart_path_the_other_cleans_up(tmp_path):
    # EarlyStopping's state deletes `<state_path>.best-*` (its stale weights)
    # and its temporaries: a best model named like them would be deleted.
    state = str(tmp_path / "run")
    patterns = [
        _filesystem.absolute(state) + ".best-*",
        _filesystem.temporaries_pattern(state),
    ]
    best = str(tmp_path / "run.best-model.keras")
    with _raises(
        ValueError,
        "best_model_path",
        best,
        f"a path that state_path={state!r} does not clean up (it deletes files "
        f"matching {patterns[0]!r})",
    ):
        _paths.check_apart(
            {"state_path": (state, patterns), "best_model_path": (best, [])}
        )
    temporary_like = str(tmp_path / ".run.tmp-1.keras")
    with pytest.raises(ValueError, match=re.escape(repr(patterns[1]))):
        _paths.check_apart(
            {"state_path": (state, patterns), "best_model_path": (temporary_like, [])}
        )
    _paths.check_apart(
        {
            "state_path": (state, patterns),
            "best_model_path": (str(tmp_path / "run-best.keras"), []),
            "unused": (None, []),
        }
    )


def test_check_writable_creates_parents_and_leaves_nothing(tmp_path):
    path = str(tmp_path / "a" / "b" / "state.json")
    _paths.check_writable("state_path", path)
    assert os.listdir(tmp_path / "a" / "b") == []
    folder = str(tmp_path / "bk")
    _paths.check_writable("backup_dir", folder, os.path.join(folder, "pointer.json"))
    assert os.listdir(folder) == []


@pytest.mark.parametrize("root", ["local", "ram"])
def test_check_writable_names_an_unwritable_path(tmp_path, root):
    # Root may write anywhere: a file in the way of the folder blocks it.
    base = str(tmp_path) if root == "local" else "ram://test_paths_unwritable"
    value = _filesystem.join(base, "taken", "state.json")
    _filesystem.write_bytes(_filesystem.join(base, "taken"), b"")
    prefix = "Invalid value for argument `state_path`. Expected a writable path ("
    suffix = f"). Received: state_path={value!r}"
    with pytest.raises(ValueError) as info:
        _paths.check_writable("state_path", value)
    message = str(info.value)
    assert message.startswith(prefix) and message.endswith(suffix), message


class _Owner:
    pass


class EarlyStopping(_Owner):
    pass


class BackupAndRestore(_Owner):
    pass


def _model():
    return keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])


def test_claim_folder_holding_another_path_either_order(tmp_path):
    folder = str(tmp_path / "bk")
    state = str(tmp_path / "bk" / "es.json")
    model, stop, backup = _model(), EarlyStopping(), BackupAndRestore()
    _paths.claim(stop, model, {"state_path": (state, _paths.FILE)})
    with _raises(
        ValueError,
        "backup_dir",
        folder,
        "a folder that holds no other callback's path, but EarlyStopping's "
        f"state_path={state!r} lies in it",
    ):
        _paths.claim(backup, model, {"backup_dir": (folder, _paths.FOLDER)})

    model, stop, backup = _model(), EarlyStopping(), BackupAndRestore()
    _paths.claim(backup, model, {"backup_dir": (folder, _paths.FOLDER)})
    with _raises(
        ValueError,
        "state_path",
        state,
        f"a path outside BackupAndRestore's backup_dir={folder!r}, a folder that "
        "callback manages",
    ):
        _paths.claim(stop, model, {"state_path": (state, _paths.FILE)})


def test_claim_same_path_twice(tmp_path):
    state = str(tmp_path / "es.json")
    model, first, second = _model(), EarlyStopping(), EarlyStopping()
    _paths.claim(first, model, {"state_path": (state, _paths.FILE)})
    with _raises(
        ValueError,
        "state_path",
        state,
        "a path no other callback uses, but it is EarlyStopping's "
        f"state_path={state!r}",
    ):
        _paths.claim(second, model, {"state_path": (state, _paths.FILE)})


def test_claims_that_do_not_conflict(tmp_path):
    model, stop, backup = _model(), EarlyStopping(), BackupAndRestore()
    _paths.claim(backup, model, {"backup_dir": (str(tmp_path / "bk"), _paths.FOLDER)})
    # A sibling whose name starts like the folder's is not inside it.
    _paths.claim(
        stop,
        model,
        {
            "state_path": (str(tmp_path / "bk2" / "es.json"), _paths.FILE),
            "best_model_path": (None, _paths.FILE),
        },
    )
    # A callback claiming again replaces its own claims.
    _paths.claim(backup, model, {"backup_dir": (str(tmp_path / "bk"), _paths.FOLDER)})


def test_claims_end_with_release_a_new_fit_or_another_model(tmp_path):
    state = str(tmp_path / "es.json")
    model, first, second = _model(), EarlyStopping(), EarlyStopping()
    _paths.claim(first, model, {"state_path": (state, _paths.FILE)})
    _paths.release(first, model)
    _paths.claim(second, model, {"state_path": (state, _paths.FILE)})
    # Another model's fit is another set of claims.
    _paths.claim(first, _model(), {"state_path": (state, _paths.FILE)})
    # A fit that died before `on_train_end` left `second`'s claim; a new fit
    # (a new `model.history`) starts afresh, as the resumed run must.
    model.history = keras.callbacks.History()
    _paths.claim(first, model, {"state_path": (state, _paths.FILE)})
