"""Batch normalization, Keras' layer plus ghost batches, on TensorFlow's fused
kernel where it applies."""

import keras
from keras import ops

from kerasreg import _validation
from kerasreg.layers import functional

_RENORM_CLIPPING_KEYS = ("rmax", "rmin", "dmax")


def _check_axis(axis):
    """`axis` as given (an int, or a list of distinct ints)."""
    if isinstance(axis, (list, tuple)):
        if not axis:
            raise _validation.invalid("axis", axis, "an int or a list of ints")
        for item in axis:
            _validation.check_int("axis", item)
        if len(set(axis)) != len(axis):
            raise _validation.invalid("axis", axis, "distinct axes")
        return list(axis)
    return _validation.check_int("axis", axis)


def _check_renorm_clipping(renorm_clipping, renorm):
    if renorm_clipping is None:
        return {} if renorm else None
    if not renorm:
        raise _validation.invalid(
            "renorm_clipping", renorm_clipping, "None when renorm=False"
        )
    if not isinstance(renorm_clipping, dict) or not set(renorm_clipping) <= set(
        _RENORM_CLIPPING_KEYS
    ):
        raise _validation.invalid(
            "renorm_clipping",
            renorm_clipping,
            "a dict with keys among 'rmax', 'rmin', 'dmax'",
        )
    clipping = {
        key: _validation.check_float(f"renorm_clipping['{key}']", value, low=0.0)
        for key, value in renorm_clipping.items()
    }
    if clipping.get("rmin", 0.0) > clipping.get("rmax", float("inf")):
        raise _validation.invalid("renorm_clipping", renorm_clipping, "rmin <= rmax")
    return clipping


def _check_synchronized(synchronized):
    synchronized = _validation.check_bool("synchronized", synchronized)
    if synchronized and keras.backend.backend() != "tensorflow":
        raise _validation.invalid(
            "synchronized",
            synchronized,
            f"False on the {keras.backend.backend()} backend (it needs tf.distribute)",
        )
    return synchronized


_GETTERS = {
    "initializer": (keras.initializers, "a Keras initializer, its name or config"),
    "regularizer": (
        keras.regularizers,
        "a Keras regularizer, its name or config, or None",
    ),
    "constraint": (
        keras.constraints,
        "a Keras constraint, its name or config, or None",
    ),
}


def _get(argument, identifier):
    """`keras.{initializers,regularizers,constraints}.get(identifier)`, with
    an error naming `argument` for a value Keras cannot interpret."""
    module, expected = _GETTERS[argument.rsplit("_", 1)[1]]
    if identifier is None and module is keras.initializers:
        # Keras would fall back to add_weight's glorot_uniform in silence.
        raise _validation.invalid(argument, identifier, expected, error=TypeError)
    try:
        return module.get(identifier)
    except (ValueError, TypeError):
        error = TypeError if not isinstance(identifier, (str, dict)) else ValueError
        raise _validation.invalid(argument, identifier, expected, error=error) from None


def _update(variable, value, momentum, count=None):
    """Moving average step; a batch that counted no element (`count` 0)
    leaves `variable` as it is."""
    updated = variable * momentum + value * (1.0 - momentum)
    if count is not None:
        updated = ops.where(count > 0, updated, variable.value)
    variable.assign(updated)


