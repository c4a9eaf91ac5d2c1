"""Exact sparsity: a Keras linear model trained with Proximal equals the Lasso.

With `kerasreg.L1` as the kernel regularizer and plain SGD wrapped in
`kerasreg.optimizers.Proximal`, each step is a gradient step on the data loss
followed by soft-thresholding: proximal gradient descent (ISTA). Run on the
whole data set at every step, it converges to scikit-learn's Lasso solution,
with the same coefficients set exactly to 0.0. Plain SGD on the same penalty
only makes them small.

scikit-learn's Lasso minimizes (1 / 2n) ‖y − Xw‖² + α ‖w‖₁; Keras' "mse" loss
is (1 / n) ‖y − Xw‖², twice as large, so the matching strength is L1(2α).

Run: python examples/sparsity_vs_lasso.py
(KERASREG_EXAMPLE_QUICK=1 shortens the training, for the test suite.)
"""

import os

import keras
import numpy as np
import tensorflow as tf
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Lasso
from sklearn.preprocessing import StandardScaler

import kerasreg

QUICK = os.environ.get("KERASREG_EXAMPLE_QUICK") == "1"
STEPS = 300 if QUICK else 3000
ALPHA = 0.08

x, y = load_diabetes(return_X_y=True)
x = StandardScaler().fit_transform(x).astype("float32")
y = ((y - y.mean()) / y.std()).astype("float32")[:, None]

reference = Lasso(alpha=ALPHA, tol=1e-12, max_iter=100_000).fit(x, y[:, 0])


def train(optimizer):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((10,)),
            keras.layers.Dense(1, kernel_regularizer=kerasreg.L1(2 * ALPHA)),
        ]
    )
    # One full-batch step per "batch", many steps per compiled call.
    model.compile(optimizer=optimizer, loss="mse", steps_per_execution=STEPS // 10)
    # Built before training, Proximal takes its penalties out of the loss graph.
    model.optimizer.build(model.trainable_variables)
    data = tf.data.Dataset.from_tensors((x, y)).repeat()
    model.fit(data, steps_per_epoch=STEPS, epochs=1, verbose=0, shuffle=False)
    return model.layers[0].kernel.numpy()[:, 0]


proximal = train(kerasreg.optimizers.Proximal(keras.optimizers.SGD(0.1)))
subgradient = train(keras.optimizers.SGD(0.1))

np.set_printoptions(precision=4, suppress=True)
print("scikit-learn Lasso: ", reference.coef_)
print("Keras + Proximal:   ", proximal)
print("Keras + plain SGD:  ", subgradient)
print(
    f"exact zeros: Lasso {np.sum(reference.coef_ == 0)}, Proximal "
    f"{np.sum(proximal == 0)}, plain SGD {np.sum(subgradient == 0)}"
)
print(
    f"largest difference to the Lasso: {np.abs(proximal - reference.coef_).max():.2e}"
)
