"""A study's data: arrays, splits, tf.data, folders and datasets; clear errors."""

import hashlib
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


def _write_folder(root, counts, shape=(12, 10, 3), sizes=None):
    rng = np.random.default_rng(0)
    for name, count in counts.items():
        (root / name).mkdir(parents=True)
        for index in range(count):
            size = sizes[index % len(sizes)] if sizes else shape[:2]
            pixels = rng.integers(0, 256, size=(*size, *shape[2:]), dtype="uint8")
            Image.fromarray(pixels).save(root / name / f"{index}.png")


def test_folder_of_class_subfolders(tmp_path):
    _write_folder(tmp_path / "shapes", {"circle": 10, "square": 10})
    data = load_dataset(tmp_path / "shapes", image_size=(32, 32))
    assert data.name == "shapes"
    assert data.class_names == ("circle", "square")
    assert data.image_shape == (32, 32, 3)
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (12, 4, 4)
    assert data.x_train.min() >= 0.0 and data.x_train.max() <= 1.0
    assert data.source == "a folder of 20 RGB images, 12×10 pixels, read at 32×32"


@pytest.mark.parametrize(
    "shape,channels,color",
    [((12, 10), 1, "grayscale"), ((12, 10, 3), 3, "RGB")],
    ids=["grayscale", "rgb"],
)
def test_a_folder_is_read_at_its_own_size_and_channels(
    tmp_path, shape, channels, color
):
    _write_folder(tmp_path / "shapes", {"circle": 6, "square": 9}, shape=shape)
    data = load_dataset(tmp_path / "shapes")
    assert data.image_shape == (12, 10, channels)
    # Read as they are: the pixels are the files' own, not resampled.
    pixels = np.asarray(Image.open(tmp_path / "shapes" / "circle" / "0.png"))
    stored = np.concatenate([data.x_train, data.x_val, data.x_test]) * 255
    assert any(np.allclose(image.reshape(pixels.shape), pixels) for image in stored)
    assert data.description() == {
        "name": "shapes",
        "source": f"a folder of 15 {color} images, 12×10 pixels, read at 12×10",
        "image_shape": [12, 10, channels],
        "channels": channels,
        "classes": {"circle": 6, "square": 9},
        "examples": {"train": 9, "validation": 3, "test": 3},
    }
    assert data.describe() == (
        f"shapes (a folder of 15 {color} images, 12×10 pixels, read at 12×10): "
        f"15 examples of shape 12×10×{channels}, 2 classes (circle: 6, square: 9); "
        "9 train, 3 validation, 3 test."
    )


def test_a_folder_of_several_sizes_asks_for_image_size(tmp_path):
    sizes = [(12, 10), (8, 8), (9, 7), (20, 20)]
    _write_folder(tmp_path / "shapes", {"a": 6, "b": 6}, sizes=sizes)
    message = (
        f"The images in '{tmp_path / 'shapes'}' have 4 different sizes (8×8, "
        "9×7, 12×10, …): pass image_size=(height, width) to read them all at "
        "one size."
    )
    with pytest.raises(StudyError, match=re.escape(message)):
        load_dataset(tmp_path / "shapes")
    data = load_dataset(tmp_path / "shapes", image_size=(6, 5))
    assert data.image_shape == (6, 5, 3)


_IMAGE_SIZE = "None or (height, width), two ints >= 1"


@pytest.mark.parametrize(
    "image_size,error",
    [
        (0, TypeError),
        ((0, 0), ValueError),
        ((-1, 8), ValueError),
        ("32", TypeError),
        (32, TypeError),
        ((8,), ValueError),
        ((8, 8, 3), ValueError),
        ((8.0, 8), TypeError),
        ((True, 8), TypeError),
    ],
    ids=["zero", "zeros", "negative", "text", "int", "one", "three", "float", "bool"],
)
def test_a_bad_image_size_is_named(tmp_path, image_size, error):
    _write_folder(tmp_path / "shapes", {"a": 5, "b": 5})
    message = (
        f"Invalid value for argument `image_size`. Expected {_IMAGE_SIZE}. "
        f"Received: image_size={image_size!r}"
    )
    with pytest.raises(error, match=re.escape(message)):
        load_dataset(tmp_path / "shapes", image_size=image_size)


