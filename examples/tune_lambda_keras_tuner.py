"""Choosing the regularization strength λ (and the dropout rate) with keras-tuner.

The strengths of kerasreg's penalties are ordinary constructor arguments, so a
keras-tuner search samples them like any other hyperparameter. λ spans orders
of magnitude: sample it on a log scale. Each trial stops early on its
validation loss; the tuner ranks trials by validation accuracy, and the test
set is touched once, by the winner.

keras-tuner is optional: pip install keras-tuner tensorboard

Run: python examples/tune_lambda_keras_tuner.py
(KERASREG_EXAMPLE_QUICK=1 shortens the search, for the test suite.)
"""

import os
import tempfile

try:
    import keras_tuner

    # keras-tuner imports tensorboard in every trial on TensorFlow.
    import tensorboard  # noqa: F401
except ImportError as error:
    raise SystemExit(
        f"This example needs keras-tuner and tensorboard, optional "
        f"dependencies of kerasreg's examples ({error}): pip install keras-tuner "
        "tensorboard"
    ) from None

import keras
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import kerasreg
from kerasreg.callbacks import EarlyStopping

QUICK = os.environ.get("KERASREG_EXAMPLE_QUICK") == "1"
TRIALS, EPOCHS = (2, 2) if QUICK else (12, 60)

digits = load_digits()
x = (digits.data / 16.0).astype("float32")
x_train, x_rest, y_train, y_rest = train_test_split(
    x, digits.target, train_size=300, stratify=digits.target, random_state=0
)
x_val, x_test, y_val, y_test = train_test_split(
    x_rest, y_rest, train_size=300, stratify=y_rest, random_state=0
)


def build_model(hp):
    keras.utils.set_random_seed(0)  # every trial starts alike: a fair ranking
    l2 = hp.Float("l2", min_value=1e-5, max_value=1e-1, sampling="log")
    rate = hp.Float("dropout", min_value=0.0, max_value=0.5, step=0.1)
    inputs = keras.Input((64,))
    h = keras.layers.Dense(256, activation="relu", kernel_regularizer=kerasreg.L2(l2))(
        inputs
    )
    h = kerasreg.layers.Dropout(rate)(h)
    outputs = keras.layers.Dense(10, kernel_regularizer=kerasreg.L2(l2))(h)
    model = keras.Model(inputs, outputs)
    model.compile(
        optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


tuner = keras_tuner.RandomSearch(
    build_model,
    objective="val_accuracy",
    max_trials=TRIALS,
    seed=0,
    directory=tempfile.mkdtemp(),
    project_name="lambda",
)
fit_arguments = {
    "validation_data": (x_val, y_val),
    "epochs": EPOCHS,
    "batch_size": 32,
    "callbacks": [EarlyStopping(monitor="val_loss", patience=8)],
    "verbose": 0,
}
tuner.search(x_train, y_train, **fit_arguments)
best = tuner.get_best_hyperparameters(1)[0]
print(f"best λ (L2): {best.get('l2'):.2e}, dropout rate: {best.get('dropout'):.1f}")

# Retrain the winning configuration from scratch, then test it once.
keras.utils.set_random_seed(0)
model = tuner.hypermodel.build(best)
model.fit(x_train, y_train, **fit_arguments)
_, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy of the best model: {accuracy:.3f}")
