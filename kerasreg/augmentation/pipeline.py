"""Pipeline: augmentation layers in order, geometric runs fused into one warp."""

import keras

from kerasreg import _keras_private, _validation
from kerasreg.augmentation.base import (
    BaseGeometricLayer,
    apply_geometry,
    geometry_output_spec,
    standardize_data_format,
)

_KINDS = "kerasreg.augmentation's or Keras' own, such as keras.layers.RandomContrast"
_LAYERS_EXPECTED = f"a non-empty list of preprocessing layers ({_KINDS})"
_LAYER_EXPECTED = f"a preprocessing layer ({_KINDS})"


def split_runs(layers):
    """Group consecutive kerasreg geometric layers that can share one resampling.

    Returns a list whose items are a list (a run to fuse) or another layer.
    A run breaks where two rotation / scale layers ask for different
    interpolation or fill settings, since one warp honours only one.
    """
    stages = []
    for layer in layers:
        if not isinstance(layer, BaseGeometricLayer):
            stages.append(layer)
        elif stages and isinstance(stages[-1], list) and _compatible(stages[-1], layer):
            stages[-1].append(layer)
        else:
            stages.append([layer])
    return stages


def _check_shared(
    layers, attribute, allowed=None, source="the pipeline's other layers"
):
    """Every layer with `attribute` has the same value: `allowed`'s one when
    given (named by `source`), else the first layer's."""
    for k, layer in enumerate(layers):
        if not hasattr(layer, attribute):
            continue
        value = getattr(layer, attribute)
        if allowed is None:
            allowed = {value}
        if value not in allowed:
            (expected,) = allowed
            raise _validation.invalid(
                f"layers[{k}].{attribute}", value, f"{expected!r}, as {source}"
            )


def _compatible(run, layer):
    return len({member.resampling for member in [*run, layer]} - {None}) <= 1


@keras.saving.register_keras_serializable(package="kerasreg")
class Pipeline(_keras_private.DataLayer):
    """Runs augmentation layers in order, fusing geometric runs into one warp.

    Consecutive kerasreg geometric layers (RandomRotation, RandomScale,
    RandomZoom, RandomTranslation, RandomFlip, RandomCrop) form a run. In
    training each layer of a run draws its per-image matrix M_k for the size
    it sees, the matrices are multiplied,

        M = M_1 @ M_2 @ ... @ M_K,

    and the images are resampled ONCE, directly at the run's output (crop)
    size: output[p] = input[M @ p]. One interpolation instead of K blurs less
    (each extra bilinear pass costs contrast) and reads memory once. Masks
    and boxes take the same M. Any other layer (e.g.
    `keras.layers.RandomContrast`) runs as itself between the runs. A run
    uses the interpolation / fill settings of its rotation or scale layers;
    where two of them differ the run is split. At inference each run keeps
    the centre windows of its crops and nothing else moves.

    Given the same draws, `Pipeline([a, b])` equals `b(a(x))` up to the one
    interpolation saved (exactly, when only flips and crops are fused).

    Args:
        layers: list of Keras layers, applied in order.
        seed: int or None. None: each kerasreg layer draws from its own seed
            (so the pipeline repeats the draws of the layers called one by
            one). An int: the kerasreg layers draw from one generator seeded
            with it instead. Other Keras layers always use their own seeds.
            Defaults to `None`.
        data_format: "channels_last" or "channels_first", or None for
            `keras.config.image_data_format()`; every layer in the list that
            has a `data_format` must have this one. Defaults to `None`.
        **kwargs: base layer arguments (`name`, `dtype`).

    Every layer that has a `bounding_box_format` must have the same one
    (the format of the boxes that pass through).

    Call arguments:
        data: images or a dict with "images", optional "segmentation_masks"
            and "bounding_boxes", as in `RandomRotation`.
        training: bool, augment when True. Defaults to `True`; a model passes
            False outside `fit`.

    Input shape:
        (N, H, W, C) or (H, W, C); (N, C, H, W) or (C, H, W) in
        "channels_first".

    Output shape:
        That of the last layer: (N, h, w, C) with (h, w) the last crop's size.

    Example:

    >>> augmentation = kerasreg.augmentation
    >>> pipeline = augmentation.Pipeline(
    ...     [
    ...         augmentation.RandomRotation(0.05),
    ...         augmentation.RandomScale((0.9, 1.1)),
    ...         augmentation.RandomFlip("horizontal"),
    ...         augmentation.RandomCrop(24, 24),
    ...         keras.layers.RandomContrast(0.2),
    ...     ],
    ...     seed=0,
    ... )
    >>> images = np.random.default_rng(0).random((8, 32, 32, 3), "float32")
    >>> keras.ops.shape(pipeline(images, training=True))
    (8, 24, 24, 3)
    """

    def __init__(self, layers, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(layers, (list, tuple)):
            raise _validation.invalid("layers", layers, _LAYERS_EXPECTED, TypeError)
        if not layers:
            raise _validation.invalid("layers", layers, _LAYERS_EXPECTED)
        for k, layer in enumerate(layers):
            if not _keras_private.is_preprocessing_layer(layer):
                raise _validation.invalid(
                    f"layers[{k}]",
                    layer,
                    _LAYER_EXPECTED,
                    TypeError,
                )
        if seed is not None:
            _validation.check_int("seed", seed)
        self.data_format = standardize_data_format(data_format)
        _check_shared(
            layers, "data_format", {self.data_format}, "the pipeline's data_format"
        )
        _check_shared(layers, "bounding_box_format")
        self.pipeline_layers = list(layers)
        self.seed = seed
        self.generator = None if seed is None else keras.random.SeedGenerator(seed)
        self._stages = split_runs(self.pipeline_layers)

    def build(self, input_shape):
        # Nothing here depends on the input shape; Keras layers in the list
        # build on their first call, kerasreg's have no shape-bound state.
        self.built = True

    def call(self, data, training=True):
        backend = self.backend.name
        seed = None if self.generator is None else self.seed_generator()
        for stage in self._stages:
            if isinstance(stage, list):
                data = apply_geometry(
                    data, stage, training, self.compute_dtype, backend, seed=seed
                )
            else:
                # Keras' preprocessing layers write into a dict they are given.
                data = stage(
                    dict(data) if isinstance(data, dict) else data, training=training
                )
        return data

    def compute_output_spec(self, data, training=True):
        for stage in self._stages:
            if isinstance(stage, list):
                data = geometry_output_spec(data, stage, self.compute_dtype)
            else:
                data = stage.compute_output_spec(data, training=training)
        return data

    def get_config(self):
        return {
            **super().get_config(),
            "layers": [keras.layers.serialize(layer) for layer in self.pipeline_layers],
            "seed": self.seed,
            "data_format": self.data_format,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layers"] = [keras.layers.deserialize(c) for c in config["layers"]]
        return cls(**config)
