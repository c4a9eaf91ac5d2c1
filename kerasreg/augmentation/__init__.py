"""Data augmentation: geometric preprocessing layers fused into one warp.

`RandomRotation`, `RandomScale`, `RandomFlip`, `RandomCrop`, `RandomZoom` and
`RandomTranslation` draw per-image parameters as 3x3 matrices (all but
`RandomScale` subclass the Keras layer of their name); `Pipeline` multiplies
the matrices of consecutive layers and resamples once. `functional` holds the
pure matrices and the warp kernel; `preview` draws a grid of samples.
"""

from kerasreg.augmentation import functional
from kerasreg.augmentation._preview import preview
from kerasreg.augmentation.pipeline import Pipeline
from kerasreg.augmentation.random_crop import RandomCrop
from kerasreg.augmentation.random_flip import RandomFlip
from kerasreg.augmentation.random_rotation import RandomRotation
from kerasreg.augmentation.random_scale import RandomScale
from kerasreg.augmentation.random_translation import RandomTranslation
from kerasreg.augmentation.random_zoom import RandomZoom

__all__ = [
    "Pipeline",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomScale",
    "RandomTranslation",
    "RandomZoom",
    "functional",
    "preview",
]
