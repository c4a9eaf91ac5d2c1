"""The report's figures: learning curves, regularization paths, an
augmentation preview, weights.

Figures are drawn on matplotlib's Agg canvas directly, without pyplot, so the
study never touches the caller's plotting backend or global state. Only this
module imports matplotlib, and the report imports it when it draws: the rest
of kerasreg runs without matplotlib installed.
"""

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
    PercentFormatter,
)

from kerasreg.augmentation import preview
from kerasreg.experiments.plan import BASELINE
from kerasreg.experiments.records import recommended_point
from kerasreg.experiments.techniques import PENALTIES

_DPI = 110
_TRAIN, _VALIDATION = "tab:blue", "tab:orange"
# Configurations side by side in the learning curves, two panels each.
_CURVE_COLUMNS = 2
# A path's accuracy axis shows at least this many standard errors of a
# validation accuracy on each side of its middle: never so zoomed that one
# example's noise reads as a trend.
_MIN_STANDARD_ERRORS = 3


def _save(figure, path):
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=_DPI)


def _legend_below(figure, axes, columns):
    handles = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    figure.legend(
        handles.values(), handles.keys(), loc="outside lower center", ncol=columns
    )


def plot_learning_curves(runs, path):
    """Loss and accuracy per epoch, side by side, for each configuration.

    Shows the first seed's run of each configuration: its training and
    validation loss (log scale, shared by every loss panel) beside its
    training and validation accuracy. Where early stopping ran, a vertical
    line marks the epoch whose weights were kept, and another the epoch at
    which it stopped training. Epochs count from 1, in whole numbers.

    Args:
        runs: dict, configuration name → list of `Run` (seed 0 first).
        path: str, the PNG to write.

    Returns:
        The matplotlib `Figure`.

    Example:

    >>> import os, tempfile
    >>> list(result.runs)  # `result`: a `StudyResult`
    ['none', 'L2', 'Dropout']
    >>> plot_learning_curves(
    ...     result.runs, os.path.join(tempfile.mkdtemp(), "curves.png"))
    <Figure size 1400x650 with 8 Axes>
    """
    rows = math.ceil(len(runs) / _CURVE_COLUMNS)
    figure = Figure(
        figsize=(7.0 * _CURVE_COLUMNS, 2.8 * rows + 0.9), layout="constrained"
    )
    axes = figure.subplots(rows, 2 * _CURVE_COLUMNS, squeeze=False)
    pairs = axes.reshape(rows * _CURVE_COLUMNS, 2)
    # Shared before drawing, so that the limits cover every panel's curves.
    for loss_ax in pairs[1:, 0]:
        loss_ax.sharey(pairs[0, 0])
    for (loss_ax, accuracy_ax), (name, seed_runs) in zip(
        pairs, runs.items(), strict=False
    ):
        run = seed_runs[0]
        epochs = np.arange(1, run.epochs_run + 1)
        for ax, metric, scale in (
            (loss_ax, "loss", 1.0),
            (accuracy_ax, "accuracy", 100.0),
        ):
            for key, color, kind in (
                (metric, _TRAIN, "training"),
                (f"val_{metric}", _VALIDATION, "validation"),
            ):
                if key in run.history:
                    values = scale * np.asarray(run.history[key], dtype="float64")
                    # A diverged epoch's NaN or inf is a gap, not an axis
                    # limit matplotlib cannot set.
                    values[~np.isfinite(values)] = np.nan
                    ax.plot(epochs, values, color=color, label=kind)
            if run.best_epoch is not None:
                ax.axvline(
                    run.best_epoch,
                    color="tab:green",
                    ls="--",
                    label="best epoch (kept)",
                )
            if run.stopped_epoch is not None:
                ax.axvline(run.stopped_epoch, color="tab:red", ls=":", label="stopped")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
        diverged = " (diverged)" if run.diverged else ""
        loss_ax.set_title(f"{name}: loss{diverged}")
        loss_ax.set_yscale("log")
        # Ticks at 1, 2 and 5 per decade, as plain numbers (0.5, not 5×10⁻¹).
        loss_ax.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))
        loss_ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        loss_ax.yaxis.set_minor_formatter(NullFormatter())
        loss_ax.set_ylabel("cross-entropy")
        accuracy_ax.set_title(f"{name}: accuracy{diverged}")
        accuracy_ax.set_ylabel("accuracy")
        accuracy_ax.yaxis.set_major_formatter(PercentFormatter())
        accuracy_ax.set_ylim(0, 100)
    for ax in pairs[len(runs) :].flat:
        ax.set_visible(False)
    _legend_below(figure, pairs[: len(runs)].flat, columns=4)
    figure.suptitle(
        "Learning curves (seed 0; training loss and accuracy in training mode, "
        "the loss without the weight penalty)"
    )
    _save(figure, path)
    return figure


