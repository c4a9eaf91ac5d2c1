"""Weight penalties through `kernel_regularizer=` in a functional model.

kerasreg's L1, L2, ElasticNet and GroupLasso go wherever Keras takes a
regularizer. Wrapping the optimizer in `kerasreg.optimizers.Proximal` turns
the L1 parts into exact soft-threshold steps, so pruned weights are exactly
0.0; `kerasreg.regularization_report` counts them per layer.

Run: python examples/functional_regularizers.py
(KERASREG_EXAMPLE_QUICK=1 shortens the training, for the test suite.)
"""

import os

import keras
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import kerasreg

QUICK = os.environ.get("KERASREG_EXAMPLE_QUICK") == "1"
EPOCHS = 2 if QUICK else 40

keras.utils.set_random_seed(0)
digits = load_digits()
x = (digits.data / 16.0).astype("float32")  # 64 pixels per image, in [0, 1]
x_train, x_test, y_train, y_test = train_test_split(
    x, digits.target, train_size=500, stratify=digits.target, random_state=0
)

inputs = keras.Input((64,))
# GroupLasso's groups are the kernel's rows (axis=0), one per input pixel: it
# switches whole pixels off. L1 prunes single weights; L2 only shrinks them.
h = keras.layers.Dense(
    128, activation="relu", kernel_regularizer=kerasreg.GroupLasso(1e-2)
)(inputs)
h = keras.layers.Dense(
    128, activation="relu", kernel_regularizer=kerasreg.ElasticNet(l1=1e-3, l2=1e-3)
)(h)
outputs = keras.layers.Dense(10, kernel_regularizer=kerasreg.L2(1e-3))(h)
model = keras.Model(inputs, outputs)

model.compile(
    optimizer=kerasreg.optimizers.Proximal(keras.optimizers.SGD(0.1)),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
# Built before training, Proximal takes its penalties out of the loss graph.
model.optimizer.build(model.trainable_variables)
model.fit(x_train, y_train, batch_size=32, epochs=EPOCHS, verbose=0)

_, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: {accuracy:.3f}")
print(kerasreg.regularization_report(model))
first_kernel = model.layers[1].kernel.numpy()
unused_pixels = int(np.sum(np.all(first_kernel == 0.0, axis=1)))
print(f"input pixels switched off by GroupLasso: {unused_pixels} of 64")
