"""The geometric layers as subclasses of Keras' own: `isinstance`, Keras'
attributes and config, Keras' methods never run in kerasreg's place, and
`.keras` files written before the layers subclassed Keras still load."""

import json
import zipfile

import keras
import numpy as np
import pytest

from kerasreg.augmentation import (
    Pipeline,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomScale,
    RandomTranslation,
    RandomZoom,
)

# (kerasreg class, Keras class, constructor arguments): each argument set
# both classes accept, in their common forms.
CASES = [
    (RandomFlip, keras.layers.RandomFlip, {}),
    (RandomFlip, keras.layers.RandomFlip, {"mode": "vertical", "seed": 7}),
    (RandomRotation, keras.layers.RandomRotation, {"factor": 0.1}),
    (RandomRotation, keras.layers.RandomRotation, {"factor": -0.25, "seed": 3}),
    (
        RandomRotation,
        keras.layers.RandomRotation,
        {
            "factor": (0.3, -0.1),
            "fill_mode": "constant",
            "interpolation": "nearest",
            "fill_value": 2.0,
            "data_format": "channels_first",
            "seed": 1,
        },
    ),
    (RandomZoom, keras.layers.RandomZoom, {"height_factor": 0.2}),
    (
        RandomZoom,
        keras.layers.RandomZoom,
        {"height_factor": (-0.2, 0.3), "width_factor": 0.1, "seed": 2},
    ),
    (
        RandomTranslation,
        keras.layers.RandomTranslation,
        {"height_factor": 0.2, "width_factor": (0.1, -0.3), "fill_mode": "wrap"},
    ),
    (RandomCrop, keras.layers.RandomCrop, {"height": 4, "width": 5, "seed": 3}),
    (
        RandomCrop,
        keras.layers.RandomCrop,
        {"height": 2, "width": 3, "seed": 0, "data_format": "channels_first"},
    ),
]
CASE_IDS = [
    f"{ours.__name__}-" + ",".join(f"{k}={v}" for k, v in kwargs.items())
    for ours, _, kwargs in CASES
]
PAIRS = [
    (RandomFlip, keras.layers.RandomFlip, {}),
    (RandomRotation, keras.layers.RandomRotation, {"factor": 0.1}),
    (RandomZoom, keras.layers.RandomZoom, {"height_factor": 0.1}),
    (
        RandomTranslation,
        keras.layers.RandomTranslation,
        {"height_factor": 0.1, "width_factor": 0.1},
    ),
    (RandomCrop, keras.layers.RandomCrop, {"height": 4, "width": 4}),
]
PAIR_IDS = [ours.__name__ for ours, _, _ in PAIRS]
# The one key kerasreg's config adds: Keras' does not keep the box format.
EXTRA_CONFIG_KEYS = {"bounding_box_format"}


@pytest.mark.parametrize("ours, theirs, kwargs", PAIRS, ids=PAIR_IDS)
def test_kerasreg_layer_is_a_keras_layer_and_not_the_reverse(ours, theirs, kwargs):
    assert issubclass(ours, theirs)
    assert isinstance(ours(**kwargs), theirs)
    assert not isinstance(theirs(**kwargs), ours)


def test_random_scale_has_no_keras_counterpart():
    layer = RandomScale()
    for keras_class in (
        keras.layers.RandomZoom,
        keras.layers.RandomRotation,
        keras.layers.RandomTranslation,
    ):
        assert not isinstance(layer, keras_class)


@pytest.mark.parametrize("ours, theirs, kwargs", CASES, ids=CASE_IDS)
def test_config_is_keras_config_plus_the_box_format(ours, theirs, kwargs):
    mine, keras_config = ours(**kwargs).get_config(), theirs(**kwargs).get_config()
    mine.pop("name"), keras_config.pop("name")
    assert set(mine) - set(keras_config) == EXTRA_CONFIG_KEYS
    assert {key: mine[key] for key in keras_config} == keras_config
    assert mine["bounding_box_format"] is None


def test_crop_config_keeps_the_seed_given():
    # Keras' RandomCrop records a random seed for `seed=None` (which its own
    # draws do not use); kerasreg keeps None, as every other layer does.
    assert RandomCrop(4, 4).get_config()["seed"] is None
    assert isinstance(keras.layers.RandomCrop(4, 4).get_config()["seed"], int)


def test_rotation_config_holds_keras_range():
    # Keras' form: the sorted (lower, upper) range, whatever form was given.
    assert RandomRotation(0.1).get_config()["factor"] == (-0.1, 0.1)
    assert RandomRotation([0.3, -0.1]).get_config()["factor"] == (-0.1, 0.3)
    # A range Keras' constructor refuses (two to three turns) stays as given.
    assert RandomRotation((3, 2)).get_config()["factor"] == (2.0, 3.0)


def _plain_attributes(layer):
    return {
        name: value
        for name, value in vars(layer).items()
        if not name.startswith("_")
        and isinstance(value, bool | int | float | str | tuple | type(None))
    }


