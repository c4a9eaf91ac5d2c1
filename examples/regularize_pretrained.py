"""Add weight penalties to a model that is already trained, then fine-tune.

`kerasreg.apply_regularization` attaches regularizers to the kernels (and, on
request, biases) of an existing model, nested models included; normalization
parameters are left alone. The penalty shows in `model.losses` at once and is
saved with the model. Compile again afterwards, so that training sees it.

Run: python examples/regularize_pretrained.py
(KERASREG_EXAMPLE_QUICK=1 shortens the training, for the test suite.)
"""

import os
import tempfile

import keras
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import kerasreg

QUICK = os.environ.get("KERASREG_EXAMPLE_QUICK") == "1"
EPOCHS = 2 if QUICK else 30

keras.utils.set_random_seed(0)
digits = load_digits()
x = (digits.images / 16.0).astype("float32")[..., None]
x_train, x_test, y_train, y_test = train_test_split(
    x, digits.target, train_size=300, stratify=digits.target, random_state=0
)
loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

# 1. A "pre-trained" model: trained without any regularization and saved.
model = keras.Sequential(
    [
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(16, 3, activation="relu", name="conv"),
        keras.layers.BatchNormalization(name="bn"),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu", name="hidden"),
        keras.layers.Dense(10, name="head"),
    ]
)
model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss=loss)
model.fit(x_train, y_train, epochs=EPOCHS, batch_size=32, verbose=0)
folder = tempfile.mkdtemp()
model.save(os.path.join(folder, "pretrained.keras"))

# 2. Load it, attach penalties to the Dense layers only, recompile, fine-tune.
model = keras.saving.load_model(os.path.join(folder, "pretrained.keras"))
attached = kerasreg.apply_regularization(
    model,
    kernel_regularizer=kerasreg.ElasticNet(l1=1e-3, l2=1e-3),
    layer_filter=lambda layer: isinstance(layer, keras.layers.Dense),
)
print("penalized:", ", ".join(attached))
model.compile(
    optimizer=kerasreg.optimizers.Proximal(keras.optimizers.SGD(0.05)),
    loss=loss,
    metrics=["accuracy"],
)
# Built before training, Proximal takes its penalties out of the loss graph.
model.optimizer.build(model.trainable_variables)
model.fit(x_train, y_train, epochs=EPOCHS, batch_size=32, verbose=0)
_, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy after fine-tuning: {accuracy:.3f}")
print(kerasreg.regularization_report(model))

# 3. The penalties are part of the saved model.
model.save(os.path.join(folder, "regularized.keras"))
reloaded = keras.saving.load_model(os.path.join(folder, "regularized.keras"))
print(
    "penalty after reload:",
    type(reloaded.get_layer("hidden").kernel_regularizer).__name__,
)
