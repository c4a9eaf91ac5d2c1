"""run_demo: the study on scikit-learn's digits with the demo's network."""

import os

from kerasreg.demo.network import network
from kerasreg.experiments import study
from kerasreg.experiments.arguments import DEFAULT_LEARNING_RATES
from kerasreg.experiments.data import load_dataset
from kerasreg.experiments.techniques import DEFAULT_TECHNIQUES

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
    overwrite=False,
    image_size=None,
    techniques=None,
    workers=1,
    halving=False,
    learning_rates=None,
    grids=None,
    budget=None,
    tensorboard=False,
):
    """Which regularization helps? `kerasreg.study` on a small network.

    Runs `kerasreg.study` with the demo's MLP (`kerasreg.demo.network`) on
    `data`: the learning rate and each technique's strength tuned on the
    validation split, then the baseline, each technique (L1, L2,
    ElasticNet, Dropout, BatchNorm, EarlyStopping, Augmentation) and all
    together over `seeds` seeds, compared with confidence intervals; prints
    the table and its reading and writes the report to `out/report`. This is
    `python -m kerasreg demo` (digits) and `python -m kerasreg study`.

    Args:
        out: str or path-like, the study's folder (trials, logs, report);
            called again with the same arguments it resumes, and finishes at
            once if the study is complete. Defaults to `"kerasreg-report"`.
        epochs: int >= 1, epochs per run. Defaults to `60`.
        seeds: int >= 1, runs per configuration. Defaults to `3`.
        data: `"digits"`, `"mnist"`, `"cifar10"` or a folder of images in
            class subfolders (see `kerasreg.experiments.data.load_dataset`).
            Defaults to `"digits"`.
        quiet: bool, no progress bar (the table is still printed).
            Defaults to `False`.
        stream: text stream for the table. Defaults to `sys.stdout`.
        overwrite: bool, start afresh where `out` holds a study with other
            arguments. Defaults to `False`.
        image_size: (height, width) to read a folder's images at, or None
            for the size they all share. Defaults to `None`.
        techniques: names of the techniques to compare, or None for
            `kerasreg.study`'s default. Defaults to `None`.
        workers: int >= 1 or `"auto"`, processes that run trials at once
            (see `kerasreg.study`). Defaults to `1`; the command line's
            default is `"auto"`.
        halving: bool, choose the learning rate and strengths by
            successive halving (see `kerasreg.study`). Defaults to `False`.
        learning_rates: the learning rates to choose from, or None for
            `kerasreg.study`'s default. Defaults to `None`.
        grids: dict, technique name → strengths to try in place of its
            default grid, or None. Defaults to `None`.
        budget: float > 0, the minutes the study may take (see
            `kerasreg.study`), or None for no limit. Defaults to `None`.
        tensorboard: bool, also log every run for TensorBoard (see
            `kerasreg.study`). Defaults to `False`.

    Returns:
        The `kerasreg.experiments.StudyResult`.

    Raises:
        ValueError, TypeError: an argument is not of the documented kind.
        StudyError: the folder holds another study or is not writable, the
            dataset is unknown or cannot be read, or a dependency of the
            demo is missing.

    Example:

    >>> result = run_demo(out="report", epochs=2, seeds=1)  # doctest: +SKIP
    >>> result.choices.learning_rate  # doctest: +SKIP
    0.03
    """
    _check_arguments(out, data, quiet)
    dataset = load_dataset(data, image_size=image_size)
    return study(
        network(dataset.image_shape, dataset.num_classes),
        dataset,
        techniques=techniques or DEFAULT_TECHNIQUES,
        seeds=seeds,
        epochs=epochs,
        out=os.fspath(out),
        learning_rates=learning_rates or DEFAULT_LEARNING_RATES,
        grids=grids,
        overwrite=overwrite,
        verbose=2 if quiet else 1,
        stream=stream,
        workers=workers,
        halving=halving,
        budget=budget,
        tensorboard=tensorboard,
    )


def _check_arguments(out, data, quiet):
    """Reject what `study` does not check itself, before anything is loaded
    (`out` too: `os.fspath` would fail on it without naming it)."""
    if not isinstance(out, str | os.PathLike) or not os.fspath(out):
        error = ValueError if isinstance(out, str | os.PathLike) else TypeError
        raise error(
            "Invalid value for argument `out`. Expected a non-empty folder path "
            f"(str or path-like). Received: out={out!r}"
        )
    if not isinstance(data, str | os.PathLike):
        raise TypeError(
            "Invalid value for argument `data`. Expected 'digits', 'mnist', "
            f"'cifar10' or a folder path (str or path-like). Received: data={data!r}"
        )
    if not isinstance(quiet, bool):
        raise TypeError(
            f"Invalid value for argument `quiet`. Expected a bool. Received: "
            f"quiet={quiet!r}"
        )