@pytest.mark.parametrize("ours, theirs, kwargs", CASES, ids=CASE_IDS)
def test_keras_attributes_have_keras_values(ours, theirs, kwargs):
    mine, keras_layer = ours(**kwargs), theirs(**kwargs)
    expected = _plain_attributes(keras_layer)
    expected.pop("name")
    # kerasreg's layers compile with XLA; Keras' rotation, zoom and
    # translation do not, and would turn XLA off for a whole model.
    expected["supports_jit"] = True
    assert {name: getattr(mine, name) for name in expected} == expected


def _keras_methods(keras_class):
    """Every method Keras' class and its preprocessing bases define (up to
    `keras.layers.Layer`), but the constructors and what kerasreg uses of
    them on purpose: `DataLayer.__call__` (the backend switch),
    `_get_seed_generator` and `get_config` (Keras' keys and values)."""
    allowed = {"__init__", "__call__", "_get_seed_generator", "get_config"}
    for base in keras_class.__mro__:
        if base is keras.layers.Layer:
            return
        for name, value in vars(base).items():
            if callable(value) and name not in allowed:
                yield base, name


def _fail(*args, **kwargs):
    raise AssertionError("a Keras method ran in kerasreg's place")


@pytest.mark.parametrize("ours, theirs, kwargs", PAIRS, ids=PAIR_IDS)
def test_keras_methods_never_run_in_kerasregs_place(ours, theirs, kwargs, monkeypatch):
    layer = ours(**kwargs, seed=1, bounding_box_format="xyxy")
    pipeline = Pipeline([RandomRotation(0.1, bounding_box_format="xyxy"), layer])
    for base, name in _keras_methods(theirs):
        monkeypatch.setattr(base, name, _fail)
    rng = np.random.default_rng(0)
    data = {
        "images": rng.random((2, 8, 8, 1), "float32"),
        "segmentation_masks": rng.integers(0, 3, (2, 8, 8, 1)),
        "bounding_boxes": {
            "boxes": np.array([[[1.0, 1.0, 5.0, 6.0]]] * 2, "float32"),
            "labels": np.ones((2, 1), "int32"),
        },
    }
    for training in (True, False):
        layer(data, training=training)
        pipeline(data, training=training)
    transformation = layer.get_random_transformation(2, 8, 8)
    transformation["input_shape"] = (2, 8, 8, 1)
    layer.transform_images(data["images"], transformation)
    layer.transform_segmentation_masks(data["segmentation_masks"], transformation)
    layer.transform_bounding_boxes(data["bounding_boxes"], transformation)
    layer(keras.Input((8, 8, 1)))


TWINS = [
    RandomFlip,
    lambda seed: RandomCrop(5, 6, seed=seed),
    lambda seed: RandomRotation(0.2, seed=seed),
    lambda seed: RandomZoom(0.3, seed=seed),
    lambda seed: RandomTranslation(0.2, 0.3, seed=seed),
    lambda seed: RandomScale(seed=seed),
]
TWIN_IDS = ["flip", "crop", "rotation", "zoom", "translation", "scale"]


@pytest.mark.parametrize("make", TWINS, ids=TWIN_IDS)
def test_keras_image_hooks_move_pixels_as_call_does(make):
    rng = np.random.default_rng(1)
    images = rng.random((3, 8, 9, 2), "float32")
    masks = rng.integers(0, 4, (3, 8, 9, 1)).astype("int32")
    layer, twin = make(seed=5), make(seed=5)
    transformation = layer.get_random_transformation(3, 8, 9)
    out = twin({"images": images, "segmentation_masks": masks}, training=True)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(layer.transform_images(images, transformation)),
        keras.ops.convert_to_numpy(out["images"]),
    )
    moved = layer.transform_segmentation_masks(masks, transformation)
    assert keras.backend.standardize_dtype(moved.dtype) == "int32"
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(moved),
        keras.ops.convert_to_numpy(out["segmentation_masks"]),
    )
    # Inference: what the layer does at inference (a crop's centre window).
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(
            layer.transform_images(images, transformation, training=False)
        ),
        keras.ops.convert_to_numpy(twin(images, training=False)),
    )


@pytest.mark.parametrize("make", TWINS, ids=TWIN_IDS)
def test_every_layer_converts_its_dict_entries_alike(make):
    # Keras' RandomFlip and RandomCrop constructors switch off the input
    # conversion every other layer does; kerasreg's keep it, all alike.
    data = {
        "images": np.zeros((2, 8, 9, 1)),
        "segmentation_masks": np.zeros((2, 8, 9, 1)),
        "labels": np.zeros((2,)),
    }
    out = make(seed=0)(data, training=True)
    dtypes = {key: keras.backend.standardize_dtype(out[key].dtype) for key in data}
    assert dtypes == dict.fromkeys(data, "float32")


