"""A study's data: arrays, splits, tf.data, folders and datasets; clear errors."""

import re

import keras
import numpy as np
import pytest
from PIL import Image

from kerasreg.experiments import StudyError
from kerasreg.experiments.data import as_dataset, load_dataset


def test_digits_split_is_small_stratified_and_in_range():
    data = load_dataset("digits")
    assert data.x_train.shape == (300, 8, 8, 1)
    assert (len(data.x_val), len(data.x_test)) == (300, 1197)
    assert data.x_train.dtype == np.float32
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    # Stratified: every digit has 30 training images (1797 images, ~180 each).
    assert np.all(np.abs(np.bincount(data.y_train, minlength=10) - 30) <= 1)
    assert not data.mirror_symmetric and data.dark_background


def test_split_depends_only_on_the_seed():
    first, again, other = (load_dataset("digits", seed=s) for s in (0, 0, 1))
    np.testing.assert_array_equal(first.x_train, again.x_train)
    assert not np.array_equal(first.y_train, other.y_train)


def _write_folder(root, counts):
    rng = np.random.default_rng(0)
    for name, count in counts.items():
        (root / name).mkdir(parents=True)
        for index in range(count):
            pixels = rng.integers(0, 256, size=(12, 10, 3), dtype="uint8")
            Image.fromarray(pixels).save(root / name / f"{index}.png")


def test_folder_of_class_subfolders(tmp_path):
    _write_folder(tmp_path / "shapes", {"circle": 10, "square": 10})
    data = load_dataset(tmp_path / "shapes")
    assert data.name == "shapes"
    assert data.class_names == ("circle", "square")
    assert data.image_shape == (32, 32, 3)
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (12, 4, 4)
    assert data.x_train.min() >= 0.0 and data.x_train.max() <= 1.0


def test_folder_with_too_few_images(tmp_path):
    _write_folder(tmp_path / "tiny", {"a": 6, "b": 2})
    message = (
        f"The folder '{tmp_path / 'tiny'}' needs at least 2 class subfolders "
        "with at least 5 images each; found {'a': 6, 'b': 2}."
    )
    with pytest.raises(StudyError, match=re.escape(message)):
        load_dataset(str(tmp_path / "tiny"))


def test_unknown_dataset():
    message = (
        "Unknown dataset 'emnist': expected 'digits', 'mnist', 'cifar10' or a "
        "folder of images in class subfolders."
    )
    with pytest.raises(StudyError, match=re.escape(message)):
        load_dataset("emnist")


def test_download_failure_is_a_clear_error(monkeypatch):
    def offline():
        raise Exception("URL fetch failure on https://example: None -- no route")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    message = (
        "Could not load 'mnist' through keras.datasets, which downloads it on "
        "first use (offline?): URL fetch failure on https://example: None -- "
        "no route"
    )
    with pytest.raises(StudyError, match=re.escape(message)):
        load_dataset("mnist")


def test_keras_dataset_is_subsampled(monkeypatch):
    rng = np.random.default_rng(0)
    train = (
        rng.integers(0, 256, (3000, 32, 32, 3), "uint8"),
        np.repeat(np.arange(10), 300)[:, None],
    )
    test = (
        rng.integers(0, 256, (500, 32, 32, 3), "uint8"),
        rng.integers(0, 10, (500, 1)),
    )
    monkeypatch.setattr(keras.datasets.cifar10, "load_data", lambda: (train, test))
    data = load_dataset("cifar10")
    assert data.x_train.shape == (1000, 32, 32, 3)
    assert (len(data.x_val), len(data.x_test)) == (1000, 500)
    assert data.y_test.shape == (500,)
    assert data.mirror_symmetric and not data.dark_background


def test_undecodable_image_is_named(tmp_path):
    _write_folder(tmp_path / "shapes", {"circle": 6, "square": 6})
    (tmp_path / "shapes" / "square" / "3.png").write_bytes(b"not a png")
    message = (
        f"Cannot read the image '{tmp_path / 'shapes' / 'square' / '3.png'}': "
        "Unknown image file format. One of "
    )
    with pytest.raises(StudyError, match="^" + re.escape(message)):
        load_dataset(tmp_path / "shapes")


def _arrays(count=100, classes=4):
    rng = np.random.default_rng(0)
    x = rng.random((count, 6), dtype="float32")
    return x, np.arange(count) % classes


def test_arrays_are_split_stratified_60_20_20():
    x, y = _arrays()
    data = as_dataset((x, y))
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (60, 20, 20)
    assert np.all(np.bincount(data.y_val) == 5)
    # Every example lands in exactly one split.
    together = np.concatenate([data.x_train, data.x_val, data.x_test])
    assert sorted(map(tuple, together)) == sorted(map(tuple, x))
    assert data.num_classes == 4


def test_given_splits_are_kept_as_they_are():
    x, y = _arrays()
    splits = {"train": (x[:50], y[:50]), "validation": (x[50:70], y[50:70])}
    splits["test"] = (x[70:], y[70:])
    data = as_dataset(splits)
    np.testing.assert_array_equal(data.x_val, x[50:70])
    np.testing.assert_array_equal(data.y_test, y[70:])


@pytest.mark.parametrize("batched", [False, True])
def test_a_tf_data_dataset_is_read_once_into_memory(batched):
    import tensorflow as tf

    x, y = _arrays()
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    data = as_dataset(dataset.batch(7) if batched else dataset)
    np.testing.assert_array_equal(data.fingerprint(), as_dataset((x, y)).fingerprint())


def test_fingerprint_changes_with_any_example():
    x, y = _arrays()
    changed = x.copy()
    changed[-1, -1] += 1.0
    assert as_dataset((x, y)).fingerprint() != as_dataset((changed, y)).fingerprint()


@pytest.mark.parametrize(
    "data,error,message",
    [
        (5, TypeError, "Invalid value for argument `data`"),
        ((np.zeros(10),), TypeError, "Invalid value for argument `data`"),
        ((np.zeros((10, 2)), np.zeros(9)), ValueError, "N integer labels"),
        ({"train": None}, ValueError, "'train', 'validation', 'test'"),
        ((np.zeros((10, 2)), np.full(10, 0.5)), ValueError, "integer labels >= 0"),
        ((np.zeros((10, 2)), -np.ones(10, "int64")), ValueError, "integer labels >= 0"),
    ],
)
def test_bad_data_is_named(data, error, message):
    with pytest.raises(error, match=re.escape(message)):
        as_dataset(data)
