"""The study: every technique trained over several seeds, and what came out."""

import dataclasses
import math
import time

import keras
import numpy as np
import tensorflow as tf

from kerasreg.callbacks import EarlyStopping
from kerasreg.demo import techniques as techniques_module
from kerasreg.demo.network import build_model

BATCH_SIZE = 32
# Inference on the evaluation sets in chunks of this many images.
_CHUNK = 2048


@dataclasses.dataclass
class Run:
    """What one technique gave with one seed.

    Epochs are counted from 1. With early stopping, `best_epoch` is the epoch
    whose weights were kept and `stopped_epoch` the epoch at which it stopped
    training (None if it never did); `first_kernel` is the first Dense
    layer's weight matrix.
    """

    technique: str
    seed: int
    train_accuracy: float
    test_accuracy: float
    epochs_run: int
    best_epoch: int | None
    stopped_epoch: int | None
    zero_fraction: float
    wall_time: float
    history: dict
    first_kernel: np.ndarray = dataclasses.field(repr=False, default=None)

    @property
    def gap(self):
        """Train minus test accuracy."""
        return self.train_accuracy - self.test_accuracy

    def to_json(self):
        """The run's numbers as JSON-ready values (without the kernel)."""
        fields = dataclasses.asdict(self)
        del fields["first_kernel"]
        return {**fields, "gap": self.gap}


def run_study(data, epochs, seeds, techniques=None, progress=None):
    """Train every technique with seeds 0..`seeds`-1; return their runs.

    Args:
        data: a `kerasreg.demo.data.Dataset`.
        epochs: int >= 1, the epochs per run (early stopping may stop sooner).
        seeds: int >= 1, the runs per technique.
        techniques: sequence of `Technique`, or None for all of
            `kerasreg.demo.techniques.TECHNIQUES`. Defaults to `None`.
        progress: a `kerasreg.demo.progress.Progress`, or None for silence.
            Defaults to `None`.

    Returns:
        A dict from technique name to its list of `Run`, in study order.

    Example:

    >>> from kerasreg.demo.data import load_dataset
    >>> from kerasreg.demo.techniques import TECHNIQUES
    >>> runs = run_study(load_dataset("digits"), 2, 1, techniques=TECHNIQUES[:2])
    >>> {name: [run.epochs_run for run in runs[name]] for name in runs}
    {'none': [2], 'L1': [2]}
    """
    techniques = techniques or techniques_module.TECHNIQUES
    # TensorFlow's one-time start-up (thread pools, first traces) would
    # otherwise land on the first technique's wall time.
    train_once(techniques[0], data, 1, seed=0)
    results = {}
    for index, technique in enumerate(techniques):
        if progress:
            progress.start(technique.name, index, len(techniques))
        runs = []
        for seed in range(seeds):
            callbacks = [progress.epoch_callback(seed, seeds)] if progress else []
            runs.append(train_once(technique, data, epochs, seed, callbacks))
        results[technique.name] = runs
        if progress:
            progress.finish(runs)
    return results


def train_once(technique, data, epochs, seed, callbacks=()):
    """Build, train and evaluate one model; return its `Run`."""
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    steps = math.ceil(len(data.x_train) / BATCH_SIZE)
    # One compiled call per epoch: per-step Python overhead would dominate
    # the few milliseconds a step of this small network takes.
    model = build_model(technique, data, seed, steps_per_execution=steps)
    stopper = None
    callbacks = list(callbacks)
    if technique.early_stopping:
        stopper = EarlyStopping(
            monitor="val_loss",
            patience=techniques_module.PATIENCE,
            restore_best_weights=True,
        )
        callbacks.append(stopper)
    history = model.fit(
        _training_data(data, seed),
        steps_per_epoch=steps,
        epochs=epochs,
        validation_data=_validation_data(data),
        validation_steps=1,
        callbacks=callbacks,
        shuffle=False,  # the dataset shuffles itself, reproducibly per seed
        verbose=0,
    ).history
    train_accuracy = accuracy(model, data.x_train, data.y_train)
    test_accuracy = accuracy(model, data.x_test, data.y_test)
    kernels = [
        keras.ops.convert_to_numpy(w)
        for w in model.trainable_weights
        if w.path.endswith("kernel")
    ]
    zeros = sum(int(np.count_nonzero(k == 0.0)) for k in kernels)
    return Run(
        technique=technique.name,
        seed=seed,
        train_accuracy=train_accuracy,
        test_accuracy=test_accuracy,
        epochs_run=len(history["loss"]),
        best_epoch=_one_based(stopper.best_epoch) if stopper else None,
        # Keras' `stopped_epoch` is 0 also when training never stopped.
        stopped_epoch=(
            _one_based(stopper.stopped_epoch)
            if stopper and stopper.stop_reason
            else None
        ),
        zero_fraction=zeros / sum(k.size for k in kernels),
        wall_time=time.perf_counter() - start,
        history={key: [float(v) for v in values] for key, values in history.items()},
        first_kernel=kernels[0],
    )


def accuracy(model, x, y):
    """The share of `x` that `model` classifies as `y`, in inference mode."""
    logits = [
        keras.ops.convert_to_numpy(model(x[i : i + _CHUNK], training=False))
        for i in range(0, len(x), _CHUNK)
    ]
    predictions = np.argmax(np.concatenate(logits), axis=-1)
    return float(np.mean(predictions == y))


def _one_based(epoch):
    return None if epoch is None else epoch + 1


def _training_data(data, seed):
    # Shuffled afresh each epoch, in batches that never straddle two epochs,
    # repeated so that Keras keeps one iterator for the whole run.
    return (
        tf.data.Dataset.from_tensor_slices((data.x_train, data.y_train))
        .shuffle(len(data.x_train), seed=seed, reshuffle_each_iteration=True)
        .batch(BATCH_SIZE)
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )


def _validation_data(data):
    # The whole validation set in one batch, kept in memory across epochs.
    return tf.data.Dataset.from_tensors((data.x_val, data.y_val)).repeat()
