"""A model that uses every kerasreg component, its data, and its callbacks.

Shared by the distributed test children (which run in fresh processes with
the repository on PYTHONPATH) and the single-device references.
"""

import os

import keras
import numpy as np
import tensorflow as tf

import kerasreg
from kerasreg import augmentation

IMAGE = (8, 8, 1)
GLOBAL_BATCH = 16


def images_and_labels(n, seed):
    """Images whose class (mean intensity above 0) survives flips and turns."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, *IMAGE)).astype("float32")
    x += rng.choice([-0.5, 0.5], size=(n, 1, 1, 1)).astype("float32")
    y = (x.mean(axis=(1, 2, 3)) > 0).astype("int32")
    return x, y


def every_component_model(seed=0):
    """Augmentation, L1/ElasticNet/GroupLasso, synchronized BN, Dropout, Proximal."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(IMAGE),
            augmentation.Pipeline(
                [
                    augmentation.RandomFlip("horizontal", seed=1),
                    augmentation.RandomRotation(0.05, seed=2),
                ]
            ),
            keras.layers.Conv2D(4, 3, kernel_regularizer=kerasreg.L1(1e-3)),
            kerasreg.BatchNormalization(synchronized=True),
            keras.layers.ReLU(),
            keras.layers.Flatten(),
            kerasreg.Dropout(0.2, seed=3),
            keras.layers.Dense(
                8,
                activation="relu",
                kernel_regularizer=kerasreg.GroupLasso(1e-3),
                bias_regularizer=kerasreg.L2(1e-3),
            ),
            keras.layers.Dense(2, kernel_regularizer=kerasreg.ElasticNet(1e-3, 1e-3)),
        ]
    )
    model.compile(
        optimizer=kerasreg.Proximal(keras.optimizers.SGD(0.05)),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.optimizer.build(model.trainable_variables)
    return model


def augmented_dataset(x, y, global_batch=GLOBAL_BATCH):
    """`tf.data` with a kerasreg Pipeline in `map`, sharded by element."""
    pipeline = augmentation.Pipeline(
        [augmentation.RandomFlip("vertical", seed=4), augmentation.RandomScale(0.1)],
        seed=5,
    )
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(global_batch)
    dataset = dataset.map(lambda images, labels: (pipeline(images), labels))
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = (
        tf.data.experimental.AutoShardPolicy.DATA
    )
    return dataset.with_options(options)


def early_stopping(directory, **kwargs):
    return kerasreg.EarlyStopping(
        monitor="val_loss",
        best_model_path=os.path.join(directory, "best.keras"),
        state_path=os.path.join(directory, "early_stopping.json"),
        **kwargs,
    )


def deterministic_model(seed=0):
    """No random layers: distributed and single-device runs must agree."""
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, kernel_regularizer=kerasreg.L1(1e-2)),
            kerasreg.BatchNormalization(synchronized=True, momentum=0.5),
            keras.layers.ReLU(),
            keras.layers.Dense(1, kernel_regularizer=kerasreg.ElasticNet(1e-2, 1e-2)),
        ]
    )
    model.compile(optimizer=kerasreg.Proximal(keras.optimizers.SGD(0.1)), loss="mse")
    model.optimizer.build(model.trainable_variables)
    return model


def regression(n=32, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = x @ rng.normal(size=(6, 1)).astype("float32")
    return x, y
