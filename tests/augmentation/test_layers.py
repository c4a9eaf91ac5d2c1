"""The geometric layers: contract, draws, inference, dicts, bad input."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from kerasreg.augmentation import (
    Pipeline,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomScale,
    RandomTranslation,
    RandomZoom,
)
from kerasreg.augmentation.base import BOX_FORMATS
from tests.contracts import (
    assert_config_round_trip,
    assert_layer_contract,
    assert_saves_and_loads,
)

IMAGES = np.random.default_rng(0).random((8, 16, 16, 3)).astype("float32")

LAYERS = [
    (RandomRotation, {"factor": 0.1, "seed": 1}, (4, 16, 16, 3)),
    (RandomScale, {"scale": 0.2, "fill_mode": "constant", "seed": 1}, (4, 16, 16, 3)),
    (RandomFlip, {"mode": "horizontal_and_vertical", "seed": 1}, (4, 16, 16, 3)),
    (RandomCrop, {"height": 10, "width": 12, "seed": 1}, (4, 10, 12, 3)),
    (RandomZoom, {"height_factor": 0.2, "seed": 1}, (4, 16, 16, 3)),
    (
        RandomTranslation,
        {"height_factor": 0.2, "width_factor": 0.1, "seed": 1},
        (4, 16, 16, 3),
    ),
]
IDS = [cls.__name__ for cls, _, _ in LAYERS]


def _np(x):
    return keras.ops.convert_to_numpy(x)


@pytest.mark.parametrize("cls, kwargs, output_shape", LAYERS, ids=IDS)
def test_layer_contract(cls, kwargs, output_shape):
    assert_layer_contract(cls, kwargs, (4, 16, 16, 3), output_shape)


@pytest.mark.parametrize("cls, kwargs, output_shape", LAYERS, ids=IDS)
def test_uint8_batch_and_single_image(cls, kwargs, output_shape):
    pixels = (IMAGES[:4] * 255).astype("uint8")
    batch = cls(**kwargs)(pixels, training=True)
    assert tuple(batch.shape) == output_shape and batch.dtype == "float32"
    single = cls(**kwargs)(pixels[0], training=True)
    assert tuple(single.shape) == output_shape[1:]


@pytest.mark.parametrize("cls, kwargs, output_shape", LAYERS, ids=IDS)
def test_seeded_copies_repeat_their_draws(cls, kwargs, output_shape):
    first = cls(**kwargs)(IMAGES, training=True)
    clone = assert_config_round_trip(cls(**kwargs))
    np.testing.assert_array_equal(_np(clone(IMAGES, training=True)), _np(first))


def test_inference_is_identity_or_centre_window():
    for cls, kwargs, _ in LAYERS:
        if cls is RandomCrop:
            continue
        out = cls(**kwargs)(IMAGES, training=False)
        np.testing.assert_array_equal(_np(out), IMAGES)
    out = RandomCrop(10, 12)(IMAGES, training=False)
    np.testing.assert_array_equal(_np(out), IMAGES[:, 3:13, 2:14])


def test_parameters_are_drawn_per_image_in_range():
    draws = RandomRotation((-0.1, 0.2), seed=0).get_random_transformation(256, 8, 8)
    turns = _np(draws["angles"]) / (2 * np.pi)
    assert turns.min() >= -0.1 and turns.max() <= 0.2 and np.ptp(turns) > 0.25
    scales = _np(
        RandomScale(0.25, seed=0).get_random_transformation(256, 8, 8)["scales"]
    )
    assert scales.min() >= 0.75 and scales.max() <= 1.25 and np.ptp(scales) > 0.4
    crop = RandomCrop(10, 12, seed=0).get_random_transformation(256, 16, 16)
    tops, lefts = _np(crop["tops"]), _np(crop["lefts"])
    # Every integer offset 0..6 and 0..4 occurs; none outside.
    assert set(tops.tolist()) == set(range(7)) and set(lefts.tolist()) == set(range(5))


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("horizontal", (0.5, 0.0)),
        ("vertical", (0.0, 0.5)),
        ("horizontal_and_vertical", (0.5, 0.5)),
    ],
    ids=["horizontal", "vertical", "both"],
)
def test_flip_probability_is_one_half_per_direction(mode, expected):
    n = 2000
    draws = RandomFlip(mode, seed=0).get_random_transformation(n, 8, 8)
    sd = np.sqrt(0.25 / n)
    for key, p in zip(("horizontal", "vertical"), expected, strict=True):
        # Within 4 binomial standard deviations of 1/2 (0 when disabled).
        assert abs(_np(draws[key]).mean() - p) <= 4 * sd


def test_flip_output_is_a_mirror_of_its_input():
    out = _np(RandomFlip("horizontal_and_vertical", seed=2)(IMAGES, training=True))
    kinds = set()
    for o, i in zip(out, IMAGES, strict=True):
        mirrors = [i, i[:, ::-1], i[::-1], i[::-1, ::-1]]
        kinds.add(next(k for k, m in enumerate(mirrors) if np.array_equal(o, m)))
    assert len(kinds) > 1


def test_crop_windows_differ_per_image():
    out = _np(RandomCrop(10, 10, seed=0)(IMAGES[:1].repeat(8, 0), training=True))
    assert len({o.tobytes() for o in out}) > 1
    for o in out:  # each output is some window of the image
        assert any(
            np.array_equal(o, IMAGES[0, top : top + 10, left : left + 10])
            for top in range(7)
            for left in range(7)
        )


def test_dict_inputs_masks_and_boxes_follow_the_geometry():
    labels = np.arange(8 * 16 * 16).reshape(8, 16, 16, 1).astype("int32")
    boxes = np.tile(np.array([[[0.0, 0.0, 4.0, 2.0]]], "float32"), (8, 1, 1))
    layer = RandomRotation(0.1, seed=3, bounding_box_format="xyxy")
    out = layer(
        {
            "images": IMAGES,
            "segmentation_masks": labels,
            "bounding_boxes": boxes,
            "labels": np.arange(8),
        },
        training=True,
    )
    masks = _np(out["segmentation_masks"])
    assert masks.dtype == np.int32 and masks.shape == labels.shape
    # Nearest neighbours: every mask value is a label of the same image.
    for n in range(8):
        assert set(np.unique(masks[n])) <= set(labels[n].ravel())
    np.testing.assert_array_equal(_np(out["labels"]), np.arange(8))
    new_boxes = _np(out["bounding_boxes"])
    assert new_boxes.shape == (8, 1, 4)
    assert (new_boxes[..., :2] <= new_boxes[..., 2:]).all()
    assert (new_boxes >= 0).all() and (new_boxes <= 16).all()


def test_dict_with_box_dict_and_single_image():
    out = RandomFlip("horizontal", seed=0, bounding_box_format="xyxy")(
        {
            "images": IMAGES[0],
            "bounding_boxes": {
                "boxes": np.array([[1.0, 2.0, 5.0, 4.0]]),
                "labels": np.array([7]),
            },
        },
        training=True,
    )
    flipped = not np.array_equal(_np(out["images"]), IMAGES[0])
    expected = [[11.0, 2.0, 15.0, 4.0]] if flipped else [[1.0, 2.0, 5.0, 4.0]]
    np.testing.assert_allclose(_np(out["bounding_boxes"]["boxes"]), expected)
    np.testing.assert_array_equal(_np(out["bounding_boxes"]["labels"]), [7])


def test_crop_moves_boxes_at_inference_too():
    boxes = {
        "boxes": np.tile([[[0.0, 0.0, 6.0, 6.0], [0.0, 0.0, 2.0, 2.0]]], (8, 1, 1)),
        "labels": np.tile([[4, 5]], (8, 1)),
    }
    out = RandomCrop(10, 12, bounding_box_format="xyxy")(
        {"images": IMAGES, "bounding_boxes": boxes}, training=False
    )
    # The window starts at (3, 2): the second box is clipped to nothing and,
    # as in Keras' clip_to_image_size, its label becomes -1.
    new = out["bounding_boxes"]
    np.testing.assert_allclose(_np(new["boxes"])[0], [[0, 0, 4, 3], [0, 0, 0, 0]])
    np.testing.assert_array_equal(_np(new["labels"]), np.tile([[4, -1]], (8, 1)))
    assert boxes["labels"][0, 1] == 5  # the input is left as it was


def test_in_tf_data_per_image_and_batched():
    layer = Pipeline([RandomRotation(0.1, seed=1), RandomCrop(10, 10, seed=2)])
    per_image = tf.data.Dataset.from_tensor_slices(IMAGES).map(
        lambda x: layer(x, training=True), num_parallel_calls=tf.data.AUTOTUNE
    )
    assert [tuple(x.shape) for x in per_image.take(2)] == [(10, 10, 3)] * 2
    batched = (
        tf.data.Dataset.from_tensor_slices(
            {"images": IMAGES, "segmentation_masks": np.zeros((8, 16, 16, 1), "uint8")}
        )
        .batch(4)
        .map(RandomFlip(seed=0), num_parallel_calls=2)
    )
    for batch in batched:
        assert tuple(batch["images"].shape) == (4, 16, 16, 3)


def test_active_only_in_fit_and_saved_model_loads_in_fresh_process(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            RandomRotation(0.1, fill_mode="wrap", seed=1),
            RandomScale((0.9, 1.2), interpolation="nearest", seed=2),
            RandomFlip("vertical", seed=3),
            RandomCrop(12, 12, seed=4),
            Pipeline(
                [RandomFlip(), keras.layers.RandomContrast(0.2), RandomCrop(8, 8)],
                seed=5,
            ),
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse", jit_compile=True)
    model.fit(IMAGES, np.zeros((8, 1)), epochs=1, verbose=0)
    # Inference keeps only the centre windows (16 -> 12 -> 8: offset 4).
    centre = IMAGES[:, 4:12, 4:12].reshape(8, -1)
    expected = model.layers[-1](centre)
    np.testing.assert_allclose(model.predict(IMAGES, verbose=0), expected, atol=1e-5)
    assert not np.allclose(_np(model(IMAGES, training=True)), expected, atol=1e-3)
    assert_saves_and_loads(model, IMAGES, tmp_path)


FACTOR = (
    "Invalid value for argument `factor`. Expected a float in [-1, 1] or a pair "
    "of finite floats. Received: "
)
BOX_FORMAT_LIST = ", ".join(repr(fmt) for fmt in BOX_FORMATS)
SCALE = (
    "Invalid value for argument `scale`. Expected a float in [0, 1) or a pair "
    "(min, max) of finite floats with 0 < min <= max. Received: "
)
BAD_INPUT = {
    "factor-high": (lambda: RandomRotation(1.5), ValueError, FACTOR + "factor=1.5"),
    "factor-low": (lambda: RandomRotation(-1.5), ValueError, FACTOR + "factor=-1.5"),
    "factor-inf": (
        lambda: RandomRotation((0.1, float("inf"))),
        ValueError,
        FACTOR + "factor=(0.1, inf)",
    ),
    "factor-type": (lambda: RandomRotation("big"), TypeError, FACTOR + "factor='big'"),
    "scale-one": (lambda: RandomScale(1.0), ValueError, SCALE + "scale=1.0"),
    # 1 - f rounds to 1 for a tiny negative f: refused all the same.
    "scale-negative": (lambda: RandomScale(-1e-30), ValueError, SCALE + "scale=-1e-30"),
    "scale-zero": (
        lambda: RandomScale((0.0, 2.0)),
        ValueError,
        SCALE + "scale=(0.0, 2.0)",
    ),
    "fill_mode": (
        lambda: RandomScale(fill_mode="mirror"),
        ValueError,
        "Invalid value for argument `fill_mode`. Expected one of 'reflect', "
        "'constant', 'nearest', 'wrap'. Received: fill_mode='mirror'",
    ),
    "interpolation": (
        lambda: RandomRotation(0.1, interpolation="bicubic"),
        ValueError,
        "Invalid value for argument `interpolation`. Expected one of 'bilinear', "
        "'nearest'. Received: interpolation='bicubic'",
    ),
    "fill_value": (
        lambda: RandomRotation(0.1, fill_value=float("nan")),
        ValueError,
        "Invalid value for argument `fill_value`. Expected a finite float in "
        "[-inf, inf). Received: fill_value=nan",
    ),
    "mode": (
        lambda: RandomFlip("diagonal"),
        ValueError,
        "Invalid value for argument `mode`. Expected one of 'horizontal', "
        "'vertical', 'horizontal_and_vertical'. Received: mode='diagonal'",
    ),
    "height-zero": (
        lambda: RandomCrop(0, 4),
        ValueError,
        "Invalid value for argument `height`. Expected an int in [1, inf]. "
        "Received: height=0",
    ),
    "width-type": (
        lambda: RandomCrop(4, 4.5),
        TypeError,
        "Invalid value for argument `width`. Expected an int. Received: width=4.5",
    ),
    "seed-type": (
        lambda: RandomFlip(seed="x"),
        TypeError,
        "Invalid value for argument `seed`. Expected an int. Received: seed='x'",
    ),
    "data_format": (
        lambda: RandomCrop(4, 4, data_format="NHWC"),
        ValueError,
        "Invalid value for argument `data_format`. Expected one of "
        "'channels_last', 'channels_first'. Received: data_format='NHWC'",
    ),
    "bounding_box_format": (
        lambda: RandomFlip(bounding_box_format="ltrb"),
        ValueError,
        "Invalid value for argument `bounding_box_format`. Expected None or one "
        f"of {BOX_FORMAT_LIST}. Received: bounding_box_format='ltrb'",
    ),
    "boxes-without-format": (
        lambda: RandomFlip()({"images": IMAGES, "bounding_boxes": IMAGES[:, 0, :4]}),
        ValueError,
        "Invalid value for argument `bounding_box_format`. Expected the format "
        f'of the "bounding_boxes" entry, one of {BOX_FORMAT_LIST}. '
        "Received: bounding_box_format=None",
    ),
    "boxes-rank": (
        lambda: RandomFlip(bounding_box_format="xyxy")(
            {"images": IMAGES, "bounding_boxes": {"boxes": np.zeros((1, 4))}}
        ),
        ValueError,
        'Invalid value for argument `bounding_boxes["boxes"].shape`. Expected '
        "(batch, boxes, 4) for a batch of images. Received: "
        'bounding_boxes["boxes"].shape=(1, 4)',
    ),
    "rank": (
        lambda: RandomFlip()(IMAGES[0, 0]),
        ValueError,
        "Invalid value for argument `images.shape`. Expected a rank of 3 "
        "(height, width, channels) or 4 (batch, height, width, channels). "
        "Received: images.shape=(16, 3)",
    ),
    "rank-channels-first": (
        lambda: RandomFlip(data_format="channels_first")(IMAGES[0, 0]),
        ValueError,
        "Invalid value for argument `images.shape`. Expected a rank of 3 "
        "(channels, height, width) or 4 (batch, channels, height, width). "
        "Received: images.shape=(16, 3)",
    ),
    "dict-key": (
        lambda: RandomFlip()({"pixels": IMAGES}),
        TypeError,
        'Invalid value for argument `data`. Expected a dict with an "images" '
        "entry. Received: data=['pixels']",
    ),
}


@pytest.mark.parametrize(
    "make, error, message", list(BAD_INPUT.values()), ids=list(BAD_INPUT)
)
def test_bad_input_messages(make, error, message):
    with pytest.raises(error, match=re.escape(message)):
        make()


def test_in_tf_data_each_element_draws_anew():
    # The same image five times: the seeded generator must advance per element
    # inside the map (a seed frozen at tracing would repeat one draw).
    same = np.repeat(IMAGES[:1], 5, axis=0)
    layer = RandomRotation(0.2, seed=1)
    ds = tf.data.Dataset.from_tensor_slices(same).map(lambda x: layer(x))
    outputs = {_np(x).tobytes() for x in ds}
    assert len(outputs) == 5


# --- Keras parity: signatures, factor forms, data_format, boxes, small crops ---

KERAS_TWINS = [
    (RandomFlip, keras.layers.RandomFlip, ("vertical", 7, "channels_first")),
    (
        RandomRotation,
        keras.layers.RandomRotation,
        (0.2, "constant", "nearest", 7, 2.0, "channels_first"),
    ),
    (RandomCrop, keras.layers.RandomCrop, (4, 5, 7, "channels_first", "crop")),
]
TWIN_IDS = [ours.__name__ for ours, _, _ in KERAS_TWINS]


@pytest.mark.parametrize("ours, theirs, args", KERAS_TWINS, ids=TWIN_IDS)
def test_signature_and_positional_arguments_are_keras(ours, theirs, args):
    import inspect

    def named(cls):
        return [
            (p.name, p.default)
            for p in inspect.signature(cls).parameters.values()
            if p.kind is p.POSITIONAL_OR_KEYWORD
        ]

    # Keras' arguments, in Keras' order and with Keras' defaults.
    assert named(ours) == named(theirs)
    mine, keras_layer = ours(*args), theirs(*args)
    for name, _ in named(theirs):
        assert getattr(mine, name) == getattr(keras_layer, name), name


@pytest.mark.parametrize(
    "factor",
    [0.2, -0.2, 1, -1.0, (-0.2, 0.4), (0.4, -0.2), [0.1, 0.3], (-2.0, 0.5)],
    ids=str,
)
def test_every_keras_factor_form_draws_from_keras_range(factor):
    # `factor` is Keras' attribute: the (lower, upper) range the draws use.
    layer = RandomRotation(factor)
    assert layer.factor == pytest.approx(keras.layers.RandomRotation(factor).factor)


def _channels_first(x):
    return np.moveaxis(np.asarray(x), -1, -3)


CHANNELS_FIRST_LAYERS = [
    (RandomRotation, {"factor": 0.2, "fill_mode": "constant"}),
    (RandomScale, {"scale": (0.7, 1.4)}),
    (RandomFlip, {}),
    (RandomCrop, {"height": 10, "width": 12}),
    (RandomCrop, {"height": 20, "width": 18}),  # resizes
]


@pytest.mark.parametrize(
    "cls, kwargs",
    CHANNELS_FIRST_LAYERS,
    ids=["rotation", "scale", "flip", "crop", "crop-resize"],
)
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_channels_first_is_channels_last_transposed(cls, kwargs, training):
    masks = np.arange(8 * 16 * 16).reshape(8, 16, 16, 1) % 7
    boxes = {
        "boxes": np.tile([[[1.0, 2.0, 9.0, 12.0]]], (8, 1, 1)),
        "labels": np.ones((8, 1), "int32"),
    }
    data = {"images": IMAGES, "segmentation_masks": masks, "bounding_boxes": boxes}
    last = cls(**kwargs, seed=5, bounding_box_format="xyxy")(data, training=training)
    first_layer = cls(
        **kwargs, seed=5, bounding_box_format="xyxy", data_format="channels_first"
    )
    first = first_layer(
        dict(
            data,
            images=_channels_first(IMAGES),
            segmentation_masks=_channels_first(masks),
        ),
        training=training,
    )
    for key in ("images", "segmentation_masks"):
        np.testing.assert_allclose(
            _np(first[key]), _channels_first(_np(last[key])), atol=1e-6
        )
    np.testing.assert_allclose(
        _np(first["bounding_boxes"]["boxes"]), _np(last["bounding_boxes"]["boxes"])
    )
    single = first_layer(_channels_first(IMAGES[0]), training=training)
    assert tuple(single.shape) == _channels_first(_np(last["images"][0])).shape


@pytest.mark.tensorflow_only
def test_channels_first_in_a_model_and_in_tf_data():
    x = _channels_first(IMAGES)
    model = keras.Sequential(
        [
            keras.Input((3, 16, 16)),
            Pipeline(
                [
                    RandomRotation(0.1, data_format="channels_first"),
                    RandomFlip(data_format="channels_first"),
                    RandomCrop(12, 10, data_format="channels_first"),
                ],
                seed=1,
                data_format="channels_first",
            ),
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((8, 1)), epochs=1, verbose=0)
    # Inference keeps the centre window: rows 2..13, columns 3..12.
    expected = model.layers[-1](x[:, :, 2:14, 3:13].reshape(8, -1))
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)
    layer = RandomCrop(12, 10, data_format="channels_first", seed=0)
    ds = tf.data.Dataset.from_tensor_slices(x).map(lambda i: layer(i))
    assert [tuple(i.shape) for i in ds.take(2)] == [(3, 12, 10)] * 2


FORMATS = [
    pytest.param(
        fmt,
        marks=pytest.mark.skipif(
            fmt == "rel_center_xywh"
            and tuple(map(int, keras.__version__.split(".")[:2])) < (3, 15),
            reason="Keras 3.12's rel_center_xywh conversion disagrees with its "
            "own RandomFlip; they agree in Keras 3.15",
        ),
    )
    for fmt in BOX_FORMATS
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", ["horizontal", "vertical"])
def test_boxes_match_keras_flip_in_every_format(fmt, mode):
    # With one direction enabled both layers draw the same flips from the
    # same seed: the images and the boxes must come out the same.
    images = np.random.default_rng(1).random((6, 10, 8, 3)).astype("float32")
    xyxy = np.tile([[[1.0, 2.0, 4.0, 7.0], [0.0, 5.0, 8.0, 10.0]]], (6, 1, 1))
    boxes = _np(
        keras.utils.bounding_boxes.convert_format(xyxy, "xyxy", fmt, height=10, width=8)
    )

    def data():
        labels = np.tile([[1, 2]], (6, 1))
        return {"images": images, "bounding_boxes": {"boxes": boxes, "labels": labels}}

    theirs = keras.layers.RandomFlip(mode, seed=3, bounding_box_format=fmt)(data())
    mine = RandomFlip(mode, seed=3, bounding_box_format=fmt)(data())
    np.testing.assert_array_equal(_np(mine["images"]), _np(theirs["images"]))
    assert not np.array_equal(_np(mine["images"]), images)  # some were flipped
    for key in ("boxes", "labels"):
        np.testing.assert_allclose(
            _np(mine["bounding_boxes"][key]),
            _np(theirs["bounding_boxes"][key]),
            atol=1e-5,
        )


def test_half_turn_moves_boxes_with_the_pixels():
    # A half turn maps a box's edges x -> W - x, y -> H - y exactly.
    images = np.random.default_rng(2).random((1, 10, 8, 3)).astype("float32")
    out = RandomRotation((0.5, 0.5), bounding_box_format="yxyx")(
        {"images": images, "bounding_boxes": np.array([[[2.0, 1.0, 7.0, 4.0]]])}
    )
    np.testing.assert_allclose(_np(out["images"]), images[:, ::-1, ::-1], atol=1e-5)
    np.testing.assert_allclose(
        _np(out["bounding_boxes"]), [[[3.0, 4.0, 8.0, 7.0]]], atol=1e-5
    )


@pytest.mark.parametrize(
    "size, window",
    [((10, 8), (0, 5, 8, 6)), ((8, 18), (0, 0, 7, 16)), ((20, 30), (0, 2, 8, 12))],
    ids=["taller", "wider", "larger"],
)
@pytest.mark.parametrize("training", [True, False], ids=["training", "inference"])
def test_crop_resizes_an_input_smaller_than_the_window(size, window, training):
    # Keras' window: the largest centred one with the output's aspect ratio,
    # (top, left, rows, columns) here, resized bilinearly to the output.
    images = np.random.default_rng(3).random((2, 8, 16, 3)).astype("float32")
    top, left, rows, columns = window
    reference = _np(
        keras.ops.image.resize(images[:, top : top + rows, left : left + columns], size)
    )
    out = _np(RandomCrop(*size, seed=0)(images, training=training))
    assert out.shape == (2, *size, 3)
    # Inside, the same samples; at the window's border kerasreg's bilinear
    # samples also see the pixels just beyond it, where Keras' resize of the
    # cut-out window repeats its edge.
    np.testing.assert_allclose(out[:, 2:-2, 2:-2], reference[:, 2:-2, 2:-2], atol=1e-5)
    assert images.min() <= out.min() and out.max() <= images.max()


@pytest.mark.tensorflow_only
def test_crop_and_pipeline_on_images_of_unknown_size():
    # Regression (issue 12): inference raised OperatorNotAllowedInGraphError,
    # and training padded images smaller than the window with zeros.
    sizes = [(12, 20), (30, 22), (16, 16)]
    crop = RandomCrop(16, 16, seed=0)
    pipeline = Pipeline([RandomFlip(seed=1), RandomCrop(16, 16, seed=2)])
    ds = tf.data.Dataset.from_generator(
        lambda: (np.ones((h, w, 3), "float32") * (h + w) for h, w in sizes),
        output_signature=tf.TensorSpec((None, None, 3)),
    )
    for layer in (crop, pipeline):
        for training in (True, False):
            outputs = list(ds.map(lambda x, t=training, f=layer: f(x, training=t)))
            for out, (h, w) in zip(outputs, sizes, strict=True):
                assert tuple(out.shape) == (16, 16, 3)
                np.testing.assert_allclose(_np(out), np.full((16, 16, 3), h + w))
    # Known and unknown sizes give the same pixels.
    ramp = np.arange(12 * 20 * 3, dtype="float32").reshape(12, 20, 3)
    unknown = tf.function(
        lambda x: crop(x, training=False),
        input_signature=[tf.TensorSpec((None, None, 3))],
    )
    np.testing.assert_allclose(
        _np(unknown(ramp)), _np(crop(ramp, training=False)), atol=1e-4
    )
