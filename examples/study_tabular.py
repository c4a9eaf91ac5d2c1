"""`kerasreg.study` on a table with named columns: which regularization helps,
and which of the 13 wine measurements does the network keep?

The study takes a pandas DataFrame as `x`: its column names name the features.
GroupLasso on the first Dense kernel (`axis=0`: one group per input) drops a
feature by setting its whole row to exactly 0.0. The regularization path
counts the features each λ keeps, and the report (table-study/report/) plots
the validation accuracy against the features kept and lists the features the
recommended model keeps; that model is saved beside the report.

Run: python examples/study_tabular.py   (a minute or two on two CPU cores)
(KERASREG_EXAMPLE_QUICK=1 shortens the training, for the test suite.)
"""

import os

import keras
from sklearn.datasets import load_wine

import kerasreg

QUICK = os.environ.get("KERASREG_EXAMPLE_QUICK") == "1"

wine = load_wine(as_frame=True)
# One scale for every column: the penalty weighs every feature's row alike.
# (Only the inputs are scaled; the labels play no part in it.)
x = (wine.data - wine.data.mean()) / wine.data.std()


def build_model(switches):
    inputs = keras.Input((x.shape[1],))
    h = keras.layers.Dense(32, kernel_regularizer=switches.kernel_regularizer)(inputs)
    h = switches.dropout(keras.layers.ReLU()(switches.batch_norm(h)))
    return keras.Model(inputs, keras.layers.Dense(3)(h))


result = kerasreg.study(
    build_model,
    (x, wine.target),  # split 60/20/20, stratified; named by x's columns
    # No "Augmentation": it rotates and shifts images, not a table's rows.
    techniques=("GroupLasso", "Dropout")
    if QUICK
    else ("L1", "L2", "GroupLasso", "Dropout", "BatchNorm", "EarlyStopping"),
    seeds=1 if QUICK else 3,
    epochs=2 if QUICK else 60,
    # Stronger than GroupLasso's default grid: its path then reaches λ that
    # drop features (the path spans 10x beyond the grid on either side).
    grids={"GroupLasso": (0.1,), "Dropout": (0.3,)}
    if QUICK
    else {"GroupLasso": (0.01, 0.03, 0.1)},
    learning_rates=(0.03,) if QUICK else (0.01, 0.03, 0.1),
    out="table-study",
)
model = keras.saving.load_model(
    os.path.join("table-study", "report", "GroupLasso_path.keras")
)
kept = kerasreg.selected_features(model, feature_names=x.columns)
print(f"features kept at GroupLasso's recommended λ: {len(kept)} of {x.shape[1]}")
print(", ".join(kept))
