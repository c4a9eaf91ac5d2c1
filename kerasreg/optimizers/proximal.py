"""Proximal: exact proximal steps for kerasreg's L1-type penalties."""

import copy
import warnings
import weakref

import keras
from keras import ops

from kerasreg._tf_tracing import inside_traced_function
from kerasreg._validation import check_bool, invalid
from kerasreg.optimizers._replicas import assign_each, replica_share
from kerasreg.regularizers.base import HandOver

_LATE_WARNING = (
    "Proximal took its penalties over after this train step's loss had been "
    "traced (it was built inside the first traced step, or the step was traced "
    "again after `fit` returned): this graph keeps the penalties in the loss "
    "and Proximal takes their non-smooth gradient back out, which costs about "
    "as much as a penalty in the loss. Build the optimizer before training for "
    "the fast path: `model.optimizer.build(model.trainable_variables)` after "
    "`compile`."
)

# Inner optimizers already wrapped: a second Proximal around one would share
# its slots and step counter with the first, and with the first's model.
_WRAPPED = weakref.WeakSet()


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

    The loss leaves these penalties out for this model only while this
    optimizer trains it: from `build` until the end of each `fit` (Keras calls
    `finalize_variable_values` there), and again from its next step. Nothing
    is stored on the penalties or on the wrapped optimizer, so a penalty shared
    with another model, a call of the penalty on a tensor, and the same model
    recompiled with another optimizer all keep the penalty's value.

    Keras' TensorFlow trainer without a distribution strategy builds the
    optimizer only inside the first traced train step, after the loss: that
    graph keeps the penalties in the loss and Proximal takes their non-smooth
    gradient back out (equal up to float rounding, about as costly as a
    penalty in the loss), and a warning says so. Call
    `model.optimizer.build(model.trainable_variables)` after `compile` (or
    before the first loss of a custom loop) and the loss skips them entirely.
    The JAX trainer and TensorFlow under a distribution strategy build the
    optimizer before the first step by themselves.

    The proximal step follows the wrapped optimizer's whole update, its
    variable constraints included. Gradient accumulation is supported; an
    exponential moving average of the weights (`use_ema=True`) and a
    `LossScaleOptimizer` inside are refused (wrap Proximal in the
    `LossScaleOptimizer` instead, as `compile` does under `mixed_float16`).

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
        optimizer = _inner_optimizer(optimizer)
        check_bool("log_penalty", log_penalty)
        super().__init__(learning_rate=0.0, name=name or "proximal")
        self.inner_optimizer = optimizer
        self.log_penalty = log_penalty
        self._hand_over = None
        _WRAPPED.add(optimizer)

    def build(self, var_list):
        if not self.inner_optimizer.built:
            self.inner_optimizer.build(var_list)
        super().build(var_list)
        if self._hand_over is not None:
            self._hand_over.deactivate()
        self._hand_over = HandOver(var_list, self.log_penalty)
        self._hand_over.activate()

    def apply(self, grads, trainable_variables=None):
        # Was the loss behind `grads` computed while this optimizer held its
        # penalties? If not, they are in `grads` already.
        late = not (self.built and self._hand_over.active)
        if not self.built:
            with keras.name_scope(self.name, caller=self):
                self.build(trainable_variables)
            self.built = True
        hand_over = self._hand_over
        if trainable_variables is None:
            trainable_variables = hand_over.variables
        penalties = [hand_over.penalty_of(v) for v in trainable_variables]
        if late and hand_over and inside_traced_function():
            warnings.warn(_LATE_WARNING, stacklevel=2)
        inner = self.inner_optimizer
        # The step this update takes, read before `apply` advances the schedule.
        step = ops.convert_to_tensor(inner.learning_rate)
        if inner.gradient_accumulation_steps:
            updates_before = ops.convert_to_tensor(inner.iterations)
        grads = [
            _gradient_for_inner(g, v, p, late, inner.loss_scale_factor)
            for g, v, p in zip(grads, trainable_variables, penalties, strict=True)
        ]
        inner.apply(grads, trainable_variables)
        if inner.gradient_accumulation_steps:
            # `iterations` counts updates, not accumulated batches. A zero
            # threshold leaves the weights exactly as they are.
            updated = ops.not_equal(inner.iterations, updates_before)
            step = step * ops.cast(updated, step.dtype)
        assign_each(
            [
                (v, p.proximal_step)
                for v, p in zip(trainable_variables, penalties, strict=True)
                if p is not None and p.has_proximal_step
            ],
            step,
        )
        hand_over.activate()

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)
        # `fit` ends here: from now on the model's loss holds its penalties
        # again, whatever optimizer trains it next.
        if self._hand_over is not None:
            self._hand_over.deactivate()

    @property
    def variables(self):
        return super().variables + self.inner_optimizer.variables

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


def _inner_optimizer(optimizer):
    """The optimizer to wrap: an instance as given, or one built from a name."""
    expected = "a keras.optimizers.Optimizer instance or name"
    if isinstance(optimizer, str):
        try:
            optimizer = keras.optimizers.get(optimizer)
        except ValueError:
            raise invalid("optimizer", optimizer, expected) from None
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise invalid("optimizer", optimizer, expected, error=TypeError)
    if isinstance(optimizer, (Proximal, keras.optimizers.LossScaleOptimizer)):
        raise invalid(
            "optimizer",
            optimizer,
            "an optimizer that is neither Proximal nor a LossScaleOptimizer "
            "(wrap Proximal in the LossScaleOptimizer instead)",
        )
    if optimizer.use_ema:
        raise invalid(
            "optimizer",
            optimizer,
            "an optimizer with use_ema=False (its moving average would skip "
            "the proximal step)",
        )
    if optimizer in _WRAPPED:
        raise invalid(
            "optimizer",
            optimizer,
            "an optimizer instance that no other Proximal wraps (create a new "
            "optimizer for each Proximal, as for each model)",
        )
    return optimizer


def _gradient_for_inner(gradient, variable, penalty, late, loss_scale_factor):
    """The gradient the wrapped optimizer takes for `variable`.

    Adds the smooth part's gradient, or, when the loss kept the whole penalty
    (`late`), takes out the non-smooth part's. Each replica adds its share
    and the loss scale, as the loss would have.
    """
    if penalty is None or gradient is None:
        return gradient
    w = ops.convert_to_tensor(variable)
    term = penalty.nonsmooth_gradient(w) if late else penalty.smooth_gradient(w)
    if term is None:
        return gradient
    factor = (-1.0 if late else 1.0) * replica_share() * (loss_scale_factor or 1.0)
    return gradient + ops.cast(factor * term, ops.dtype(gradient))
