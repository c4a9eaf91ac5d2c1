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


def test_preview_reads_a_channels_first_pipeline():
    image = np.random.default_rng(1).integers(0, 255, (3, 12, 10)).astype("uint8")
    # A window of the whole image: every draw keeps it as it is.
    crop = RandomCrop(12, 10, data_format="channels_first")
    pipeline = Pipeline([crop], data_format="channels_first")
    grid = preview(pipeline, image, n=1, path=None)
    np.testing.assert_array_equal(grid, image.transpose(1, 2, 0))


def test_preview_file_is_written_whole_and_readable(tmp_path):
    path = tmp_path / "grid.png"
    path.write_bytes(b"old")
    grid = preview(RandomFlip(), np.zeros((4, 4, 3), "uint8"), n=2, path=path)
    np.testing.assert_array_equal(np.asarray(Image.open(path)), grid)
    assert [p.name for p in tmp_path.iterdir()] == ["grid.png"]  # no temporary


def _bad_previews(tmp_path):
    image = np.zeros((4, 4, 3), "float32")
    (tmp_path / "folder.png").mkdir()
    return {
        "pipeline": (
            lambda: preview("flip", image, path=None),
            TypeError,
            "Invalid value for argument `pipeline`. Expected a callable such as a "
            "Pipeline or a layer. Received: pipeline='flip'",
        ),
        "pipeline-output": (
            lambda: preview(lambda x, training: {"images": x}, image, path=None),
            TypeError,
            "Invalid value for argument `pipeline`. Expected a callable that "
            "returns a batch of images (rank 4). Received: pipeline=<function",
        ),
        "channels": (
            lambda: preview(RandomFlip(), np.zeros((4, 4, 2)), path=None),
            ValueError,
            "Invalid value for argument `image.shape`. Expected a rank of 3 "
            "(height, width, channels) with 1 or 3 channels. Received: "
            "image.shape=(4, 4, 2)",
        ),
        "rank": (
            lambda: preview(RandomFlip(), np.zeros((4, 4)), path=None),
            ValueError,
            "Invalid value for argument `image.shape`. Expected a rank of 3 "
            "(height, width, channels) with 1 or 3 channels. Received: "
            "image.shape=(4, 4)",
        ),
        "path-type": (
            lambda: preview(RandomFlip(), image, path=3),
            TypeError,
            "Invalid value for argument `path`. Expected a str or path-like "
            'ending in ".png", or None. Received: path=3',
        ),
        "path-suffix": (
            lambda: preview(RandomFlip(), image, path=str(tmp_path / "grid.jpg")),
            ValueError,
            'Invalid value for argument `path`. Expected a file path ending in ".png". '
            f"Received: path={str(tmp_path / 'grid.jpg')!r}",
        ),
        "path-folder": (
            lambda: preview(RandomFlip(), image, path=str(tmp_path / "folder.png")),
            ValueError,
            'Invalid value for argument `path`. Expected a file path ending in ".png". '
            f"Received: path={str(tmp_path / 'folder.png')!r}",
        ),
        "path-missing-folder": (
            lambda: preview(RandomFlip(), image, path=str(tmp_path / "no" / "g.png")),
            ValueError,
            "Invalid value for argument `path`. Expected a path in an existing "
            f"folder. Received: path={str(tmp_path / 'no' / 'g.png')!r}",
        ),
    }


BAD_PREVIEW_IDS = [
    "pipeline",
    "pipeline-output",
    "channels",
    "rank",
    "path-type",
    "path-suffix",
    "path-folder",
    "path-missing-folder",
]


@pytest.mark.parametrize("case", BAD_PREVIEW_IDS)
def test_preview_bad_input_messages(case, tmp_path):
    make, error, message = _bad_previews(tmp_path)[case]
    with pytest.raises(error, match=re.escape(message)):
        make()
    assert not (tmp_path / "preview.png").exists()
