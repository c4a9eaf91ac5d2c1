"""Keras' augmentation chain vs the fused kerasreg Pipeline, side by side.

Both pipelines rotate (per image, up to 18 degrees), scale (0.9-1.1), flip
horizontally and crop; Keras' chain is RandomRotation -> RandomZoom ->
RandomFlip -> RandomCrop, four resamplings (RandomCrop: one window per
batch), kerasreg's is one Pipeline with one resampling per image. Measured
in `tf.data` (map with AUTOTUNE, prefetch) and inside a model trained with
`jit_compile=True` (on TensorFlow, Keras' layers have no XLA kernel, so Keras
runs that model without XLA; on JAX everything is compiled). Reports images
per second and the ratio to Keras, and beside them the memory floor: the same
place producing the crop as a float32 copy, with no resampling at all.

    python benchmarks/bench_augmentation.py [--quick]
    KERAS_BACKEND=jax python benchmarks/bench_augmentation.py [--quick]

Under JAX the `tf.data` cases run TensorFlow ops (Keras' layers and
kerasreg's both switch to TensorFlow there); the jit-model cases run JAX.
"""

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from kerasreg import augmentation  # noqa: E402


def keras_chain(crop):
    return [
        keras.layers.RandomRotation(0.05, fill_mode="reflect", seed=1),
        keras.layers.RandomZoom(0.1, fill_mode="reflect", seed=2),
        keras.layers.RandomFlip("horizontal", seed=3),
        keras.layers.RandomCrop(crop, crop, seed=4),
    ]


def kerasreg_pipeline(crop):
    return augmentation.Pipeline(
        [
            augmentation.RandomRotation(0.05, seed=1),
            augmentation.RandomScale((0.9, 1.1), seed=2),
            augmentation.RandomFlip("horizontal", seed=3),
            augmentation.RandomCrop(crop, crop, seed=4),
        ]
    )


class CopyCrop(keras.layers.Layer):
    """The memory floor: the top-left crop as float32, nothing resampled."""

    def __init__(self, crop, **kwargs):
        super().__init__(**kwargs)
        self.crop = crop

    def call(self, images, training=None):
        return keras.ops.cast(images[:, : self.crop, : self.crop], "float32")


def tf_data_variants(crop):
    """Keras' chain, kerasreg's Pipeline and the floor as `tf.data` map functions.

    The chain's layers are called one by one, not through a `Sequential`: under
    JAX only preprocessing layers switch to TensorFlow inside `tf.data`.
    """
    chain, pipeline = keras_chain(crop), kerasreg_pipeline(crop)

    def keras_augment(images):
        for layer in chain:
            images = layer(images, training=True)
        return images

    return [
        keras_augment,
        lambda images: pipeline(images, training=True),
        lambda images: tf.cast(images[:, :crop, :crop], tf.float32),
    ]


def jit_model_variants(crop):
    """Keras' chain, kerasreg's Pipeline and the floor as lists of layers."""
    return [keras_chain(crop), [kerasreg_pipeline(crop)], [CopyCrop(crop)]]


def _rate(next_batch, batch_size, steps):
    """(images per second, CPU seconds per image) after two warm-up batches.

    CPU time (all threads of this process) is reported too: on a machine
    shared with other jobs it is steadier than the wall clock.
    """
    next_batch()  # tracing and XLA compilation (cached after the first block)
    next_batch()
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(steps):
        next_batch()
    images = steps * batch_size
    return (
        images / (time.perf_counter() - start),
        (time.process_time() - cpu) / images,
    )


def in_tf_data(augment, batch, steps):
    dataset = (
        tf.data.Dataset.from_tensors(batch)
        .repeat()
        .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
    # A fresh iterator per block: one left waiting while the other variant
    # runs would fill its buffers and look faster than it is.
    return lambda: _rate(iter(dataset).__next__, len(batch), steps)


def in_jit_model(layers, batch, steps):
    model = keras.Sequential(
        [
            keras.Input(batch.shape[1:], dtype=batch.dtype),
            *layers,
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    # Tensors made once: converting the 38 MB NumPy batch every step would time
    # the host copy, not the augmentation.
    images = keras.ops.convert_to_tensor(batch)
    target = keras.ops.zeros((len(batch), 1))

    def step():
        return model.train_on_batch(images, target)

    return lambda: _rate(step, len(batch), steps)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    args = parser.parse_args()
    steps, rounds = (4, 3) if args.quick else (10, 5)
    rng = np.random.default_rng(0)
    cases = [
        ("224x224 float32 -> 200, tf.data", 224, 200, "float32", in_tf_data),
        ("224x224 uint8 -> 200, tf.data", 224, 200, "uint8", in_tf_data),
        ("32x32 float32 -> 28, tf.data", 32, 28, "float32", in_tf_data),
        ("224x224 float32 -> 200, jit model", 224, 200, "float32", in_jit_model),
        ("224x224 uint8 -> 200, jit model", 224, 200, "uint8", in_jit_model),
    ]
    variants_for = {in_tf_data: tf_data_variants, in_jit_model: jit_model_variants}
    print(f"Keras {keras.__version__}, backend {keras.backend.backend()}")
    print(
        f"{'case (batch 64)':<36}{'Keras img/s':>12}{'kerasreg img/s':>15}"
        f"{'ratio':>7}{'CPU ms/img Keras':>18}{'kerasreg':>9}{'ratio':>7}"
        f"{'copy img/s':>12}{'kerasreg/copy':>14}"
    )
    for name, size, crop, dtype, where in cases:
        batch = (rng.random((64, size, size, 3)) * 255).astype(dtype)
        # Small images run many more steps per block to be timed at all.
        block = steps * 20 if size <= 32 else steps
        # Blocks alternate between the variants (the machine is shared); medians.
        variants = [where(v, batch, block) for v in variants_for[where](crop)]
        rates = [[] for _ in variants]
        for _ in range(rounds):
            for variant, samples in zip(variants, rates, strict=True):
                samples.append(variant())
        (keras_rate, keras_cpu), (ours, our_cpu), (copy, _) = (
            [statistics.median(column) for column in zip(*samples, strict=True)]
            for samples in rates
        )
        print(
            f"{name:<36}{keras_rate:>12.0f}{ours:>15.0f}{ours / keras_rate:>6.1f}x"
            f"{1000 * keras_cpu:>18.2f}{1000 * our_cpu:>9.2f}"
            f"{keras_cpu / our_cpu:>6.1f}x{copy:>12.0f}{ours / copy:>13.2f}x"
        )


if __name__ == "__main__":
    main()
