"""One worker of a MultiWorkerMirroredStrategy cluster (TF_CONFIG is set).

Run by tests/distribute/test_multi_worker.py through `_cluster.run_workers`:
    python _worker_child.py WORKDIR MODE INDEX
MODE "train" trains the every-component model and prints one JSON line;
MODE "die" also trains, but worker 1 kills itself with SIGKILL mid-epoch
(its peer then waits on a collective until the launcher stops it).
"""

import json
import os
import signal
import sys

import kerasreg.distribute

# The strategy first: collective ops are configured at program start.
strategy = kerasreg.distribute.multi_worker_mirrored_strategy()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tests.distribute import _training  # noqa: E402


class KillSelf(keras.callbacks.Callback):
    """SIGKILL this process after its second step: no cleanup, no goodbye."""

    def on_train_batch_end(self, batch, logs=None):
        if batch == 1:
            os.kill(os.getpid(), signal.SIGKILL)


def main(workdir, mode, index):
    own = os.path.join(workdir, f"files{index}")
    os.makedirs(own)
    x, y = _training.images_and_labels(96, seed=0)
    x_val, y_val = _training.images_and_labels(32, seed=1)
    with strategy.scope():
        model = _training.every_component_model()
    # min_delta above any possible gain: the stop epoch (1) and the best
    # epoch (0) are known, whatever the losses are.
    stop = _training.early_stopping(own, patience=1, min_delta=1.0)
    callbacks = [stop]
    if mode == "die" and index == 1:
        callbacks.insert(0, KillSelf())
    history = model.fit(
        _training.augmented_dataset(x, y),
        validation_data=(x_val, y_val),
        epochs=4,
        callbacks=callbacks,
        verbose=0,
    )
    np.savez(
        os.path.join(workdir, f"weights{index}.npz"),
        *[keras.ops.convert_to_numpy(w.value) for w in model.weights],
    )
    report = {
        "epochs_run": len(history.history["loss"]),
        "stopped_epoch": stop.stopped_epoch,
        "best_epoch": stop.best_epoch,
        "leafwise_reductions": strategy.leafwise_reductions,
        "files": sorted(os.listdir(own)),
    }
    if os.path.exists(os.path.join(own, "best.keras")):
        best = keras.saving.load_model(os.path.join(own, "best.keras"))
        report["best_model_equals_restored"] = all(
            np.array_equal(keras.ops.convert_to_numpy(a.value), b.numpy())
            for a, b in zip(model.weights, best.weights, strict=True)
        )
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
