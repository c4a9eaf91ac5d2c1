"""The report's figures, drawn from hand-built runs: readable PNGs, the
panels and axes the report describes."""

import dataclasses

import numpy as np
import pytest
from PIL import Image

from kerasreg.experiments import plots
from kerasreg.experiments.augment import make_augmentation
from tests.experiments._results import make_run, path_points, tiny_dataset


@pytest.fixture
def runs():
    return {
        "none": [make_run("none"), make_run("none", seed=1)],
        "L1": [make_run("L1", zeros=0.4)],
        "L2": [make_run("L2")],
        "EarlyStopping": [
            make_run("EarlyStopping", epochs=5, best_epoch=2, stopped_epoch=5)
        ],
        "L2 + Dropout + Augmentation": [make_run("L2 + Dropout + Augmentation")],
    }


def _assert_readable(path, min_width=600):
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width >= min_width and image.height >= 300
        pixels = np.asarray(image.convert("L"), dtype="float32")
    assert pixels.std() > 10


def _visible(figure):
    return [ax for ax in figure.axes if ax.get_visible()]


def test_learning_curves_show_loss_and_accuracy_per_configuration(tmp_path, runs):
    figure = plots.plot_learning_curves(runs, tmp_path / "curves.png")
    _assert_readable(tmp_path / "curves.png", min_width=1000)
    axes = _visible(figure)
    assert [ax.get_title() for ax in axes] == [
        f"{name}: {panel}" for name in runs for panel in ("loss", "accuracy")
    ]
    for ax in axes:
        # Whole-number epochs only, within the runs' 1 … 6.
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= 6]
        assert ticks and all(float(t).is_integer() for t in ticks)
    loss, accuracy = axes[6], axes[7]
    assert loss.get_yscale() == "log"
    # The early-stopping panels carry the kept and the stopped epoch.
    lines = {line.get_label(): line.get_xdata()[0] for line in loss.lines}
    assert lines["best epoch (kept)"] == 2 and lines["stopped"] == 5
    assert list(accuracy.lines[1].get_ydata()) == pytest.approx(
        [100 * (0.9 - 1 / (epoch + 2)) for epoch in range(1, 6)]
    )


def test_paths_put_strong_lambda_left_and_zeros_on_a_second_axis(tmp_path):
    figure = plots.plot_paths(
        {"L1": path_points(), "ElasticNet": path_points()},
        {"L1": 1e-4},
        tmp_path / "paths.png",
    )
    _assert_readable(tmp_path / "paths.png", min_width=1000)
    l1, elastic_net, l1_zeros, _ = figure.axes
    assert (l1.get_title(), elastic_net.get_title()) == ("L1", "ElasticNet")
    assert l1.get_xscale() == "log"
    left, right = l1.get_xlim()
    assert left > 1e-2 and right < 1e-5
    assert l1.get_xlabel() == "λ (log scale, strong → weak)"
    assert list(l1.lines[0].get_ydata()) == pytest.approx([40, 88, 92.5, 93])
    assert list(l1_zeros.lines[0].get_ydata()) == pytest.approx([95, 60, 20, 1])
    assert l1_zeros.get_ylabel() == "kernel weights exactly 0"
    # The chosen λ is marked where one was chosen.
    assert [line.get_label() for line in l1.lines][-1] == "chosen λ (validation)"
    assert [line.get_label() for line in elastic_net.lines] == [
        "validation accuracy",
        "recommended (path, saved)",
    ]


def test_weight_histograms_from_the_runs_counts(tmp_path, runs):
    figure = plots.plot_weight_histograms(runs, tmp_path / "weights.png")
    _assert_readable(tmp_path / "weights.png", min_width=1000)
    histograms, shares = figure.axes
    steps = histograms.patches
    assert [step.get_label() for step in steps] == [
        "none: 0.0% exactly 0",
        f"L1: {100 * runs['L1'][0].first_zero_fraction:.1f}% exactly 0",
        "L2: 0.0% exactly 0",
    ]
    widths = [bar.get_width() for bar in shares.patches]
    assert widths == pytest.approx([0.0, 40.0, 0.0, 0.0, 0.0])


def test_weight_histograms_of_the_baseline_alone(tmp_path, runs):
    plots.plot_weight_histograms({"none": runs["none"]}, tmp_path / "weights.png")
    _assert_readable(tmp_path / "weights.png")


def test_augmentation_preview(tmp_path):
    data = tiny_dataset()
    figure = plots.plot_augmentation_preview(
        data,
        make_augmentation(data, seed=0, magnitude=2.0),
        tmp_path / "augmentation.png",
        "Augmentation at magnitude 2",
    )
    _assert_readable(tmp_path / "augmentation.png")
    # `Figure.get_suptitle` is newer than matplotlib 3.7; the title is a text.
    assert [text.get_text() for text in figure.texts] == ["Augmentation at magnitude 2"]


