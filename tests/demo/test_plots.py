"""The report's figures, drawn from made-up runs: readable PNGs."""

import numpy as np
import pytest
from PIL import Image

from kerasreg.demo import plots
from kerasreg.demo.data import load_dataset
from tests.demo._support import fake_run


@pytest.fixture
def results():
    return {
        "none": [fake_run("none")],
        "L1": [fake_run("L1", zeros=0.4)],
        "L2": [fake_run("L2")],
        "EarlyStopping": [
            fake_run("EarlyStopping", epochs=5, best_epoch=2, stopped_epoch=5)
        ],
    }


def _assert_readable(path, min_width=600):
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.width >= min_width and image.height >= 300
        pixels = np.asarray(image.convert("L"), dtype="float32")
    assert pixels.std() > 10


def test_learning_curves(tmp_path, results):
    plots.plot_learning_curves(results, tmp_path / "curves.png")
    _assert_readable(tmp_path / "curves.png", min_width=1000)


def test_weight_histograms(tmp_path, results):
    plots.plot_weight_histograms(results, tmp_path / "weights.png")
    _assert_readable(tmp_path / "weights.png", min_width=1000)


def test_weight_histograms_without_l1(tmp_path, results):
    del results["L1"]
    plots.plot_weight_histograms(results, tmp_path / "weights.png")
    _assert_readable(tmp_path / "weights.png")


def test_augmentation_preview(tmp_path):
    plots.plot_augmentation_preview(load_dataset("digits"), tmp_path / "aug.png")
    _assert_readable(tmp_path / "aug.png")
