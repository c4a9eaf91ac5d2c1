"""TensorFlow's fused batch-normalization kernel, BatchNormalization's fast path.

Keras 3 builds batch normalization from `keras.ops` (moments, then a scale and
shift): several kernels and passes over the input each way. TensorFlow ships
one kernel for both directions, `FusedBatchNormV3` (what tf.keras 2 used; cuDNN
on GPUs). In graph mode on a CPU, where Keras trains by default (`fit` turns
XLA off there), a BN layer's forward and backward pass then take a quarter to
a half of Keras' time (benchmarks/bench_layers.py). Under XLA the kernel lowers
to XLA's own batch-norm operations, within a few per cent of the `keras.ops`
form's time; a layer cannot tell through public API whether it is compiled
with XLA, so it takes the kernel in both. It takes 4D and 5D inputs with the
channels last or first.

Its numbers are Keras': the output is normalized by the biased batch
variance. Only the variance the kernel returns for moving averages is the
unbiased one (n / (n - 1) times the biased); `normalize_batch` scales it back.
"""

import tensorflow as tf

# TensorFlow's wrapper raises a smaller epsilon to this (cuDNN's minimum); with
# one below it the kernel would not give Keras' numbers.
_MIN_EPSILON = 1.001e-5

# (rank, channel axis) -> the kernel's data format.
_DATA_FORMATS = {
    (4, 3): "NHWC",
    (4, 1): "NCHW",
    (5, 4): "NDHWC",
    (5, 1): "NCDHW",
}

_INPUT_DTYPES = ("float16", "bfloat16", "float32")


def data_format(rank, axes, epsilon, input_dtype, statistics_dtype):
    """The kernel's data format for inputs of `rank` normalized along `axes`
    (sorted, non-negative), or None where the kernel does not apply: another
    rank or axis, an epsilon below its minimum, float64, or statistics in
    another dtype than float32 (the kernel's accumulation type)."""
    if (
        len(axes) != 1
        or epsilon < _MIN_EPSILON
        or input_dtype not in _INPUT_DTYPES
        or statistics_dtype != "float32"
    ):
        return None
    return _DATA_FORMATS.get((rank, axes[0]))


def _affine(scale, offset, channels):
    # The kernel always scales and shifts: by 1 and 0 where the layer has no
    # gamma or beta.
    scale = tf.ones([channels]) if scale is None else scale
    offset = tf.zeros([channels]) if offset is None else offset
    return scale, offset


def normalize_batch(x, scale, offset, epsilon, data_format):
    """Training: y = scale * (x - mu_B) / sqrt(var_B + epsilon) + offset.

    Args:
        x: float16, bfloat16 or float32 tensor of rank 4 or 5.
        scale, offset: float32 per-channel tensors, or None (1 and 0).
        epsilon: float >= 1.001e-5.
        data_format: one of `data_format`'s results.

    Returns:
        `(y, mean, variance, count)`: y in x's dtype; the batch mean and the
        biased batch variance per channel (float32); the number of elements
        each channel counts (float32, 0 for an empty batch, whose statistics
        are NaN).
    """
    channels = x.shape[data_format.index("C")]
    scale, offset = _affine(scale, offset, channels)
    y, mean, unbiased, *_ = tf.compat.v1.nn.fused_batch_norm(
        x,
        scale,
        offset,
        epsilon=epsilon,
        data_format=data_format,
        is_training=True,
    )
    # int64: a batch of 2**31 elements or more overflows int32.
    count = tf.cast(tf.size(x, out_type=tf.int64) // channels, tf.float32)
    # The kernel divides by max(n - 1, 1); Keras' variance by n.
    variance = unbiased * (tf.maximum(count - 1.0, 1.0) / count)
    return y, mean, variance, count


def normalize(x, scale, offset, mean, variance, epsilon, data_format):
    """Inference: y = scale * (x - mean) / sqrt(variance + epsilon) + offset,
    with given per-channel float32 `mean` and `variance`; y in x's dtype."""
    scale, offset = _affine(scale, offset, x.shape[data_format.index("C")])
    y, *_ = tf.compat.v1.nn.fused_batch_norm(
        x,
        scale,
        offset,
        mean=mean,
        variance=variance,
        epsilon=epsilon,
        data_format=data_format,
        is_training=False,
    )
    return y
