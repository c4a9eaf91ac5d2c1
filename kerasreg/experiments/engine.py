"""The study's trials on keras-tuner: an oracle that follows the plan, a tuner
that trains.

keras-tuner records every trial in the project folder (a killed study
resumes without repeating finished trials) and, given
`KERASTUNER_TUNER_ID`, `KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT`,
serves the oracle from a chief process to workers on other machines. The
oracle lives on the chief: it alone decides, from the finished trials, what
runs next, and it holds every result (they travel as metrics), so the workers
need no shared folder.
"""

import json
import os
import time

import keras_tuner

# keras-tuner exports no way to ask whether this process is its chief.
from keras_tuner.src.distribute import utils as _distribute

from kerasreg import _filesystem
from kerasreg.experiments.plan import trial_key
from kerasreg.experiments.records import OBJECTIVE, path_from_metrics, path_to_metrics

# Seconds a worker waits before asking again when the oracle has no trial
# for it yet (the others are finishing a phase its choices rest on).
_WAIT = 1.0
# keras-tuner's `TrialStatus.COMPLETED`.
_COMPLETED = "COMPLETED"


class PlanOracle(keras_tuner.Oracle):
    """A keras-tuner oracle whose trials are the next ones of a `Plan`.

    Args:
        plan: a `kerasreg.experiments.plan.Plan`.
        on_trial_end: callable `()` after each trial, or None. It is called
            here, where the trial's end is recorded, so that a distributed
            study's chief counts the trials its workers end.
    """

    def __init__(self, plan, on_trial_end=None):
        super().__init__(
            objective=keras_tuner.Objective(OBJECTIVE, "min"),
            # The first failure ends the study with its traceback: a trial
            # that raises would fail the same way on every retry.
            max_consecutive_failed_trials=1,
            seed=1,
        )
        self.plan = plan
        self.trial_ended = on_trial_end

    def end_trial(self, trial):
        super().end_trial(trial)
        if self.trial_ended:
            self.trial_ended()

    # keras-tuner writes its state and each trial's file in place: killed
    # mid-write, a study could not be reloaded. Each is replaced whole.
    def save(self):
        _filesystem.write_json(self._get_oracle_fname(), self.get_state())

    def _save_trial(self, trial):
        path = os.path.join(self._get_trial_dir(trial.trial_id), "trial.json")
        _filesystem.write_json(path, trial.get_state())

    def set_state(self, state):
        super().set_state(state)
        # keras-tuner writes a trial's file before its own state, which a
        # kill in between leaves listing the trial as running; it would run
        # the trial again on reload. One that finished stays finished; one
        # retried starts afresh, without metrics (keras-tuner would average
        # a step's values over the two attempts).
        for tuner_id, trial in list(self.ongoing_trials.items()):
            if trial.status == _COMPLETED:
                del self.ongoing_trials[tuner_id]
                self.end_order.append(trial.trial_id)
            else:
                afresh = keras_tuner.engine.trial.Trial(
                    trial.hyperparameters, trial.trial_id, trial.status
                )
                self.trials[trial.trial_id] = self.ongoing_trials[tuner_id] = afresh

    def populate_space(self, trial_id):
        running = {
            trial_key(t.hyperparameters.values) for t in self.ongoing_trials.values()
        }
        trials = self.trials.values()
        status, values = self.plan.next(
            validation_losses(trials), running, paths=finished_paths(trials)
        )
        if status == "run":
            return {"status": "RUNNING", "values": values}
        return {"status": "IDLE" if status == "wait" else "STOPPED"}


def validation_losses(trials):
    """Trial key → validation loss of every completed trial."""
    return {
        trial_key(t.hyperparameters.values): float(t.metrics.get_last_value(OBJECTIVE))
        for t in trials
        if t.status == _COMPLETED
    }


def finished_paths(trials):
    """Penalty → the `PathPoint`s of every completed path trial."""
    paths = [t for t in trials if t.hyperparameters.values["path"]]
    return {
        json.loads(key)["path"]: path_from_metrics(metrics)
        for key, metrics in completed_metrics(paths).items()
    }


def completed_metrics(trials):
    """Trial key → metrics (name → float) of every completed trial."""
    return {
        trial_key(t.hyperparameters.values): {
            name: t.metrics.get_last_value(name) for name in t.metrics.metrics
        }
        for t in trials
        if t.status == _COMPLETED
    }


def is_worker():
    """Whether this process is a worker of a distributed study.

    keras-tuner decides from its environment (`KERASTUNER_ORACLE_IP` and
    `KERASTUNER_TUNER_ID`) whether it runs distributed and whether this
    process serves the oracle (the chief); a worker runs trials and leaves
    the result to the chief.
    """
    return _distribute.has_chief_oracle() and not _distribute.is_chief_oracle()


class StudyTuner(keras_tuner.Tuner):
    """Runs a trial: the configuration its values describe, or a path.

    Args:
        oracle: a `PlanOracle`.
        trainer: a `kerasreg.experiments.training.Trainer`.
        plan: the `Plan` (a worker's oracle is a client of the chief's).
        directory, project_name: keras-tuner's project folder
            (`StudyFolder.tuner_project`).
    """

    def __init__(self, oracle, trainer, plan, **kwargs):
        super().__init__(oracle=oracle, **kwargs)
        self.trainer = trainer
        self.plan = plan
        self._asked = False

    def pre_create_trial(self):
        # keras-tuner asks again at once when the oracle answers IDLE: a
        # worker waiting out a phase would keep a core of its machine and of
        # the chief's busy with thousands of requests a second.
        if self._asked:
            time.sleep(_WAIT)
        self._asked = True

    def on_trial_begin(self, trial):
        super().on_trial_begin(trial)
        self._asked = False

    def run_trial(self, trial, *args, **kwargs):
        values = trial.hyperparameters.values
        if values["path"]:
            strengths = self.plan.path_strengths(values["path"])
            points = self.trainer.run_path(values["path"], strengths, values)
            return path_to_metrics(points)
        return self.trainer.run(values).to_metrics()
