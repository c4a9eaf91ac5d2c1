"""Shared pieces of the demo tests: subprocess runs and synthetic results."""

import os
import re
import subprocess
import sys

import numpy as np

from kerasreg.demo.study import Run
from kerasreg.demo.summary import Summary

# TensorFlow's C++ runtime logs to stderr at import whatever TF_CPP_MIN_LOG_LEVEL
# says (e.g. "I0000 00:00:... cudart_stub.cc:31] Could not find cuda drivers");
# those lines are TensorFlow's, not the command's.
_NATIVE_LOG = re.compile(
    r"^(WARNING: All log messages before absl|[IWEF]\d{4} \d\d:\d\d:\d\d"
    r"|To enable the following instructions)"
)


def run_cli(*args, cwd=None):
    """Run `python -m kerasreg *args`; return (exit status, stdout, stderr lines)."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-m", "kerasreg", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=600,
    )
    lines = [line for line in result.stderr.splitlines() if not _NATIVE_LOG.match(line)]
    return result.returncode, result.stdout, lines


def summary(name, test, train=1.0, std=0.0, seeds=3, zeros=0.0, epochs=60.0, **kw):
    """A `Summary` with the given means (fractions) and one spread for both."""
    fields = {
        "technique": name,
        "seeds": seeds,
        "train_accuracy": (train, std),
        "test_accuracy": (test, std),
        "gap": (train - test, std),
        "epochs_run": epochs,
        "best_epoch": None,
        "zero_fraction": zeros,
        "wall_time": 4.0,
    }
    return Summary(**{**fields, **kw})


def fake_run(name, seed=0, epochs=6, zeros=0.0, best_epoch=None, stopped_epoch=None):
    """A `Run` with made-up curves and a random first kernel."""
    rng = np.random.default_rng(seed)
    kernel = rng.normal(scale=0.1, size=(64, 32)).astype("float32")
    kernel[rng.random(kernel.shape) < zeros] = 0.0
    steps = np.arange(1, epochs + 1)
    return Run(
        technique=name,
        seed=seed,
        train_accuracy=0.99,
        test_accuracy=0.93,
        epochs_run=epochs,
        best_epoch=best_epoch,
        stopped_epoch=stopped_epoch,
        zero_fraction=zeros,
        wall_time=1.0,
        history={
            "loss": list(2.0 / steps),
            "val_loss": list(2.0 / steps + 0.02 * steps),
            "accuracy": list(1 - 1 / (steps + 1)),
            "val_accuracy": list(0.9 - 1 / (steps + 2)),
        },
        first_kernel=kernel,
    )