# The model of `_saved_layers()` as kerasreg before this change (commit
# 5ab07c6) wrote it into a `.keras` file's config.json.
SAVED_CONFIG = {
    "module": "keras",
    "class_name": "Sequential",
    "config": {
        "name": "sequential",
        "trainable": True,
        "dtype": {
            "module": "keras",
            "class_name": "DTypePolicy",
            "config": {"name": "float32"},
            "registered_name": None,
        },
        "layers": [
            {
                "module": "keras.layers",
                "class_name": "InputLayer",
                "config": {
                    "batch_shape": [None, 8, 8, 1],
                    "dtype": "float32",
                    "sparse": False,
                    "ragged": False,
                    "name": "input_layer",
                    "optional": False,
                },
                "registered_name": None,
            },
            *(
                {
                    "module": f"kerasreg.augmentation.{module}",
                    "class_name": class_name,
                    "config": {
                        "name": name,
                        "trainable": True,
                        "dtype": {
                            "module": "keras",
                            "class_name": "DTypePolicy",
                            "config": {"name": "float32"},
                            "registered_name": None,
                        },
                        "seed": seed,
                        "data_format": "channels_last",
                        "bounding_box_format": box_format,
                        **config,
                    },
                    "registered_name": f"kerasreg>{class_name}",
                    "build_config": {"input_shape": [None, *shape]},
                }
                for module, class_name, name, seed, box_format, config, shape in [
                    (
                        "random_rotation",
                        "RandomRotation",
                        "rot",
                        2,
                        None,
                        {
                            "factor": [0.3, -0.1],
                            "fill_mode": "constant",
                            "interpolation": "bilinear",
                            "fill_value": 0.0,
                        },
                        (8, 8, 1),
                    ),
                    (
                        "random_zoom",
                        "RandomZoom",
                        "zoom",
                        3,
                        None,
                        {
                            "height_factor": 0.2,
                            "width_factor": [-0.1, 0.3],
                            "fill_mode": "reflect",
                            "interpolation": "bilinear",
                            "fill_value": 0.0,
                        },
                        (8, 8, 1),
                    ),
                    (
                        "random_translation",
                        "RandomTranslation",
                        "shift",
                        5,
                        None,
                        {
                            "height_factor": 0.1,
                            "width_factor": 0.2,
                            "fill_mode": "reflect",
                            "interpolation": "nearest",
                            "fill_value": 0.0,
                        },
                        (8, 8, 1),
                    ),
                    (
                        "random_flip",
                        "RandomFlip",
                        "flip",
                        4,
                        "xywh",
                        {"mode": "horizontal"},
                        (8, 8, 1),
                    ),
                    (
                        "random_crop",
                        "RandomCrop",
                        "crop",
                        6,
                        None,
                        {"height": 4, "width": 5},
                        (8, 8, 1),
                    ),
                    (
                        "random_scale",
                        "RandomScale",
                        "scale",
                        8,
                        None,
                        {
                            "scale": 0.2,
                            "fill_mode": "reflect",
                            "interpolation": "bilinear",
                            "fill_value": 0.0,
                        },
                        (4, 5, 1),
                    ),
                ]
            ),
        ],
        "build_input_shape": [None, 8, 8, 1],
    },
    "registered_name": None,
    "build_config": {"input_shape": [None, 8, 8, 1]},
    "compile_config": None,
}


def _saved_layers():
    return [
        RandomRotation((0.3, -0.1), fill_mode="constant", seed=2, name="rot"),
        RandomZoom(0.2, (-0.1, 0.3), seed=3, name="zoom"),
        RandomTranslation(0.1, 0.2, interpolation="nearest", seed=5, name="shift"),
        RandomFlip("horizontal", seed=4, bounding_box_format="XYWH", name="flip"),
        RandomCrop(4, 5, seed=6, name="crop"),
        RandomScale(0.2, seed=8, name="scale"),
    ]


def test_keras_file_written_before_subclassing_loads(tmp_path):
    # A `.keras` file of the earlier config.json, beside the (empty) weights
    # file a model of the same layers writes now.
    saved = tmp_path / "now.keras"
    keras.Sequential([keras.Input((8, 8, 1)), *_saved_layers()]).save(saved)
    earlier = tmp_path / "earlier.keras"
    with zipfile.ZipFile(saved) as now, zipfile.ZipFile(earlier, "w") as out:
        for item in now.namelist():
            text = now.read(item)
            if item == "config.json":
                text = json.dumps(SAVED_CONFIG)
            out.writestr(item, text)

    loaded = keras.saving.load_model(earlier)
    fresh = keras.Sequential([keras.Input((8, 8, 1)), *_saved_layers()])
    for mine, expected in zip(loaded.layers, fresh.layers, strict=True):
        assert type(mine) is type(expected)
        assert mine.get_config() == expected.get_config()
    # The same layers draw the same: the seeds and every argument came back.
    images = np.arange(2 * 8 * 8, dtype="float32").reshape(2, 8, 8, 1)
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(loaded(images, training=True)),
        keras.ops.convert_to_numpy(fresh(images, training=True)),
    )
    assert loaded.get_layer("rot").factor == (-0.1, 0.3)
    assert loaded.get_layer("flip").bounding_box_format == "xywh"


def test_a_model_of_the_layers_keeps_xla():
    # Keras' rotation, zoom and translation declare `supports_jit=False`,
    # which would make `compile(jit_compile=True)` fall back to no XLA.
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            RandomRotation(0.1),
            RandomZoom(0.1),
            RandomTranslation(0.1, 0.1),
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    assert model.jit_compile is True
