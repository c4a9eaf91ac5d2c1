"""Early stopping that keeps and saves the best model, and survives a crash.

`kerasreg.callbacks.EarlyStopping` stops when the validation loss has not
improved for `patience` epochs and puts the best epoch's weights back. With
`best_model_path` the best model is also saved (atomically) at each
improvement; with `state_path` its own state is saved every epoch, so that a
run interrupted and resumed through `BackupAndRestore` stops at the same epoch,
with the same best weights, as an uninterrupted one.

Run: python examples/early_stopping_resume.py
(KERASREG_EXAMPLE_QUICK=1 shortens the training, for the test suite.)
"""

import os
import tempfile

import keras
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from kerasreg.callbacks import BackupAndRestore, EarlyStopping

QUICK = os.environ.get("KERASREG_EXAMPLE_QUICK") == "1"
EPOCHS, INTERRUPT_AT = (6, 3) if QUICK else (200, 10)

digits = load_digits()
x = (digits.data / 16.0).astype("float32")
x_train, x_val, y_train, y_val = train_test_split(
    x, digits.target, train_size=300, stratify=digits.target, random_state=0
)


def make_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


class PowerCut(keras.callbacks.Callback):
    """Stands in for a crash: raises when epoch `at` begins."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            raise RuntimeError(f"power cut before epoch {epoch + 1}")


folder = tempfile.mkdtemp()
best_model_path = os.path.join(folder, "best.keras")


def callbacks():
    stopper = EarlyStopping(
        monitor="val_loss",
        patience=5,
        restore_best_weights=True,
        best_model_path=best_model_path,
        state_path=os.path.join(folder, "early_stopping.json"),
        verbose=1,
    )
    return stopper, [stopper, BackupAndRestore(os.path.join(folder, "backup"))]


def fit(model, extra=()):
    stopper, its_callbacks = callbacks()
    model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        epochs=EPOCHS,
        batch_size=32,
        verbose=0,
        callbacks=its_callbacks + list(extra),
    )
    return stopper


# An interrupted run, then the same command again: it resumes where the last
# backup left off instead of starting over.
try:
    fit(make_model(), extra=[PowerCut(INTERRUPT_AT)])
except RuntimeError as error:
    print(f"interrupted: {error}")
stopper = fit(make_model())
# The callback counts epochs from 0, as `fit` does; people count from 1.
if stopper.stopped_epoch is None:
    print(f"trained all {EPOCHS} epochs; best epoch {stopper.best_epoch + 1}")
else:
    print(
        f"stopped after epoch {stopper.stopped_epoch + 1}; "
        f"best epoch {stopper.best_epoch + 1}"
    )

best = keras.saving.load_model(best_model_path)
_, accuracy = best.evaluate(x_val, y_val, verbose=0)
print(f"best model from {best_model_path}: validation accuracy {accuracy:.3f}")
