"""Pure penalty and proximal kernels over one weight tensor, in `keras.ops`.

The regularizers and the `Proximal` optimizer are thin wrappers over these.
Reductions run in float32 whatever the weight dtype: a float16 sum of squares
over millions of weights overflows at 65504.
"""

from keras import ops

_HALF_DTYPES = ("float16", "bfloat16")


def as_float32(w):
    """`w` upcast to float32 if it is a half-precision tensor, else unchanged."""
    w = ops.convert_to_tensor(w)
    if ops.dtype(w) in _HALF_DTYPES:
        return ops.cast(w, "float32")
    return w


def l1(w):
    """Σ|w| (float32 for half-precision weights)."""
    return ops.sum(ops.abs(as_float32(w)))


def l2(w):
    """Σ w² (float32 for half-precision weights); no 1/2."""
    return ops.sum(ops.square(as_float32(w)))


def _normalize_axis(axis, rank):
    if not -rank <= axis < rank:
        raise ValueError(
            f"Invalid value for argument `axis`. Expected an int in "
            f"[{-rank}, {rank - 1}] for a weight of rank {rank}. Received: axis={axis}"
        )
    return axis % rank


def _broadcast_group_norms(w, axis):
    """Each group's L2 norm, shaped to broadcast against `w`."""
    axis = _normalize_axis(axis, len(w.shape))
    others = tuple(i for i in range(len(w.shape)) if i != axis)
    return ops.sqrt(ops.sum(ops.square(w), axis=others, keepdims=True))


def group_norms(w, axis=0):
    """The L2 norm of each group: one group per index along `axis`.

    Returns a vector of length `w.shape[axis]` (float32 for half weights).
    """
    w = as_float32(w)
    axis = _normalize_axis(axis, len(w.shape))
    others = tuple(i for i in range(len(w.shape)) if i != axis)
    squares = ops.sum(ops.square(w), axis=others)
    # sqrt's gradient is infinite at 0; an all-zero group (a fresh bias) takes
    # the subgradient 0 instead of poisoning training with NaN.
    nonzero = squares > 0
    return ops.where(nonzero, ops.sqrt(ops.where(nonzero, squares, 1.0)), 0.0)


def soft_threshold(w, threshold):
    """prox of threshold·|w|: sign(w) · max(|w| − threshold, 0), exactly 0 inside."""
    threshold = ops.cast(threshold, ops.dtype(w))
    return ops.sign(w) * ops.relu(ops.abs(w) - threshold)


def block_soft_threshold(w, threshold, axis=0):
    """prox of threshold·Σ_g ‖w_g‖₂: each group scaled by max(1 − t/‖w_g‖, 0).

    Groups whose norm is at most `threshold` become exactly zero.
    """
    threshold = ops.cast(threshold, ops.dtype(w))
    norms = _broadcast_group_norms(w, axis)
    # `where` discards the 0/0 of an all-zero group instead of propagating it.
    scale = ops.where(norms > threshold, 1.0 - threshold / norms, 0.0)
    return w * ops.cast(scale, ops.dtype(w))


def group_directions(w, axis=0):
    """w_g / ‖w_g‖₂ per group, 0 for an all-zero group.

    The (sub)gradient of Σ_g ‖w_g‖₂ that autodiff takes through `group_norms`.
    """
    norms = _broadcast_group_norms(w, axis)
    nonzero = norms > 0
    return ops.where(nonzero, w / ops.where(nonzero, norms, 1.0), 0.0)
