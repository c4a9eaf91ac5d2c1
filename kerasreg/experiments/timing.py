"""How long a study's model takes on this machine: an epoch, and the fixed
cost of a trial, timed on the first trial's model before the first trial."""

import time

import keras

from kerasreg.experiments.techniques import Setting
from kerasreg.experiments.training import accuracy


def time_model(trainer, plan):
    """`(seconds_per_epoch, seconds_per_fit)` of the plan's first trial's model.

    The model of the first trial (no regularization, the first learning
    rate, seed 0) is built and trained for two epochs on the training split,
    then measured as a trial measures it (validation loss and accuracy,
    training and test accuracy). The second epoch is the time of an epoch:
    the first also traces the training step. The rest of the time, less two
    epochs, is the fixed cost of a model: building it, tracing, measuring.
    Nothing is written.

    Args:
        trainer: the study's `kerasreg.experiments.training.Trainer`.
        plan: the study's `kerasreg.experiments.plan.Plan`.

    Returns:
        A pair of floats, the seconds of one epoch and of a model's fixed
        cost (each at least 0).
    """
    ends = []

    class _EpochEnds(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            ends.append(time.perf_counter())

    start = time.perf_counter()
    setting = Setting()
    model = trainer.model(setting, plan.learning_rates[0], seed=0)
    trainer.fit(model, setting, seed=0, epochs=2, callbacks=[_EpochEnds()])
    data = trainer.data
    trainer.evaluate(model)
    accuracy(model, data.x_train, data.y_train)
    accuracy(model, data.x_test, data.y_test)
    total = time.perf_counter() - start
    epoch = ends[1] - ends[0]
    return epoch, max(total - 2 * epoch, 0.0)
