"""The report's figures: learning curves, an augmentation preview, weights.

Figures are drawn on matplotlib's Agg canvas directly, without pyplot, so the
demo never touches the caller's plotting backend or global state.
"""

import math

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from kerasreg.augmentation import preview
from kerasreg.experiments.augment import describe_augmentation, make_augmentation

_DPI = 110
_TRAIN, _VALIDATION = "tab:blue", "tab:orange"
# The histograms compare these techniques when the study ran them.
HISTOGRAM_TECHNIQUES = ("none", "L1", "L2")


def _save(figure, path):
    FigureCanvasAgg(figure)
    figure.savefig(path, dpi=_DPI)


def plot_learning_curves(results, path):
    """Training and validation loss per epoch, one panel per technique.

    Shows the first seed's run of each technique; where early stopping ran,
    a vertical line marks the epoch whose weights were kept, and another the
    epoch at which it stopped training.

    Args:
        results: dict from technique name to its list of `Run`.
        path: str, the PNG to write.

    Example:

    >>> plot_learning_curves(run_study(data, 60, 3), "curves.png")  # doctest: +SKIP
    """
    columns = 3
    rows = math.ceil(len(results) / columns)
    figure = Figure(figsize=(4.2 * columns, 3.0 * rows + 0.8), layout="constrained")
    axes = figure.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
    for ax, (name, runs) in zip(axes.flat, results.items(), strict=False):
        run = runs[0]
        epochs = np.arange(1, run.epochs_run + 1)
        ax.plot(epochs, run.history["loss"], color=_TRAIN, label="training loss")
        ax.plot(
            epochs,
            run.history["val_loss"],
            color=_VALIDATION,
            label="validation loss",
        )
        if run.best_epoch is not None:
            ax.axvline(
                run.best_epoch, color="tab:green", ls="--", label="best epoch (kept)"
            )
        if run.stopped_epoch is not None:
            ax.axvline(run.stopped_epoch, color="tab:red", ls=":", label="early stop")
        ax.set_title(name)
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
    for ax in axes[-1]:
        ax.set_xlabel("epoch")
    for ax in axes[:, 0]:
        ax.set_ylabel("cross-entropy")
    for ax in axes.flat[len(results) :]:
        ax.set_visible(False)
    handles = {}
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    figure.legend(handles.values(), handles.keys(), loc="outside lower center", ncol=4)
    figure.suptitle(
        "Learning curves (seed 0; training loss in training mode, without the "
        "weight penalty)"
    )
    _save(figure, path)


def plot_augmentation_preview(data, path, seed=0, samples=16):
    """One test image and `samples` augmentations of it, as the model sees them.

    Args:
        data: a `kerasreg.experiments.data.Dataset`.
        path: str, the PNG to write.
        seed: int, the seed of the draws. Defaults to `0`.
        samples: int, how many augmented samples. Defaults to `16`.

    Example:

    >>> plot_augmentation_preview(load_dataset("digits"), "aug.png")  # doctest: +SKIP
    """
    image, label = data.x_test[0], data.y_test[0]
    grid = preview(make_augmentation(data, seed), image, n=samples, path=None)
    figure = Figure(figsize=(10, 5.2), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=(1, 2))
    left.imshow(_as_rgb(image), interpolation="nearest")
    left.set_title(f"original (class {data.class_names[label]})")
    right.imshow(grid, interpolation="nearest")
    right.set_title(f"{samples} augmented samples (training mode)")
    for ax in (left, right):
        ax.set_axis_off()
    figure.suptitle("Augmentation: " + describe_augmentation(data), wrap=True)
    _save(figure, path)


def _as_rgb(image):
    return np.repeat(image, 3, axis=-1) if image.shape[-1] == 1 else image


def plot_weight_histograms(results, path):
    """The first layer's weights without a penalty, with L1 and with L2.

    Left, the distribution of the first Dense layer's kernel (first seed) for
    each of `HISTOGRAM_TECHNIQUES` that ran; right, the share of kernel
    weights that are exactly 0.0 for every technique.

    Args:
        results: dict from technique name to its list of `Run`.
        path: str, the PNG to write.

    Example:

    >>> plot_weight_histograms(run_study(data, 60, 3), "weights.png")  # doctest: +SKIP
    """
    figure = Figure(figsize=(12, 4.5), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=(3, 2))
    kernels = {
        name: results[name][0].first_kernel.ravel()
        for name in HISTOGRAM_TECHNIQUES
        if name in results
    }
    limit = max(float(np.abs(k).max()) for k in kernels.values()) or 1.0
    # An odd number of bins puts one bin around 0, where L1's exact zeros pile.
    bins = np.linspace(-limit, limit, 81)
    for name, kernel in kernels.items():
        zeros = 100 * np.mean(kernel == 0.0)
        left.hist(
            kernel,
            bins=bins,
            histtype="step",
            lw=1.5,
            label=f"{name}: {zeros:.1f}% exactly 0",
        )
    left.set_yscale("log")
    left.set_xlabel("weight value")
    left.set_ylabel("number of weights")
    left.set_title("First-layer weights (seed 0)")
    left.legend()
    names = list(results)
    shares = [100 * np.mean([r.zero_fraction for r in results[n]]) for n in names]
    right.barh(names, shares, color="tab:purple")
    right.invert_yaxis()
    right.set_xlabel("kernel weights exactly 0.0 (%)")
    right.set_title("Exact zeros, all layers (mean over seeds)")
    right.grid(axis="x", alpha=0.3)
    _save(figure, path)
