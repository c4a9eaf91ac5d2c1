"""A study's data: the user's arrays, splits or `tf.data.Dataset`, a folder
of images, scikit-learn's digits, or Keras' MNIST / CIFAR-10.

Every source becomes the same `Dataset`: arrays of examples and integer
labels, split three ways. The validation split serves every choice of the
study; the test split is only measured. A study trains dozens of models on
the same examples, so a `tf.data.Dataset` is read into memory once.
"""

import dataclasses
import hashlib
import numbers
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
# Examples per class a 60/20/20 stratified split needs: the 40% left after
# the training part must hold two of each class for scikit-learn to split it.
_MIN_PER_CLASS = 5
_SPLITS = ("train", "validation", "test")
# Pillow's modes of one-channel images (with or without alpha).
_GRAYSCALE_MODES = ("1", "L", "LA", "I", "I;16", "F")


@dataclasses.dataclass(frozen=True)
class Dataset:
    """Examples with int labels, split three ways: images in [0, 1]
    (N, H, W, C), or a table's rows (N, features).

    `mirror_symmetric`: a left-right mirrored image still shows its class (a
    cat, a truck), so horizontal flips are a valid augmentation; for digits
    they are not (a mirrored 2, 3, 4, 5, 7 or 9 is no digit at all).
    `dark_background`: the image's background is black, so pixels that a
    rotation brings in from outside the frame should be black too.
    `source`: where the examples came from and how they were read, in words.
    `feature_names`: a table's column names (a pandas DataFrame's columns),
    one per feature in column order, or None.
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
    source: str = "arrays"
    feature_names: tuple | None = None

    @property
    def image_shape(self):
        """The shape of one example (of one image, or (features,) for a table)."""
        return tuple(self.x_train.shape[1:])

    @property
    def images(self):
        """Whether the examples are images: (height, width, channels) each."""
        return len(self.image_shape) == 3

    @property
    def tabular(self):
        """Whether the examples are a table's rows: one vector of features each."""
        return len(self.image_shape) == 1

    @property
    def num_classes(self):
        return len(self.class_names)

    def description(self):
        """What was loaded, as a plain (JSON-ready) dict.

        Keys: "name", "source", "image_shape", "channels", "classes" (class
        name → examples over the three splits) and "examples" (per split);
        for a table's rows also "feature_names" (a list, or None if the
        columns have no names).

        Example:

        >>> x = np.zeros((50, 4, 4, 1), "float32")
        >>> description = as_dataset((x, np.arange(50) % 2)).description()
        >>> description["channels"], description["classes"]
        (1, {'0': 25, '1': 25})
        """
        labels = np.concatenate([self.y_train, self.y_val, self.y_test])
        counts = np.bincount(labels, minlength=self.num_classes)
        names = self.feature_names
        features = (
            {"feature_names": None if names is None else list(names)}
            if self.tabular
            else {}
        )
        return {
            "name": self.name,
            "source": self.source,
            "image_shape": list(self.image_shape),
            "channels": self.image_shape[-1] if len(self.image_shape) == 3 else None,
            "classes": dict(zip(self.class_names, counts.tolist(), strict=True)),
            "examples": {
                "train": len(self.x_train),
                "validation": len(self.x_val),
                "test": len(self.x_test),
            },
            **features,
        }

    def describe(self):
        """`description()` as one sentence, e.g. for the terminal.

        Example:

        >>> x = np.zeros((50, 4, 4, 1), "float32")
        >>> print(as_dataset((x, np.arange(50) % 2)).describe())
        data (arrays, split 60/20/20 stratified): 50 examples of shape 4×4×1, 2 classes (0: 25, 1: 25); 30 train, 10 validation, 10 test.
        """  # noqa: E501
        d = self.description()
        classes = ", ".join(f"{name}: {count}" for name, count in d["classes"].items())
        total = sum(d["examples"].values())
        splits = ", ".join(f"{n} {split}" for split, n in d["examples"].items())
        return (
            f"{d['name']} ({d['source']}): {total} examples {self.shape_words()}, "
            f"{len(d['classes'])} classes ({classes}); {splits}."
        )

    def shape_words(self):
        """What one example is, in words: "of shape 8×8×1", "of 30 features"
        or "of 30 named features".

        Example:

        >>> as_dataset((np.zeros((50, 3)), np.arange(50) % 2)).shape_words()
        'of 3 features'
        """
        if not self.tabular:
            return "of shape " + "×".join(str(size) for size in self.image_shape)
        named = " named" if self.feature_names is not None else ""
        return f"of {self.image_shape[0]}{named} features"

    def fingerprint(self):
        """A SHA-256 of every split's examples and labels, and of a table's
        column names: the data's identity (renamed columns change what the
        report says, so they make another study)."""
        digest = hashlib.sha256()
        if self.feature_names is not None:
            # Only when named: unnamed data keeps the fingerprint it had
            # before names were part of it, and its studies still resume.
            digest.update(repr(self.feature_names).encode())
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


