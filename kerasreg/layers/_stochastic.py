"""What the dropout-family layers share: a seed, and when they are active."""

import keras

from kerasreg import _validation


def check_seed(seed):
    """`seed` as given: None or an int."""
    return None if seed is None else _validation.check_int("seed", seed)


def check_always_on(always_on):
    if not isinstance(always_on, bool):
        raise _validation.invalid("always_on", always_on, "a bool", error=TypeError)
    return always_on


class StochasticLayer(keras.layers.Layer):
    """Base of the dropout family: active in training, or always when asked.

    `always_on=True` keeps the layer active at inference (Monte Carlo
    dropout); `kerasreg.layers.mc_predict` switches it on for one call.
    Subclasses validate and set `self.rate` before calling `_make_seed_generator`.
    """

    def __init__(self, seed=None, always_on=False, **kwargs):
        super().__init__(**kwargs)
        self.seed = check_seed(seed)
        self.always_on = check_always_on(always_on)
        self.supports_masking = True

    def _make_seed_generator(self):
        # Like Keras' Dropout, a layer that never draws keeps no seed state.
        self.seed_generator = (
            keras.random.SeedGenerator(self.seed) if self.rate > 0 else None
        )

    def _active(self, training):
        return self.rate > 0 and (bool(training) or self.always_on)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "seed": self.seed,
            "always_on": self.always_on,
        }
