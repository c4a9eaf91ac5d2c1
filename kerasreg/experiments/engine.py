"""The study's trials on keras-tuner: an oracle that follows the plan, a tuner
that trains.

keras-tuner records every trial in the project folder (a killed study
resumes without repeating finished trials) and, given
`KERASTUNER_TUNER_ID`, `KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT`,
serves the oracle from a chief process to workers on other machines. The
oracle lives on the chief: it alone decides, from the finished trials, what
runs next, and it holds every result (they travel as metrics), so the workers
need no shared folder.

The oracle's state is rebuilt from the trial files that are intact whenever a
study starts (the plan is a pure function of the finished trials): a trial
whose file is lost or damaged runs again, and keras-tuner's own state files
(`oracle.json`, `<tuner id>.json`) are written but never read back, so
damaging or deleting them costs nothing.
"""

import json
import os
import time
import warnings
from concurrent import futures

import keras_tuner

# keras-tuner exports no way to ask whether this process is its chief.
from keras_tuner.src.distribute import utils as _distribute

from kerasreg import _filesystem
from kerasreg.experiments.plan import trial_key
from kerasreg.experiments.records import OBJECTIVE, path_from_metrics, path_to_metrics
from kerasreg.experiments.workers import TUNER_ID

# Seconds a worker waits before asking again when the oracle has no trial
# for it yet (the others are finishing a phase its choices rest on).
_WAIT = 1.0
# keras-tuner's `TrialStatus.COMPLETED` and `FAILED`.
_COMPLETED, _FAILED = "COMPLETED", "FAILED"
_Trial = keras_tuner.engine.trial.Trial


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

    def reload(self):
        """Rebuild the state from the trial files in the project folder.

        A completed trial counts; one that was running when its process died
        runs again from its start; a trial whose file is damaged is recorded
        as lost (it ran, its result is gone), with a warning, so that its
        configuration runs again under a new id.
        """
        self.trials, self.ongoing_trials = {}, {}
        self.start_order, self.end_order, self._retry_queue = [], [], []
        project = self._project_dir
        ids = []
        for name in sorted(os.listdir(project)):
            path = os.path.join(project, name, "trial.json")
            if not (name.startswith("trial_") and os.path.isfile(path)):
                continue
            try:
                trial = _Trial.from_state(_filesystem.read_json(path))
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
                trial = self._lost(name[len("trial_") :], path, error)
            ids.append(trial.trial_id)
            self.trials[trial.trial_id] = trial
            self.start_order.append(trial.trial_id)
            if trial.status == _COMPLETED:
                self.end_order.append(trial.trial_id)
            elif trial.status != _FAILED:
                # keras-tuner would average a step's values over the two
                # attempts: the retried trial starts without metrics.
                afresh = _Trial(trial.hyperparameters, trial.trial_id, "RUNNING")
                self.trials[trial.trial_id] = afresh
                self._retry_queue.insert(0, trial.trial_id)
        # keras-tuner numbers a new trial by the count of trials: a trial
        # folder deleted from the middle is recorded as lost, so that the
        # next number is not a finished trial's.
        numbers = [int(i) for i in ids if i.isdigit()]
        for number in range(max(numbers, default=-1) + 1):
            trial_id = f"{number:04d}"
            if trial_id not in self.trials:
                path = os.path.join(project, f"trial_{trial_id}", "trial.json")
                self.trials[trial_id] = self._lost(trial_id, path, None)

    def _lost(self, trial_id, path, error):
        reason = "is missing" if error is None else f"is damaged ({error})"
        warnings.warn(
            f"The study lost a trial: {path!r} {reason}; its trial runs again.",
            stacklevel=2,
        )
        trial = _Trial(self.hyperparameters.copy(), trial_id, _FAILED, message="lost")
        self._save_trial(trial)
        return trial

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
    # A trial being rebuilt from a damaged file may hold no values yet.
    paths = [t for t in trials if t.hyperparameters.values.get("path")]
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


def serve_oracle(oracle, host):
    """Serve `oracle` to keras-tuner's workers over gRPC on `host`, at a port
    the system picks; returns the started server and its port.

    Not keras-tuner's `start_server`: that blocks until the study ends, so
    its caller cannot watch the workers, and it notices the end only up to
    20 s after the last worker asked.
    """
    import grpc

    # keras-tuner exports neither its servicer nor its gRPC protocol.
    from keras_tuner.src import protos
    from keras_tuner.src.distribute.oracle_chief import OracleServicer

    # One thread: keras-tuner's oracle serves one request at a time.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    protos.get_service_grpc().add_OracleServicer_to_server(
        OracleServicer(oracle), server
    )
    port = server.add_insecure_port(f"{host}:0")
    server.start()
    return server, port


def tuner_id():
    """keras-tuner's id of this process: "tuner0" unless distributed."""
    return os.environ.get(TUNER_ID, "tuner0")


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
        if not is_worker():
            oracle.reload()

    def reload(self):
        # keras-tuner reloads only where it finds this tuner's own file, which
        # holds no state of a `StudyTuner`: the oracle reloads in `__init__`,
        # from the trial files alone.
        pass

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