def as_dataset(data, image_size=None, seed=0):
    """The `Dataset` of a study's `data` argument.

    Args:
        data: one of
            - `"digits"`, `"mnist"`, `"cifar10"` or a folder path: see
              `load_dataset`;
            - a `Dataset`;
            - `(x, y)` arrays (or a `tf.data.Dataset` of such pairs, batched
              or not), split stratified 60% / 20% / 20%; x may be a pandas
              DataFrame (a table: its column names become the features'
              names, `Dataset.feature_names`);
            - a dict with `"train"`, `"validation"` and `"test"`, each `(x, y)`
              or a `tf.data.Dataset` of pairs (DataFrames of the same
              columns, in the same order, where x is one).
        image_size: (height, width) to read a folder's images at, or None
            for their own size (which they must share). Only for a folder:
            other examples keep their shape. Defaults to `None`.
        seed: int, the seed of the split. Defaults to `0`.

    Returns:
        A `Dataset`.

    Raises:
        StudyError: the source cannot be read, or it has too few examples.
        ValueError, TypeError: `data` is none of the above, holds NaN or
            infinite examples, labels of one class only or a class too small
            to split, a DataFrame whose column names repeat, or splits whose
            columns differ; or `image_size` is not a pair of ints >= 1, or
            is given for examples that are not a folder's images.

    Example:

    >>> x = np.random.default_rng(0).random((50, 4), dtype="float32")
    >>> y = np.arange(50) % 2
    >>> data = as_dataset((x, y))
    >>> len(data.x_train), len(data.x_val), len(data.x_test)
    (30, 10, 10)
    """
    if isinstance(data, str | os.PathLike):
        return load_dataset(data, seed, image_size)
    _check_no_image_size(image_size, "these examples")
    if isinstance(data, Dataset):
        return data
    if isinstance(data, dict):
        if set(data) != set(_SPLITS):
            raise invalid(
                "data",
                f"a dict with the keys {sorted(data, key=str)}",
                "a dict with the keys 'train', 'validation', 'test'",
            )
        parts = [_pair(data[key], f"data[{key!r}]") for key in _SPLITS]
        _check_classes(parts[0][1], "data['train']", parts[0][0])
        names = _split_names(parts)
        (x, y, _), (x_val, y_val, _), (x_test, y_test, _) = parts
        return _array_dataset(
            x,
            y,
            x_val,
            y_val,
            x_test,
            y_test,
            source="train, validation and test given",
            feature_names=names,
        )
    x, y, names = _pair(data, "data")
    _check_classes(y, "data", x, split=True)
    count = len(x)
    parts = _split(x, y, round(_FOLDER_TRAIN * count), round(_FOLDER_VAL * count), seed)
    source = "a tf.data.Dataset" if _is_tf_dataset(data) else "arrays"
    return _array_dataset(
        *parts, source=source + ", split 60/20/20 stratified", feature_names=names
    )


def _split_names(parts):
    """The features' names of the three splits' `(x, y, names)`: the first
    DataFrame's columns, which every other DataFrame must repeat in order
    (its values are read by position, not by name)."""
    named = [
        (key, names)
        for key, (_, _, names) in zip(_SPLITS, parts, strict=True)
        if names is not None
    ]
    if not named:
        return None
    first, names = named[0]
    for key, other in named[1:]:
        if other != names:
            raise invalid(
                f"data[{key!r}]",
                f"a DataFrame of the columns {list(other)}",
                f"the columns of data[{first!r}], in the same order: {list(names)}",
            )
    return names


def check_image_size(image_size):
    """`image_size` as a (height, width) tuple of ints >= 1, or None.

    Raises:
        ValueError, TypeError: it is neither.
    """
    expected = "None or (height, width), two ints >= 1"
    if image_size is None:
        return None
    if isinstance(image_size, str) or not isinstance(image_size, tuple | list):
        raise invalid("image_size", image_size, expected, TypeError)
    if not all(
        isinstance(size, numbers.Integral) and not isinstance(size, bool)
        for size in image_size
    ):
        raise invalid("image_size", image_size, expected, TypeError)
    if len(image_size) != 2 or min(image_size) < 1:
        raise invalid("image_size", image_size, expected)
    return tuple(int(size) for size in image_size)


