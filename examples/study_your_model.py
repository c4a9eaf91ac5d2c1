"""Which regularization helps *your* model? `kerasreg.study` on a small CNN.

The model is written once; `switches` put each technique where it belongs
(a switched-off technique is the identity). The study tunes the learning rate
for the unregularized model and each technique's strength on the validation
split, then compares over seeds with 95% confidence intervals, paired with the
baseline by seed, and writes a report to digits-study/report/.

Run: python examples/study_your_model.py   (a few minutes on two CPU cores)
"""

import os

import keras
from sklearn.datasets import load_digits

import kerasreg

QUICK = os.environ.get("KERASREG_EXAMPLE_QUICK") == "1"


def build_model(switches):
    inputs = keras.Input((8, 8, 1))
    x = switches.augment(inputs)
    x = keras.layers.Conv2D(
        16, 3, padding="same", kernel_regularizer=switches.kernel_regularizer
    )(x)
    x = keras.layers.ReLU()(switches.batch_norm(x))
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(64, kernel_regularizer=switches.kernel_regularizer)(x)
    x = switches.dropout(keras.layers.ReLU()(switches.batch_norm(x)))
    return keras.Model(inputs, keras.layers.Dense(10)(x))


digits = load_digits()
x, y = (digits.images / 16.0).astype("float32")[..., None], digits.target
result = kerasreg.study(
    build_model,
    (x, y),  # split 60/20/20, stratified; the test part is never used to choose
    techniques=("L2", "Dropout", "BatchNorm")
    if QUICK
    else ("L1", "L2", "Dropout", "BatchNorm", "Augmentation"),
    combinations=(("L2", "Dropout"),),
    seeds=1 if QUICK else 3,
    epochs=1 if QUICK else 40,
    grids={"L2": (1e-3,), "Dropout": (0.3,)} if QUICK else None,
    learning_rates=(0.03,) if QUICK else (0.01, 0.03, 0.1),
    out="digits-study",
)
print(f"chosen learning rate: {result.choices.learning_rate:g}")
for name, comparison in result.comparisons.items():
    difference = comparison.difference
    print(
        f"{name}: {100 * difference.mean:+.1f} points vs baseline, {comparison.verdict}"
    )
