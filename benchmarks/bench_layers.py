"""Side-by-side speed of kerasreg's layers against Keras' built-ins.

Run: python benchmarks/bench_layers.py [--quick]

Prints train-step time ratios (median of interleaved, warmed-up timings) for
Dropout and BatchNormalization, with and without `jit_compile`, and the
inference speed-up of `fold_batch_norm`. The variants run round-robin in one
process, so drift on a shared machine hits them alike.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import kerasreg.layers  # noqa: E402


def _median_times(steps, repeats):
    """Median seconds of each named zero-argument step, run round-robin."""
    for step in steps.values():
        step()
        step()
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(values)) for name, values in times.items()}


def _train_steps(make_model, x, y, jit):
    steps = {}
    for name, factory in make_model.items():
        model = factory()
        model.compile(optimizer="sgd", loss="mse", jit_compile=jit)
        steps[name] = lambda model=model: model.train_on_batch(x, y)
    return steps


def _mlp(dropout):
    layers = [keras.Input((784,))]
    for _ in range(2):
        layers.append(keras.layers.Dense(1024, activation="relu"))
        if dropout is not None:
            layers.append(dropout(0.5))
    return keras.Sequential([*layers, keras.layers.Dense(10)])


def _cnn(batch_norm, size=32, blocks=6):
    layers = [keras.Input((size, size, 3))]
    for block in range(blocks):
        filters = 16 * 2 ** (block // 2)
        layers.append(keras.layers.Conv2D(filters, 3, padding="same"))
        if batch_norm is not None:
            layers.append(batch_norm())
        layers.append(keras.layers.ReLU())
        if block % 2 == 1:
            layers.append(keras.layers.MaxPooling2D())
    layers += [keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10)]
    return keras.Sequential(layers)


def _report(title, times, baseline):
    ratios = ", ".join(
        f"{name} {seconds / times[baseline]:.2f}x" for name, seconds in times.items()
    )
    print(f"{title}: {ratios}  ({baseline} {times[baseline] * 1e3:.1f} ms)")


def bench_dropout(repeats):
    rng = np.random.default_rng(0)
    x = rng.random((256, 784), dtype="float32")
    y = rng.random((256, 10), dtype="float32")
    variants = {
        "none": lambda: _mlp(None),
        "keras": lambda: _mlp(keras.layers.Dropout),
        "kerasreg": lambda: _mlp(kerasreg.layers.Dropout),
    }
    for jit in (False, True):
        times = _median_times(_train_steps(variants, x, y, jit), repeats)
        _report(f"Dropout train step, jit_compile={jit}", times, "none")
        print(f"  kerasreg / keras: {times['kerasreg'] / times['keras']:.2f}x")


def bench_batch_norm(repeats):
    rng = np.random.default_rng(0)
    x = rng.random((32, 32, 32, 3), dtype="float32")
    y = rng.random((32, 10), dtype="float32")
    variants = {
        "none": lambda: _cnn(None),
        "keras": lambda: _cnn(keras.layers.BatchNormalization),
        "kerasreg": lambda: _cnn(kerasreg.layers.BatchNormalization),
    }
    for jit in (False, True):
        times = _median_times(_train_steps(variants, x, y, jit), repeats)
        _report(f"BatchNormalization train step, jit_compile={jit}", times, "none")
        print(f"  kerasreg / keras: {times['kerasreg'] / times['keras']:.2f}x")


def bench_folding(repeats):
    x = np.random.default_rng(0).random((32, 32, 32, 3), dtype="float32")
    model = _cnn(keras.layers.BatchNormalization)
    folded = kerasreg.layers.fold_batch_norm(model)
    steps = {
        "original": lambda: model.predict_on_batch(x),
        "folded": lambda: folded.predict_on_batch(x),
    }
    times = _median_times(steps, repeats)
    speedup = times["original"] / times["folded"]
    print(f"fold_batch_norm inference (6-block CNN): {speedup:.2f}x faster")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    args = parser.parse_args()
    repeats = 5 if args.quick else 20
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}")
    bench_dropout(repeats)
    bench_batch_norm(repeats)
    bench_folding(repeats * 3)


if __name__ == "__main__":
    main()
