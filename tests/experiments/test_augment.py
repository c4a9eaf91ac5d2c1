"""The study's augmentation: its ranges grow with the magnitude."""

import numpy as np
import pytest

from kerasreg.augmentation import Pipeline, RandomRotation, RandomScale
from kerasreg.experiments.augment import for_dataset, make_augmentation, shift_pixels
from kerasreg.experiments.data import load_dataset


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def _geometric(augmentation):
    pipeline = next(
        layer for layer in augmentation.layers if isinstance(layer, Pipeline)
    )
    rotation = next(
        layer for layer in pipeline.pipeline_layers if isinstance(layer, RandomRotation)
    )
    scale = next(
        layer for layer in pipeline.pipeline_layers if isinstance(layer, RandomScale)
    )
    return rotation, scale


@pytest.mark.parametrize("magnitude", [0.5, 1.0, 2.0])
def test_every_range_scales_with_the_magnitude(digits, magnitude):
    rotation, scale = _geometric(make_augmentation(digits, 0, magnitude))
    unit_rotation, unit_scale = _geometric(make_augmentation(digits, 0))
    # Keras' config form: the factor as its range (lower, upper).
    assert rotation.get_config()["factor"] == pytest.approx(
        tuple(magnitude * bound for bound in unit_rotation.get_config()["factor"])
    )
    assert scale.upper - 1 == pytest.approx(magnitude * (unit_scale.upper - 1))
    assert 1 - scale.lower == pytest.approx(magnitude * (1 - unit_scale.lower))


def test_shifts_grow_with_the_magnitude_and_are_at_least_a_pixel(digits):
    assert shift_pixels(digits, 0.1) == 1
    assert shift_pixels(digits, 4.0) == 4 * shift_pixels(digits)


def test_factory_gives_a_seeded_layer_that_keeps_the_shape(digits):
    layer = for_dataset(digits)(2.0, 7)
    images = digits.x_train[:4]
    out = np.asarray(layer(images, training=True))
    assert out.shape == images.shape
    again = np.asarray(for_dataset(digits)(2.0, 7)(images, training=True))
    np.testing.assert_array_equal(out, again)
    np.testing.assert_array_equal(np.asarray(layer(images, training=False)), images)
