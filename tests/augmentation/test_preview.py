"""preview writes a grid PNG of augmented samples and returns it."""

import re

import numpy as np
import pytest
from PIL import Image

from kerasreg.augmentation import Pipeline, RandomCrop, RandomFlip, preview


def test_preview_writes_the_grid(tmp_path):
    image = np.random.default_rng(0).integers(0, 255, (20, 20, 3)).astype("uint8")
    path = tmp_path / "grid.png"
    grid = preview(
        Pipeline([RandomFlip(), RandomCrop(16, 16)]), image, n=6, path=str(path)
    )
    # 6 tiles in 3 columns and 2 rows, 2-pixel gaps.
    assert grid.shape == (2 * 16 + 2, 3 * 16 + 4, 3) and grid.dtype == np.uint8
    np.testing.assert_array_equal(np.asarray(Image.open(path)), grid)
    tiles = [grid[r : r + 16, c : c + 16] for r in (0, 18) for c in (0, 18, 36)]
    assert len({t.tobytes() for t in tiles}) > 1  # each tile its own draws


def test_preview_scales_unit_floats_and_greys():
    image = np.full((8, 8, 1), 0.5, "float32")
    grid = preview(RandomFlip(), image, n=1, path=None)
    assert grid.shape == (8, 8, 3) and (grid == 128).all()


def test_preview_rejects_bad_n():
    message = (
        "Invalid value for argument `n`. Expected an int in [1, inf]. Received: n=0"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        preview(RandomFlip(), np.zeros((4, 4, 3)), n=0, path=None)