def accuracy_limits(accuracies, validation_size):
    """The accuracy axis (percent) of a path: its points, never zoomed in
    past ±`_MIN_STANDARD_ERRORS` standard errors.

    An accuracy p measured on n examples has the binomial standard error
    sqrt(p (1 − p) / n), floored at one example (1 / n), since at p = 1 it
    is 0. The axis spans the points with a margin, and at least
    ±3 standard errors around their middle (at their mean accuracy), within
    [0, 100].

    Args:
        accuracies: sequence of accuracies in percent (NaN for none).
        validation_size: int, the number of validation examples n.

    Returns:
        `(low, high)` in percent.

    Example:

    >>> [round(v, 2) for v in accuracy_limits([95.0, 95.3], 300)]
    [91.43, 98.87]
    """
    values = np.asarray(accuracies, dtype="float64")
    values = values[np.isfinite(values)]
    if not values.size:
        return 0.0, 100.0
    low, high = float(values.min()), float(values.max())
    p = float(values.mean()) / 100
    error = 100 * max(math.sqrt(p * (1 - p) / validation_size), 1 / validation_size)
    middle = (low + high) / 2
    half = max(0.55 * (high - low), _MIN_STANDARD_ERRORS * error)
    return max(0.0, middle - half), min(100.0, middle + half)


