"""A run killed by SIGKILL at every kind of moment resumes to the same result.

One chain of child processes (`kill_child.py`): each resumes the run left by
the previous one and kills itself at its own point, chosen to hit every
window once: mid-training; mid-write of the state and of the best model;
after the state save, mid-write of the backup (which forces a roll-back past
an improvement); and while deleting the backup at the end. After each kill
every file on disk must load; the last process runs to the end and must match
an uninterrupted run exactly.
"""

import json
import os
import signal
import subprocess
import sys

import keras
import numpy as np

from tests.callbacks import kill_child
from tests.callbacks._support import assert_weights_equal, tiny_model

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (kill point, then: epoch the backup resumes from, last epoch in the state)
CHAIN = [
    ("batch#6", 1, 0),  # in epoch 1's second batch
    ("fsync:state#1", 1, 0),  # mid-write of epoch 1's state
    ("fsync:best_model#1", 1, 1),  # mid-write of epoch 1's best model
    # Mid-write of epoch 3's backup, after epoch 3's state was saved: the
    # resumed run repeats epoch 3 and rolls back its improvement.
    ("fsync:backup#3", 3, 3),
    # Stopped at 5, deleting the backup, which epoch 5's end committed: the
    # resumed run starts at 6 and stops at once.
    ("remove:pointer#1", 6, 5),
]


def _run_child(workdir, target):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT)
    script = os.path.join(os.path.dirname(__file__), "kill_child.py")
    return subprocess.run(
        [sys.executable, script, workdir, target],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


def _assert_files_load(workdir):
    """Every file a resumed run would read is whole; return (backup, state) epochs."""
    best = os.path.join(workdir, "best.keras")
    if os.path.exists(best):
        keras.saving.load_model(best)
    with open(os.path.join(workdir, "es.json")) as f:
        state = json.load(f)["state"]
    for name in state["best_files"].values():
        assert os.path.exists(os.path.join(workdir, name))
    with open(os.path.join(workdir, "backup", "checkpoint.json")) as f:
        pointer = json.load(f)
    model = tiny_model()
    model.optimizer.build(model.trainable_variables)
    model.load_weights(
        os.path.join(workdir, "backup", pointer["folder"], "model.weights.h5")
    )
    return pointer["epoch"], state["last_epoch"]


def test_sigkill_at_every_window_resumes_to_the_uninterrupted_result(tmp_path):
    reference_dir = tmp_path / "reference"
    reference_dir.mkdir()
    reference, reference_stop = kill_child.fit_run(str(reference_dir))
    reference_best = keras.saving.load_model(reference_dir / "best.keras").get_weights()

    workdir = str(tmp_path / "run")
    os.mkdir(workdir)
    for target, backup_epoch, state_epoch in CHAIN:
        result = _run_child(workdir, target)
        assert result.returncode == -signal.SIGKILL, (target, result.stderr[-3000:])
        assert _assert_files_load(workdir) == (backup_epoch, state_epoch), target

    result = _run_child(workdir, "none")
    assert result.returncode == 0, result.stderr[-3000:]
    with np.load(os.path.join(workdir, "result.npz")) as data:
        epochs = data["epochs"].tolist()
        weights = [data[f"arr_{i}"] for i in range(len(data.files) - 1)]
    assert epochs == [reference_stop.stopped_epoch, reference_stop.best_epoch] == [5, 3]
    assert_weights_equal(weights, reference.get_weights())
    best = keras.saving.load_model(os.path.join(workdir, "best.keras")).get_weights()
    assert_weights_equal(best, reference_best)
    assert not os.path.exists(os.path.join(workdir, "backup"))
