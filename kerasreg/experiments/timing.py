"""How long a study's models take on this machine: an epoch, and the fixed
cost of a model, timed before the first trial."""

import dataclasses
import functools
import time

import keras

from kerasreg.experiments.techniques import Setting


def time_models(trainer, plan):
    """`(seconds_per_epoch, seconds_per_fit)` of a typical trial of `plan`.

    Two models are timed: the first trial's (no regularization, the first
    learning rate) and the one with every technique on (the costliest: an
    augmentation or batch normalization costs time every step). A trial
    turns on about one technique of the n studied (the learning rates none,
    "all together" every one), so a typical trial costs the first model's
    time and 1/n of the difference. Each is built and trained for two epochs
    on the training split, then measured as a trial measures it (validation
    loss and accuracy, training and test accuracy). The second epoch is the
    time of an epoch (the first also traces the training step); the rest of
    the time, less two epochs, is the fixed cost of a model: building,
    tracing and measuring it. The logs a trial writes are not timed, and
    nothing is written.

    Args:
        trainer: the study's `kerasreg.experiments.training.Trainer`.
        plan: the study's `kerasreg.experiments.plan.Plan`.

    Returns:
        A pair of floats: the seconds of one epoch and of a model's fixed
        cost (at least 0).
    """
    everything = functools.reduce(
        Setting.merged, (t.setting(t.grid[0]) for t in plan.techniques), Setting()
    )
    baseline, costliest = (
        _time_model(trainer, plan.values(setting, plan.learning_rates[0], 0, epochs=2))
        for setting in (Setting(), everything)
    )
    share = 1 / len(plan.techniques)
    epoch, fit = (
        low + share * (high - low)
        for low, high in zip(baseline, costliest, strict=True)
    )
    return epoch, fit


def _time_model(trainer, values):
    ends = []

    class _EpochEnds(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ends.append(time.perf_counter())

    start = time.perf_counter()
    # A trial's own work, without its logs: nothing is written.
    dataclasses.replace(trainer, log_dir=None).run(values, callbacks=[_EpochEnds()])
    total = time.perf_counter() - start
    epoch = ends[1] - ends[0]
    return epoch, max(total - 2 * epoch, 0.0)