def plot_paths(paths, chosen, path, validation_size=None, fresh_fits=None):
    """Each penalty's regularization path: accuracy and exact zeros against λ.

    One panel per penalty, λ on a log scale decreasing from left to right
    (the order the path was fitted in, each fit warm-started from the one
    before): the validation accuracy on the left axis, the share of kernel
    weights that are exactly zero on the right axis, and the λ chosen on
    validation loss marked, when it is in the panel. Given the validation
    set's size, a band shows ±1 binomial standard error around each
    accuracy and the axis is never zoomed past ±3 of them
    (`accuracy_limits`), so that one example's noise does not read as a
    trend. The point the path recommends (`recommended_point`) is ringed;
    given the fresh fits, their accuracy and zeros at that λ are drawn as
    open diamonds beside it.

    Args:
        paths: dict, penalty name → list of `PathPoint`, strong λ first.
        chosen: dict, technique name → its chosen strength.
        path: str, the PNG to write.
        validation_size: int, the number of validation examples each
            accuracy was measured on, or None for no band. Defaults to
            `None`.
        fresh_fits: dict, penalty name → the `Run` of its fresh fit at the
            recommended λ, or None for none. Defaults to `None`.

    Returns:
        The matplotlib `Figure`.

    Example:

    >>> import os, tempfile
    >>> from kerasreg.experiments.records import PathPoint
    >>> points = [PathPoint(s, {"val_accuracy": a}, z) for s, a, z in (
    ...     (1e-2, 0.40, 0.95), (1e-3, 0.88, 0.60), (1e-4, 0.93, 0.05))]
    >>> plot_paths({"L1": points}, {"L1": 1e-3},
    ...            os.path.join(tempfile.mkdtemp(), "paths.png"))
    <Figure size 600x440 with 2 Axes>
    """
    figure = Figure(figsize=(6.0 * len(paths), 4.4), layout="constrained")
    axes = figure.subplots(1, len(paths), squeeze=False)[0]
    twins = []
    for ax, (name, points) in zip(axes, paths.items(), strict=True):
        strengths = [p.strength for p in points]
        accuracies = np.array([100 * p.measures["val_accuracy"] for p in points])
        accuracy = ax.plot(
            strengths, accuracies, "o-", color=_VALIDATION, label="validation accuracy"
        )
        fresh = (fresh_fits or {}).get(name)
        if fresh is not None:
            # The fresh fit's accuracy belongs on the same honest axis.
            accuracies_shown = np.append(accuracies, 100 * fresh.val_accuracy)
        else:
            accuracies_shown = accuracies
        if validation_size:
            share = accuracies / 100
            error = 100 * np.sqrt(share * (1 - share) / validation_size)
            ax.fill_between(
                strengths,
                accuracies - error,
                accuracies + error,
                color=_VALIDATION,
                alpha=0.2,
                label="±1 standard error (validation size)",
            )
            ax.set_ylim(*accuracy_limits(accuracies_shown, validation_size))
        zeros = ax.twinx()
        twins.append(zeros)
        zeros.plot(
            strengths,
            [100 * p.zero_share for p in points],
            "s--",
            color="tab:purple",
            label="weights exactly 0",
        )
        index = recommended_point(points)
        if index is not None:
            ax.plot(
                strengths[index],
                accuracies[index],
                "o",
                ms=13,
                mfc="none",
                mec="black",
                label="recommended (path, saved)",
            )
        if fresh is not None and index is not None:
            for axis, value, color in (
                (ax, fresh.val_accuracy, _VALIDATION),
                (zeros, fresh.zero_fraction, "tab:purple"),
            ):
                axis.plot(
                    strengths[index],
                    100 * value,
                    "D",
                    ms=9,
                    mfc="white",
                    mec=color,
                    mew=2,
                    label="fresh fit at that λ",
                )
        ax.set_xscale("log")
        # Strong λ on the left: the path runs left to right as it was fitted.
        ax.set_xlim(max(strengths) * 1.5, min(strengths) / 1.5)
        if name in chosen:
            ax.axvline(
                chosen[name], color="tab:green", ls=":", label="chosen λ (validation)"
            )
        ax.set_xlabel("λ (log scale, strong → weak)")
        ax.set_ylabel("validation accuracy", color=accuracy[0].get_color())
        ax.yaxis.set_major_formatter(PercentFormatter())
        zeros.set_ylabel("kernel weights exactly 0", color="tab:purple")
        zeros.yaxis.set_major_formatter(PercentFormatter())
        zeros.set_ylim(0, 100)
        ax.set_title(name)
        ax.grid(alpha=0.3)
    _legend_below(figure, [*axes, *twins], columns=3)
    figure.suptitle(
        "Regularization paths: each λ warm-started from the stronger one before"
    )
    _save(figure, path)
    return figure


def plot_augmentation_preview(data, augmentation, path, title, samples=16):
    """One test image and `samples` augmentations of it, as the model sees them.

    Args:
        data: a `kerasreg.experiments.data.Dataset`.
        augmentation: the augmentation layer (or callable taking a batch and
            `training`).
        path: str, the PNG to write.
        title: str, the figure's title.
        samples: int, how many augmented samples. Defaults to `16`.

    Returns:
        The matplotlib `Figure`.

    Example:

    >>> from kerasreg.experiments.augment import make_augmentation
    >>> from kerasreg.experiments.data import load_dataset
    >>> import tempfile, os
    >>> data = load_dataset("digits")
    >>> plot_augmentation_preview(
    ...     data, make_augmentation(data, seed=0, magnitude=2.0),
    ...     os.path.join(tempfile.mkdtemp(), "augmentation.png"), "Magnitude 2")
    <Figure size 1000x520 with 2 Axes>
    """
    image, label = data.x_test[0], data.y_test[0]
    grid = preview(augmentation, image, n=samples, path=None)
    figure = Figure(figsize=(10, 5.2), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=(1, 2))
    left.imshow(_as_rgb(image), interpolation="nearest")
    left.set_title(f"original (class {data.class_names[label]})")
    right.imshow(grid, interpolation="nearest")
    right.set_title(f"{samples} augmented samples (training mode)")
    for ax in (left, right):
        ax.set_axis_off()
    figure.suptitle(title, wrap=True)
    _save(figure, path)
    return figure


def _as_rgb(image):
    return np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image


