"""The demo's data: scikit-learn's digits, Keras' MNIST / CIFAR-10, or a folder.

Every source becomes the same `Dataset`: float32 images in [0, 1] shaped
(N, H, W, C), integer labels, and a stratified train / validation / test split
whose training part is small on purpose, so that an unregularized network
visibly overfits.
"""

import dataclasses
import os
import re

import numpy as np

from kerasreg.demo.errors import DemoError

DATASETS = ("digits", "mnist", "cifar10")

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


def load_dataset(source="digits", seed=0):
    """Load `source` and split it, stratified, with `seed`.

    Args:
        source: `"digits"` (scikit-learn's bundled 8x8 handwritten digits, no
            download), `"mnist"` or `"cifar10"` (through `keras.datasets`,
            which downloads them on first use), or the path of a folder with
            one subfolder of images per class (read at 32x32 RGB).
            Defaults to `"digits"`.
        seed: int, the seed of the split. Defaults to `0`.

    Returns:
        A `Dataset`.

    Raises:
        DemoError: `source` is unknown, cannot be downloaded, or the folder
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
        return _folder(os.fspath(source), seed)
    raise DemoError(
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
        raise DemoError(
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
            raise DemoError(f"Cannot read the image {path!r}: {reason}") from None


def _as_float_images(array):
    array = array.astype("float32") / 255.0
    return array[..., None] if array.ndim == 3 else array


def _folder(path, seed):
    import keras

    try:
        dataset = keras.utils.image_dataset_from_directory(
            path,
            image_size=_FOLDER_IMAGE_SIZE,
            batch_size=None,
            shuffle=False,
            verbose=False,
        )
    except ValueError as error:
        raise DemoError(f"Cannot read images from {path!r}: {error}") from error
    pairs = _read_all(dataset)
    class_names = tuple(dataset.class_names)
    labels = np.array([label for _, label in pairs], dtype="int64")
    counts = np.bincount(labels, minlength=len(class_names))
    if len(class_names) < 2 or counts.min() < 5:
        found = dict(zip(class_names, counts.tolist(), strict=True))
        raise DemoError(
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
