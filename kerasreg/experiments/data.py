"""A study's data: the user's arrays, splits or `tf.data.Dataset`, a folder
of images, scikit-learn's digits, or Keras' MNIST / CIFAR-10.

Every source becomes the same `Dataset`: arrays of examples and integer
labels, split three ways. The validation split serves every choice of the
study; the test split is only measured. A study trains dozens of models on
the same examples, so a `tf.data.Dataset` is read into memory once.
"""

import dataclasses
import hashlib
import os
import re

import numpy as np

from kerasreg._validation import invalid
from kerasreg.experiments.errors import StudyError

# digits: 1,797 images; 300 to train on, 300 to validate, 1,197 to test.
_DIGITS_TRAIN, _DIGITS_VAL = 300, 300
# MNIST / CIFAR-10: a small sample of the official training set; the official
# test set (10,000 images) is the test set.
_KERAS_TRAIN, _KERAS_VAL = 1000, 1000
# A folder: 60% / 20% / 20% of its images.
_FOLDER_TRAIN, _FOLDER_VAL = 0.6, 0.2
_FOLDER_IMAGE_SIZE = (32, 32)


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Images in [0, 1] (N, H, W, C) with int labels, split three ways.

    `mirror_symmetric`: a left-right mirrored image still shows its class (a
    cat, a truck), so horizontal flips are a valid augmentation; for digits
    they are not (a mirrored 2, 3, 4, 5, 7 or 9 is no digit at all).
    `dark_background`: the image's background is black, so pixels that a
    rotation brings in from outside the frame should be black too.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple
    mirror_symmetric: bool
    dark_background: bool

    @property
    def image_shape(self):
        return tuple(self.x_train.shape[1:])

    @property
    def num_classes(self):
        return len(self.class_names)

    def fingerprint(self):
        """A SHA-256 of every split's examples and labels: the data's identity."""
        digest = hashlib.sha256()
        for array in (
            self.x_train,
            self.y_train,
            self.x_val,
            self.y_val,
            self.x_test,
            self.y_test,
        ):
            digest.update(str((array.dtype, array.shape)).encode())
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()


def as_dataset(data, image_size=_FOLDER_IMAGE_SIZE, seed=0):
    """The `Dataset` of a study's `data` argument.

    Args:
        data: one of
            - `"digits"`, `"mnist"`, `"cifar10"` or a folder path: see
              `load_dataset`;
            - a `Dataset`;
            - `(x, y)` arrays (or a `tf.data.Dataset` of such pairs, batched
              or not), split stratified 60% / 20% / 20%;
            - a dict with `"train"`, `"validation"` and `"test"`, each `(x, y)`
              or a `tf.data.Dataset` of pairs.
        image_size: (height, width) of a folder's images. Defaults to 32x32.
        seed: int, the seed of the split. Defaults to `0`.

    Returns:
        A `Dataset`.

    Raises:
        StudyError: the source cannot be read, or it has too few examples.
        ValueError, TypeError: `data` is none of the above.

    Example:

    >>> x = np.random.default_rng(0).random((50, 4), dtype="float32")
    >>> y = np.arange(50) % 2
    >>> data = as_dataset((x, y))
    >>> len(data.x_train), len(data.x_val), len(data.x_test)
    (30, 10, 10)
    """
    if isinstance(data, Dataset):
        return data
    if isinstance(data, str | os.PathLike):
        return load_dataset(data, seed, image_size)
    if isinstance(data, dict):
        if set(data) != {"train", "validation", "test"}:
            raise invalid(
                "data", data, "a dict with the keys 'train', 'validation', 'test'"
            )
        parts = [_pair(data[key], f"data[{key!r}]") for key in data]
        x, y = parts[0]
        return _array_dataset(x, y, *parts[1], *parts[2])
    x, y = _pair(data, "data")
    count = len(x)
    parts = _split(x, y, round(_FOLDER_TRAIN * count), round(_FOLDER_VAL * count), seed)
    return _array_dataset(*parts)


def _pair(value, argument):
    """(x, y) numpy arrays of `value`: a pair of arrays or a tf.data.Dataset."""
    import tensorflow as tf

    if isinstance(value, tf.data.Dataset):
        if len(value.element_spec) != 2:
            raise invalid(argument, value, "a tf.data.Dataset of (x, y) pairs")
        if value.element_spec[0].shape.rank and value.element_spec[0].shape[0] is None:
            value = value.unbatch()
        pairs = list(value.as_numpy_iterator())
        if not pairs:
            raise StudyError(f"`{argument}` is an empty tf.data.Dataset.")
        x, y = np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
    elif not isinstance(value, tuple | list) or len(value) != 2:
        raise invalid(
            argument, value, "(x, y) arrays or a tf.data.Dataset of pairs", TypeError
        )
    else:
        x, y = (np.asarray(a) for a in value)
    # Labels become int64 class indices: a fractional or negative one would be
    # truncated into another class without a word.
    integral = y.dtype.kind in "iu" or (
        y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y))
    )
    if (
        x.ndim < 2
        or y.shape != (len(x),)
        or len(x) < 5
        or not integral
        or (y.size and y.min() < 0)
    ):
        raise invalid(
            argument,
            value,
            "(x, y) with x of shape (N, ...), y of N integer labels >= 0 and N >= 5",
        )
    return x, y


def _array_dataset(x_train, y_train, x_val, y_val, x_test, y_test):
    classes = int(max(y.max() for y in (y_train, y_val, y_test))) + 1
    return Dataset(
        "data",
        x_train.astype("float32"),
        y_train.astype("int64"),
        x_val.astype("float32"),
        y_val.astype("int64"),
        x_test.astype("float32"),
        y_test.astype("int64"),
        class_names=tuple(str(c) for c in range(classes)),
        mirror_symmetric=False,
        dark_background=False,
    )