def _check_no_image_size(image_size, what):
    # Only a folder's images are read at a size; elsewhere a size given
    # would be silently ignored.
    check_image_size(image_size)
    if image_size is not None:
        raise invalid(
            "image_size",
            image_size,
            f"None: only a folder's images are resized, {what} keep their shape",
        )


def _is_tf_dataset(value):
    import tensorflow as tf

    return isinstance(value, tf.data.Dataset)


def _described(x, y):
    """The shapes and dtypes of `x` and `y`, never their values."""
    return f"x of shape {x.shape} ({x.dtype}), y of shape {y.shape} ({y.dtype})"


def _check_classes(y, argument, x, split=False):
    """At least two classes; with `split`, each big enough to split 60/20/20."""
    labels, counts = np.unique(y, return_counts=True)
    if len(labels) < 2:
        raise invalid(
            argument,
            f"{_described(x, y)}, every label {labels.tolist()}",
            "labels of at least 2 classes (a study of one class measures nothing)",
        )
    small = {
        int(label): int(count)
        for label, count in zip(labels, counts, strict=True)
        if count < _MIN_PER_CLASS
    }
    if split and small:
        raise invalid(
            argument,
            f"{_described(x, y)}, examples per small class {small}",
            f"at least {_MIN_PER_CLASS} examples of each class to split them "
            "60/20/20 stratified (or pass the splits: a dict of 'train', "
            "'validation', 'test')",
        )


def _pair(value, argument):
    """(x, y, names) of `value`, a pair of arrays or a tf.data.Dataset: numpy
    arrays, and x's column names if it is a pandas DataFrame (else None)."""
    names = None
    if _is_tf_dataset(value):
        x, y = _read_tf_dataset(value, argument)
    elif not isinstance(value, tuple | list) or len(value) != 2:
        raise invalid(
            argument,
            _kind(value),
            "(x, y) arrays or a tf.data.Dataset of pairs",
            TypeError,
        )
    else:
        names = _column_names(value[0], argument)
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
            _described(x, y),
            "(x, y) with x of shape (N, ...), y of N integer labels >= 0 and N >= 5",
        )
    if x.dtype.kind not in "biuf":
        raise invalid(argument, _described(x, y), "numeric examples x")
    bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
    if bad:
        raise invalid(
            argument,
            f"{_described(x, y)}, {bad} NaN or infinite values in x",
            "finite examples x (no NaN or inf)",
        )
    return x, y, names


def _column_names(x, argument):
    """A DataFrame's column names as a tuple of str, or None for an array.

    Read without importing pandas: only a DataFrame has `columns`.
    """
    columns = getattr(x, "columns", None)
    if columns is None:
        return None
    names = tuple(str(column) for column in columns)
    if len(set(names)) != len(names):
        repeated = sorted({name for name in names if names.count(name) > 1})
        raise invalid(
            argument,
            f"a DataFrame whose columns {repeated} repeat",
            "a DataFrame with distinct column names (they name the features "
            "in the report)",
        )
    return names


