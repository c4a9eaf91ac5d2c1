"""What the geometric layers share: input handling and one fused resampling.

A geometric layer only draws parameters and turns them into matrices
(`get_random_transformation`, and `inference_matrix` where inference moves
pixels too); `apply_geometry` multiplies the matrices of a run of layers and
resamples images, masks and boxes once. A layer alone is a run of one, and
`Pipeline` passes longer runs. Inputs in "channels_first" are transposed to
channels last around the warp; boxes in any `keras.utils.bounding_boxes`
format are converted to absolute "xyxy" around it.

The layers subclass Keras' own (`keras.layers.RandomFlip` ...; RandomScale,
which has no counterpart, `StandaloneLayer`), and so Keras' `DataLayer`,
through kerasreg's adapter (`_keras_private.DataLayer`): inside a `tf.data`
map under another backend they draw and warp with TensorFlow's ops.
"""

import functools

import keras

from kerasreg import _keras_private, _validation
from kerasreg.augmentation import _factors, functional

IMAGES, MASKS, BOXES = "images", "segmentation_masks", "bounding_boxes"
DATA_FORMATS = ("channels_last", "channels_first")
# The formats `keras.utils.bounding_boxes.convert_format` knows.
BOX_FORMATS = (
    "xyxy",
    "yxyx",
    "xywh",
    "center_xywh",
    "center_yxhw",
    "rel_xyxy",
    "rel_yxyx",
    "rel_xywh",
    "rel_center_xywh",
)
# The resampling of a run without a rotation or scale: flips and integer
# crops land exactly on pixel centres, so nearest is exact and cheapest.
_EXACT_RESAMPLING = ("nearest", "constant", 0.0)
# A crop that resizes: bilinear, clamped at the edges, as `keras.ops.image.
# resize` (and exact, weights 1 and 0, where it only moves whole pixels).
_RESIZE_RESAMPLING = ("bilinear", "nearest", 0.0)


def standardize_data_format(data_format):
    """`data_format`, or `keras.config.image_data_format()` for None."""
    if data_format is None:
        return keras.config.image_data_format()
    return _validation.check_choice("data_format", data_format, DATA_FORMATS)


def standardize_box_format(bounding_box_format):
    """A lower-case format of `BOX_FORMATS` (case-insensitive, as Keras), or None."""
    if bounding_box_format is None:
        return None
    if isinstance(bounding_box_format, str):
        lowered = bounding_box_format.lower()
        if lowered in BOX_FORMATS:
            return lowered
    raise _validation.invalid(
        "bounding_box_format",
        bounding_box_format,
        "None or one of " + ", ".join(repr(f) for f in BOX_FORMATS),
    )


