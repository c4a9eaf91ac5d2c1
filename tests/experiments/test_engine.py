"""The keras-tuner adapter: the oracle follows the plan, and the keras-tuner
hooks it overrides are still the ones keras-tuner calls.

`PlanOracle` overrides keras-tuner's private `_save_trial` (and calls
`_get_trial_dir`, `_get_oracle_fname`) so that every file is replaced whole;
these tests fail loudly when a keras-tuner release renames or stops calling
them, instead of the study silently writing files in place again.
"""

import inspect
import json

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
        "set_state": ["self", "state"],
        "populate_space": ["self", "trial_id"],
    }
    for name, parameters in hooks.items():
        method = getattr(keras_tuner.Oracle, name)
        assert list(inspect.signature(method).parameters) == parameters, name
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
