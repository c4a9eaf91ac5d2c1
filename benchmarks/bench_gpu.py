"""Augmentation and training-step benchmarks on a GPU, when there is one.

Picks the Keras backend before Keras is imported: `KERAS_BACKEND` if set;
else TensorFlow if it sees a GPU; else JAX if it sees one (where TensorFlow
has no GPU build, e.g. CUDA images that ship JAX and PyTorch only); else it
says that it found no GPU and runs the same benchmarks, shortened, on the CPU.

Two comparisons, each side by side in one process (interleaved rounds,
medians, ratios to the Keras built-ins; `_timing.py`):
- augmentation: kerasreg's fused `Pipeline` (rotation, scale, flip, crop: one
  resampling per image) against Keras' chain RandomRotation -> RandomZoom ->
  RandomFlip -> RandomCrop, as the first stage of a model's train step;
- training step: a small convolutional network with kerasreg's L2, Dropout,
  BatchNormalization and `Proximal(SGD)` against the same network with
  Keras' L2 (at half the strength, the same penalty), Dropout,
  BatchNormalization and SGD.

    python benchmarks/bench_gpu.py [--quick]
    KERAS_BACKEND=jax python benchmarks/bench_gpu.py
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _tensorflow_gpus():
    try:
        import tensorflow as tf
    except ImportError:
        return []
    return tf.config.list_physical_devices("GPU")


def _jax_gpus():
    try:
        import jax
    except ImportError:
        return []
    try:
        return jax.devices("gpu")
    except RuntimeError:  # JAX without a GPU plugin, or no GPU
        return []


def _have(module):
    import importlib.util

    return importlib.util.find_spec(module) is not None


def choose_backend():
    """(backend, description of the device) before Keras is imported."""
    backend = os.environ.get("KERAS_BACKEND")
    if backend in (None, "tensorflow") and _tensorflow_gpus():
        return "tensorflow", f"GPU through TensorFlow: {_tensorflow_gpus()[0].name}"
    if backend in (None, "jax") and _jax_gpus():
        return "jax", f"GPU through JAX: {_jax_gpus()[0].device_kind}"
    if backend in (None, "torch") and _have("torch"):
        import torch

        if torch.cuda.is_available():
            return "torch", f"GPU through PyTorch: {torch.cuda.get_device_name(0)}"
    fallback = backend or ("tensorflow" if _have("tensorflow") else "jax")
    return fallback, None


BACKEND, GPU = choose_backend()
os.environ["KERAS_BACKEND"] = BACKEND

import keras  # noqa: E402
import numpy as np  # noqa: E402
from _timing import interleaved_wall_and_cpu, print_ratios  # noqa: E402

import kerasreg  # noqa: E402
from kerasreg import augmentation  # noqa: E402


def keras_chain(crop):
    return [
        keras.layers.RandomRotation(0.05, fill_mode="reflect", seed=1),
        keras.layers.RandomZoom(0.1, fill_mode="reflect", seed=2),
        keras.layers.RandomFlip("horizontal", seed=3),
        keras.layers.RandomCrop(crop, crop, seed=4),
    ]


def kerasreg_pipeline(crop):
    return [
        augmentation.Pipeline(
            [
                augmentation.RandomRotation(0.05, seed=1),
                augmentation.RandomScale((0.9, 1.1), seed=2),
                augmentation.RandomFlip("horizontal", seed=3),
                augmentation.RandomCrop(crop, crop, seed=4),
            ]
        )
    ]


def augmenting_model(layers, image_shape):
    """The augmentation, then the lightest possible head: a train step that
    is all augmentation."""
    model = keras.Sequential(
        [
            keras.Input(image_shape),
            *layers,
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse", jit_compile="auto")
    return model


def conv_net(image_shape, keras_builtins):
    """A small conv net, regularized with kerasreg's parts or Keras' own."""
    if keras_builtins:
        penalty = keras.regularizers.L2(5e-5)  # = kerasreg.L2(1e-4)
        dropout, batch_norm = keras.layers.Dropout, keras.layers.BatchNormalization
        optimizer = keras.optimizers.SGD(0.01, momentum=0.9)
    else:
        penalty = kerasreg.L2(1e-4)
        dropout, batch_norm = kerasreg.Dropout, kerasreg.BatchNormalization
        optimizer = kerasreg.Proximal(keras.optimizers.SGD(0.01, momentum=0.9))
    layers = [keras.Input(image_shape)]
    for filters in (32, 64, 128):
        layers += [
            keras.layers.Conv2D(
                filters, 3, padding="same", use_bias=False, kernel_regularizer=penalty
            ),
            batch_norm(),
            keras.layers.ReLU(),
            keras.layers.MaxPooling2D(),
        ]
    layers += [
        keras.layers.GlobalAveragePooling2D(),
        dropout(0.3, seed=1),
        keras.layers.Dense(10, kernel_regularizer=penalty),
    ]
    model = keras.Sequential(layers)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile="auto",
    )
    model.optimizer.build(model.trainable_variables)
    return model


def stepper(model, x, y, steps):
    # train_on_batch returns host numbers: each call waits for the device.
    def run():
        for _ in range(steps):
            model.train_on_batch(x, y)

    return run


def bench_augmentation(batch, size, crop, steps, rounds, rng):
    x = (rng.random((batch, size, size, 3)) * 255).astype("float32")
    y = np.zeros((batch, 1), "float32")
    variants = {
        "keras chain (4 layers)": augmenting_model(keras_chain(crop), x.shape[1:]),
        "kerasreg Pipeline (1 warp)": augmenting_model(
            kerasreg_pipeline(crop), x.shape[1:]
        ),
    }
    wall, cpu = interleaved_wall_and_cpu(
        {name: stepper(model, x, y, steps) for name, model in variants.items()},
        rounds,
    )
    per_step = {name: seconds / steps for name, seconds in wall.items()}
    print_ratios(
        f"augmentation train step, batch {batch} of {size}x{size}x3 -> {crop}",
        per_step,
        "keras chain (4 layers)",
        cpu,
    )
    for name, seconds in per_step.items():
        print(f"  {name}: {batch / seconds:,.0f} images/s")


def bench_training_step(batch, size, steps, rounds, rng):
    x = rng.random((batch, size, size, 3)).astype("float32")
    y = rng.integers(0, 10, size=(batch,)).astype("int32")
    variants = {
        "keras L2 + Dropout + BN + SGD": conv_net(x.shape[1:], True),
        "kerasreg L2 + Dropout + BN + Proximal": conv_net(x.shape[1:], False),
    }
    wall, cpu = interleaved_wall_and_cpu(
        {name: stepper(model, x, y, steps) for name, model in variants.items()},
        rounds,
    )
    print_ratios(
        f"training step, conv net, batch {batch} of {size}x{size}x3",
        {name: seconds / steps for name, seconds in wall.items()},
        "keras L2 + Dropout + BN + SGD",
        cpu,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, short runs")
    args = parser.parse_args()
    print(f"Keras {keras.__version__}, backend {BACKEND}")
    if GPU is None:
        print("No GPU found: running on the CPU, shortened (not GPU figures).")
    else:
        print(f"Device: {GPU}")
    quick = args.quick or GPU is None
    rng = np.random.default_rng(0)
    if quick:
        bench_augmentation(8, 64, 56, steps=2, rounds=3, rng=rng)
        bench_training_step(16, 32, steps=2, rounds=3, rng=rng)
    else:
        bench_augmentation(128, 224, 200, steps=10, rounds=7, rng=rng)
        bench_augmentation(512, 32, 28, steps=20, rounds=7, rng=rng)
        bench_training_step(256, 32, steps=20, rounds=7, rng=rng)
        bench_training_step(64, 128, steps=10, rounds=7, rng=rng)


if __name__ == "__main__":
    main()
