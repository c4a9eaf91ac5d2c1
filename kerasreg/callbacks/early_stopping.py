"""EarlyStopping: stop when the monitored quantity stops improving; keep the best."""

import dataclasses
import inspect

import keras

from kerasreg import _validation
from kerasreg.callbacks import _monitor, _paths, _state, _state_files, criteria
from kerasreg.callbacks._best_weights import HostCopy, best_weights_copy

_SUPPORTED_MODES = ("auto", "min", "max")
# The stop rule's defaults are EarlyStopping's: one place for both.
_RULE = criteria.StopRule()


@keras.saving.register_keras_serializable(package="kerasreg")
class EarlyStopping(_state.KerasAttributes, keras.callbacks.EarlyStopping):
    """Stop training when the monitored quantity stops improving; keep the best.

    A drop-in for `keras.callbacks.EarlyStopping`, and a subclass of it (same
    positional arguments, same attributes), with Prechelt's stop rules, the
    best weights kept on the device, and files that let a killed run resume
    exactly. At the end of every epoch the monitored value (from `model.fit`'s
    logs, by default the validation loss) joins a history, and a stop rule, a
    pure function of that history (`kerasreg.callbacks.criteria`), decides.
    With E(t) the monitored value after epoch t (lower is better; "max"
    quantities are negated), E_opt(t) = min over t' <= t of E(t'), and a strip
    the last `strip_length` = k epochs:

    - `"patience"` (Keras' rule): an epoch improves when E(t) < E_best −
      `min_delta` (`min_delta_mode="relative"`: E(t) < E_best · (1 −
      `min_delta`) for positive values); stop once `patience` epochs in a row
      have not improved.
    - `"gl"`: GL(t) = 100 · (E(t) / E_opt(t) − 1); stop when GL(t) > `alpha`.
    - `"pq"`: at the end of a strip, with the training progress
      P_k(t) = 1000 · (Σ_strip E_tr / (k · min_strip E_tr) − 1) over the
      training loss E_tr (`"loss"`), stop when GL(t) / P_k(t) > `alpha`.
    - `"up"`: at the end of a strip, stop when E rose at the end of each of
      `strips` = s successive strips: E(t) > E(t − k) > ... > E(t − s·k).
      The classic rule "stop when the validation loss has increased for k
      epochs" is `criterion="up", strip_length=1, strips=k`.

    The best epoch's weights are copied on the device at each improvement,
    variable to variable, and put back at the end of training
    (`restore_best_weights`); a model with its own `get_weights`/`set_weights`
    is served through them, as in Keras.

    Keras' attributes keep Keras' meaning and may be written as in Keras:
    `monitor_op` (`keras.ops.less` or `keras.ops.greater`, set at the first
    epoch end), `best`, `wait` (the next epoch compares with, and counts from,
    what was written), `stopped_epoch` and `best_epoch` (0 until set),
    `best_weights` (host arrays; what is written there is restored at the
    end). `on_train_begin` resets them, except `monitor_op`, for each `fit`,
    unless it resumes from `state_path`. `stop_reason` says why it stopped.

    It stops at the same epoch as Keras on any sequence of values, except:
    a NaN or infinite value is never the best and, with `stop_on_nan`, stops
    training at once (Keras 3.15 may keep a first NaN as the best); an epoch
    that improves on the best but not on `baseline` does not reset the
    counter, as Keras' documentation says (Keras never stops while every epoch
    improves). `restore_best_weights` defaults to True, and an unknown `mode`
    or a negative `min_delta` is an error (Keras warns and falls back to
    "auto", or takes the absolute value). As in Keras, `patience=0` and
    `patience=1` both stop at the first epoch without improvement.

    Resuming. With `state_path`, the whole state (history, counters, best
    epoch, best weights) is written atomically at every epoch end and read at
    train begin, so a run killed at any instant and resumed with
    `kerasreg.callbacks.BackupAndRestore` (in any order in `callbacks`) or
    `keras.callbacks.BackupAndRestore` (placed after this callback) stops at
    the same epoch with the same weights as an uninterrupted run. A resumed
    run that repeats epochs first rolls the state back to them (a fresh `fit`
    from epoch 0 starts afresh). A state of another configuration (monitor,
    mode, the rule's arguments), another program's file, a damaged one, or a
    `state_path` shared by two callbacks is an error naming the file.

    Distributed training. Only the chief writes files; every worker reads
    `state_path`. Under `tf.distribute.MultiWorkerMirroredStrategy` one small
    collective per epoch hands the chief's monitored values to every worker,
    so all stop at the same epoch with the same weights even when their logs
    differ.

    Args:
        monitor: str, the quantity in the logs to monitor.
            Defaults to `"val_loss"`.
        min_delta: float >= 0, how much an epoch must beat the best value by
            to count as an improvement ("patience" criterion).
            Defaults to `0.0`.
        patience: int >= 0, epochs without improvement after which training
            stops ("patience" criterion). Defaults to `0`.
        verbose: int, 1 prints at the end why training stopped and which
            epoch's weights were restored. Defaults to `0`.
        mode: `"auto"`, `"min"` or `"max"`, whether the quantity should
            decrease or increase; `"auto"` infers it from the metric as Keras
            does. Defaults to `"auto"`.
        baseline: float or None, a value an epoch must also beat to reset the
            patience counter ("patience" criterion). Defaults to `None`.
        restore_best_weights: bool, put back the best epoch's weights at the
            end of training. Defaults to `True`.
        start_from_epoch: int >= 0, epochs of warm-up that are not monitored
            (a non-finite value still stops training). Defaults to `0`.
        criterion: `"patience"`, `"gl"`, `"pq"` or `"up"`, the stop rule
            (keyword-only, as are all the arguments below).
            Defaults to `"patience"`.
        alpha: float >= 0, the threshold of "gl" (percent) and "pq"; required
            by them, unused otherwise. Defaults to `None`.
        strip_length: int >= 1, the epochs k in a strip ("pq", "up").
            Defaults to `5`.
        strips: int >= 1, the successive rising strips s that stop "up".
            Defaults to `1`.
        best_model_path: path ending in `.keras` (whole model) or
            `.weights.h5` (weights) where the best model is also written,
            atomically, at each improvement. Defaults to `None`.
        state_path: path of a JSON file holding the callback's state, written
            atomically at each epoch end and read at train begin; the best
            weights are `.npz` files beside it. Defaults to `None`.
        stop_on_nan: bool, stop at once when the monitored value is NaN or
            infinite. Defaults to `True`.
        min_delta_mode: `"absolute"` or `"relative"`: with "relative",
            `min_delta` is a fraction in [0, 1) of the best value.
            Defaults to `"absolute"`.
        smoothing_window: int >= 1, monitor the mean of the last
            `smoothing_window` values instead of the raw value (1: no
            smoothing); the best epoch is the best of the smoothed values.
            Defaults to `1`.

    Example:

    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    >>> # A model that does not learn: the loss never improves after epoch 1.
    >>> model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    >>> # Keras' positional order: monitor, min_delta, patience.
    >>> stop = kerasreg.EarlyStopping("loss", 0, 2)
    >>> x, y = np.ones((8, 4), "float32"), np.zeros((8, 1), "float32")
    >>> history = model.fit(x, y, epochs=20, callbacks=[stop], verbose=0)
    >>> len(history.epoch), stop.stopped_epoch, stop.best_epoch
    (3, 2, 0)
    >>> stop.stop_reason
    "criterion 'patience': no improvement in 2 epoch(s) (patience=2)"

    Reference:
        L. Prechelt, "Early Stopping — but when?", in Neural Networks: Tricks
        of the Trade, LNCS 1524, Springer, 1998, pp. 55-69.
    """

    def __init__(
        self,
        monitor="val_loss",
        min_delta=_RULE.min_delta,
        patience=_RULE.patience,
        verbose=0,
        mode="auto",
        baseline=_RULE.baseline,
        restore_best_weights=True,
        start_from_epoch=0,
        *,
        criterion=_RULE.criterion,
        alpha=_RULE.alpha,
        strip_length=_RULE.strip_length,
        strips=_RULE.strips,
        best_model_path=None,
        state_path=None,
        stop_on_nan=_RULE.stop_on_nan,
        min_delta_mode=_RULE.min_delta_mode,
        smoothing_window=_RULE.smoothing_window,
    ):
        if not isinstance(monitor, str) or not monitor:
            raise _validation.invalid(
                "monitor", monitor, "a non-empty str", error=TypeError
            )
        keras_arguments = {
            "monitor": monitor,
            "verbose": _validation.check_int("verbose", verbose, low=0),
            "mode": _validation.check_choice("mode", mode, _SUPPORTED_MODES),
            "restore_best_weights": _validation.check_bool(
                "restore_best_weights", restore_best_weights
            ),
            "start_from_epoch": _validation.check_int(
                "start_from_epoch", start_from_epoch, low=0
            ),
        }
        self.state_path, self.best_model_path = _state_files.checked_paths(
            state_path, best_model_path
        )
        rule = criteria.StopRule(
            criterion=criterion,
            direction=None if mode == "auto" else mode,
            patience=patience,
            min_delta=min_delta,
            min_delta_mode=min_delta_mode,
            baseline=baseline,
            alpha=alpha,
            strip_length=strip_length,
            strips=strips,
            smoothing_window=smoothing_window,
            stop_on_nan=stop_on_nan,
        )
        # Keras' attributes are properties over these (`KerasAttributes`).
        self._state = _state.EarlyStoppingState()
        self._weights = HostCopy(None)
        # Keras sets its own attributes, from the checked arguments.
        super().__init__(
            min_delta=rule.min_delta,
            patience=rule.patience,
            baseline=rule.baseline,
            **keras_arguments,
        )
        # Plain attributes, as in Keras: a value written later is checked again
        # and used at the next train begin.
        for name in _RULE_ARGUMENTS:
            setattr(self, name, getattr(rule, name))

    def get_config(self):
        return {name: getattr(self, name) for name in _ARGUMENTS}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # Training hooks.

    def on_train_begin(self, logs=None):
        rule = {name: getattr(self, name) for name in _RULE_ARGUMENTS}
        identity = {
            "monitor": self.monitor,
            "mode": self.mode,
            "start_from_epoch": self.start_from_epoch,
            "restore_best_weights": self.restore_best_weights,
            **rule,
        }
        direction = self._state.direction or (
            None if self.mode == "auto" else self.mode
        )
        self._rule = criteria.StopRule(direction=direction, **rule)
        self._values = _monitor.LoggedValues(
            self.model,
            [self.monitor, "loss"] if self.criterion == "pq" else [self.monitor],
        )
        self._weights = best_weights_copy(self.model)
        _paths.claim_files(
            self,
            self.model,
            {"state_path": self.state_path, "best_model_path": self.best_model_path},
        )
        self._files = _state_files.StateFiles(
            self.state_path, self.best_model_path, identity, self.model, self._weights
        )
        loaded = self._files.load()
        # As in Keras, `monitor_op` outlives a `fit`; the rest starts afresh.
        self._state = loaded or _state.EarlyStoppingState(
            direction=self._state.direction
        )
        # A loaded state is rolled back at the first epoch, whose number is the
        # first reliable sign of where the (possibly resumed) run starts.
        self._resuming = loaded is not None

    def on_epoch_begin(self, epoch, logs=None):
        if self._resuming:
            self._resume_at(epoch)
        if self._state.stop_reason:
            # The interrupted run had already stopped; stop this one too.
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        state = self._state
        best_before = state.best_epoch
        # A run resumed after it had stopped only records that the epoch ran.
        improved = not state.stop_reason and self._decide(epoch, logs or {})
        state.last_epoch = epoch
        if improved and self.restore_best_weights:
            self._weights.capture()
        self._files.write_epoch(state, improved, best_before)

    def on_train_end(self, logs=None):
        if self._resuming:  # No epoch ran: nothing to roll back.
            self._resume_at(self._state.last_epoch + 1)
        restored = self.restore_best_weights and not self._weights.empty
        if restored:
            self._weights.restore()
        if self.verbose:
            print(self._state.summary(self.monitor, restored))
        _paths.release(self, self.model)

    # Decisions.

    def _monitored_direction(self):
        if self.mode != "auto":
            return self.mode
        return _monitor.infer_direction(self.model, self.monitor, self.criterion)

    def _decide(self, epoch, logs):
        """Take the epoch's decision; whether the epoch is the new best."""
        state = self._state
        if state.direction is None:
            state.direction = self._monitored_direction()
        if self._rule.direction != state.direction:
            self._rule = self._rule.with_direction(state.direction)
        values = self._values.read(logs, epoch)
        if None in values:
            return False
        if epoch < self.start_from_epoch:
            self._stop(epoch, self._rule.nonfinite_reason(values[0]))
            return False
        return self._record(epoch, *values)

    def _record(self, epoch, value, train_loss=None):
        """Add the epoch to the history and decide; whether it is the best."""
        state = self._state
        previous = criteria.Verdict(
            best_index=state.best_epoch, best=state.best, wait=state.wait
        )
        state.record(epoch, value, train_loss)
        verdict = self._rule.step(previous, state.values, state.train_losses, epoch)
        state.set_carry(verdict.best, verdict.best_index, verdict.wait)
        self._stop(epoch, verdict.reason)
        return verdict.best_index == epoch and previous.best_index != epoch

    def _stop(self, epoch, reason):
        if reason:
            self._state.stopped_epoch = epoch
            self._state.stop_reason = reason
            self.model.stop_training = True

    def _resume_at(self, epoch):
        self._resuming = False
        self._files.resume(self._state, epoch)


# The arguments EarlyStopping hands to its stop rule, under the same names.
_RULE_ARGUMENTS = tuple(
    field.name
    for field in dataclasses.fields(criteria.StopRule)
    if field.name != "direction"
)
# Every argument, which `get_config` returns under its own name.
_ARGUMENTS = tuple(inspect.signature(EarlyStopping).parameters)
