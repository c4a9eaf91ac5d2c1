"""Train-step cost of weight penalties on a ~25M-parameter MLP under XLA.

Usage: python benchmarks/bench_regularizers.py [--quick] [--batch-sizes 64 8]

Side by side in one process, `jit_compile=True`: no regularizer, Keras' L2
and L1L2,
kerasreg's L2 and ElasticNet with a plain SGD, and kerasreg's L2 and
ElasticNet handed to `Proximal(SGD)` -- once as `fit` builds it (inside the
first trace, so the loss keeps the penalty and Proximal takes its non-smooth
gradient back out) and once built before the first step (the loss skips the
penalty). Prints milliseconds per train step and the ratio to the
unregularized step.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _timing import interleaved_wall_and_cpu, print_ratios  # noqa: E402

import kerasreg  # noqa: E402

WIDTHS = (1024, 4096, 4096, 1024)  # 25.2M weights


def build(regularizer, optimizer_kind):
    keras.utils.set_random_seed(0)
    layers = [keras.Input((WIDTHS[0],))]
    for width in WIDTHS[1:]:
        layers.append(
            keras.layers.Dense(width, activation="relu", kernel_regularizer=regularizer)
        )
    model = keras.Sequential(layers)
    optimizer = keras.optimizers.SGD(1e-3)
    if optimizer_kind != "plain":
        optimizer = kerasreg.Proximal(optimizer)
    model.compile(optimizer=optimizer, loss="mse", jit_compile=True)
    if optimizer_kind == "proximal, built":
        # Handed over before the first trace: the loss skips the penalty.
        model.optimizer.build(model.trainable_variables)
    return model


VARIANTS = {
    "none": (lambda: None, "plain"),
    "keras L2": (lambda: keras.regularizers.L2(5e-5), "plain"),
    "kerasreg L2": (lambda: kerasreg.L2(1e-4), "plain"),
    "keras L1L2": (lambda: keras.regularizers.L1L2(1e-5, 5e-5), "plain"),
    "kerasreg ElasticNet": (lambda: kerasreg.ElasticNet(1e-5, 1e-4), "plain"),
    "kerasreg L2 + Proximal": (lambda: kerasreg.L2(1e-4), "proximal"),
    "kerasreg ElasticNet + Proximal": (
        lambda: kerasreg.ElasticNet(1e-5, 1e-4),
        "proximal",
    ),
    "kerasreg L2 + Proximal, built": (lambda: kerasreg.L2(1e-4), "proximal, built"),
    "kerasreg ElasticNet + Proximal, built": (
        lambda: kerasreg.ElasticNet(1e-5, 1e-4),
        "proximal, built",
    ),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="few rounds")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 8])
    args = parser.parse_args()
    rounds = 5 if args.quick else 20
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}")
    for batch in args.batch_sizes:
        rng = np.random.default_rng(0)
        x = rng.normal(size=(batch, WIDTHS[0])).astype("float32")
        y = rng.normal(size=(batch, WIDTHS[-1])).astype("float32")
        steps = {}
        for name, (make_regularizer, kind) in VARIANTS.items():
            model = build(make_regularizer(), kind)
            steps[name] = lambda m=model, x=x, y=y: m.train_on_batch(x, y)
        wall, cpu = interleaved_wall_and_cpu(steps, rounds)
        title = f"train step, batch {batch}, jit_compile=True"
        print_ratios(title, wall, "none", cpu_medians=cpu)


if __name__ == "__main__":
    main()
