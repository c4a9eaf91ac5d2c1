"""Data augmentation in a `tf.data` pipeline and inside a model.

The same `kerasreg.augmentation.Pipeline` works in both places. Inside a
model it is active only while `fit` trains (Keras passes `training=True`) and
passes images through untouched at inference; in `tf.data` it runs on the
CPU in parallel with training, where you call it with `training=True`. The
rotation, scaling and crop are fused into one resampling per image.

Digits get no flips: a mirrored 2, 3, 4, 5, 7 or 9 is no digit at all.

Run: python examples/augmentation.py
(KERASREG_EXAMPLE_QUICK=1 shortens the training, for the test suite.)
"""

import os
import tempfile

import keras
import tensorflow as tf
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from kerasreg.augmentation import (
    Pipeline,
    RandomCrop,
    RandomRotation,
    RandomScale,
    preview,
)

QUICK = os.environ.get("KERASREG_EXAMPLE_QUICK") == "1"
EPOCHS = 2 if QUICK else 60

keras.utils.set_random_seed(0)
digits = load_digits()
x = (digits.images / 16.0).astype("float32")[..., None]  # (N, 8, 8, 1)
x_train, x_test, y_train, y_test = train_test_split(
    x, digits.target, train_size=300, stratify=digits.target, random_state=0
)


def augmentation(seed):
    # Pad by one pixel, then crop back at a random place: shifts of ±1 pixel.
    # The background is black, so rotation fills with black, too.
    return keras.Sequential(
        [
            keras.layers.ZeroPadding2D(1),
            Pipeline(
                [
                    RandomRotation(5 / 360, fill_mode="constant"),
                    RandomScale((0.95, 1.05), fill_mode="constant"),
                    RandomCrop(8, 8),
                ],
                seed=seed,
            ),
        ]
    )


def classifier():
    return keras.Sequential(
        [
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


def compile_and_fit(model, data, **kwargs):
    model.compile(
        optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(data, epochs=EPOCHS, verbose=0, **kwargs)
    return model.evaluate(x_test, y_test, verbose=0)[1]


# 1. Inside the model: augments in `fit`, identity in `evaluate`/`predict`.
inside = keras.Sequential([keras.Input((8, 8, 1)), augmentation(0), classifier()])
accuracy = compile_and_fit(inside, x_train, y=y_train, batch_size=32)
print(f"augmentation inside the model: test accuracy {accuracy:.3f}")

# 2. In tf.data: the model itself stays plain.
augment = augmentation(1)
train = (
    tf.data.Dataset.from_tensor_slices((x_train, y_train))
    .shuffle(len(x_train), seed=0)
    .batch(32)
    .map(lambda images, labels: (augment(images, training=True), labels))
    .prefetch(tf.data.AUTOTUNE)
)
plain = keras.Sequential([keras.Input((8, 8, 1)), classifier()])
accuracy = compile_and_fit(plain, train, shuffle=False)  # tf.data shuffles
print(f"augmentation in tf.data:       test accuracy {accuracy:.3f}")

# 3. What the network sees: 16 augmented samples of one image.
path = os.path.join(tempfile.mkdtemp(), "augmentation_preview.png")
grid = preview(augmentation(2), x_train[0], n=16, path=path)
print(f"preview grid {grid.shape} written to {path}")