def _kind(value):
    """What `value` is, in a few words: never the whole of an array."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} ({value.dtype})"
    if isinstance(value, tuple | list):
        return f"a {type(value).__name__} of {len(value)}"
    return value


def _read_tf_dataset(value, argument):
    import tensorflow as tf

    spec = value.element_spec
    if not isinstance(spec, tuple) or len(spec) != 2:
        raise invalid(
            argument,
            f"a tf.data.Dataset of elements {spec}",
            "a tf.data.Dataset of (x, y) pairs",
        )
    if value.cardinality() == tf.data.INFINITE_CARDINALITY:
        raise invalid(
            argument,
            "an infinite tf.data.Dataset (repeated)",
            "a finite tf.data.Dataset of (x, y) pairs (read once into memory; "
            "drop its .repeat())",
        )
    if spec[0].shape.rank and spec[0].shape[0] is None:
        value = value.unbatch()
    pairs = list(value.as_numpy_iterator())
    if not pairs:
        raise StudyError(f"`{argument}` is an empty tf.data.Dataset.")
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def _array_dataset(
    x_train, y_train, x_val, y_val, x_test, y_test, source, feature_names=None
):
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
        source=source,
        feature_names=feature_names,
    )


def load_dataset(source="digits", seed=0, image_size=None):
    """Load `source` and split it, stratified, with `seed`.

    Args:
        source: `"digits"` (scikit-learn's bundled 8x8 handwritten digits, no
            download), `"mnist"` or `"cifar10"` (through `keras.datasets`,
            which downloads them on first use), or the path of a folder with
            one subfolder of images per class (one channel if every image
            is grayscale, else RGB). Defaults to `"digits"`.
        seed: int, the seed of the split. Defaults to `0`.
        image_size: (height, width) to read a folder's images at, or None
            for the size they all share. Only for a folder. Defaults to
            `None`.

    Returns:
        A `Dataset`.

    Raises:
        StudyError: `source` is unknown, cannot be downloaded, or the folder
            holds too few images or classes, an image it cannot decode, or
            images of several sizes and `image_size` is None.
        ValueError, TypeError: `image_size` is not None or a pair of ints
            >= 1, or is given for a dataset that is not a folder.

    Example:

    >>> data = load_dataset("digits")
    >>> data.x_train.shape, len(data.x_test)
    ((300, 8, 8, 1), 1197)
    """
    image_size = check_image_size(image_size)
    if source in ("digits", "mnist", "cifar10"):
        _check_no_image_size(image_size, f"the {source} images")
        return _digits(seed) if source == "digits" else _keras_dataset(source, seed)
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
        source="scikit-learn's digits, 8×8 grayscale",
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
        source=f"keras.datasets.{name}, {len(x_train) + len(x_val)} of its "
        "training images and its test set",
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

    def read(**options):
        try:
            return keras.utils.image_dataset_from_directory(
                path, batch_size=None, shuffle=False, verbose=False, **options
            )
        except ValueError as error:
            raise StudyError(f"Cannot read images from {path!r}: {error}") from error

    # Listing the files reads no image; their headers then give the size and
    # the channels to read them at.
    color_mode, size, how = _folder_format(path, read().file_paths, image_size)
    dataset = read(image_size=size, color_mode=color_mode)
    pairs = _read_all(dataset)
    class_names = tuple(dataset.class_names)
    labels = np.array([label for _, label in pairs], dtype="int64")
    counts = np.bincount(labels, minlength=len(class_names))
    if len(class_names) < 2 or counts.min() < _MIN_PER_CLASS:
        found = dict(zip(class_names, counts.tolist(), strict=True))
        raise StudyError(
            f"The folder {path!r} needs at least 2 class subfolders with at "
            f"least {_MIN_PER_CLASS} images each; found {found}."
        )
    x = np.stack([image for image, _ in pairs]) / np.float32(255.0)
    train, val = (round(share * len(x)) for share in (_FOLDER_TRAIN, _FOLDER_VAL))
    parts = _split(x, labels, train, val, seed)
    channels = "grayscale" if color_mode == "grayscale" else "RGB"
    # Nothing is known about the classes: no flips, fill by reflection.
    return Dataset(
        os.path.basename(os.path.normpath(path)),
        *parts,
        class_names=class_names,
        mirror_symmetric=False,
        dark_background=False,
        source=f"a folder of {len(x)} {channels} images, {how}",
    )


def _folder_format(path, files, image_size):
    """(color mode, (height, width), how they were read) of a folder's images.

    One channel if every image is grayscale, else RGB; the images' own size
    if they share one and `image_size` is None.
    """
    from PIL import Image, UnidentifiedImageError

    sizes, modes = set(), set()
    for file in files:
        try:
            with Image.open(file) as image:
                sizes.add(image.size[::-1])
                modes.add(image.mode)
        except (OSError, UnidentifiedImageError):
            continue  # TensorFlow's reading names the file (`_read_all`)
    color_mode = "grayscale" if modes <= set(_GRAYSCALE_MODES) else "rgb"
    shown = ", ".join("×".join(map(str, size)) for size in sorted(sizes)[:3])
    shown += ", …" if len(sizes) > 3 else ""
    if image_size is None:
        if len(sizes) > 1:
            raise StudyError(
                f"The images in {path!r} have {len(sizes)} different sizes "
                f"({shown}): pass image_size=(height, width) to read them all "
                "at one size."
            )
        # No readable header at all: TensorFlow names the first bad file.
        image_size = next(iter(sizes), (1, 1))
    size = "×".join(map(str, image_size))
    return color_mode, image_size, f"{shown} pixels, read at {size}"