def plot_weight_histograms(runs, path):
    """The first kernel's weights, and the share of exact zeros.

    Left, the distribution of the first kernel's weights (seed 0) without
    regularization and under each penalty studied, each over its own range;
    right, the share of all kernel weights that are exactly 0.0 for every
    configuration (mean over the seeds).

    Args:
        runs: dict, configuration name → list of `Run` (seed 0 first).
        path: str, the PNG to write.

    Returns:
        The matplotlib `Figure`.

    Example:

    >>> import os, tempfile
    >>> plot_weight_histograms(  # `result`: a `StudyResult`
    ...     result.runs, os.path.join(tempfile.mkdtemp(), "weights.png"))
    <Figure size 1200x450 with 2 Axes>
    """
    figure = Figure(figsize=(12, 4.5), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=(3, 2))
    for name in (BASELINE, *PENALTIES):
        if name not in runs:
            continue
        run = runs[name][0]
        counts = np.asarray(run.kernel_histogram, dtype="float64")
        edges = np.linspace(-run.kernel_limit, run.kernel_limit, len(counts) + 1)
        # Empty bins have no place on a log scale: drawn as gaps, not drops.
        left.stairs(
            np.where(counts > 0, counts, np.nan),
            edges,
            lw=1.5,
            label=f"{name}: {100 * run.first_zero_fraction:.1f}% exactly 0",
        )
    left.set_yscale("log")
    left.set_xlabel("weight value")
    left.set_ylabel("number of weights")
    left.set_title("First kernel's weights (seed 0)")
    left.legend()
    names = list(runs)
    shares = [100 * np.mean([r.zero_fraction for r in runs[n]]) for n in names]
    right.barh(names, shares, color="tab:purple")
    right.invert_yaxis()
    right.set_xlabel("kernel weights exactly 0.0 (%)")
    right.set_title("Exact zeros, all kernels (mean over seeds)")
    right.grid(axis="x", alpha=0.3)
    _save(figure, path)
    return figure


def plot_features(paths, path, n_features, validation_size=None):
    """Validation accuracy against the number of input features kept, along
    each penalty's regularization path.

    One line per penalty whose path counted the features its models keep
    (`PathPoint.features`), its points in the order they were fitted (strong
    λ first: few features, then more); a point that diverged or was not
    counted is left out. The recommended point (`recommended_point`), whose
    model the study saved, is ringed. Given the validation set's size, the
    accuracy axis is never zoomed past ±3 standard errors
    (`accuracy_limits`).

    Args:
        paths: dict, penalty name → list of `PathPoint`, strong λ first.
        path: str, the PNG to write.
        n_features: int, the number of input features (the axis' end).
        validation_size: int, the number of validation examples each
            accuracy was measured on, or None. Defaults to `None`.

    Returns:
        The matplotlib `Figure`.

    Example:

    >>> import os, tempfile
    >>> from kerasreg.experiments.records import PathPoint
    >>> points = [PathPoint(s, {"val_accuracy": a, "val_loss": 0.5}, 0.5, kept)
    ...     for s, a, kept in ((1e-2, 0.6, (0,)), (1e-3, 0.9, (0, 2)),
    ...                        (1e-4, 0.91, (0, 1, 2, 3)))]
    >>> plot_features({"GroupLasso": points},
    ...     os.path.join(tempfile.mkdtemp(), "features.png"), n_features=4)
    <Figure size 650x440 with 1 Axes>
    """
    figure = Figure(figsize=(6.5, 4.4), layout="constrained")
    ax = figure.subplots()
    shown = []
    for name, points in paths.items():
        counted = [p for p in points if p.features is not None]
        if not counted:
            continue
        kept = [len(p.features) for p in counted]
        accuracies = [100 * p.measures["val_accuracy"] for p in counted]
        shown += accuracies
        line = ax.plot(kept, accuracies, "o-", label=name)
        index = recommended_point(points)
        if index is not None and points[index].features is not None:
            ax.plot(
                len(points[index].features),
                100 * points[index].measures["val_accuracy"],
                "o",
                ms=13,
                mfc="none",
                mec=line[0].get_color(),
                label=f"{name}: recommended (saved)",
            )
    if validation_size:
        ax.set_ylim(*accuracy_limits(shown, validation_size))
    ax.set_xlim(-0.5, n_features + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(PercentFormatter())
    ax.set_xlabel(f"input features kept (of {n_features})")
    ax.set_ylabel("validation accuracy")
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title("Features kept along each path (strong λ: fewest)")
    _save(figure, path)
    return figure
