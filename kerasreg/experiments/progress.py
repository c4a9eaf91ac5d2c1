"""Progress of the study on the terminal: one line per technique."""

import sys
import time

import keras

from kerasreg.experiments.summary import mean_std


class Progress:
    """Prints one line per technique; on a terminal it also counts epochs.

    On a terminal the technique's line is rewritten in place while it trains
    (`[3/9] L2  seed 2/3  epoch 41/60`) and ends with its result. Elsewhere
    (a log file, a pipe) only the finished line is printed, so logs stay
    clean.

    Args:
        stream: a text stream. Defaults to `sys.stdout`.

    Example:

    >>> progress = Progress()
    >>> runs = run_study(data, epochs=60, seeds=3, progress=progress)  # doctest: +SKIP
    """

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty()
        self._prefix = ""
        self._start = 0.0
        self._width = 0

    def start(self, name, index, total):
        """A technique starts: `index` counts from 0 among `total`."""
        self._prefix = f"[{index + 1}/{total}] {name:<14}"
        self._start = time.perf_counter()
        if self.live:
            self._write(self._prefix)

    def epoch(self, seed_index, seeds, epoch, epochs):
        """Epoch `epoch` (from 1) of `epochs` ended in run `seed_index` (from 0)."""
        if self.live:
            self._write(
                f"{self._prefix}seed {seed_index + 1}/{seeds}  epoch {epoch}/{epochs}"
            )

    def finish(self, runs):
        """The technique's runs are done: print its result line."""
        mean, std = mean_std([100 * run.test_accuracy for run in runs])
        seconds = time.perf_counter() - self._start
        line = (
            f"{self._prefix}test accuracy {mean:5.1f} ± {std:.1f}%  "
            f"({len(runs)} seed{'s' if len(runs) > 1 else ''}, {seconds:.1f} s)"
        )
        self._write(line, end="\n")

    def epoch_callback(self, seed_index, seeds):
        """A Keras callback that reports each epoch of run `seed_index`."""
        return _EpochCallback(self, seed_index, seeds)

    def _write(self, text, end=""):
        # Pad to the previous line's width so that a shorter line rewritten
        # in place leaves no stale characters behind.
        padded = text.ljust(self._width) if self.live else text
        self._width = 0 if end else len(text)
        self.stream.write(("\r" if self.live else "") + padded + end)
        self.stream.flush()


class _EpochCallback(keras.callbacks.Callback):
    def __init__(self, progress, seed_index, seeds):
        super().__init__()
        self.progress = progress
        self.seed_index = seed_index
        self.seeds = seeds

    def on_epoch_end(self, epoch, logs=None):
        self.progress.epoch(
            self.seed_index, self.seeds, epoch + 1, self.params["epochs"]
        )
