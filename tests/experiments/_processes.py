"""Run `_study_child.py` in child processes, and read the trials they left."""

import json
import os
import subprocess
import sys

from kerasreg.experiments.plan import trial_key
from tests.distribute._cluster import ROOT

CHILD = os.path.join(os.path.dirname(__file__), "_study_child.py")


def start(workdir, name, out, env=None):
    """Start the tiny study on `out`; returns (process, result path, stderr path)."""
    result = os.path.join(workdir, f"{name}.json")
    stderr = os.path.join(workdir, f"{name}.err")
    with open(stderr, "w") as err:
        process = subprocess.Popen(
            [sys.executable, CHILD, out, result],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=dict(
                os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT, **(env or {})
            ),
        )
    return process, result, stderr


def finish(process, timeout):
    """`process`'s exit code, killed first if it runs past `timeout` seconds."""
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def read_json(path):
    with open(path) as f:
        return json.load(f)


def trial_records(out):
    """Trial id → (status, trial key, path) of every trial.json keras-tuner
    wrote under `out` that can be read (one being written cannot)."""
    folder = os.path.join(out, "trials")
    records = {}
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
        path = os.path.join(folder, name, "trial.json")
        try:
            trial = read_json(path)
        except (OSError, ValueError):
            continue
        key = trial_key(trial["hyperparameters"]["values"])
        records[trial["trial_id"]] = (trial["status"], key, path)
    return records


def completed_keys(out):
    """Each trial key completed under `out` → how many times it completed."""
    counts = {}
    for status, key, _ in trial_records(out).values():
        if status == "COMPLETED":
            counts[key] = counts.get(key, 0) + 1
    return counts


def ran_by(out, tuner_id="tuner0"):
    """Trial ids the process with `tuner_id` started, in order (its own log)."""
    path = os.path.join(out, f"ran-by-{tuner_id}.txt")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.read().split()
