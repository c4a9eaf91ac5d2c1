"""Train a regularized model on several machines with TF_CONFIG.

Synchronous data parallelism with `tf.distribute.MultiWorkerMirroredStrategy`:
every worker (one process per machine) holds a copy of the model, trains on
its shard of each global batch, and the gradients are summed across workers
at every step. `kerasreg.distribute.multi_worker_mirrored_strategy()` returns
that strategy in a form Keras 3's `model.fit` can use (a plain one fails at the
first step). `kerasreg.EarlyStopping` takes the same decision on every worker
(it reads the logs, which are averaged over all workers); only the chief
(worker 0) writes the best model and the state file.

On each of N machines, with the same cluster list and its own index:

    export TF_CONFIG='{"cluster": {"worker": ["host0:12345", "host1:12345"]},
                       "task": {"type": "worker", "index": 0}}'
    python examples/multi_worker_training.py --out /shared/run

To try it on one machine, let the script start the workers on 127.0.0.1:

    python examples/multi_worker_training.py --local 2

TensorFlow backend only (the workers set KERAS_BACKEND=tensorflow).
(KERASREG_EXAMPLE_QUICK=1 shortens the training, for the test suite.)
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time

QUICK = os.environ.get("KERASREG_EXAMPLE_QUICK") == "1"
EPOCHS = 2 if QUICK else 30
# Global batch: split evenly across the workers (16 images each with 2).
GLOBAL_BATCH = 32
TIME_LIMIT = 600


def train(out):
    """One worker's part. Run on every worker, with TF_CONFIG set."""
    import kerasreg.distribute

    # First, before any other TensorFlow op: it sets up the collectives.
    strategy = kerasreg.distribute.multi_worker_mirrored_strategy()

    import keras
    import tensorflow as tf
    from sklearn.datasets import load_digits

    import kerasreg
    from kerasreg import augmentation

    digits = load_digits()
    x = (digits.images[..., None] / 16.0).astype("float32")
    y = digits.target.astype("int32")
    x_train, y_train, x_val, y_val = x[:1400], y[:1400], x[1400:], y[1400:]
    if QUICK:
        x_train, y_train = x_train[:256], y_train[:256]

    # The same dataset on every worker; each takes its shard of every batch.
    train_data = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_data = train_data.shuffle(len(x_train), seed=0).batch(GLOBAL_BATCH)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
    train_data = train_data.with_options(options)

    with strategy.scope():
        model = keras.Sequential(
            [
                keras.Input((8, 8, 1)),
                augmentation.Pipeline(
                    [
                        augmentation.RandomRotation(0.03, seed=1),
                        augmentation.RandomScale((0.9, 1.1), seed=2),
                    ]
                ),
                keras.layers.Conv2D(16, 3, kernel_regularizer=kerasreg.L2(1e-4)),
                kerasreg.BatchNormalization(synchronized=True),
                keras.layers.ReLU(),
                keras.layers.Flatten(),
                kerasreg.Dropout(0.3, seed=3),
                keras.layers.Dense(10, kernel_regularizer=kerasreg.L1(1e-4)),
            ]
        )
        model.compile(
            optimizer=kerasreg.Proximal(keras.optimizers.SGD(0.05, momentum=0.9)),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        model.optimizer.build(model.trainable_variables)

    # `out` must be a folder every worker sees (shared storage): the chief
    # writes there, and every worker reads the state back on a restart.
    stop = kerasreg.EarlyStopping(
        patience=3,
        best_model_path=os.path.join(out, "best.keras"),
        state_path=os.path.join(out, "early_stopping.json"),
    )
    model.fit(
        train_data,
        validation_data=(x_val, y_val),
        epochs=EPOCHS,
        callbacks=[stop],
        verbose=0,
    )
    task = json.loads(os.environ["TF_CONFIG"])["task"]
    _, accuracy = model.evaluate(x_val, y_val, verbose=0)
    print(
        f"worker {task['index']}: best epoch {stop.best_epoch}, stopped at "
        f"{stop.stopped_epoch}, validation accuracy {accuracy:.3f}"
    )


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def launch_local(count, out):
    """Start `count` workers of this script on 127.0.0.1; wait for them all.

    The first worker to fail (or the time limit) ends the others: a peer that
    died would otherwise leave them waiting on a collective.
    """
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(count)]}
    workers = []
    try:
        for index in range(count):
            tf_config = {"cluster": cluster, "task": {"type": "worker", "index": index}}
            env = dict(
                os.environ,
                TF_CONFIG=json.dumps(tf_config),
                KERAS_BACKEND="tensorflow",
                TF_CPP_MIN_LOG_LEVEL="3",
            )
            workers.append(
                subprocess.Popen(
                    [sys.executable, os.path.abspath(__file__), "--out", out],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
            )
        deadline = time.monotonic() + TIME_LIMIT
        while any(worker.poll() is None for worker in workers):
            failed = [w for w in workers if w.poll() not in (None, 0)]
            if failed or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        for index, worker in enumerate(workers):
            if worker.poll() is None:
                worker.kill()
            stdout, stderr = worker.communicate()
            if worker.returncode != 0:
                raise RuntimeError(
                    f"worker {index} failed (exit code {worker.returncode}):\n"
                    f"{stderr[-3000:]}"
                )
            print(stdout.strip())
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    print(f"all {count} workers finished; best model in {out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        help="a folder every worker can reach. Defaults to kerasreg-multi-worker/",
    )
    parser.add_argument(
        "--local",
        type=int,
        default=2,
        help="without TF_CONFIG: how many workers to start on this machine",
    )
    # The test suite runs this file in its own process (sys.argv is pytest's).
    launched_by_tests = QUICK and "TF_CONFIG" not in os.environ
    args = parser.parse_args([] if launched_by_tests else None)
    if "TF_CONFIG" in os.environ:
        train(args.out or "kerasreg-multi-worker")
    else:
        launch_local(args.local, os.path.abspath(args.out or "kerasreg-multi-worker"))


if __name__ == "__main__":
    main()
