"""run_demo: the whole study, from the data to the report folder."""

import numbers
import os
import re
import sys
import time

import keras
import tensorflow as tf

import kerasreg
from kerasreg.demo import network, study
from kerasreg.demo.data import load_dataset
from kerasreg.demo.errors import DemoError
from kerasreg.demo.progress import Progress
from kerasreg.demo.reading import write_reading
from kerasreg.demo.report import REPORT, ReportFolder, write_report
from kerasreg.demo.summary import summarize
from kerasreg.demo.table import format_table
from kerasreg.demo.techniques import TECHNIQUES

DEFAULT_OUT = "kerasreg-report"
DEFAULT_EPOCHS = 60
DEFAULT_SEEDS = 3


def run_demo(
    out=DEFAULT_OUT,
    epochs=DEFAULT_EPOCHS,
    seeds=DEFAULT_SEEDS,
    data="digits",
    quiet=False,
    stream=None,
):
    """Which regularization helps? Train, compare, and write a report.

    Trains the same small network without regularization and with each
    technique of `kerasreg.demo.techniques.TECHNIQUES` (L1, L2, ElasticNet,
    Dropout, BatchNorm, EarlyStopping, Augmentation, all together), `seeds`
    times each, prints a table and a reading of it, and writes report.md,
    results.json and figures to `out`. This is `python -m kerasreg demo`.

    The report is written beside `out` and swapped in whole once complete:
    a failure leaves a previous report in `out` as it was, and bad input
    (an unknown dataset, an unreadable image) creates no folder.

    Args:
        out: str or path-like, the report folder: new, empty, or holding a
            previous report, which is replaced. Defaults to `"kerasreg-report"`.
        epochs: int >= 1, epochs per run. Defaults to `60`.
        seeds: int >= 1, runs per technique (seeds 0, 1, ...). Defaults to `3`.
        data: `"digits"`, `"mnist"`, `"cifar10"` or a folder of images in
            class subfolders (see `kerasreg.demo.data.load_dataset`).
            Defaults to `"digits"`.
        quiet: bool, no progress lines (the table is still printed).
            Defaults to `False`.
        stream: text stream for the output. Defaults to `sys.stdout`.

    Returns:
        A dict from technique name to its list of `kerasreg.demo.study.Run`.

    Raises:
        ValueError, TypeError: an argument is not of the documented kind.
        DemoError: the output folder is not writable or holds other files,
            the dataset is unknown or cannot be read, or a dependency of the
            demo is missing.

    Example:

    >>> results = run_demo(out="report", epochs=2, seeds=1)  # doctest: +SKIP
    >>> results["L1"][0].zero_fraction  # doctest: +SKIP
    0.02
    """
    epochs, seeds = _check_arguments(out, epochs, seeds, data, quiet, stream)
    stream = stream or sys.stdout
    _check_dependencies()
    dataset = load_dataset(data)
    folder = ReportFolder(out)
    try:
        _say(
            stream,
            f"kerasreg demo: {len(TECHNIQUES)} techniques x {seeds} seed(s), "
            f"{epochs} epochs, on {dataset.name} ({len(dataset.x_train)} training "
            "images)",
        )
        start = time.perf_counter()
        results = study.run_study(
            dataset, epochs, seeds, progress=None if quiet else Progress(stream)
        )
        summaries = {name: summarize(runs) for name, runs in results.items()}
        reading = write_reading(
            summaries, len(dataset.x_train), len(dataset.x_test), epochs
        )
        settings = _settings(dataset, epochs, seeds, time.perf_counter() - start)
        try:
            write_report(folder.staging, dataset, results, summaries, reading, settings)
        except OSError as error:
            raise folder.unwritable(error) from error
    except BaseException:
        # Interrupted or failed: nothing of this run is left behind.
        folder.discard()
        raise
    folder.publish()
    _say(stream, "\n" + format_table(summaries.values()) + "\n")
    for line in reading:
        # Markdown emphasis and code marks read as noise on a terminal.
        _say(stream, "- " + re.sub(r"\*\*|`", "", line))
    _say(stream, f"\nReport: {os.path.join(folder.out, REPORT)}")
    return results


def _invalid(argument, value, expected, error=ValueError):
    # The library's message form; the demo uses kerasreg's public names only.
    return error(
        f"Invalid value for argument `{argument}`. Expected {expected}. "
        f"Received: {argument}={value!r}"
    )


def _check_arguments(out, epochs, seeds, data, quiet, stream):
    """Reject bad arguments before anything is loaded, created or trained.

    Returns:
        `epochs` and `seeds` as Python ints (NumPy ints would not go to JSON).
    """
    if not isinstance(out, str | os.PathLike):
        raise _invalid("out", out, "a folder path (str or path-like)", TypeError)
    if not os.fspath(out):
        raise _invalid("out", out, "a non-empty folder path")
    for argument, value in (("epochs", epochs), ("seeds", seeds)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise _invalid(argument, value, "an int", TypeError)
        if value < 1:
            raise _invalid(argument, value, "an int >= 1")
    if not isinstance(data, str | os.PathLike):
        raise _invalid(
            "data",
            data,
            "'digits', 'mnist', 'cifar10' or a folder path (str or path-like)",
            TypeError,
        )
    if not isinstance(quiet, bool):
        raise _invalid("quiet", quiet, "a bool", TypeError)
    if stream is not None and not all(
        callable(getattr(stream, method, None)) for method in ("write", "flush")
    ):
        raise _invalid(
            "stream", stream, "None or a text stream (`write` and `flush`)", TypeError
        )
    return int(epochs), int(seeds)


def _say(stream, text):
    stream.write(text + "\n")
    stream.flush()


def _check_dependencies():
    for module in ("sklearn", "matplotlib"):
        try:
            __import__(module)
        except ImportError as error:
            raise DemoError(
                f"The demo needs scikit-learn and matplotlib ({error}); install "
                "them with: pip install 'kerasreg[demo]'"
            ) from error


def _settings(dataset, epochs, seeds, wall_time):
    hidden = " → ".join(str(units) for units in network.HIDDEN_UNITS)
    return {
        "dataset": dataset.name,
        "image_shape": list(dataset.image_shape),
        "n_train": len(dataset.x_train),
        "n_val": len(dataset.x_val),
        "n_test": len(dataset.x_test),
        "epochs": epochs,
        "seeds": seeds,
        "batch_size": study.BATCH_SIZE,
        "network": f"an MLP, flatten → {hidden} (ReLU) → {dataset.num_classes}",
        "optimizer": (
            f"SGD({network.LEARNING_RATE:g}, momentum={network.MOMENTUM:g}) "
            "wrapped in kerasreg Proximal"
        ),
        "techniques": [
            {"name": t.name, "description": t.description} for t in TECHNIQUES
        ],
        "wall_time": wall_time,
        "versions": {
            "kerasreg": kerasreg.__version__,
            "keras": keras.__version__,
            "tensorflow": tf.__version__,
        },
    }
