"""preview: a grid of augmented samples of one image, saved as a PNG."""

import math

import numpy as np
from keras import ops

from kerasreg import _validation


def preview(pipeline, image, n=16, path="preview.png"):
    """Augments `image` `n` times and writes the samples as a grid PNG.

    Each sample is `pipeline(image, training=True)` on a batch of `n` copies
    of the image, so every tile shows its own random draws. Tiles are laid out
    in a near-square grid (ceil(sqrt(n)) columns) with a 2-pixel white gap.
    Pixel values are shown as they are if they look like 0..255 (the maximum
    exceeds 1), else scaled from [0, 1]; one-channel images are shown grey.

    Args:
        pipeline: callable, e.g. a `Pipeline` or any augmentation layer, taking
            a batch (N, H, W, C) and `training`.
        image: array (H, W, C), uint8 or float.
        n: int >= 1, how many samples. Defaults to `16`.
        path: str or None, where the PNG goes; None writes nothing. Defaults
            to `"preview.png"`.

    Returns:
        The grid as a uint8 array (rows, columns, 3).

    Example:

    >>> import numpy as np
    >>> from kerasreg.augmentation import RandomRotation, preview
    >>> image = np.random.default_rng(0).random((32, 32, 3), "float32")
    >>> preview(RandomRotation(0.1, seed=0), image, n=4, path=None).shape
    (66, 66, 3)
    """
    n = _validation.check_int("n", n, low=1)
    image = np.asarray(image)
    if image.ndim != 3:
        raise _validation.invalid(
            "image.shape", image.shape, "a rank of 3 (height, width, channels)"
        )
    samples = pipeline(np.repeat(image[None], n, axis=0), training=True)
    samples = ops.convert_to_numpy(samples).astype("float32")
    scale = 1.0 if samples.max() > 1.0 else 255.0
    tiles = np.clip(samples * scale, 0, 255).round().astype("uint8")
    if tiles.shape[-1] == 1:
        tiles = np.repeat(tiles, 3, axis=-1)
    tiles = tiles[..., :3]

    gap = 2
    columns = math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    height, width = tiles.shape[1:3]
    grid = np.full(
        (rows * (height + gap) - gap, columns * (width + gap) - gap, 3), 255, "uint8"
    )
    for k, tile in enumerate(tiles):
        top, left = (k // columns) * (height + gap), (k % columns) * (width + gap)
        grid[top : top + height, left : left + width] = tile
    if path is not None:
        from PIL import Image

        Image.fromarray(grid).save(path)
    return grid