@keras.saving.register_keras_serializable(package="kerasreg")
class BatchNormalization(keras.layers.BatchNormalization):
    """Batch normalization, a subclass of `keras.layers.BatchNormalization`.

    Training, with the mean mu_B and biased variance var_B of the batch over
    every axis but `axis`:

        y = gamma * (x - mu_B) / sqrt(var_B + epsilon) + beta,
        moving_mean <- momentum * moving_mean + (1 - momentum) * mu_B,
        moving_variance <- momentum * moving_variance + (1 - momentum) * var_B.

    Inference: the same with `moving_mean` and `moving_variance`.

    On TensorFlow, 4D and 5D inputs with the channels last or first go
    through TensorFlow's fused batch-normalization kernel, two to four times
    as fast as Keras' layer in graph mode (on a CPU), where `epsilon` >=
    1.001e-5 and, in training, without a mask, renorm, ghost batches or
    `synchronized`. Otherwise the layer computes one per-channel scale a and
    shift b and returns a * x + b, a single pass over the input.

    Configured alike and given the same weights (same names and order, so
    `set_weights` moves them between the two), outputs, gradients and moving
    statistics match Keras' layer within 1e-5, batch renormalization and
    masks included; `get_config` holds Keras' keys and values. Additions:

    - `virtual_batch_size`: ghost batch normalization; in training each
      sub-batch of `virtual_batch_size` samples is normalized by its own
      statistics (the last one may be smaller, so any batch size works) and
      the moving statistics follow their average. Inference is unchanged.
    - `axis` may be a list of ints: one gamma, beta and statistic per
      position of those axes.
    - statistics and moving averages are float32 under mixed precision.
    - a batch that counts no element (empty, or fully masked) leaves the
      moving statistics as they are; Keras' layer moves them towards 0
      (fully masked) or sets them to NaN (empty).

    Args:
        axis: int or list of ints, the feature axes kept (normalized per
            position); the others are reduced. Defaults to `-1`.
        momentum: float in [0, 1], weight of the old value in the moving
            averages. Defaults to `0.99`.
        epsilon: float > 0, added to the variance. Defaults to `1e-3`.
        center: bool, add the learned offset `beta`. Defaults to `True`.
        scale: bool, multiply by the learned `gamma`. Defaults to `True`.
        beta_initializer: initializer of `beta`. Defaults to `"zeros"`.
        gamma_initializer: initializer of `gamma`. Defaults to `"ones"`.
        moving_mean_initializer: initializer of the moving mean. Defaults to
            `"zeros"`.
        moving_variance_initializer: initializer of the moving variance.
            Defaults to `"ones"`.
        beta_regularizer: regularizer of `beta` or None. Defaults to `None`.
        gamma_regularizer: regularizer of `gamma` or None. Defaults to `None`.
        beta_constraint: constraint on `beta` or None. Defaults to `None`.
        gamma_constraint: constraint on `gamma` or None. Defaults to `None`.
        renorm: bool, use batch renormalization: in training the normalized
            value becomes x_hat * r + d with r = sigma_B / sigma_R and
            d = (mu_B - mu_R) / sigma_R (moving renorm statistics, no
            gradient), clipped by `renorm_clipping`. Defaults to `False`.
        renorm_clipping: dict or None, with optional keys "rmax", "rmin",
            "dmax" clipping r to [rmin, rmax] and d to [-dmax, dmax]; only
            with `renorm=True`. Defaults to `None`.
        renorm_momentum: float in [0, 1], momentum of the renorm statistics.
            Defaults to `0.99`.
        synchronized: bool, under a `tf.distribute` strategy use the
            statistics of the global batch (all replicas); on one device the
            layer is unchanged. TensorFlow backend only. Defaults to `False`.
        virtual_batch_size: int >= 1 or None, the ghost batch size; None
            normalizes by the whole batch. Not with `renorm` or
            `synchronized`; keyword-only. Defaults to `None`.
        **kwargs: base layer arguments (`name`, `dtype`).

    Call arguments:
        inputs: tensor of any rank.
        training: bool, normalize by the batch statistics and update the
            moving ones (True) or by the moving statistics. A layer with
            `trainable=False` always runs in inference mode, like Keras'.
        mask: optional boolean tensor of the inputs' shape without the last
            axis; masked positions do not count in the batch statistics.

    Input shape:
        Any.

    Output shape:
        Same as the input.

    Example:

    >>> layer = kerasreg.layers.BatchNormalization(virtual_batch_size=8)
    >>> x = np.random.default_rng(0).random((32, 4), "float32")
    >>> y = keras.ops.convert_to_numpy(layer(x, training=True))
    >>> y.shape
    (32, 4)
    >>> # Each ghost batch of 8 rows is normalized on its own statistics.
    >>> bool(np.abs(y.reshape(4, 8, 4).mean(axis=1)).max() < 1e-5)
    True

    Reference:
        Ioffe and Szegedy, 2015. Batch Normalization: Accelerating Deep
        Network Training by Reducing Internal Covariate Shift. ICML.
        Ioffe, 2017. Batch Renormalization. NeurIPS.
        Hoffer, Hubara and Soudry, 2017. Train longer, generalize better
        (ghost batch normalization). NeurIPS.
    """

    def __init__(
        self,
        axis=-1,
        momentum=0.99,
        epsilon=1e-3,
        center=True,
        scale=True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        renorm=False,
        renorm_clipping=None,
        renorm_momentum=0.99,
        synchronized=False,
        *,
        virtual_batch_size=None,
        **kwargs,
    ):
        # kerasreg's checks, in its message form and the arguments' order,
        # before Keras' constructor stores the checked values. Keras' takes one int
        # axis (kerasreg's also a list) and, before Keras 3.14, no renorm:
        # those are set here.
        axis = _check_axis(axis)
        checked = {
            "momentum": _validation.check_float(
                "momentum", momentum, 0.0, 1.0, high_inclusive=True
            ),
            "epsilon": _validation.check_float(
                "epsilon", epsilon, low=0.0, low_inclusive=False
            ),
            "center": _validation.check_bool("center", center),
            "scale": _validation.check_bool("scale", scale),
        }
        for argument, identifier in (
            ("beta_initializer", beta_initializer),
            ("gamma_initializer", gamma_initializer),
            ("moving_mean_initializer", moving_mean_initializer),
            ("moving_variance_initializer", moving_variance_initializer),
            ("beta_regularizer", beta_regularizer),
            ("gamma_regularizer", gamma_regularizer),
            ("beta_constraint", beta_constraint),
            ("gamma_constraint", gamma_constraint),
        ):
            checked[argument] = _get(argument, identifier)
        renorm = _validation.check_bool("renorm", renorm)
        renorm_clipping = _check_renorm_clipping(renorm_clipping, renorm)
        renorm_momentum = _validation.check_float(
            "renorm_momentum", renorm_momentum, 0.0, 1.0, high_inclusive=True
        )
        checked["synchronized"] = _check_synchronized(synchronized)
        super().__init__(**checked, **kwargs)
        self.axis = axis
        self.renorm = renorm
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.virtual_batch_size = self._check_virtual_batch_size(virtual_batch_size)

    def _check_virtual_batch_size(self, virtual_batch_size):
        if virtual_batch_size is None:
            return None
        virtual_batch_size = _validation.check_int(
            "virtual_batch_size", virtual_batch_size, low=1
        )
        for other in ("renorm", "synchronized"):
            if getattr(self, other):
                raise _validation.invalid(
                    "virtual_batch_size",
                    virtual_batch_size,
                    f"None when {other}=True",
                )
        return virtual_batch_size

    def _resolve_axes(self, ndim):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        if any(not -ndim <= a < ndim for a in axes):
            raise _validation.invalid(
                "axis",
                self.axis,
                f"axes in [-{ndim}, {ndim}) for inputs of rank {ndim}",
            )
        resolved = sorted(a % ndim for a in axes)
        if len(set(resolved)) != len(resolved):
            raise _validation.invalid("axis", self.axis, "distinct axes")
        if self.virtual_batch_size is not None and 0 in resolved:
            raise _validation.invalid(
                "axis", self.axis, "no batch axis 0 with virtual_batch_size"
            )
        return resolved

    def build(self, input_shape):
        # kerasreg's own: Keras' builds from one int axis, with its own
        # message for a bad one, and has no renorm weights before Keras 3.14.
        # So Keras' private `_reduction_axes` stays unset, and the Keras
        # helpers that read it (`_moments`) are not this layer's: its `call`
        # is kerasreg's.
        ndim = len(input_shape)
        self._axes = self._resolve_axes(ndim)
        self._reduced_axes = tuple(i for i in range(ndim) if i not in self._axes)
        self._broadcast_shape = tuple(
            input_shape[i] if i in self._axes else 1 for i in range(ndim)
        )
        shape = tuple(input_shape[a] for a in self._axes)
        if None in shape:
            raise _validation.invalid(
                "axis",
                self.axis,
                f"axes of known size in inputs of shape {input_shape}",
            )
        self._add_weights(shape)
        self.input_spec = keras.InputSpec(
            ndim=ndim, axes={a: input_shape[a] for a in self._axes}
        )

    def _add_weights(self, shape):
        # Names and order as in Keras' layer, so that weights move between them.
        if self.scale:
            self.gamma = self.add_weight(
                shape=shape,
                name="gamma",
                initializer=self.gamma_initializer,
                regularizer=self.gamma_regularizer,
                constraint=self.gamma_constraint,
                autocast=False,
            )
        if self.center:
            self.beta = self.add_weight(
                shape=shape,
                name="beta",
                initializer=self.beta_initializer,
                regularizer=self.beta_regularizer,
                constraint=self.beta_constraint,
                autocast=False,
            )
        for name, initializer in (
            ("moving_mean", self.moving_mean_initializer),
            ("moving_variance", self.moving_variance_initializer),
        ):
            setattr(self, name, self._add_statistic(name, initializer, shape))
        if self.renorm:
            # Renorm tracks standard deviations, started at sqrt(initial variance).
            variance_config = keras.initializers.serialize(
                self.moving_variance_initializer
            )

            def stddev_initializer(shape, dtype=None):
                initializer = keras.initializers.deserialize(variance_config)
                return ops.sqrt(initializer(shape, dtype=dtype))

            mean_config = keras.initializers.serialize(self.moving_mean_initializer)
            for name, initializer in (
                ("moving_stddev", stddev_initializer),
                ("renorm_mean", keras.initializers.deserialize(mean_config)),
                ("renorm_stddev", stddev_initializer),
            ):
                setattr(self, name, self._add_statistic(name, initializer, shape))

    def _add_statistic(self, name, initializer, shape):
        return self.add_weight(
            shape=shape,
            name=name,
            initializer=initializer,
            trainable=False,
            autocast=False,
        )

    def _check_mask(self, inputs, mask):
        if mask is not None and len(mask.shape) != len(inputs.shape) - 1:
            raise _validation.invalid(
                "mask",
                f"a tensor of shape {tuple(mask.shape)}",
                f"a mask of rank {len(inputs.shape) - 1} for inputs of shape "
                f"{tuple(inputs.shape)}",
            )

    def _params(self, dtype):
        """gamma and beta (or None) in `dtype`, shaped to broadcast."""
        return tuple(
            None
            if weight is None
            else ops.reshape(ops.cast(weight, dtype), self._broadcast_shape)
            for weight in (self.gamma, self.beta)
        )

    def _as_param(self, statistic):
        return ops.reshape(statistic, self.moving_mean.shape)

    def _broadcast(self, statistic, dtype):
        return ops.reshape(ops.cast(statistic, dtype), self._broadcast_shape)

    def call(self, inputs, training=None, mask=None):
        self._check_mask(inputs, mask)
        training = bool(training) and self.trainable
        data_format = self._fused_data_format(inputs, training, mask)
        if data_format is not None:
            return self._fused_call(inputs, training, data_format)
        # Statistics of float16 or bfloat16 inputs overflow or lose precision,
        # so everything is computed in (at least) float32.
        x = ops.cast(inputs, keras.backend.result_type(inputs.dtype, "float32"))
        gamma, beta = self._params(x.dtype)
        if training:
            if self.virtual_batch_size is not None:
                outputs = self._ghost_batch_norm(x, mask, gamma, beta)
                return ops.cast(outputs, self.compute_dtype)
            mean, variance, count = self._batch_moments(x, mask)
            if self.renorm:
                gamma, beta = self._renorm(mean, variance, count, gamma, beta)
            else:
                for variable, statistic in (
                    (self.moving_mean, mean),
                    (self.moving_variance, variance),
                ):
                    _update(variable, self._as_param(statistic), self.momentum, count)
        else:
            mean = self._broadcast(self.moving_mean, x.dtype)
            variance = self._broadcast(self.moving_variance, x.dtype)
        a, b = functional.scale_and_shift(mean, variance, gamma, beta, self.epsilon)
        return ops.cast(x * a + b, self.compute_dtype)

    def _fused_data_format(self, inputs, training, mask):
        """The data format of TensorFlow's fused kernel for this call, or None
        where the `keras.ops` path runs.

        The fused kernel is the faster path on TensorFlow (see
        `_tf_fused_batch_norm`), for 4D and 5D inputs with the channels last
        or first. The `keras.ops` path runs every other backend and input, and
        in training what the kernel cannot do: masks, batch renormalization,
        ghost batches and statistics synchronized across replicas. Inference
        is the same for all of them.
        """
        if keras.backend.backend() != "tensorflow" or (
            training
            and (
                mask is not None
                or self.renorm
                or self.synchronized
                or self.virtual_batch_size is not None
            )
        ):
            return None
        from kerasreg.layers import _tf_fused_batch_norm

        return _tf_fused_batch_norm.data_format(
            len(inputs.shape),
            self._axes,
            self.epsilon,
            keras.backend.standardize_dtype(inputs.dtype),
            keras.backend.standardize_dtype(self.moving_mean.dtype),
        )

    def _fused_call(self, inputs, training, data_format):
        """Training or inference through TensorFlow's fused kernel."""
        from kerasreg.layers import _tf_fused_batch_norm

        if not training:
            outputs = _tf_fused_batch_norm.normalize(
                inputs,
                self.gamma,
                self.beta,
                self.moving_mean,
                self.moving_variance,
                self.epsilon,
                data_format,
            )
            return ops.cast(outputs, self.compute_dtype)
        outputs, mean, variance, count = _tf_fused_batch_norm.normalize_batch(
            inputs, self.gamma, self.beta, self.epsilon, data_format
        )
        for variable, statistic in (
            (self.moving_mean, mean),
            (self.moving_variance, variance),
        ):
            _update(variable, statistic, self.momentum, count)
        return ops.cast(outputs, self.compute_dtype)

    def _all_reduce(self):
        if not self.synchronized:
            return None
        from kerasreg.layers import _tf_all_reduce

        return _tf_all_reduce.all_reduce_sum

    def _batch_moments(self, x, mask):
        """Batch mean and variance, shaped to broadcast against `x`, and the
        number of elements they count (per channel with a mask)."""
        if mask is None:
            mean, variance = ops.moments(
                x, self._reduced_axes, keepdims=True, synchronized=self.synchronized
            )
            # Only an empty batch counts nothing; its statistics are NaN. A
            # synchronized layer's replicas must agree, so it keeps Keras' rule.
            return mean, variance, None if self.synchronized else ops.size(x)
        weights = ops.expand_dims(mask, -1)
        mean, variance, count = functional.weighted_moments(
            x, weights, self._reduced_axes, all_reduce=self._all_reduce()
        )
        return mean, variance, self._as_param(count)

    def _renorm(self, mean, variance, count, gamma, beta):
        """Batch renormalization as in Keras' layer: update the statistics and
        return gamma and beta with the (r, d) correction folded in."""
        mean, variance = self._as_param(mean), self._as_param(variance)
        stddev = ops.sqrt(variance + self.epsilon)
        renorm_stddev = ops.maximum(self.renorm_stddev, ops.sqrt(self.epsilon))
        r = stddev / renorm_stddev
        d = (mean - self.renorm_mean) / renorm_stddev
        clipping = self.renorm_clipping
        r = ops.clip(r, clipping.get("rmin", 0.0), clipping.get("rmax", float("inf")))
        if "dmax" in clipping:
            d = ops.clip(d, -clipping["dmax"], clipping["dmax"])
        r = self._broadcast(ops.stop_gradient(r), stddev.dtype)
        d = self._broadcast(ops.stop_gradient(d), stddev.dtype)

        _update(self.renorm_mean, mean, self.renorm_momentum, count)
        _update(self.renorm_stddev, stddev, self.renorm_momentum, count)
        _update(self.moving_mean, mean, self.momentum, count)
        _update(self.moving_stddev, stddev, self.momentum, count)
        # relu: rounding may take stddev**2 - epsilon just below 0.
        self.moving_variance.assign(
            ops.relu(ops.square(self.moving_stddev) - self.epsilon)
        )
        new_gamma = r if gamma is None else r * gamma
        new_beta = d if gamma is None else d * gamma
        return new_gamma, new_beta if beta is None else new_beta + beta

    def _ghost_batch_norm(self, x, mask, gamma, beta):
        """Normalize each sub-batch of `virtual_batch_size` samples by its own
        statistics; the moving statistics follow their count-weighted mean.

        The batch is zero-padded to a multiple of the sub-batch size, and the
        padding gets weight 0, so any batch size works with one reshape.
        """
        size = self.virtual_batch_size
        shape = ops.shape(x)
        batch = shape[0]
        weights = ops.ones((batch,) + (1,) * (len(x.shape) - 1), x.dtype)
        if mask is not None:
            weights = weights * ops.cast(ops.expand_dims(mask, -1), x.dtype)
        padding = (-batch) % size
        grouped = []
        for tensor in (x, weights):
            pads = [[0, padding]] + [[0, 0]] * (len(x.shape) - 1)
            padded = ops.pad(tensor, pads)
            grouped.append(ops.reshape(padded, (-1, size, *ops.shape(tensor)[1:])))
        x_groups, weight_groups = grouped
        axes = (1,) + tuple(axis + 1 for axis in self._reduced_axes if axis != 0)
        mean, variance, count = functional.weighted_moments(
            x_groups, weight_groups, axes
        )
        a, b = functional.scale_and_shift(mean, variance, gamma, beta, self.epsilon)
        outputs = ops.reshape(x_groups * a + b, (-1, *shape[1:]))[:batch]

        total = ops.sum(count, axis=0)
        for variable, statistic in (
            (self.moving_mean, mean),
            (self.moving_variance, variance),
        ):
            average = ops.divide_no_nan(ops.sum(statistic * count, axis=0), total)
            _update(
                variable,
                self._as_param(average),
                self.momentum,
                self._as_param(total),
            )
        return outputs

    def compute_output_shape(self, input_shape):
        self._resolve_axes(len(input_shape))
        return input_shape

    def get_config(self):
        # Keras' config has the renorm arguments from Keras 3.14 on only.
        return {
            **super().get_config(),
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
            "virtual_batch_size": self.virtual_batch_size,
        }


# The layers `fold_batch_norm` and `recalibrate_batch_norm` treat as batch
# normalization: Keras' own and so kerasreg's, which hold the same weights.
BATCH_NORM_TYPES = (keras.layers.BatchNormalization,)
