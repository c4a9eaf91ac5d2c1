"""Proximal: exact proximal steps for kerasreg's L1-type penalties."""

import copy
import warnings

import keras
from keras import ops

from kerasreg._tf_compat import inside_traced_function
from kerasreg._validation import invalid
from kerasreg.regularizers import _Penalty

_LATE_BUILD_WARNING = (
    "Proximal was built inside the first traced train step, after the loss had "
    "been traced: that graph keeps the penalties it now applies and gates them "
    "off at run time, which is exact but costs about as much as a penalty in the "
    "loss. Build the optimizer before training for the fast path: "
    "`model.optimizer.build(model.trainable_variables)` after `compile`."
)


@keras.saving.register_keras_serializable(package="kerasreg")
class Proximal(keras.optimizers.Optimizer):
    """Wraps a Keras optimizer so that kerasreg penalties act in its update.

    For every trainable variable whose regularizer is a kerasreg `L1`, `L2`,
    `ElasticNet`, `WeightRegularizer("l1" | "l2")` or `GroupLasso`, the penalty
    leaves the loss and each update step becomes

        g ← g + ∇smooth(w)                    (e.g. l2 · w)
        w ← inner_update(w, g)                (the wrapped optimizer's step)
        w ← prox_{η·λ}(w)                     (non-smooth part, η = learning rate)

    where prox is soft-thresholding `sign(w) · max(|w| − η·λ₁, 0)` for L1 and
    block soft-thresholding `w_g · max(1 − η·λ / ‖w_g‖₂, 0)` for GroupLasso.
    With SGD this is proximal gradient descent (ISTA): weights reach exactly
    0.0, which a subgradient of |w| never does. Adding the smooth gradient inside
    the update lets XLA fuse it with the optimizer's own pass over the weights.
    Variables with any other regularizer keep it in the loss.

    The hand-over happens in `build`. Keras' TensorFlow trainer without a
    distribution strategy builds the optimizer only inside the first traced
    train step, after the loss: that graph then gates the penalties off at run
    time (exact, but as costly as a penalty in the loss) and a warning says so.
    Call `model.optimizer.build(model.trainable_variables)` after `compile` (or
    before the first loss of a custom loop) and the loss skips them entirely.

    Args:
        optimizer: a `keras.optimizers.Optimizer` instance or identifier
            (e.g. `"sgd"`) to wrap.
        log_penalty: bool. If True, the loss still shows the value of the
            penalties handled here (without their gradient), at the cost of one
            extra pass over those weights per step. Defaults to `False`.
        name: string, the optimizer's name. Defaults to `"proximal"`.

    Example:

    >>> model = keras.Sequential([keras.Input((10,)),
    ...     keras.layers.Dense(1, kernel_regularizer=kerasreg.L1(0.1))])
    >>> model.compile(optimizer=kerasreg.optimizers.Proximal(
    ...     keras.optimizers.SGD(0.1)), loss="mse")

    Reference:
        Parikh & Boyd, "Proximal Algorithms", Foundations and Trends in
        Optimization, 2014.
    """

    def __init__(self, optimizer, log_penalty=False, name=None):
        if isinstance(optimizer, str):
            optimizer = keras.optimizers.get(optimizer)
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            raise invalid(
                "optimizer",
                optimizer,
                "a keras.optimizers.Optimizer instance or name",
                error=TypeError,
            )
        if isinstance(optimizer, Proximal):
            raise invalid("optimizer", optimizer, "an optimizer that is not Proximal")
        if not isinstance(log_penalty, bool):
            raise invalid("log_penalty", log_penalty, "a bool", error=TypeError)
        super().__init__(learning_rate=0.0, name=name or "proximal")
        self.inner_optimizer = optimizer
        self.log_penalty = log_penalty
        self._penalties = []
        # The wrapped optimizer's per-variable step is where Keras applies the
        # learning rate actually in force, inside the distribution strategy's
        # update context: the proximal step belongs right there.
        self._inner_update_step = optimizer.update_step
        optimizer.update_step = self._proximal_update_step

    def build(self, var_list):
        self.inner_optimizer.build(var_list)
        self._penalties = [_splittable_penalty(v) for v in var_list]
        handed_over = {id(p): p for p in self._penalties if p is not None}
        for penalty in handed_over.values():
            penalty._hand_to_optimizer(self.log_penalty)
        if handed_over and inside_traced_function():
            warnings.warn(_LATE_BUILD_WARNING, stacklevel=2)
        super().build(var_list)

    def _proximal_update_step(self, gradient, variable, learning_rate):
        index = self.inner_optimizer._get_variable_index(variable)
        penalty = self._penalties[index]
        if penalty is None:
            return self._inner_update_step(gradient, variable, learning_rate)
        smooth = penalty.smooth_gradient(ops.convert_to_tensor(variable))
        if smooth is not None:
            gradient = gradient + ops.cast(smooth, ops.dtype(gradient))
        self._inner_update_step(gradient, variable, learning_rate)
        value = ops.convert_to_tensor(variable)
        step = ops.cast(learning_rate, ops.dtype(value))
        proximal = penalty.proximal_step(value, step)
        if proximal is not None:
            self.inner_optimizer.assign(variable, proximal)

    def apply(self, grads, trainable_variables=None):
        if not self.built:
            with keras.name_scope(self.name, caller=self):
                self.build(trainable_variables)
            self.built = True
        self.inner_optimizer.apply(grads, trainable_variables)

    @property
    def variables(self):
        return self._variables + self.inner_optimizer.variables

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        return self.inner_optimizer.scale_loss(loss)

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {
            "name": self.name,
            "optimizer": keras.optimizers.serialize(self.inner_optimizer),
            "log_penalty": self.log_penalty,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        # deserialize consumes the nested dict; the caller's config stays whole.
        config = copy.deepcopy(config)
        config["optimizer"] = keras.optimizers.deserialize(
            config["optimizer"], custom_objects=custom_objects
        )
        return cls(**config)


def _splittable_penalty(variable):
    """The kerasreg penalty on `variable` that Proximal can apply, or None."""
    penalty = getattr(variable, "regularizer", None)
    if isinstance(penalty, _Penalty) and penalty.splits:
        return penalty
    return None
