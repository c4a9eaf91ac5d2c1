"""EarlyStopping's state and files, directly: roll-back, round trip, ownership."""

import json
import re

import pytest

from kerasreg.callbacks import _state

IDENTITY = {"monitor": "val_loss", "patience": 2, "restore_best_weights": False}


class _Model:
    """A stand-in: without best weights kept, the files never touch the model."""


def _state_after(values):
    """A state as the patience rule (patience 2) leaves it after `values`."""
    state = _state.EarlyStoppingState(direction="min")
    best, best_epoch, wait = None, None, 0
    for epoch, value in enumerate(values):
        state.record(epoch, value)
        wait += 1
        if best is None or value < best:
            best, best_epoch, wait = value, epoch, 0
        state.set_carry(best, best_epoch, wait)
        state.last_epoch = epoch
    return state


def test_roll_back_restores_the_carry_of_the_last_kept_epoch():
    state = _state_after([1.0, 0.5, 0.75, 0.875])
    state.stopped_epoch, state.stop_reason = 3, "no improvement"
    # A value written by hand after epoch 1 is what a roll-back to 2 restores.
    state.carries[1] = [0.25, 1, 1]
    state.roll_back(2)
    assert (state.epochs, state.values, state.last_epoch) == ([0, 1], [1.0, 0.5], 1)
    assert (state.best, state.best_epoch, state.wait) == (0.25, 1, 1)
    assert (state.stopped_epoch, state.stop_reason) == (0, "")
    state.roll_back(0)
    assert (state.best, state.best_epoch, state.wait, state.carries) == (
        None,
        None,
        0,
        [],
    )


def test_written_state_loads_back_equal(tmp_path):
    path = str(tmp_path / "es.json")
    files = _state.StateFiles(path, None, IDENTITY, _Model(), None)
    state = _state_after([1.0, 0.5, 0.75])
    files.write_epoch(state, False, 1)
    assert files.load() == state
    saved = json.loads((tmp_path / "es.json").read_text())
    assert (saved["format"], saved["config"]) == (_state.FORMAT, IDENTITY)


def test_a_weights_name_outside_the_state_folder_is_damage(tmp_path):
    path = str(tmp_path / "es.json")
    files = _state.StateFiles(path, None, IDENTITY, _Model(), None)
    state = _state_after([1.0])
    files.write_epoch(state, False, None)
    saved = json.loads((tmp_path / "es.json").read_text())
    saved["state"]["best_files"] = {"0": "../es.json.best-0-x.npz"}
    (tmp_path / "es.json").write_text(json.dumps(saved))
    message = (
        f"The EarlyStopping state file {path!r} is damaged: `best_files` has the "
        "entry '0': '../es.json.best-0-x.npz'. Delete it to start afresh."
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        files.load()


def test_owned_patterns_cover_weights_and_temporaries(tmp_path):
    weights, state_temporaries, weight_temporaries = _state.owned_patterns(
        str(tmp_path / "run")
    )
    assert weights == f"{tmp_path}/run.best-*"
    assert state_temporaries == f"{tmp_path}/.run.tmp-*"
    assert weight_temporaries == f"{tmp_path}/.run.best-*.tmp-*"
