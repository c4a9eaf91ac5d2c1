"""The keras-tuner adapter: the oracle follows the plan, and the keras-tuner
hooks it overrides are still the ones keras-tuner calls.

`PlanOracle` overrides keras-tuner's private `_save_trial` (and calls
`_get_trial_dir`, `_get_oracle_fname`) so that every file is replaced whole,
and `reload`, which rebuilds the oracle's state from the trial files;
these tests fail loudly when a keras-tuner release renames or stops calling
them, instead of the study silently writing files in place again.
"""

import inspect
import json
import re
import shutil
import warnings
import zlib

import keras_tuner
import pytest

from kerasreg.experiments import engine
from kerasreg.experiments.plan import Plan, trial_key
from kerasreg.experiments.techniques import technique


def _plan():
    return Plan(
        techniques=(technique("Dropout", (0.5,)),),
        combinations=(),
        learning_rates=(0.01, 0.1),
        seeds=1,
        epochs=1,
        path=False,
    )


@pytest.fixture
def oracle(tmp_path):
    plan = _plan()
    oracle = engine.PlanOracle(plan)
    # The tuner gives the oracle its project folder, as in a study.
    engine.StudyTuner(oracle, None, plan, directory=str(tmp_path), project_name="p")
    return oracle


def test_the_keras_tuner_hooks_the_oracle_overrides_exist():
    hooks = {
        "_save_trial": ["self", "trial"],
        "_get_trial_dir": ["self", "trial_id"],
        "_get_oracle_fname": ["self"],
        "reload": ["self"],
        "populate_space": ["self", "trial_id"],
    }
    for name, parameters in hooks.items():
        method = getattr(keras_tuner.Oracle, name)
        assert list(inspect.signature(method).parameters) == parameters, name
    # What `PlanOracle.reload` rebuilds, and the tuner's reload it replaces.
    assert isinstance(keras_tuner.Oracle._project_dir, property)
    state = keras_tuner.Oracle(objective="val_loss")
    for name in ("trials", "ongoing_trials", "start_order", "end_order"):
        assert hasattr(state, name), name
    assert state._retry_queue == []
    assert list(inspect.signature(keras_tuner.Tuner.reload).parameters) == ["self"]
    trial = inspect.signature(keras_tuner.engine.trial.Trial)
    assert list(trial.parameters)[:3] == ["hyperparameters", "trial_id", "status"]


def test_keras_tuner_writes_every_file_through_the_whole_file_writes(
    oracle, tmp_path, monkeypatch
):
    written = []
    original = engine._filesystem.write_json

    def spy(path, obj):
        written.append(str(path))
        original(path, obj)

    monkeypatch.setattr(engine._filesystem, "write_json", spy)
    trial = oracle.create_trial("tuner0")
    oracle.update_trial(trial.trial_id, {"val_loss": 1.5})
    trial.status = "COMPLETED"
    oracle.end_trial(trial)
    project = tmp_path / "p"
    assert str(project / f"trial_{trial.trial_id}" / "trial.json") in written
    assert str(project / "oracle.json") in written
    # What keras-tuner reads back is what was written.
    state = json.loads((project / f"trial_{trial.trial_id}" / "trial.json").read_text())
    assert state["status"] == "COMPLETED"


def test_the_oracle_hands_out_the_plan_in_order_then_stops(oracle):
    ran = []
    while True:
        trial = oracle.create_trial("tuner0")
        if trial.status == "STOPPED":
            break
        assert trial.status == "RUNNING"
        ran.append(trial.hyperparameters.values)
        oracle.update_trial(trial.trial_id, {"val_loss": 1.0})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)
    results = {trial_key(values): 1.0 for values in ran}
    assert [trial_key(v) for v in ran] == [
        trial_key(v) for v in oracle.plan.trials(results)[0]
    ]
    assert engine.validation_losses(oracle.trials.values()) == results


def test_a_second_tuner_waits_while_a_phase_is_running(oracle):
    first = oracle.create_trial("tuner0")
    second = oracle.create_trial("tuner1")
    assert first.status == second.status == "RUNNING"
    # Phase 1 (two learning rates) is handed out; phase 2 must wait for it.
    assert oracle.create_trial("tuner2").status == "IDLE"


# A damaged project folder: the oracle's state is rebuilt from the trial files
# that are intact, and what was lost runs again. Trials are run here without
# training: a trial's validation loss is a function of its values.


def _loss(values):
    return zlib.crc32(trial_key(values).encode()) / 2**32


