"""The dropout-family base layer (`StochasticLayer`): seed, `always_on`, when
to drop, and the thread-local Monte Carlo scope of `mc_predict`."""

import contextlib
import threading

import keras

from kerasreg import _validation

# Seeds a backend keeps apart: JAX holds seed state in uint32, and the
# TensorFlow noise folds it modulo 2**31 - 1 (see `_tf_hash_noise`).
_MAX_SEED = 2**31 - 2

_monte_carlo = threading.local()


@contextlib.contextmanager
def monte_carlo():
    """Keep the dropout family active at inference, in this thread only.

    Calls traced meanwhile in this thread keep it active; the model, its
    layers and its compiled functions are left as they are, so another
    thread's `predict` is unaffected.
    """
    previous = getattr(_monte_carlo, "active", False)
    _monte_carlo.active = True
    try:
        yield
    finally:
        _monte_carlo.active = previous


def check_seed(seed):
    """`seed` as given: None or an int in [0, 2**31 - 2]."""
    if seed is None:
        return None
    seed = _validation.check_int("seed", seed)
    if not 0 <= seed <= _MAX_SEED:
        raise _validation.invalid("seed", seed, f"an int in [0, {_MAX_SEED}] or None")
    return seed


class StochasticLayer(keras.layers.Layer):
    """Base of the dropout family: active in training, or always when asked.

    `always_on=True` keeps the layer active at inference (Monte Carlo
    dropout), as does `kerasreg.layers.mc_predict` for its own calls.
    Subclasses validate and set `self.rate` before calling
    `_make_seed_generator`. The layers own no weights, so like Keras' Dropout
    they are built at construction and check their inputs when called.
    """

    def __init__(self, seed=None, always_on=False, **kwargs):
        super().__init__(**kwargs)
        self._set_stochastic(seed, always_on)

    def _set_stochastic(self, seed, always_on):
        """Check and set what the family shares; a layer whose Keras base's
        constructor needs its own arguments (`Dropout`) calls that one, then
        this, instead of `StochasticLayer.__init__`."""
        self.seed = check_seed(seed)
        self.always_on = _validation.check_bool("always_on", always_on)
        self.supports_masking = True
        # As Keras does for a layer whose `build` is not overridden; a user's
        # subclass with its own `build` is built on first call.
        self.built = type(self).build is keras.layers.Layer.build

    def _make_seed_generator(self):
        # Like Keras' Dropout, a layer that never draws keeps no seed state.
        self.seed_generator = (
            keras.random.SeedGenerator(self.seed) if self.rate > 0 else None
        )

    def _active(self, inputs, training):
        """Whether this call drops units; dropping needs float `inputs`."""
        active = self.rate > 0 and (
            bool(training) or self.always_on or getattr(_monte_carlo, "active", False)
        )
        if active and not keras.backend.is_float_dtype(inputs.dtype):
            # As Keras' Dropout: survivors are scaled by a non-integer factor.
            raise _validation.invalid(
                "inputs",
                f"a tensor of dtype {keras.backend.standardize_dtype(inputs.dtype)}",
                "a floating-point tensor (kept units are scaled by 1 / (1 - rate))",
                error=TypeError,
            )
        return active

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "seed": self.seed,
            "always_on": self.always_on,
        }
