"""preview: a grid of augmented samples of one image, saved as a PNG.

A private module, so that `kerasreg.augmentation.preview` names the function.
"""

import math
import os
import tempfile

import keras
import numpy as np

from kerasreg import _validation

_CHANNELS = (1, 3)


def preview(pipeline, image, n=16, path="preview.png"):
    """Augments `image` `n` times and writes the samples as a grid PNG.

    Each sample is `pipeline(image, training=True)` on a batch of `n` copies
    of the image, so every tile shows its own random draws. Tiles are laid out
    in a near-square grid (ceil(sqrt(n)) columns) with a 2-pixel white gap.
    Pixel values are shown as they are if they look like 0..255 (the maximum
    exceeds 1), else scaled from [0, 1]; one-channel images are shown grey.
    The image is read in the pipeline's `data_format` (that of
    `keras.config.image_data_format()` for a callable without one).

    Args:
        pipeline: callable, e.g. a `Pipeline` or any augmentation layer, taking
            a batch (N, H, W, C) (or (N, C, H, W) in "channels_first") and
            `training`, and returning a batch of images.
        image: array (H, W, C) (or (C, H, W)) with 1 or 3 channels, uint8 or
            float.
        n: int >= 1, how many samples. Defaults to `16`.
        path: str, path-like or None: the ".png" file to write (atomically),
            in an existing folder; None writes nothing. Defaults to
            `"preview.png"`.

    Returns:
        The grid as a uint8 array (rows, columns, 3).

    Example:

    >>> image = np.random.default_rng(0).random((32, 32, 3), "float32")
    >>> layer = kerasreg.augmentation.RandomRotation(0.1, seed=0)
    >>> kerasreg.augmentation.preview(layer, image, n=4, path=None).shape
    (66, 66, 3)
    """
    if not callable(pipeline):
        raise _validation.invalid(
            "pipeline", pipeline, "a callable such as a Pipeline or a layer", TypeError
        )
    n = _validation.check_int("n", n, low=1)
    path = _check_path(path)
    channels_first = (
        getattr(pipeline, "data_format", keras.config.image_data_format())
        == "channels_first"
    )
    image = np.asarray(image)
    layout = (
        "(channels, height, width)" if channels_first else "(height, width, channels)"
    )
    channels = image.shape[0 if channels_first else -1] if image.ndim == 3 else None
    if channels not in _CHANNELS:
        raise _validation.invalid(
            "image.shape", image.shape, f"a rank of 3 {layout} with 1 or 3 channels"
        )
    samples = pipeline(np.repeat(image[None], n, axis=0), training=True)
    if isinstance(samples, dict) or len(samples.shape) != 4:
        raise _validation.invalid(
            "pipeline",
            pipeline,
            "a callable that returns a batch of images (rank 4)",
            TypeError,
        )
    samples = keras.ops.convert_to_numpy(samples).astype("float32")
    if channels_first:
        samples = samples.transpose(0, 2, 3, 1)
    scale = 1.0 if samples.max() > 1.0 else 255.0
    tiles = np.clip(samples * scale, 0, 255).round().astype("uint8")
    if tiles.shape[-1] == 1:
        tiles = np.repeat(tiles, 3, axis=-1)
    grid = _grid(tiles)
    if path is not None:
        _write_png(grid, path)
    return grid


def _check_path(path):
    if path is None:
        return None
    if not isinstance(path, (str, os.PathLike)):
        raise _validation.invalid(
            "path", path, 'a str or path-like ending in ".png", or None', TypeError
        )
    text = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(text))
    if not text.lower().endswith(".png") or os.path.isdir(text):
        raise _validation.invalid("path", path, 'a file path ending in ".png"')
    if not os.path.isdir(folder):
        raise _validation.invalid("path", path, "a path in an existing folder")
    return text


def _grid(tiles):
    gap = 2
    n, height, width = tiles.shape[:3]
    columns = math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    grid = np.full(
        (rows * (height + gap) - gap, columns * (width + gap) - gap, 3), 255, "uint8"
    )
    for k, tile in enumerate(tiles):
        top, left = (k // columns) * (height + gap), (k % columns) * (width + gap)
        grid[top : top + height, left : left + width] = tile
    return grid


def _write_png(grid, path):
    """Write to a temporary file beside `path`, then rename it into place."""
    from PIL import Image

    handle, temporary = tempfile.mkstemp(
        suffix=".png", dir=os.path.dirname(os.path.abspath(path))
    )
    try:
        with os.fdopen(handle, "wb") as file:
            Image.fromarray(grid).save(file, format="PNG")
        # mkstemp creates the file private (0600); a PNG is for reading.
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
