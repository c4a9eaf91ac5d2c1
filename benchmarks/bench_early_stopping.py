"""Epoch-end cost of keeping the best weights: kerasreg vs Keras' EarlyStopping.

Every timed epoch end is an improvement, so both callbacks copy the weights of
a ~25M-parameter model: Keras' `EarlyStopping(restore_best_weights=True)`
with `model.get_weights()` (device to host, into new NumPy arrays), kerasreg's
with one variable-to-variable assignment per weight, on the device. The two
run interleaved in one process (`_timing`), warm-up first; the script prints
the median of the rounds and the ratio to Keras (wall and CPU time), and the
same for the restore at the end of training (Keras' `set_weights` from the
host against kerasreg's device copy). Under TensorFlow an assigned variable
shares its buffer until the next update (copy-on-write), which moves part of
the copy into the next training step: the first table, an epoch end plus one
training step over the step alone, is the cost that counts.

Run: python benchmarks/bench_early_stopping.py [--quick]
"""

import argparse
import itertools
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
from _timing import interleaved_wall_and_cpu, print_ratios  # noqa: E402

from kerasreg.callbacks import EarlyStopping  # noqa: E402


def build_model():
    """An MLP of 25.2M float32 parameters (about 100 MB)."""
    model = keras.Sequential(
        [
            keras.Input((2048,)),
            keras.layers.Dense(4096, activation="relu"),
            keras.layers.Dense(4096, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    return model


# One count for every timed call, so that each value beats all the earlier ones:
# every epoch end is an improvement, for both callbacks, in every table.
_EPOCHS = itertools.count()


def _improving_logs():
    epoch = next(_EPOCHS)
    return epoch, {"val_loss": 1.0 / (epoch + 1)}


def _wait(model):
    # Reading one small weight back waits for the device's queued work.
    keras.ops.convert_to_numpy(model.weights[-1])


def improving_epoch_end(callback, model):
    """A callable running one epoch end that improves on the best value."""

    def run():
        callback.on_epoch_end(*_improving_logs())
        _wait(model)

    return run


def epoch_end_then_step(callback, model):
    """An improving epoch end, then one training step (None: the step alone).

    Under TensorFlow a variable assigned from another shares its buffer until
    either is updated (copy-on-write), so part of the copy's cost lands in the
    next training step; this measures both together.
    """
    x = keras.ops.ones((8, 2048))
    y = keras.ops.ones((8, 10))

    def run():
        if callback is not None:
            callback.on_epoch_end(*_improving_logs())
        model.train_on_batch(x, y)

    return run


def print_added_cost(title, wall, baseline):
    """Each variant's time above the baseline's, and its ratio to the first."""
    print(f"\n{title}")
    added = {name: wall[name] - wall[baseline] for name in wall if name != baseline}
    reference = next(iter(added.values()))
    print(f"{'variant':<42}{'added ms':>10}{'ratio':>8}")
    for name, seconds in added.items():
        print(f"{name:<42}{1000 * seconds:>10.1f}{seconds / reference:>7.2f}x")


def restore(callback, model):
    def run():
        callback.on_train_end()
        _wait(model)

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats")
    args = parser.parse_args()
    rounds = 5 if args.quick else 20

    model = build_model()
    print(f"backend={keras.backend.backend()} parameters={model.count_params():,}")
    callbacks = {
        "keras EarlyStopping(restore_best_weights=True)": (
            keras.callbacks.EarlyStopping(restore_best_weights=True)
        ),
        "kerasreg EarlyStopping()": EarlyStopping(),
    }
    for callback in callbacks.values():
        callback.set_model(model)
        callback.on_train_begin()
    baseline = next(iter(callbacks))
    timed = {"training step alone": epoch_end_then_step(None, model)}
    for name, callback in callbacks.items():
        timed[name] = epoch_end_then_step(callback, model)
    wall, _ = interleaved_wall_and_cpu(timed, rounds)
    print_added_cost(
        "epoch end with an improvement + the next training step (the real cost)",
        wall,
        "training step alone",
    )
    for title, make in (
        ("epoch end with an improvement, alone", improving_epoch_end),
        ("restore at train end", restore),
    ):
        timed = {name: make(callback, model) for name, callback in callbacks.items()}
        wall, cpu = interleaved_wall_and_cpu(timed, rounds)
        print_ratios(title, wall, baseline, cpu)


if __name__ == "__main__":
    main()
