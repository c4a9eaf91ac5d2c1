"""Independent references for the Keras-compatible affine layers' tests."""

import keras
import numpy as np
from scipy import ndimage

FILL_MODES = ["reflect", "constant", "nearest", "wrap"]
INTERPOLATIONS = ["bilinear", "nearest"]
# kerasreg's fill modes as scipy.ndimage names them.
SCIPY_MODES = {
    "reflect": "reflect",
    "constant": "grid-constant",
    "nearest": "nearest",
    "wrap": "grid-wrap",
}


def to_numpy(x):
    return keras.ops.convert_to_numpy(x)


def scipy_warp(
    images, matrices, interpolation, fill_mode, fill_value=0.0, output_size=None
):
    """`functional.warp` by scipy: output (y, x) samples the input at M @ (x, y, 1).

    The output is float64, `output_size` (height, width) or the input's size.
    """
    images, matrices = np.asarray(images), np.asarray(matrices)
    size = images.shape[1:3] if output_size is None else tuple(output_size)
    out = np.empty((len(images), *size, images.shape[-1]), "float64")
    for n, (image, m) in enumerate(zip(images, matrices, strict=True)):
        # scipy indexes (row, column) = (y, x): swap the matrix's axes.
        swap = np.array([[m[1, 1], m[1, 0]], [m[0, 1], m[0, 0]]])
        shift = np.array([m[1, 2], m[0, 2]])
        for c in range(image.shape[-1]):
            out[n, ..., c] = ndimage.affine_transform(
                image[..., c].astype("float64"),
                swap,
                shift,
                output_shape=size,
                order=1 if interpolation == "bilinear" else 0,
                mode=SCIPY_MODES[fill_mode],
                cval=fill_value,
            )
    return out


def assert_matches_keras(make_ours, make_theirs, images, fill_mode, interpolation):
    """kerasreg's layer and Keras' (same arguments, same seed) agree on `images`.

    `make_ours` / `make_theirs` build fresh layers. Bilinear to 1e-5 (pixels
    in [0, 1], float32 weights summed in another order), nearest exactly.
    Keras' "wrap" on TensorFlow folds coordinates with a wrong period (a
    shift by 4 pixels of [0 1 2 3 4] gives [4 2 3 4 0]), so there kerasreg is
    compared with scipy's "grid-wrap" at the layer's own draws: the
    documented (a b c d | a b c d), which Keras' JAX backend also computes.
    """
    got = to_numpy(make_ours()(images, training=True))
    if fill_mode == "wrap" and keras.backend.backend() == "tensorflow":
        draws = make_ours().get_random_transformation(len(images), *images.shape[1:3])
        expected = scipy_warp(images, to_numpy(draws["matrix"]), interpolation, "wrap")
    else:
        expected = to_numpy(make_theirs()(images, training=True))
    if interpolation == "nearest":
        np.testing.assert_array_equal(got, expected.astype("float32"))
    else:
        np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
