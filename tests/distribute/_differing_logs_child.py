"""One worker of a two-worker cluster whose logs differ (TF_CONFIG is set).

Run by tests/distribute/test_multi_worker.py through `_cluster.run_workers`:
    python _differing_logs_child.py WORKDIR INDEX
A callback placed before EarlyStopping writes a different `val_loss` on each
worker: the chief's stops patience 2 at epoch 3 (best epoch 1); worker 1's keeps
improving and alone would never stop. Prints one JSON line.
"""

import json
import os
import sys
import time

import kerasreg.distribute

# The strategy first: collective ops are configured at program start.
strategy = kerasreg.distribute.multi_worker_mirrored_strategy()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from kerasreg.callbacks import EarlyStopping  # noqa: E402
from tests.callbacks._support import (  # noqa: E402
    ScriptedLogs,
    WeightsLog,
    regression_data,
    tiny_model,
)

VALUES = {
    0: [1.0, 0.5, 0.75, 0.875, 0.25, 0.125, 0.0625, 0.03125],
    1: [1.0, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125],
}


def main(workdir, index):
    x, y = regression_data()
    with strategy.scope():
        model = tiny_model()
    log = WeightsLog()
    stop = EarlyStopping(patience=2)
    history = model.fit(
        x,
        y,
        epochs=8,
        batch_size=16,
        shuffle=False,
        verbose=0,
        callbacks=[ScriptedLogs(VALUES[index]), log, stop],
    )
    restored = [keras.ops.convert_to_numpy(w.value) for w in model.weights]
    np.savez(os.path.join(workdir, f"weights{index}.npz"), *restored)
    report = {
        "epochs_run": len(history.history["loss"]),
        "stopped_epoch": stop.stopped_epoch,
        "best_epoch": stop.best_epoch,
        "best": stop.best,
        "restored_best": all(
            np.array_equal(a, b) for a, b in zip(restored, log.weights[1], strict=True)
        ),
    }
    print(json.dumps(report))
    # A worker that exits while its peer still receives the last collective's
    # data breaks that peer's socket: leave only once both have finished.
    open(os.path.join(workdir, f"done{index}"), "w").close()
    while not all(os.path.exists(os.path.join(workdir, f"done{i}")) for i in VALUES):
        time.sleep(0.1)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
