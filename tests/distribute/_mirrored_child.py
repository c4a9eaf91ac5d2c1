"""MirroredStrategy over two logical CPUs; prints one JSON line of findings.

Run by tests/distribute/test_mirrored.py in a fresh process (logical devices
must be configured before TensorFlow initializes):
    python _mirrored_child.py WORKDIR
"""

import json
import os
import sys

import tensorflow as tf

_cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    _cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasreg  # noqa: E402
from tests.distribute import _training  # noqa: E402


def split_in_two(strategy, x):
    half = len(x) // 2
    return strategy.experimental_distribute_values_from_function(
        lambda context: tf.constant(x[half * context.replica_id_in_sync_group :][:half])
    )


def synchronized_batch_norm(strategy):
    """One training call over a global batch split across two replicas."""
    rng = np.random.default_rng(0)
    # The halves differ (means 0 and 3): per-replica statistics would not do.
    x = np.concatenate([rng.normal(0, 1, (8, 5)), rng.normal(3, 2, (8, 5))])
    x = x.astype("float32")
    with strategy.scope():
        synced = kerasreg.BatchNormalization(synchronized=True, momentum=0.0)
        synced.build(x.shape)
    parts = strategy.run(
        lambda part: synced(part, training=True), (split_in_two(strategy, x),)
    )
    outputs = np.concatenate(strategy.experimental_local_results(parts))
    reference = keras.layers.BatchNormalization(momentum=0.0)
    expected = reference(x, training=True).numpy()
    return {
        "mean": float(np.abs(synced.moving_mean.numpy() - x.mean(0)).max()),
        "variance": float(np.abs(synced.moving_variance.numpy() - x.var(0)).max()),
        "keras_mean": float(
            np.abs(synced.moving_mean.numpy() - reference.moving_mean.numpy()).max()
        ),
        "outputs": float(np.abs(outputs - expected).max()),
    }


def matches_single_device(strategy):
    """Full-batch training of a model without randomness, both ways."""
    x, y = _training.regression()
    with strategy.scope():
        mirrored = _training.deterministic_model()
    single = _training.deterministic_model()
    for model in (mirrored, single):
        model.fit(x, y, batch_size=len(x), epochs=5, shuffle=False, verbose=0)
    gaps = [
        float(np.abs(a.numpy() - b.numpy()).max())
        for a, b in zip(mirrored.weights, single.weights, strict=True)
    ]
    zeros = [int((w.numpy() == 0.0).sum()) for w in mirrored.trainable_weights[::2]]
    return {"max_weight_gap": max(gaps), "exact_zeros": zeros}


def every_component(strategy, workdir):
    x, y = _training.images_and_labels(96, seed=0)
    x_val, y_val = _training.images_and_labels(32, seed=1)
    with strategy.scope():
        model = _training.every_component_model()
    stop = _training.early_stopping(workdir, patience=1, min_delta=1.0)
    history = model.fit(
        _training.augmented_dataset(x, y),
        validation_data=(x_val, y_val),
        epochs=4,
        callbacks=[stop],
        verbose=0,
    )
    best = keras.saving.load_model(os.path.join(workdir, "best.keras"))
    same = all(
        np.array_equal(a.numpy(), b.numpy())
        for a, b in zip(model.weights, best.weights, strict=True)
    )
    return {
        "epochs_run": len(history.history["loss"]),
        "finite": bool(np.all(np.isfinite(history.history["loss"]))),
        "stopped_epoch": stop.stopped_epoch,
        "best_epoch": stop.best_epoch,
        "best_model_equals_restored": same,
        "files": sorted(os.listdir(workdir)),
    }


def main(workdir):
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    report = {
        "replicas": strategy.num_replicas_in_sync,
        "batch_norm": synchronized_batch_norm(strategy),
        "single_device": matches_single_device(strategy),
        "every_component": every_component(strategy, workdir),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