class BaseGeometricLayer(_keras_private.DataLayer):
    """A layer that moves pixels by a per-image affine map.

    A layer with a Keras counterpart subclasses both, this class first:
    `class RandomFlip(BaseGeometricLayer, keras.layers.RandomFlip)`. So
    `isinstance` checks for Keras' class hold, kerasreg's `call`, hooks and
    `get_config` come before Keras' in the MRO, and Keras' constructor, which
    the constructors here hand the checked arguments on to, sets Keras'
    attributes (`seed`, `generator`, `data_format`, `factor`, `fill_mode`
    ...) with Keras' meaning. `get_config` is Keras' plus
    `bounding_box_format`. A layer without a counterpart (`RandomScale`)
    takes `StandaloneLayer` in Keras' place.

    Subclasses implement `get_random_transformation` (training draws) and,
    where the output size or the inference geometry differ from the
    identity, `compute_output_size` and `inference_matrix`. They draw with
    `self.backend.random` and `self.seed_generator()` and build matrices with
    `self.ops`, which follow the backend the layer runs on.
    """

    _SUPPORTED_INTERPOLATIONS = functional.INTERPOLATIONS
    _SUPPORTED_FILL_MODES = functional.FILL_MODES
    # Whether the layer has Keras' `interpolation`, `fill_mode` and
    # `fill_value` (rotations, zooms, translations, scales).
    _RESAMPLES = False

    def __init__(self, seed=None, data_format=None, bounding_box_format=None, **kwargs):
        if seed is not None:
            _validation.check_int("seed", seed)
        super().__init__(
            seed=seed,
            data_format=standardize_data_format(data_format),
            bounding_box_format=standardize_box_format(bounding_box_format),
            **kwargs,
        )
        # Keras marks its rotation, zoom and translation as not compilable
        # (their kernels); kerasreg's compile, and one of them must not turn
        # XLA off for a whole model under jit_compile="auto".
        self.supports_jit = True
        self.supports_masking = False
        self.convert_inputs()

    @property
    def resampling(self):
        """How the layer resamples: None when it only moves whole pixels,
        else (interpolation, fill_mode, fill_value); a fused run shares one."""
        if not self._RESAMPLES:
            return None
        return (self.interpolation, self.fill_mode, self.fill_value)

    @classmethod
    def _checked_resampling(cls, interpolation, fill_mode, fill_value):
        """The resampling arguments, checked, as keyword arguments."""
        return {
            "interpolation": _validation.check_choice(
                "interpolation", interpolation, cls._SUPPORTED_INTERPOLATIONS
            ),
            "fill_mode": _validation.check_choice(
                "fill_mode", fill_mode, cls._SUPPORTED_FILL_MODES
            ),
            "fill_value": _validation.check_float("fill_value", fill_value),
        }

    def _seed(self, seed):
        """The given seed (a Pipeline's), else the layer's own generator."""
        return self.seed_generator() if seed is None else seed

    def _uniform_per_image(self, batch_size, seed, lower, upper):
        """One draw per image from [lower, upper]; `seed` as `_seed` returns it."""
        return self.backend.random.uniform(
            (batch_size,), minval=lower, maxval=upper, seed=seed
        )

    def get_random_transformation(self, batch_size, height, width, seed=None):
        """Draw per-image parameters; return a dict with "matrix" (N, 3, 3)."""
        raise NotImplementedError  # abstract: every subclass defines it

    def compute_output_size(self, height, width):
        """The (height, width) of the output for an input of (height, width)."""
        return height, width

    def inference_matrix(self, batch_size, height, width):
        """The (N, 3, 3) matrix applied at inference; None keeps the input."""
        return None

    def resizes(self, height, width):
        """Whether the layer may resample an input of (height, width) at a
        non-integer scale although it has no interpolation of its own."""
        return False

    def call(self, data, training=True):
        return apply_geometry(
            data, [self], training, self.compute_dtype, self.backend.name
        )

    def compute_output_spec(self, data, training=True):
        return geometry_output_spec(data, [self], self.compute_dtype)

    def transform_images(self, images, transformation, training=True):
        """Move `images` as `call` would for `transformation`.

        Keras' hook (Keras' own would run its kernel on kerasreg's draws):
        `transformation` as in `transform_bounding_boxes`, the layer's
        resampling, the output in the layer's compute dtype. With
        `training=False` only a crop moves pixels (its centre window).
        """
        return self._transform_pixels(images, transformation, training, masks=False)

    def transform_segmentation_masks(
        self, segmentation_masks, transformation, training=True
    ):
        """As `transform_images`, with nearest neighbours and the masks' dtype."""
        return self._transform_pixels(
            segmentation_masks, transformation, training, masks=True
        )

    def _transform_pixels(self, tensor, transformation, training, masks):
        with self.running_on(tensor):
            ops = self.ops
            parts = _Unpacked(tensor, self.data_format, self._box_format, ops)
            size = (parts.height, parts.width)
            if training:
                matrix = self._transformation_matrix(transformation, *size)
            else:
                matrix = self.inference_matrix(ops.shape(parts.images)[0], *size)
            moved = parts.images
            if matrix is not None:
                interpolation, fill_mode, fill_value = _run_resampling(
                    [self] if training else [], self.resizes(*size)
                )
                moved = _warp_kernel(self.backend.name)(
                    moved,
                    matrix,
                    tuple(self.compute_output_size(*size)),
                    "nearest" if masks else interpolation,
                    fill_mode,
                    fill_value,
                )
            if not masks:
                moved = ops.cast(moved, self.compute_dtype)
            return parts.rebuild(moved)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """Move `{"boxes", "labels"}` as `call` would for `transformation`.

        Keras' hook, for code that draws a transformation and moves boxes
        itself. `transformation` holds the "matrix" drawn by
        `get_random_transformation` and Keras' "input_shape" (the images'
        shape in `data_format`). Boxes are (B, 4) or (N, B, 4) in
        `bounding_box_format`; boxes that leave the image are clipped and
        their labels set to -1, as Keras does.
        """
        if not training:
            return bounding_boxes
        with self.running_on(bounding_boxes["boxes"]):
            return self._transform_bounding_boxes(bounding_boxes, transformation)

    def _transform_bounding_boxes(self, bounding_boxes, transformation):
        ops = self.ops
        shape = transformation["input_shape"]
        axes = (-3, -2) if self.data_format == "channels_last" else (-2, -1)
        size = (shape[axes[0]], shape[axes[1]])
        matrix = self._transformation_matrix(transformation, *size)
        single = len(bounding_boxes["boxes"].shape) == 2
        boxes = ops.convert_to_tensor(bounding_boxes["boxes"])
        if single:
            boxes = boxes[None]
        out_size = self.compute_output_size(*size)
        fmt = self._box_format()
        moved = functional.transform_boxes(
            _to_xyxy(boxes, fmt, size, ops), matrix, out_size, ops=ops
        )
        return _boxes_out(bounding_boxes, moved, fmt, out_size, single, ops)

    def _transformation_matrix(self, transformation, height, width):
        return transformation["matrix"]

    def _box_format(self):
        if self.bounding_box_format is None:
            raise _validation.invalid(
                "bounding_box_format",
                None,
                'the format of the "bounding_boxes" entry, one of '
                + ", ".join(repr(f) for f in BOX_FORMATS),
            )
        return self.bounding_box_format

    def get_config(self):
        # Keras' own config (or StandaloneLayer's), and the box format, which
        # Keras' does not keep.
        return {
            **super().get_config(),
            "bounding_box_format": self.bounding_box_format,
        }