def _search(folder, stop=None):
    """Run the plan's trials in `folder` (at most `stop`) as keras-tuner's
    `search` does; returns the oracle and the ids of the trials run."""
    plan = Plan(
        techniques=(technique("Dropout", (0.2, 0.5)),),
        combinations=(),
        learning_rates=(0.01, 0.1),
        seeds=3,
        epochs=1,
        path=False,
    )
    oracle = engine.PlanOracle(plan)
    tuner = engine.StudyTuner(oracle, None, plan, directory=folder, project_name="p")
    oracle.verbose = 0
    ran = []
    while stop is None or len(ran) < stop:
        trial = oracle.create_trial("tuner0")
        if trial.status == "STOPPED":
            break
        ran.append(trial.trial_id)
        loss = _loss(trial.hyperparameters.values)
        oracle.update_trial(trial.trial_id, {"val_loss": loss})
        trial.status = "COMPLETED"
        tuner.on_trial_end(trial)
    return oracle, ran


def _files(project):
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in sorted(project.rglob("trial.json"))
    }


def _delete(path):
    shutil.rmtree(path) if path.is_dir() else path.unlink()


def _running(path):
    # Killed mid-trial: its file says it runs.
    state = json.loads(path.read_text())
    state.update(status="RUNNING", metrics={"metrics": {}})
    path.write_text(json.dumps(state))


_DAMAGES = {
    "trial-folder-deleted": ("trial_0002", _delete, ["0002"]),
    "trial-json-deleted": ("trial_0002/trial.json", _delete, ["0002"]),
    "trial-json-empty": ("trial_0001/trial.json", lambda p: p.write_text(""), ["0001"]),
    "trial-json-truncated": (
        "trial_0001/trial.json",
        lambda p: p.write_bytes(p.read_bytes()[:40]),
        ["0001"],
    ),
    "trial-json-garbage": (
        "trial_0000/trial.json",
        lambda p: p.write_bytes(b"\x00\xff"),
        ["0000"],
    ),
    "trial-json-not-a-trial": (
        "trial_0000/trial.json",
        lambda p: p.write_text("[1]"),
        ["0000"],
    ),
    "trial-killed-running": ("trial_0001/trial.json", _running, []),
    "oracle-json-deleted": ("oracle.json", _delete, []),
    "oracle-json-empty": ("oracle.json", lambda p: p.write_text(""), []),
    "oracle-json-garbage": ("oracle.json", lambda p: p.write_text("{'a"), []),
    "tuner-json-deleted": ("tuner0.json", _delete, []),
    "tuner-json-truncated": ("tuner0.json", lambda p: p.write_text("{"), []),
}


@pytest.mark.parametrize("name", list(_DAMAGES))
def test_a_damaged_project_is_rebuilt_from_its_intact_trials(tmp_path, name):
    where, damage, lost = _DAMAGES[name]
    reference, _ = _search(tmp_path / "reference")
    expected = engine.validation_losses(reference.trials.values())
    _search(tmp_path, stop=4)
    project = tmp_path / "p"
    intact = {
        path: data
        for path, data in _files(project).items()
        if not path.startswith(where.split("/")[0])
    }
    damage(project / where)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        oracle, ran = _search(tmp_path)

    # Every planned trial has its result, the same as an undamaged search's;
    # the intact trials' files are as they were; only what was lost (and the
    # rest of the plan) ran.
    assert engine.validation_losses(oracle.trials.values()) == expected
    assert _files(project).items() >= intact.items()
    retried = name == "trial-killed-running"
    assert len(ran) == len(expected) - 4 + len(lost) + retried
    named = [
        str(w.message).split("'")[1] for w in caught if "lost a trial" in str(w.message)
    ]
    assert named == [str(project / f"trial_{i}" / "trial.json") for i in lost]
    for i in lost:
        state = json.loads((project / f"trial_{i}" / "trial.json").read_text())
        assert state["status"] == "FAILED"
    # Rebuilt once, the folder reloads without a warning, and nothing runs.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        assert _search(tmp_path)[1] == []


def test_a_lost_trial_is_named_in_a_warning(tmp_path):
    _search(tmp_path, stop=2)
    path = tmp_path / "p" / "trial_0001" / "trial.json"
    path.write_text("")
    message = (
        f"The study lost a trial: '{path}' is damaged (Expecting value: line 1 "
        "column 1 (char 0)); its trial runs again."
    )
    with pytest.warns(UserWarning, match=f"^{re.escape(message)}$"):
        _search(tmp_path, stop=0)