def load_dataset(source="digits", seed=0, image_size=_FOLDER_IMAGE_SIZE):
    """Load `source` and split it, stratified, with `seed`.

    Args:
        source: `"digits"` (scikit-learn's bundled 8x8 handwritten digits, no
            download), `"mnist"` or `"cifar10"` (through `keras.datasets`,
            which downloads them on first use), or the path of a folder with
            one subfolder of images per class (read at `image_size`, RGB).
            Defaults to `"digits"`.
        seed: int, the seed of the split. Defaults to `0`.
        image_size: (height, width) of a folder's images. Defaults to 32x32.

    Returns:
        A `Dataset`.

    Raises:
        StudyError: `source` is unknown, cannot be downloaded, or the folder
            holds too few images or classes, or an image it cannot decode.

    Example:

    >>> data = load_dataset("digits")
    >>> data.x_train.shape, len(data.x_test)
    ((300, 8, 8, 1), 1197)
    """
    if source == "digits":
        return _digits(seed)
    if source in ("mnist", "cifar10"):
        return _keras_dataset(source, seed)
    if isinstance(source, str | os.PathLike) and os.path.isdir(source):
        return _folder(os.fspath(source), seed, image_size)
    raise StudyError(
        f"Unknown dataset {os.fspath(source)!r}: expected 'digits', 'mnist', "
        "'cifar10' or a folder of images in class subfolders."
    )


def _split(x, y, train, val, seed):
    """Stratified (train, val, rest) parts of `train` and `val` images."""
    from sklearn.model_selection import train_test_split

    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=train, stratify=y, random_state=seed
    )
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=val, stratify=y_rest, random_state=seed
    )
    return x_train, y_train, x_val, y_val, x_test, y_test


def _digits(seed):
    from sklearn.datasets import load_digits

    digits = load_digits()
    # Pixel values are the on-pixels (0..16) of a 4x4 block of the scan.
    x = (digits.images / 16.0).astype("float32")[..., None]
    parts = _split(x, digits.target, _DIGITS_TRAIN, _DIGITS_VAL, seed)
    return Dataset(
        "digits",
        *parts,
        class_names=tuple(str(c) for c in range(10)),
        mirror_symmetric=False,
        dark_background=True,
    )


def _keras_dataset(name, seed):
    import keras

    loader = getattr(keras.datasets, name)
    try:
        (x, y), (x_test, y_test) = loader.load_data()
    except Exception as error:  # keras' get_file raises a bare Exception
        raise StudyError(
            f"Could not load {name!r} through keras.datasets, which downloads "
            f"it on first use (offline?): {error}"
        ) from error
    x, x_test = (_as_float_images(a) for a in (x, x_test))
    y, y_test = y.reshape(-1), y_test.reshape(-1)
    x_train, y_train, x_val, y_val, _, _ = _split(x, y, _KERAS_TRAIN, _KERAS_VAL, seed)
    return Dataset(
        name,
        x_train,
        y_train,
        x_val,
        y_val,
        x_test,
        y_test,
        class_names=tuple(str(c) for c in range(10)),
        mirror_symmetric=name == "cifar10",
        dark_background=name == "mnist",
    )


def _read_all(dataset):
    """Every (image, label) of `dataset`; an undecodable image is named."""
    import tensorflow as tf

    pairs = []
    iterator = dataset.as_numpy_iterator()
    while True:
        try:
            pairs.append(next(iterator))
        except StopIteration:
            return pairs
        except tf.errors.OpError as error:
            # The dataset is unshuffled: the failing element is the next file.
            path = dataset.file_paths[len(pairs)]
            # TensorFlow's first line is "{{function_node ...}}", maybe the
            # transformations that led there, each ending in ": ", then the
            # reason.
            line = re.sub(r"\{\{.*?\}\}\s*", "", error.message.splitlines()[0])
            reason = line.rsplit(": ", 1)[-1].strip()
            raise StudyError(f"Cannot read the image {path!r}: {reason}") from None


def _as_float_images(array):
    array = array.astype("float32") / 255.0
    return array[..., None] if array.ndim == 3 else array


def _folder(path, seed, image_size):
    import keras

    try:
        dataset = keras.utils.image_dataset_from_directory(
            path,
            image_size=tuple(image_size),
            batch_size=None,
            shuffle=False,
            verbose=False,
        )
    except ValueError as error:
        raise StudyError(f"Cannot read images from {path!r}: {error}") from error
    pairs = _read_all(dataset)
    class_names = tuple(dataset.class_names)
    labels = np.array([label for _, label in pairs], dtype="int64")
    counts = np.bincount(labels, minlength=len(class_names))
    if len(class_names) < 2 or counts.min() < 5:
        found = dict(zip(class_names, counts.tolist(), strict=True))
        raise StudyError(
            f"The folder {path!r} needs at least 2 class subfolders with at "
            f"least 5 images each; found {found}."
        )
    x = np.stack([image for image, _ in pairs]) / np.float32(255.0)
    train, val = (round(share * len(x)) for share in (_FOLDER_TRAIN, _FOLDER_VAL))
    parts = _split(x, labels, train, val, seed)
    # Nothing is known about the classes: no flips, fill by reflection.
    return Dataset(
        os.path.basename(os.path.normpath(path)),
        *parts,
        class_names=class_names,
        mirror_symmetric=False,
        dark_background=False,
    )