class StandaloneLayer(_keras_private.DataLayer):
    """What the constructor and config of a Keras preprocessing layer hold,
    for a geometric layer with no Keras counterpart:
    `class RandomScale(BaseGeometricLayer, StandaloneLayer)`."""

    def __init__(self, seed=None, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)
        self.data_format = data_format
        self.bounding_box_format = bounding_box_format

    def get_config(self):
        return {
            **super().get_config(),
            "seed": self.seed,
            "data_format": self.data_format,
        }


class AxisFactorLayer(BaseGeometricLayer):
    """A layer with Keras' `height_factor` and `width_factor` (RandomZoom,
    RandomTranslation): one draw per image and axis, in Keras' order, from
    the ranges Keras' constructor keeps (`height_lower`, `height_upper`,
    and the width's when there is a `width_factor`)."""

    _RESAMPLES = True

    @staticmethod
    def _checked_axis_factors(
        height_factor, width_factor, low, *, low_inclusive, optional_width
    ):
        """Both factors checked, every number in [low, 1] or (low, 1] (a None
        `width_factor` stays None where `optional_width`), as keyword
        arguments in the form Keras keeps them (`_factors.as_given`)."""
        _factors.keras_factor("height_factor", height_factor, low, low_inclusive)
        if width_factor is not None or not optional_width:
            _factors.keras_factor("width_factor", width_factor, low, low_inclusive)
        return {
            "height_factor": _factors.as_given(height_factor),
            "width_factor": _factors.as_given(width_factor),
        }

    def _draw_per_axis(self, batch_size, seed, offset=0.0):
        """(N,) draws from `offset` + each range: height first, then width from
        the same seed (None without a width factor), as Keras draws them."""
        seed = self._seed(seed)
        ranges = [(self.height_lower, self.height_upper)]
        if self.width_factor is not None:
            ranges.append((self.width_lower, self.width_upper))
        draws = [
            self._uniform_per_image(batch_size, seed, offset + lower, offset + upper)
            for lower, upper in ranges
        ]
        return draws[0], (draws[1] if len(draws) == 2 else None)


