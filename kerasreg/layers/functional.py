"""Pure kernels of the kerasreg layers.

Every value, random noise included, comes in as an argument, so each kernel is
a deterministic function with exact, hand-checkable results. The layers draw
the noise and call these.
"""

from keras import ops


def dropout(inputs, rate, noise):
    """Inverted dropout: `inputs / (1 - rate)` where `noise >= rate`, else 0.

    A dropped unit is exactly 0 whatever its value (inf and NaN included).

    Args:
        inputs: Tensor.
        rate: Python float in [0, 1), the probability of dropping a unit.
        noise: Tensor of U[0, 1) samples broadcastable to `inputs`; a unit is
            kept where its noise is `>= rate`, i.e. with probability 1 - rate.
            Per-sample noise of shape `(batch, 1, ..., 1)` gives drop path.

    Returns:
        A tensor like `inputs`.
    """
    scale = ops.cast(1.0 / (1.0 - rate), inputs.dtype)
    keep = ops.greater_equal(noise, rate)
    return ops.where(keep, inputs * scale, ops.zeros((), inputs.dtype))


def drop_block_keep_mask(noise, rate, block_size):
    """The DropBlock keep mask (1 kept, 0 dropped) for channels-last `noise`.

    A unit seeds a dropped `block_size` x `block_size` block with probability
    gamma = rate * H * W / (block_size**2 * (H - block_size + 1) *
    (W - block_size + 1)), counting only seeds whose whole block lies inside
    the feature map, so that about `rate` of the units are dropped.

    Args:
        noise: Tensor `(batch, H, W, channels)` of U[0, 1) samples, static
            `H` and `W`.
        rate: Python float in [0, 1).
        block_size: Python int in [1, min(H, W)].

    Returns:
        A float32 tensor shaped like `noise`.
    """
    height, width = noise.shape[1], noise.shape[2]
    gamma = (
        rate
        * height
        * width
        / (block_size**2 * (height - block_size + 1) * (width - block_size + 1))
    )
    # With "same" max pooling a seed at i covers [i - block_size // 2,
    # i + (block_size - 1) // 2]; seeds outside these bounds would be clipped.
    rows = ops.arange(height)
    cols = ops.arange(width)
    low, high_margin = block_size // 2, (block_size - 1) // 2
    valid_rows = ops.logical_and(rows >= low, rows < height - high_margin)
    valid_cols = ops.logical_and(cols >= low, cols < width - high_margin)
    valid = ops.logical_and(valid_rows[:, None], valid_cols[None, :])
    seeds = ops.logical_and(ops.less(noise, gamma), valid[None, :, :, None])
    dropped = ops.max_pool(
        ops.cast(seeds, "float32"), pool_size=block_size, strides=1, padding="same"
    )
    return 1.0 - dropped


def drop_block(inputs, keep_mask):
    """Apply a DropBlock `keep_mask`, rescaled so the batch keeps its sum.

    Each kept unit is multiplied by count(mask) / sum(mask), as in the paper
    and timm; a dropped unit is exactly 0 whatever its value (inf and NaN
    included), and a batch with every unit dropped gives zeros.

    Args:
        inputs: Tensor.
        keep_mask: Float32 tensor of 0 and 1 with the shape of `inputs`.

    Returns:
        A tensor like `inputs`.
    """
    kept = ops.sum(keep_mask)
    scale = ops.divide_no_nan(ops.cast(ops.size(keep_mask), "float32"), kept)
    return ops.where(
        keep_mask > 0,
        inputs * ops.cast(scale, inputs.dtype),
        ops.zeros((), inputs.dtype),
    )


def weighted_moments(x, weights, axes, all_reduce=None):
    """Weighted mean and biased variance of `x` over `axes`, kept as dims.

    Two passes (mean, then the mean squared deviation), which stays accurate
    when the mean is large against the spread.

    Args:
        x: Float tensor.
        weights: Tensor broadcastable to `x`, 1 for counted elements and 0
            for masked ones.
        axes: Tuple of ints, the axes reduced.
        all_reduce: Optional callable summing a list of tensors across
            replicas, for statistics of a global batch.

    Returns:
        `(mean, variance, count)`, each with the reduced axes kept as size 1;
        `count` is the summed weight. Where it is 0, mean and variance are 0.
    """
    weights = ops.broadcast_to(ops.cast(weights, x.dtype), ops.shape(x))
    count = ops.sum(weights, axes, keepdims=True)
    total = ops.sum(x * weights, axes, keepdims=True)
    if all_reduce is not None:
        count, total = all_reduce([count, total])
    mean = ops.divide_no_nan(total, count)
    squares = ops.sum(ops.square(x - mean) * weights, axes, keepdims=True)
    if all_reduce is not None:
        (squares,) = all_reduce([squares])
    return mean, ops.divide_no_nan(squares, count), count


def scale_and_shift(mean, variance, gamma, beta, epsilon):
    """Per-channel `(a, b)` with `gamma * (x - mean) / sqrt(variance + epsilon)
    + beta == a * x + b`; `gamma` and `beta` may be None (1 and 0).

    Normalizing as one multiply-add over the input is what makes the layer as
    fast as a fused kernel.
    """
    a = ops.rsqrt(variance + epsilon)
    if gamma is not None:
        a = a * gamma
    b = -mean * a
    if beta is not None:
        b = b + beta
    return a, b