@pytest.mark.parametrize("name", ["none", "L1"], ids=["baseline", "penalty"])
def test_a_diverged_run_is_drawn_and_titled_diverged(tmp_path, runs, name):
    runs[name] = [make_run(name, diverged=True)]
    figure = plots.plot_learning_curves(runs, tmp_path / "curves.png")
    _assert_readable(tmp_path / "curves.png", min_width=1000)
    titles = [ax.get_title() for ax in _visible(figure)]
    assert f"{name}: loss (diverged)" in titles
    assert sum("diverged" in title for title in titles) == 2
    plots.plot_weight_histograms(runs, tmp_path / "weights.png")
    _assert_readable(tmp_path / "weights.png", min_width=1000)


@pytest.mark.parametrize(
    "accuracies, size",
    [
        ((0.95, 0.9533, 0.9517), 300),  # one example in 300 apart
        ((1.0, 1.0, 1.0), 300),
        ((0.40, 0.88, 0.93), 1000),
        ((0.5, 0.5, 0.501), 50_000),
    ],
    ids=["one-example", "perfect", "wide", "large-validation"],
)
def test_the_path_accuracy_axis_never_zooms_past_three_standard_errors(
    tmp_path, accuracies, size
):
    points = [
        dataclasses.replace(p, measures={"val_accuracy": a, "val_loss": 0.3})
        for p, a in zip(path_points(), accuracies, strict=False)
    ]
    figure = plots.plot_paths({"L1": points}, {}, tmp_path / "p.png", size)
    ax = figure.axes[0]
    low, high = ax.get_ylim()
    percent = 100 * np.array(accuracies)
    p = percent.mean() / 100
    # Independent reference: the binomial standard error, floored at 1/n.
    error = 100 * max(np.sqrt(p * (1 - p) / size), 1 / size)
    assert low <= percent.min() and high >= percent.max()
    assert low >= 0 and high <= 100
    middle = (percent.min() + percent.max()) / 2
    assert min(middle - low, high - middle) >= 3 * error - 1e-9 or (
        low == 0 or high == 100
    )
    band = [c for c in ax.collections if c.get_label().startswith("±1 standard")]
    assert len(band) == 1


def test_without_the_validation_size_there_is_no_band(tmp_path):
    figure = plots.plot_paths({"L1": path_points()}, {}, tmp_path / "p.png")
    assert not figure.axes[0].collections


def test_the_recommended_point_is_ringed_beside_its_fresh_fit(tmp_path):
    fresh = make_run("L1", zeros=0.02)
    figure = plots.plot_paths(
        {"L1": path_points()}, {}, tmp_path / "p.png", 300, fresh_fits={"L1": fresh}
    )
    accuracy_ax, zeros_ax = figure.axes
    marks = {
        line.get_label(): (list(line.get_xdata()), list(line.get_ydata()))
        for line in [*accuracy_ax.lines, *zeros_ax.lines]
        if len(line.get_xdata()) == 1
    }
    # path_points: 1e-4 (92.5%) is the strongest within 1 point of 93%.
    assert marks["recommended (path, saved)"] == ([1e-4], [92.5])
    fresh_marks = [
        (list(line.get_xdata()), list(line.get_ydata()))
        for line in [*accuracy_ax.lines, *zeros_ax.lines]
        if line.get_label() == "fresh fit at that λ"
    ]
    assert fresh_marks == [([1e-4], [90.0]), ([1e-4], [2.0])]
    low, high = accuracy_ax.get_ylim()
    assert low <= 90.0 <= high


def test_accuracy_against_the_features_kept(tmp_path):
    from kerasreg.experiments.records import PathPoint

    # The third fit diverged: its features are not counted.
    kept = [(0,), (0, 2), None, (0, 1, 2, 3)]
    accuracies = [0.6, 0.85, 0.1, 0.91]
    losses = [0.9, 0.4, float("inf"), 0.3]
    points = [
        PathPoint(10.0**-i, {"val_accuracy": a, "val_loss": loss}, 0.5, k)
        for i, (a, loss, k) in enumerate(zip(accuracies, losses, kept, strict=True))
    ]
    figure = plots.plot_features(
        {"GroupLasso": points, "L1": path_points()},
        tmp_path / "features.png",
        n_features=4,
        validation_size=100,
    )
    _assert_readable(tmp_path / "features.png")
    (ax,) = figure.axes
    # The uncounted point is left out; L1's path counted nothing: no line.
    line, ring = ax.lines
    assert list(line.get_xdata()) == [1, 2, 4]
    assert list(line.get_ydata()) == pytest.approx([60, 85, 91])
    # Recommended: the strongest λ within a point of the best (91%): 4 kept.
    assert (list(ring.get_xdata()), ring.get_label()) == (
        [4],
        "GroupLasso: recommended (saved)",
    )
    assert ax.get_xlabel() == "input features kept (of 4)"
