"""What the geometric layers share: input handling and one fused resampling.

A geometric layer only draws parameters and turns them into matrices
(`get_random_transformation`); `apply_geometry` multiplies the matrices of a
run of layers and resamples images, masks and boxes once. A layer alone is a
run of one, and `Pipeline` passes longer runs.

The layers are Keras `DataLayer`s (`_keras_data_layer`): inside a `tf.data`
map under another backend they draw and warp with TensorFlow's ops.
"""

import functools
import numbers

import keras

from kerasreg import _validation
from kerasreg.augmentation import _keras_data_layer, functional

IMAGES, MASKS, BOXES = "images", "segmentation_masks", "bounding_boxes"
# The resampling of a run without a rotation or scale: flips and integer
# crops land exactly on pixel centres, so nearest is exact and cheapest.
_EXACT_RESAMPLING = ("nearest", "constant", 0.0)


class BaseGeometricLayer(_keras_data_layer.DataLayer):
    """A layer that moves pixels by a per-image affine map.

    Subclasses implement `get_random_transformation` (training draws) and,
    when the output size or the inference geometry differ from the identity,
    `compute_output_size` and `inference_offset`. They draw with
    `self.backend.random` and `self.seed_generator()` and build matrices with
    `self.ops`, which follow the backend the layer runs on.
    """

    _SUPPORTED_INTERPOLATIONS = functional.INTERPOLATIONS
    _SUPPORTED_FILL_MODES = functional.FILL_MODES

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None:
            _validation.check_int("seed", seed)
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)
        self.supports_masking = False

    # How the layer resamples: None when it only moves whole pixels, else
    # (interpolation, fill_mode, fill_value); a fused run shares one.
    resampling = None

    def _set_resampling(self, interpolation, fill_mode, fill_value):
        self.interpolation = _validation.check_choice(
            "interpolation", interpolation, self._SUPPORTED_INTERPOLATIONS
        )
        self.fill_mode = _validation.check_choice(
            "fill_mode", fill_mode, self._SUPPORTED_FILL_MODES
        )
        self.fill_value = _validation.check_float("fill_value", fill_value)
        self.resampling = (self.interpolation, self.fill_mode, self.fill_value)

    def _resampling_config(self):
        return {
            "fill_mode": self.fill_mode,
            "interpolation": self.interpolation,
            "fill_value": self.fill_value,
        }

    def _seed(self, seed):
        """The given seed (a Pipeline's), else the layer's own generator."""
        return self.seed_generator() if seed is None else seed

    def _uniform_per_image(self, batch_size, seed):
        """One draw per image from [self.lower, self.upper]."""
        return self.backend.random.uniform(
            (batch_size,), minval=self.lower, maxval=self.upper, seed=self._seed(seed)
        )

    def get_random_transformation(self, batch_size, height, width, seed=None):
        """Draw per-image parameters; return a dict with "matrix" (N, 3, 3)."""
        raise NotImplementedError  # abstract: every subclass defines it

    def compute_output_size(self, height, width):
        """The (height, width) of the output for an input of (height, width)."""
        return height, width

    def inference_offset(self, height, width):
        """(top, left) of the window kept at inference (the output size)."""
        return 0, 0

    def call(self, data, training=True):
        return apply_geometry(
            data, [self], training, self.compute_dtype, self.backend.name
        )

    def compute_output_spec(self, data, training=True):
        return geometry_output_spec(data, [self], self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def parse_range(argument, value, from_number, expected):
    """(lower, upper) floats from a pair, or `from_number(value)` for a number.

    The caller checks the bounds; anything else is a TypeError.
    """

    def is_number(v):
        return isinstance(v, numbers.Real) and not isinstance(v, bool)

    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(map(is_number, value))
    ):
        return float(value[0]), float(value[1])
    if is_number(value):
        return tuple(float(b) for b in from_number(value))
    raise _validation.invalid(argument, value, expected, TypeError)


def _check_rank(images):
    rank = len(images.shape)
    if rank not in (3, 4):
        raise _validation.invalid(
            "images.shape",
            tuple(images.shape),
            "a rank of 3 (height, width, channels) or 4 (batch, height, width, "
            "channels)",
        )
    return rank == 3