def _check_rank(images, data_format):
    rank = len(images.shape)
    if rank not in (3, 4):
        axes = (
            "height, width, channels"
            if data_format == "channels_last"
            else "channels, height, width"
        )
        raise _validation.invalid(
            "images.shape",
            tuple(images.shape),
            f"a rank of 3 ({axes}) or 4 (batch, {axes})",
        )
    return rank == 3


def _to_xyxy(boxes, fmt, size, ops):
    """(N, B, 4) float32 absolute "xyxy" boxes from `fmt` on an image of `size`."""
    height, width = (ops.cast(s, "float32") for s in size)
    return keras.utils.bounding_boxes.convert_format(
        boxes, source=fmt, target="xyxy", height=height, width=width
    )


def _boxes_out(given, xyxy, fmt, size, single, ops):
    """`given` (a dict or a tensor) with the moved `xyxy` boxes in `fmt`; in
    a dict a box clipped to nothing gets label -1, as in Keras."""
    height, width = (ops.cast(s, "float32") for s in size)
    boxes = keras.utils.bounding_boxes.convert_format(
        xyxy, source="xyxy", target=fmt, height=height, width=width
    )
    boxes = boxes[0] if single else boxes
    if not isinstance(given, dict):
        return boxes
    out = dict(given, boxes=boxes)
    if "labels" in given:
        labels = ops.convert_to_tensor(given["labels"])
        area = (xyxy[..., 2] - xyxy[..., 0]) * (xyxy[..., 3] - xyxy[..., 1])
        area = area[0] if single else area
        out["labels"] = ops.where(area > 0, labels, ops.cast(-1, labels.dtype))
    return out


class _Unpacked:
    """`data` split into channels-last batches of images and masks, boxes as
    (N, B, 4) absolute "xyxy", and how to put the results back."""

    def __init__(self, data, data_format, box_format_of, ops):
        self.data, self.ops = data, ops
        self.channels_first = data_format == "channels_first"
        if isinstance(data, dict) and IMAGES not in data:
            raise _validation.invalid(
                "data", sorted(data), f'a dict with an "{IMAGES}" entry', TypeError
            )
        images = data[IMAGES] if isinstance(data, dict) else data
        self.single = _check_rank(images, data_format)
        self.images = self._in(images)
        self.height, self.width = ops.shape(self.images)[1:3]
        self.masks = self.boxes = None
        if not isinstance(data, dict):
            return
        if data.get(MASKS) is not None:
            self.masks = self._in(data[MASKS])
        given = data.get(BOXES)
        if given is not None:
            self.box_format = box_format_of()
            boxes = given["boxes"] if isinstance(given, dict) else given
            boxes = ops.convert_to_tensor(boxes)
            expected_rank = 2 if self.single else 3
            if len(boxes.shape) != expected_rank or boxes.shape[-1] != 4:
                raise _validation.invalid(
                    'bounding_boxes["boxes"].shape',
                    tuple(boxes.shape),
                    "(boxes, 4) for a single image"
                    if self.single
                    else "(batch, boxes, 4) for a batch of images",
                )
            boxes = boxes[None] if self.single else boxes
            self.boxes = _to_xyxy(
                boxes, self.box_format, (self.height, self.width), ops
            )

    def _in(self, tensor):
        tensor = self.ops.convert_to_tensor(tensor)
        tensor = tensor[None] if self.single else tensor
        return (
            self.ops.transpose(tensor, (0, 2, 3, 1)) if self.channels_first else tensor
        )

    def _out(self, tensor):
        if self.channels_first:
            tensor = self.ops.transpose(tensor, (0, 3, 1, 2))
        return tensor[0] if self.single else tensor

    def rebuild(self, images, masks=None, boxes=None, size=None):
        if not isinstance(self.data, dict):
            return self._out(images)
        out = dict(self.data, **{IMAGES: self._out(images)})
        if masks is not None:
            out[MASKS] = self._out(masks)
        if boxes is not None:
            out[BOXES] = _boxes_out(
                self.data[BOXES], boxes, self.box_format, size, self.single, self.ops
            )
        return out