@pytest.mark.parametrize(
    "data,what",
    [
        ((np.zeros((10, 4)), np.arange(10) % 2), "these examples"),
        ("digits", "the digits images"),
    ],
    ids=["arrays", "digits"],
)
def test_an_image_size_for_examples_it_cannot_resize_is_refused(data, what):
    message = (
        "Invalid value for argument `image_size`. Expected None: only a folder's "
        f"images are resized, {what} keep their shape. Received: image_size=(8, 8)"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        as_dataset(data, image_size=(8, 8))


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


def _tf_data(x, y=None, repeat=False):
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(x if y is None else (x, y))
    return dataset.repeat() if repeat else dataset


_X = np.random.default_rng(0).random((50, 4), dtype="float32")
_NAN = _X.copy()
_NAN[3, 1], _NAN[7, 0] = np.nan, np.inf


def _data_message(expected, received):
    return (
        f"Invalid value for argument `data`. Expected {expected}. "
        f"Received: data='{received}'"
    )


_SHAPES = "x of shape (50, 4) (float32), y of shape (50,) (int64)"


@pytest.mark.parametrize(
    "data,message",
    [
        (
            lambda: (_X, np.zeros(50, "int64")),
            _data_message(
                "labels of at least 2 classes (a study of one class measures nothing)",
                f"{_SHAPES}, every label [0]",
            ),
        ),
        (
            lambda: (_X, np.r_[np.zeros(47), [1, 1, 2]].astype("int64")),
            _data_message(
                "at least 5 examples of each class to split them 60/20/20 "
                "stratified (or pass the splits: a dict of 'train', "
                "'validation', 'test')",
                f"{_SHAPES}, examples per small class {{1: 2, 2: 1}}",
            ),
        ),
        (
            lambda: _tf_data(_X),
            _data_message(
                "a tf.data.Dataset of (x, y) pairs",
                "a tf.data.Dataset of elements TensorSpec(shape=(4,), "
                "dtype=tf.float32, name=None)",
            ),
        ),
        (
            lambda: _tf_data(_X, np.arange(50) % 2, repeat=True),
            _data_message(
                "a finite tf.data.Dataset of (x, y) pairs (read once into "
                "memory; drop its .repeat())",
                "an infinite tf.data.Dataset (repeated)",
            ),
        ),
        (
            lambda: (_NAN, np.arange(50) % 2),
            _data_message(
                "finite examples x (no NaN or inf)",
                f"{_SHAPES}, 2 NaN or infinite values in x",
            ),
        ),
        (
            lambda: (np.zeros((300, 300)), np.zeros(299)),
            _data_message(
                "(x, y) with x of shape (N, ...), y of N integer labels >= 0 "
                "and N >= 5",
                "x of shape (300, 300) (float64), y of shape (299,) (float64)",
            ),
        ),
    ],
    ids=["one_class", "tiny_classes", "no_labels", "infinite", "nan", "big_arrays"],
)
def test_data_that_cannot_be_studied_is_named_by_shape(data, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        as_dataset(data())


def test_one_class_in_given_training_split_is_refused():
    x, y = _arrays()
    splits = {
        "train": (x[:40], np.zeros(40, "int64")),
        "validation": (x[40:70], y[40:70]),
    }
    splits["test"] = (x[70:], y[70:])
    message = (
        _data_message(
            "labels of at least 2 classes (a study of one class measures nothing)",
            "x of shape (40, 6) (float32), y of shape (40,) (int64), every label [0]",
        )
        .replace("`data`", "`data['train']`")
        .replace("data='", "data['train']='")
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        as_dataset(splits)


def test_a_dataframe_s_columns_name_the_features():
    pd = pytest.importorskip("pandas")
    x, y = _arrays()
    named = as_dataset((pd.DataFrame(x, columns=list("abcdef")), pd.Series(y)))
    unnamed = as_dataset((x, y))
    assert named.feature_names == tuple("abcdef") and unnamed.feature_names is None
    np.testing.assert_array_equal(named.x_train, unnamed.x_train)
    assert named.tabular and not named.images
    assert named.description()["feature_names"] == list("abcdef")
    assert unnamed.description()["feature_names"] is None
    assert named.describe() == (
        "data (arrays, split 60/20/20 stratified): 100 examples of 6 named "
        "features, 4 classes (0: 25, 1: 25, 2: 25, 3: 25); 60 train, 20 "
        "validation, 20 test."
    )
    # The names are part of the data's identity; unnamed data keeps the
    # fingerprint of its examples and labels alone.
    digest = hashlib.sha256()
    for array in (
        unnamed.x_train,
        unnamed.y_train,
        unnamed.x_val,
        unnamed.y_val,
        unnamed.x_test,
        unnamed.y_test,
    ):
        digest.update(str((array.dtype, array.shape)).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    assert unnamed.fingerprint() == digest.hexdigest() != named.fingerprint()
    renamed = as_dataset((pd.DataFrame(x, columns=list("abcdeg")), y))
    assert renamed.fingerprint() != named.fingerprint()


def test_splits_given_as_dataframes_share_their_columns():
    pd = pytest.importorskip("pandas")
    x, y = _arrays()
    frame = pd.DataFrame(x, columns=list("abcdef"))
    splits = {
        "train": (frame[:60], y[:60]),
        "validation": (x[60:80], y[60:80]),
        "test": (frame[80:], y[80:]),
    }
    assert as_dataset(splits).feature_names == tuple("abcdef")
    splits["test"] = (frame[80:][list("bacdef")], y[80:])
    message = (
        "Invalid value for argument `data['test']`. Expected the columns of "
        "data['train'], in the same order: ['a', 'b', 'c', 'd', 'e', 'f']. "
        "Received: data['test']=\"a DataFrame of the columns ['b', 'a', 'c', "
        "'d', 'e', 'f']\""
    )
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        as_dataset(splits)


def test_repeated_column_names_are_refused():
    pd = pytest.importorskip("pandas")
    x, y = _arrays()
    frame = pd.DataFrame(x, columns=["a", "b", "a", "c", "b", "d"])
    message = (
        "Invalid value for argument `data`. Expected a DataFrame with distinct "
        "column names (they name the features in the report). Received: "
        "data=\"a DataFrame whose columns ['a', 'b'] repeat\""
    )
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        as_dataset((frame, y))