def _unpack(data):
    """Split `data` into (images, masks, boxes, rebuild) with a batch axis."""
    if not isinstance(data, dict):
        single = _check_rank(data)
        images = data[None] if single else data
        return images, None, None, lambda i, m, b: i[0] if single else i
    if IMAGES not in data:
        raise _validation.invalid(
            "data", sorted(data), f'a dict with an "{IMAGES}" entry', TypeError
        )
    single = _check_rank(data[IMAGES])
    batch = (lambda t: None if t is None else t[None]) if single else (lambda t: t)
    unbatch = (lambda t: None if t is None else t[0]) if single else (lambda t: t)
    boxes = data.get(BOXES)
    box_tensor = boxes["boxes"] if isinstance(boxes, dict) else boxes

    def rebuild(images, masks, new_boxes):
        out = dict(data, **{IMAGES: unbatch(images)})
        if masks is not None:
            out[MASKS] = unbatch(masks)
        if new_boxes is not None:
            new_boxes = unbatch(new_boxes)
            out[BOXES] = (
                dict(boxes, boxes=new_boxes) if isinstance(boxes, dict) else new_boxes
            )
        return out

    return batch(data[IMAGES]), batch(data.get(MASKS)), batch(box_tensor), rebuild


def _warp_kernel(backend):
    # On TensorFlow the XLA-compiled kernel is several times faster in tf.data
    # and in graph mode; it is the same function, compiled.
    if backend == "tensorflow":
        from kerasreg.augmentation import tensorflow_xla

        return tensorflow_xla.warp
    return functools.partial(
        functional.warp, ops=_keras_data_layer.backend_ops(backend)
    )


def _run_resampling(layers):
    for layer in layers:
        if layer.resampling is not None:
            return layer.resampling
    return _EXACT_RESAMPLING


def apply_geometry(data, layers, training, dtype, backend, seed=None):
    """Apply a run of geometric layers to `data` with ONE resampling.

    In training each layer draws its matrices (from `seed`, a
    `keras.random.SeedGenerator`, when given, else from its own), the matrices
    are composed, and images, masks and boxes are moved once. At inference the
    run keeps the window of its crops, without resampling. Everything runs on
    `backend` (a name: "tensorflow" inside tf.data, else Keras' backend).
    """
    with _keras_data_layer.backend_scope(layers, backend):
        return _apply_geometry(data, layers, training, dtype, backend, seed)


def _apply_geometry(data, layers, training, dtype, backend, seed):
    ops = _keras_data_layer.backend_ops(backend)
    images, masks, boxes, rebuild = _unpack(data)
    batch, height, width = ops.shape(images)[:3]
    size, matrices = (height, width), []
    top, left = 0, 0
    for layer in layers:
        if training:
            draws = layer.get_random_transformation(batch, *size, seed=seed)
            matrices.append(draws["matrix"])
        else:
            dt, dl = layer.inference_offset(*size)
            top, left = top + dt, left + dl
        size = layer.compute_output_size(*size)

    if training:
        matrix = functional.compose(*matrices, ops=ops)
        interpolation, fill_mode, fill_value = _run_resampling(layers)
        warp = _warp_kernel(backend)
        images = warp(images, matrix, size, interpolation, fill_mode, fill_value)
        if masks is not None:
            masks = warp(masks, matrix, size, "nearest", fill_mode, fill_value)
    elif _is_identity(top, left, size, (height, width)):
        # Nothing moves at inference: boxes that stick out are left as given.
        return rebuild(ops.cast(images, dtype), masks, boxes)
    else:
        images = images[:, top : top + size[0], left : left + size[1], :]
        if masks is not None:
            masks = masks[:, top : top + size[0], left : left + size[1], :]
        matrix = functional.crop_matrix(
            ops.full((batch,), top, "float32"),
            ops.full((batch,), left, "float32"),
            ops=ops,
        )
    if boxes is not None:
        boxes = functional.transform_boxes(boxes, matrix, size, ops=ops)
    return rebuild(ops.cast(images, dtype), masks, boxes)


def _is_identity(top, left, size, input_size):
    # Offsets and sizes are Python ints when the shape is static; a dynamic
    # one (a tensor) is treated as a move.
    same = all(
        a is b or (isinstance(a, int) and a == b)
        for a, b in zip(size, input_size, strict=True)
    )
    return same and isinstance(top, int) and isinstance(left, int) and top == left == 0


def geometry_output_spec(data, layers, dtype):
    """Symbolic outputs of `apply_geometry` (shapes and dtypes, no tracing)."""
    images = data[IMAGES] if isinstance(data, dict) else data
    _check_rank(images)
    size = tuple(images.shape[-3:-1])
    for layer in layers:
        size = tuple(layer.compute_output_size(*size))

    def moved(tensor, new_dtype):
        shape = tuple(tensor.shape)
        shape = shape[:-3] + size + shape[-1:]
        return keras.KerasTensor(shape, dtype=new_dtype or tensor.dtype)

    if not isinstance(data, dict):
        return moved(data, dtype)
    out = dict(data, **{IMAGES: moved(data[IMAGES], dtype)})
    if MASKS in data:
        out[MASKS] = moved(data[MASKS], None)
    return out
