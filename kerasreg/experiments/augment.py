"""The augmentation suited to a dataset: rotate, scale, shift, flip if it may.

Its strength in a study is one magnitude m: m = 1 is the augmentation below,
and every random range (rotation angle, scale, shift) grows in proportion.
"""

import dataclasses

import keras

from kerasreg.augmentation import (
    Pipeline,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomScale,
)

# Handwriting leans and varies in size; on an 8x8 grid larger rotations and
# scalings mostly blur the few pixels (they cost accuracy in a sweep).
ROTATION_TURNS = 5 / 360
SCALE = (0.95, 1.05)
INTERPOLATION = "bilinear"
# Shift by up to an eighth of the image (1 pixel of 8): pad, then crop back.
_SHIFT_SHARE = 1 / 8


def shift_pixels(data, magnitude=1.0):
    """The largest shift in pixels for `data`'s images (at least one)."""
    return max(1, round(data.image_shape[0] * _SHIFT_SHARE * magnitude))


def for_dataset(data):
    """The study's augmentation factory for `data`: `(magnitude, seed) -> layer`.

    Example:

    >>> from kerasreg.experiments.data import load_dataset
    >>> factory = for_dataset(load_dataset("digits"))
    >>> factory(2.0, 0).name
    'augmentation'
    """
    return _Factory(data)


@dataclasses.dataclass(frozen=True, eq=False)
class _Factory:
    # A class, not a closure: a study with workers sends it to them pickled.
    data: object

    def __call__(self, magnitude, seed):
        return make_augmentation(self.data, seed, magnitude)


def make_augmentation(data, seed, magnitude=1.0):
    """Random rotation, scale and shift (and flips where valid) for `data`.

    The images are zero-padded by the shift, rotated, scaled and, where
    `data.mirror_symmetric`, flipped left-right, then cropped back to their
    size at a random place: one fused resampling per image. At inference the
    crop takes the centre, so the model sees the image unchanged.

    Args:
        data: a `kerasreg.experiments.data.Dataset`.
        seed: int, the seed of the random draws.

    Returns:
        A `keras.Sequential` named "augmentation", to put first in a model.

    Example:

    >>> from kerasreg.experiments.data import load_dataset
    >>> data = load_dataset("digits")
    >>> augmentation = make_augmentation(data, seed=0)
    >>> tuple(augmentation(data.x_train[:4], training=True).shape)
    (4, 8, 8, 1)
    """
    height, width = data.image_shape[:2]
    # Pixels that rotation brings in from outside the frame: black where the
    # background is black (ink on paper, inverted), else mirrored content.
    fill = (
        {"fill_mode": "constant", "fill_value": 0.0}
        if data.dark_background
        else {"fill_mode": "reflect"}
    )
    fill["interpolation"] = INTERPOLATION
    scale = tuple(1 + (bound - 1) * magnitude for bound in SCALE)
    layers = [
        RandomRotation(ROTATION_TURNS * magnitude, **fill),
        RandomScale(scale, **fill),
    ]
    if data.mirror_symmetric:
        layers.append(RandomFlip("horizontal"))
    layers.append(RandomCrop(height, width))
    return keras.Sequential(
        [
            keras.layers.ZeroPadding2D(shift_pixels(data, magnitude)),
            Pipeline(layers, seed=seed),
        ],
        name="augmentation",
    )


def describe_augmentation(data):
    """One sentence: what the augmentation does to `data`, and why no flips."""
    shift = shift_pixels(data)
    text = (
        f"random rotation by up to ±{ROTATION_TURNS * 360:.0f}°, scaling by "
        f"{SCALE[0]:g}–{SCALE[1]:g} and shifts of up to ±{shift} pixel"
        f"{'s' if shift > 1 else ''} (zero padding, then a random crop)"
    )
    if data.mirror_symmetric:
        return text + ", and left-right flips (a mirrored image keeps its class)."
    if data.name in ("digits", "mnist"):
        return text + (
            "; no flips: a mirrored 2, 3, 4, 5, 7 or 9 is no digit at all, and "
            "an upside-down 6 is a 9."
        )
    return text + "; no flips: nothing tells whether a mirrored image keeps its class."
