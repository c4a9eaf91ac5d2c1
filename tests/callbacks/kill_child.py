"""A training run that kills itself (SIGKILL) at a chosen point; for the tests.

Usage: python kill_child.py WORKDIR TARGET

TARGET is "LABEL#N": the process kills itself at the N-th event LABEL, or runs
to the end when TARGET is "none" and writes WORKDIR/result.npz. Events are
counted in this process only, so the kill points are exact and repeatable:

- "batch": the end of a training batch (mid-training);
- "fsync:KIND": a file about to be flushed; the file is first cut to half its
  size, as if the process died in the middle of writing it;
- "replace:KIND": an atomic rename about to happen;
- "remove:KIND": a file or folder about to be deleted ("remove:temporary" for
  a temporary file, whatever it stands beside);

with KIND one of "pointer" (the backup's commit file), "backup", "state",
"npz" (the state's best weights), "best_model" or "other", from the path
("fsyncdir:KIND" for a folder). The run itself is `fit_run`, which the tests
also call in their own process for the uninterrupted reference.
"""

import os
import shutil
import signal
import sys

VAL = [1.0, 0.75, 0.875, 0.5, 0.625, 0.625, 0.75, 0.875, 1.0, 1.0]


def _kind(path):
    name = os.path.basename(path)
    if "checkpoint.json" in name:
        return "pointer"
    if "backup" in path:
        return "backup"
    if "es.json.best" in name:
        return "npz"
    if "es.json" in name:
        return "state"
    if "best.keras" in name:
        return "best_model"
    return "other"


def fit_run(workdir, extra_callbacks=()):
    """The deterministic run under test; returns (model, early stopping)."""
    from kerasreg.callbacks import BackupAndRestore, EarlyStopping
    from tests.callbacks._support import ScriptedLogs, regression_data, tiny_model

    model = tiny_model()
    x, y = regression_data()
    stop = EarlyStopping(
        patience=2,
        state_path=os.path.join(workdir, "es.json"),
        best_model_path=os.path.join(workdir, "best.keras"),
    )
    callbacks = [
        ScriptedLogs(VAL),
        *extra_callbacks,
        stop,
        BackupAndRestore(os.path.join(workdir, "backup")),
    ]
    model.fit(
        x,
        y,
        epochs=len(VAL),
        batch_size=16,
        shuffle=False,
        verbose=0,
        validation_data=(x[:16], y[:16]),
        callbacks=callbacks,
    )
    return model, stop


def _install_kill_hooks(target):
    counts = {}

    def event(label, path=None):
        counts[label] = counts.get(label, 0) + 1
        if f"{label}#{counts[label]}" != target:
            return
        if path and os.path.isfile(path):
            os.truncate(path, os.path.getsize(path) // 2)
        os.kill(os.getpid(), signal.SIGKILL)

    real_fsync, real_replace = os.fsync, os.replace
    real_remove, real_rmtree = os.remove, shutil.rmtree

    def fsync(fd):
        path = os.readlink(f"/proc/self/fd/{fd}")
        prefix = "fsyncdir" if os.path.isdir(path) else "fsync"
        event(f"{prefix}:{_kind(path)}", path)
        real_fsync(fd)

    def replace(src, dst, **kwargs):
        event(f"replace:{_kind(os.fspath(dst))}")
        real_replace(src, dst, **kwargs)

    def removed_kind(path):
        # Deleting a temporary (a write-access probe, a leftover) is not
        # deleting the file it stands beside.
        path = os.fspath(path)
        return "temporary" if ".tmp-" in os.path.basename(path) else _kind(path)

    def remove(path, **kwargs):
        event(f"remove:{removed_kind(path)}")
        real_remove(path, **kwargs)

    def rmtree(path, *args, **kwargs):
        event(f"remove:{removed_kind(path)}")
        real_rmtree(path, *args, **kwargs)

    os.fsync, os.replace, os.remove, shutil.rmtree = fsync, replace, remove, rmtree

    import keras

    class BatchEvents(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            event("batch")

    return [BatchEvents()]


def main():
    workdir, target = sys.argv[1], sys.argv[2]
    probes = _install_kill_hooks(target)
    import numpy as np

    model, stop = fit_run(workdir, probes)
    np.savez(
        os.path.join(workdir, "result.npz"),
        *[v.numpy() for v in model.weights],
        epochs=np.array([stop.stopped_epoch, stop.best_epoch]),
    )


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    main()
