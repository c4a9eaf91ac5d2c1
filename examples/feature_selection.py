"""Which of the 30 breast-cancer measurements does a small network need?

The input-group penalty (`GroupLasso(λ, axis=0)` on the first Dense kernel:
one group per input) trained with `kerasreg.optimizers.Proximal` sets the
outgoing weights of an input the network gives up to exactly 0.0. The
feature path trains from strong to weak λ, each fit starting from the last,
and records the inputs kept and the validation accuracy at each λ, and the
order in which the named columns enter. `SelectFeatures` then keeps the
chosen columns of the DataFrame, and a smaller model trains on them alone.

Run: python examples/feature_selection.py
(KERASREG_EXAMPLE_QUICK=1 shortens the training, for the test suite.)
"""

import os

import keras
import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import kerasreg
from kerasreg.feature_selection import feature_path

QUICK = os.environ.get("KERASREG_EXAMPLE_QUICK") == "1"
EPOCHS = 10 if QUICK else 60
K = 5

frame = load_breast_cancer(as_frame=True)
x = pd.DataFrame(StandardScaler().fit_transform(frame.data), columns=frame.data.columns)
y = frame.target.to_numpy().astype("float32")
x_train, x_val, y_train, y_val = train_test_split(
    x, y, test_size=0.3, random_state=0, stratify=y
)


def build(strength):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((x.shape[1],)),
            # A smooth activation: a zero first layer must still pass a
            # gradient back, or no input could ever enter.
            keras.layers.Dense(
                16, "tanh", kernel_regularizer=kerasreg.GroupLasso(strength, axis=0)
            ),
            keras.layers.Dense(1, "sigmoid"),
        ]
    )
    optimizer = kerasreg.optimizers.Proximal(keras.optimizers.SGD(0.1))
    model.compile(optimizer, "binary_crossentropy", metrics=["accuracy"])
    model.optimizer.build(model.trainable_variables)
    return model


def train(model):
    model.fit(x_train.to_numpy(), y_train, batch_size=32, epochs=EPOCHS, verbose=0)


def measure(model):
    _, accuracy = model.evaluate(x_val.to_numpy(), y_val, verbose=0)
    return {"val_accuracy": accuracy}


path = feature_path(
    build,
    np.geomspace(1.0, 0.01, 7),
    train,
    measure,
    feature_names=x.columns,
)
print(f"{'λ':>8}  {'inputs':>6}  {'val acc':>7}")
for point in path.points:
    accuracy = point.measures["val_accuracy"]
    print(f"{point.strength:8.4f}  {len(point.indices):6d}  {accuracy:7.3f}")
print("order of entry:", ", ".join(path.entry_order[:8]), "...")

select = path.selector(K)
print(f"the {K} inputs kept:", select.get_feature_names_out())
small = keras.Sequential(
    [keras.Input((K,)), keras.layers.Dense(8, "relu"), keras.layers.Dense(1, "sigmoid")]
)
small.compile("adam", "binary_crossentropy", metrics=["accuracy"])
small.fit(select.transform(x_train), y_train, epochs=EPOCHS, verbose=0)
_, accuracy = small.evaluate(select.transform(x_val), y_val, verbose=0)
print(f"validation accuracy on {K} of {x.shape[1]} inputs: {accuracy:.3f}")
# The selection travels with the model: one .keras file takes all 30 columns.
keeper = keras.Sequential([keras.Input((x.shape[1],)), select, small])
keeper.save("selected.keras")
print("saved selected.keras")