def _warp_kernel(backend):
    # On TensorFlow the XLA-compiled kernel is several times faster in tf.data
    # and in graph mode; it is the same function, compiled.
    if backend == "tensorflow":
        from kerasreg.augmentation import _tf_xla_warp

        return _tf_xla_warp.warp
    return functools.partial(functional.warp, ops=_keras_private.backend_ops(backend))


def _run_resampling(layers, resizes):
    """The run's one resampling: its rotation / scale layers' setting, else
    a resize's where a crop may resize, else exact nearest."""
    for layer in layers:
        if layer.resampling is not None:
            return layer.resampling
    return _RESIZE_RESAMPLING if resizes else _EXACT_RESAMPLING


def apply_geometry(data, layers, training, dtype, backend, seed=None):
    """Apply a run of geometric layers to `data` with ONE resampling.

    In training each layer draws its matrices (from `seed`, a
    `keras.random.SeedGenerator`, when given, else from its own), the matrices
    are composed, and images, masks and boxes are moved once. At inference
    only the layers with an `inference_matrix` (crops) act. Everything runs
    on `backend` (a name: "tensorflow" inside tf.data, else Keras' backend).
    The run's layers share the first one's `data_format` and
    `bounding_box_format` (`Pipeline` checks that they agree).
    """
    with _keras_private.backend_scope(layers, backend):
        return _apply_geometry(data, layers, training, dtype, backend, seed)


def _apply_geometry(data, layers, training, dtype, backend, seed):
    ops = _keras_private.backend_ops(backend)
    parts = _Unpacked(data, layers[0].data_format, layers[0]._box_format, ops)
    batch = ops.shape(parts.images)[0]
    size, matrices, resizes = (parts.height, parts.width), [], False
    for layer in layers:
        resizes = resizes or layer.resizes(*size)
        if training:
            draws = layer.get_random_transformation(batch, *size, seed=seed)
            matrices.append(draws["matrix"])
        else:
            matrix = layer.inference_matrix(batch, *size)
            if matrix is not None:
                matrices.append(matrix)
        size = tuple(layer.compute_output_size(*size))

    if not matrices:
        # Nothing moves at inference: boxes that stick out are left as given.
        return parts.rebuild(ops.cast(parts.images, dtype), parts.masks)
    matrix = functional.compose(*matrices, ops=ops)
    if training:
        interpolation, fill_mode, fill_value = _run_resampling(layers, resizes)
    else:
        # Only crops act at inference.
        interpolation, fill_mode, fill_value = _run_resampling([], resizes)
    warp = _warp_kernel(backend)
    images = warp(parts.images, matrix, size, interpolation, fill_mode, fill_value)
    masks = parts.masks
    if masks is not None:
        masks = warp(masks, matrix, size, "nearest", fill_mode, fill_value)
    boxes = parts.boxes
    if boxes is not None:
        boxes = functional.transform_boxes(boxes, matrix, size, ops=ops)
    return parts.rebuild(ops.cast(images, dtype), masks, boxes, size)


def geometry_output_spec(data, layers, dtype):
    """Symbolic outputs of `apply_geometry` (shapes and dtypes, no tracing)."""
    data_format = layers[0].data_format
    images = data[IMAGES] if isinstance(data, dict) else data
    _check_rank(images, data_format)
    axes = (-3, -2) if data_format == "channels_last" else (-2, -1)
    size = (images.shape[axes[0]], images.shape[axes[1]])
    for layer in layers:
        size = tuple(layer.compute_output_size(*size))

    def moved(tensor, new_dtype):
        shape = list(tensor.shape)
        shape[axes[0]], shape[axes[1]] = size
        return keras.KerasTensor(tuple(shape), dtype=new_dtype or tensor.dtype)

    if not isinstance(data, dict):
        return moved(data, dtype)
    out = dict(data, **{IMAGES: moved(data[IMAGES], dtype)})
    if MASKS in data:
        out[MASKS] = moved(data[MASKS], None)
    return out
