"""A tiny study, run in its own process by the resume and distributed tests.

Usage: python _study_child.py OUT RESULT

Runs `tiny_study(OUT)` and writes RESULT: the JSON of `digest(result)`, or
`null` where the process is a distributed worker. With the environment
variable KILL_MID_STATE set, the process kills itself (SIGKILL) when its
first trial has finished: after the trial's file is written, halfway through
writing the oracle's state that records the trial's end; with KILL_IN_REPORT
set, once the report is written into its staging folder, before it is
published. With BARRIER set to
"FOLDER:COUNT", it starts the study only once COUNT processes have reached
that point (each leaves a file in FOLDER), so that a slow start cannot leave
one worker without a trial. Every trial this process
runs is appended, as it starts, to OUT/ran-by-<tuner id>.txt (tuner0 unless
KERASTUNER_TUNER_ID says otherwise): keras-tuner's own records do not say
which process ran a trial.
"""

import json
import os
import signal
import sys
import time

import keras
import numpy as np

from kerasreg.experiments import engine, study

# 14 trials: 2 learning rates and 2 λ, each at 1 epoch (successive halving)
# then the better at 2, 1 dropout rate, 5 further seeds, 1 path and the
# fresh fit at the λ it recommends.
ARGUMENTS = {
    "techniques": ("L1", "Dropout"),
    "grids": {"L1": (1e-3, 1e-2), "Dropout": (0.2,)},
    "learning_rates": (0.03, 0.1),
    "seeds": 2,
    "epochs": 2,
    "batch_size": 16,
    "halving": True,
}
TRIALS = 14


def tiny_data():
    """60 examples of 8 features in 3 classes, labelled by a linear rule."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 8)).astype("float32")
    y = np.argmax(x @ rng.normal(size=(8, 3)), axis=1)
    return x, y


def build_model(switches):
    inputs = keras.Input((8,))
    x = keras.layers.Dense(8, kernel_regularizer=switches.kernel_regularizer)(inputs)
    x = switches.dropout(keras.layers.ReLU()(x))
    return keras.Model(inputs, keras.layers.Dense(3)(x))


def tiny_study(out, **overrides):
    """The study under test, silent; `overrides` replace its arguments."""
    arguments = {**ARGUMENTS, **overrides}
    return study(build_model, tiny_data(), out=out, verbose=0, **arguments)


def digest(result):
    """What two runs of the study must agree on, as JSON-ready values."""
    choices = result.choices
    return {
        "learning_rate": choices.learning_rate,
        "learning_rates": {str(k): v for k, v in choices.learning_rates.items()},
        "strength": choices.strength,
        "strengths": {
            name: {str(k): v for k, v in scores.items()}
            for name, scores in choices.strengths.items()
        },
        "runs": {
            name: [[run.test_accuracy, run.val_loss] for run in runs]
            for name, runs in result.runs.items()
        },
        "summaries": {
            name: {
                key: [interval.mean, interval.low, interval.high]
                for key in ("train_accuracy", "test_accuracy", "gap", "zero_fraction")
                for interval in (getattr(summary, key),)
            }
            for name, summary in result.summaries.items()
        },
        "paths": {
            name: [[p.strength, p.measures["val_loss"], p.zero_share] for p in points]
            for name, points in result.paths.items()
        },
    }


def _recording_trials(out):
    tuner_id = os.environ.get("KERASTUNER_TUNER_ID", "tuner0")
    log = os.path.join(out, f"ran-by-{tuner_id}.txt")
    run_trial = engine.StudyTuner.run_trial

    def recorded(self, trial, *args, **kwargs):
        with open(log, "a") as f:
            f.write(f"{trial.trial_id}\n")
        return run_trial(self, trial, *args, **kwargs)

    engine.StudyTuner.run_trial = recorded


def _killing_mid_state():
    """SIGKILL this process halfway through writing the oracle's state once
    its first trial has ended: in keras-tuner's own in-place write, or in the
    flush of a temporary file that would replace the state."""
    import tensorflow as tf

    save = engine.PlanOracle.save
    # How many trials had ended at each save of the state in this process.
    ended = []

    def saving(self):
        ended.append(len(self.end_order))
        save(self)

    def armed(path):
        started = bool(ended) and ended[-1] > ended[0]
        return started and "oracle.json" in os.path.basename(path)

    write = tf.io.gfile.GFile.write

    def writing(self, content):
        if armed(self.name):
            write(self, content[: len(content) // 2])
            self.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        write(self, content)

    fsync = os.fsync

    def flushing(fd):
        path = os.readlink(f"/proc/self/fd/{fd}")
        if armed(path):
            os.truncate(path, os.path.getsize(path) // 2)
            os.kill(os.getpid(), signal.SIGKILL)
        fsync(fd)

    engine.PlanOracle.save = saving
    tf.io.gfile.GFile.write = writing
    os.fsync = flushing


def _killing_in_report():
    """SIGKILL this process once the report is staged, before it is published."""
    module = sys.modules["kerasreg.experiments.run_study"]
    write_report = module.write_report

    def writing(*args, **kwargs):
        write_report(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGKILL)

    module.write_report = writing


def _barrier(folder, count):
    os.makedirs(folder, exist_ok=True)
    open(os.path.join(folder, str(os.getpid())), "w").close()
    while len(os.listdir(folder)) < int(count):
        time.sleep(0.1)


def main(out, result_path):
    _recording_trials(out)
    if os.environ.get("KILL_MID_STATE"):
        _killing_mid_state()
    if os.environ.get("KILL_IN_REPORT"):
        _killing_in_report()
    if os.environ.get("BARRIER"):
        _barrier(*os.environ["BARRIER"].rsplit(":", 1))
    result = tiny_study(out)
    with open(result_path, "w") as f:
        json.dump(None if result is None else digest(result), f)


if __name__ == "__main__":
    main(*sys.argv[1:])
