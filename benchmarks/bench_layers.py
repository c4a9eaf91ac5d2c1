"""Side-by-side speed of kerasreg's layers against Keras' built-ins.

Run: python benchmarks/bench_layers.py [--quick] [--dropout-only | --batch-norm-only]

Prints train-step time ratios (median of interleaved, warmed-up timings, wall
and CPU time) for Dropout and BatchNormalization, with and without
`jit_compile`, and the inference speed-up of `fold_batch_norm`. The variants
run round-robin in one process, so drift on a shared machine hits them alike;
CPU time is the steadier of the two when other jobs share the cores.

`--batch-norm-only` times BatchNormalization against Keras' in graph mode and
with `jit_compile=True`, in float32 and under `mixed_bfloat16`: the layer alone
(forward and backward on a (64, 28, 28, 64) batch, the gradients of the input
and the weights; TensorFlow only) and a small CNN's `train_on_batch`
(Conv-BN-ReLU twice, 32x32x3 images, batch 128).
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _timing import interleaved_wall_and_cpu  # noqa: E402

import kerasreg.layers  # noqa: E402


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


def _report(title, wall, cpu, baseline):
    """Wall-time and CPU-time ratios to `baseline`, and kerasreg against keras."""
    print(f"{title} (baseline {baseline}: {wall[baseline] * 1e3:.1f} ms)")
    for label, times in (("wall", wall), ("cpu", cpu)):
        ratios = ", ".join(
            f"{name} {seconds / times[baseline]:.2f}x"
            for name, seconds in times.items()
        )
        versus = times["kerasreg"] / times["keras"]
        print(f"  {label}: {ratios}; kerasreg / keras {versus:.2f}x")


def _bench_layer(name, build, keras_layer, kerasreg_layer, x_shape, repeats):
    """Train steps of `build(None)`, `build(keras_layer)`, `build(kerasreg_layer)`."""
    rng = np.random.default_rng(0)
    x = rng.random(x_shape, dtype="float32")
    y = rng.random((x_shape[0], 10), dtype="float32")
    variants = {
        "none": lambda: build(None),
        "keras": lambda: build(keras_layer),
        "kerasreg": lambda: build(kerasreg_layer),
    }
    for jit in (False, True):
        wall, cpu = interleaved_wall_and_cpu(_train_steps(variants, x, y, jit), repeats)
        _report(f"{name} train step, jit_compile={jit}", wall, cpu, "none")


def bench_dropout(repeats):
    _bench_layer(
        "Dropout",
        _mlp,
        keras.layers.Dropout,
        kerasreg.layers.Dropout,
        (256, 784),
        repeats,
    )


def bench_batch_norm(repeats):
    _bench_layer(
        "BatchNormalization",
        _cnn,
        keras.layers.BatchNormalization,
        kerasreg.layers.BatchNormalization,
        (32, 32, 32, 3),
        repeats,
    )


def _batch_norm_alone(layer, x, jit):
    """Forward and backward of `layer` on `x` in one `tf.function`: the
    gradients of the input and of the weights, as inside a network."""
    import tensorflow as tf

    layer.build(x.shape)

    @tf.function(jit_compile=jit)
    def step():
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(tf.square(tf.cast(y, "float32")))
        return tape.gradient(loss, [x, *layer.trainable_variables])

    return step


def _conv_bn_relu(batch_norm):
    layers = [keras.Input((32, 32, 3))]
    for filters in (32, 64):
        layers += [
            keras.layers.Conv2D(filters, 3, padding="same", use_bias=False),
            batch_norm(),
            keras.layers.ReLU(),
        ]
    layers += [keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10)]
    return keras.Sequential(layers)


def _repeated(step, times):
    def run():
        for _ in range(times):
            step()

    return run


def bench_batch_norm_kernels(repeats):
    """kerasreg's BN / Keras' BN, the layer alone and in a small CNN."""
    rng = np.random.default_rng(0)
    classes = {
        "keras": keras.layers.BatchNormalization,
        "kerasreg": kerasreg.layers.BatchNormalization,
    }
    images = rng.random((128, 32, 32, 3), dtype="float32")
    labels = rng.random((128, 10), dtype="float32")
    rows = []
    for policy in ("float32", "mixed_bfloat16"):
        keras.config.set_dtype_policy(policy)
        for jit in (False, True):
            cases = {}
            if keras.backend.backend() == "tensorflow":
                x = keras.ops.cast(
                    rng.normal(size=(64, 28, 28, 64)).astype("float32"),
                    keras.config.dtype_policy().compute_dtype,
                )
                cases["layer alone, fwd+bwd (64, 28, 28, 64)"] = (
                    5,
                    {
                        name: _repeated(_batch_norm_alone(cls(), x, jit), 5)
                        for name, cls in classes.items()
                    },
                )
            cnn = _train_steps(
                {
                    name: lambda cls=cls: _conv_bn_relu(cls)
                    for name, cls in classes.items()
                },
                images,
                labels,
                jit,
            )
            cases["CNN train_on_batch (128, 32, 32, 3)"] = (
                2,
                {name: _repeated(step, 2) for name, step in cnn.items()},
            )
            for case, (times, steps) in cases.items():
                wall, cpu = interleaved_wall_and_cpu(steps, repeats)
                rows.append((case, policy, jit, wall["keras"] / times, wall, cpu))
    keras.config.set_dtype_policy("float32")
    print("\nBatchNormalization, kerasreg / keras; keras ms per step (medians)")
    print(f"{'case':<40}{'policy':<16}{'jit':<7}{'keras ms':>14}{'wall':>7}{'cpu':>7}")
    for case, policy, jit, step, wall, cpu in rows:
        print(
            f"{case:<40}{policy:<16}{str(jit):<7}{step * 1e3:>14.1f}"
            f"{wall['kerasreg'] / wall['keras']:>6.2f}x"
            f"{cpu['kerasreg'] / cpu['keras']:>6.2f}x"
        )


def bench_folding(repeats):
    x = np.random.default_rng(0).random((32, 32, 32, 3), dtype="float32")
    model = _cnn(keras.layers.BatchNormalization)
    folded = kerasreg.layers.fold_batch_norm(model)
    steps = {
        "original": lambda: model.predict_on_batch(x),
        "folded": lambda: folded.predict_on_batch(x),
    }
    wall, cpu = interleaved_wall_and_cpu(steps, repeats)
    speedup = wall["original"] / wall["folded"]
    cpu_speedup = cpu["original"] / cpu["folded"]
    print(
        f"fold_batch_norm inference (6-block CNN): {speedup:.2f}x faster "
        f"(cpu {cpu_speedup:.2f}x)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    only = parser.add_mutually_exclusive_group()
    only.add_argument(
        "--dropout-only", action="store_true", help="only the Dropout train step"
    )
    only.add_argument(
        "--batch-norm-only",
        action="store_true",
        help="only BatchNormalization against Keras' (layer alone, small CNN)",
    )
    args = parser.parse_args()
    repeats = 5 if args.quick else 20
    print(f"keras {keras.__version__}, backend {keras.backend.backend()}")
    if args.batch_norm_only:
        bench_batch_norm_kernels(repeats)
        return
    bench_dropout(repeats)
    if not args.dropout_only:
        bench_batch_norm(repeats)
        bench_batch_norm_kernels(repeats)
        bench_folding(repeats * 3)


if __name__ == "__main__":
    main()
