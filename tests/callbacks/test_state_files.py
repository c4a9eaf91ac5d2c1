"""EarlyStopping's files, directly: round trip, damage, ownership."""

import json
import re

import pytest

from kerasreg.callbacks import _state_files
from tests.callbacks.test_state import _state_after

IDENTITY = {"monitor": "val_loss", "patience": 2, "restore_best_weights": False}


class _Model:
    """A stand-in: without best weights kept, the files never touch the model."""


def test_written_state_loads_back_equal(tmp_path):
    path = str(tmp_path / "es.json")
    files = _state_files.StateFiles(path, None, IDENTITY, _Model(), None)
    state = _state_after([1.0, 0.5, 0.75])
    files.write_epoch(state, False, 1)
    assert files.load() == state
    saved = json.loads((tmp_path / "es.json").read_text())
    assert (saved["format"], saved["config"]) == (_state_files.FORMAT, IDENTITY)


def test_a_weights_name_outside_the_state_folder_is_damage(tmp_path):
    path = str(tmp_path / "es.json")
    files = _state_files.StateFiles(path, None, IDENTITY, _Model(), None)
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
    weights, state_temporaries, weight_temporaries = _state_files.owned_patterns(
        str(tmp_path / "run")
    )
    assert weights == f"{tmp_path}/run.best-*"
    assert state_temporaries == f"{tmp_path}/.run.tmp-*"
    assert weight_temporaries == f"{tmp_path}/.run.best-*.tmp-*"
