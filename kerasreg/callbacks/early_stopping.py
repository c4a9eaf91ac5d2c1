"""EarlyStopping: stop when the monitored quantity stops improving; keep the best."""

import os
import warnings

import keras

from kerasreg import _validation
from kerasreg.callbacks import _atomic_io, _state, criteria
from kerasreg.callbacks._device_copy import DeviceCopy
from kerasreg.callbacks._distribute import is_chief

_SUPPORTED_MODES = ("auto", "min", "max")
_BEST_MODEL_SUFFIXES = (".keras", ".weights.h5")

# The arguments each criterion reads. The others must keep their defaults, so
# that no argument is silently ignored.
_CRITERION_ARGUMENTS = {
    "patience": {"patience", "min_delta", "min_delta_mode", "baseline"},
    "gl": {"alpha"},
    "pq": {"alpha", "strip_length"},
    "up": {"strip_length", "strips"},
}
_CRITERION_DEFAULTS = {
    "patience": 0,
    "min_delta": 0.0,
    "min_delta_mode": "absolute",
    "baseline": None,
    "alpha": None,
    "strip_length": 5,
    "strips": 1,
}


def _check_bool(argument, value):
    if not isinstance(value, bool):
        raise _validation.invalid(argument, value, "a bool", error=TypeError)
    return value


def _check_path(argument, value, suffixes=None):
    if value is None:
        return None
    if not isinstance(value, str | os.PathLike):
        raise _validation.invalid(argument, value, "a path or None", error=TypeError)
    path = os.fspath(value)
    if suffixes and not path.endswith(suffixes):
        expected = " or ".join(f"'{s}'" for s in suffixes)
        raise _validation.invalid(argument, value, f"a path ending in {expected}")
    return path


def _flat_metrics(metrics):
    for metric in metrics:
        nested = getattr(metric, "metrics", None)
        if isinstance(nested, list):
            yield from _flat_metrics(nested)
        else:
            yield metric


@keras.saving.register_keras_serializable(package="kerasreg")
class EarlyStopping(keras.callbacks.Callback):
    """Stop training when the monitored quantity stops improving; keep the best.

    At the end of every epoch the monitored value (from `model.fit`'s logs, by
    default the validation loss) joins a history, and a stop rule, a pure
    function of that history (`kerasreg.callbacks.criteria`), decides. With
    E(t) the monitored value after epoch t (lower is better; "max" quantities
    are negated), E_opt(t) = min over t' <= t of E(t'), and a strip the last
    `strip_length` = k epochs:

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

    The weights of the best epoch (the lowest E) are copied on the device at
    each improvement, variable to variable, and put back at the end of
    training (`restore_best_weights`): the best model is the one you keep.

    Where it differs from `keras.callbacks.EarlyStopping`: `restore_best_weights`
    defaults to True; a NaN or infinite value is never the best and, with
    `stop_on_nan`, stops training at once (Keras 3.15 may keep a first NaN as
    the best and restore that epoch); an unknown `mode` is an error, not a
    warning; `stopped_epoch` and `best_epoch` are `None` until set (Keras uses
    0). And `baseline`: an epoch that improves on the best but not on the
    baseline does not reset the counter, so training stops after `patience`
    epochs that never reach the baseline, as Keras' documentation says (Keras
    itself never stops while every epoch improves). Otherwise it stops at the
    same epoch as Keras on any sequence of values. As in Keras, `patience=0`
    and `patience=1` both stop at the first epoch without improvement.

    Resuming. With `state_path`, the whole state (history, counters, best
    epoch, best weights) is written atomically at every epoch end and read at
    train begin, so a run killed at any instant and resumed with
    `kerasreg.callbacks.BackupAndRestore` (in any order in `callbacks`) or
    with `keras.callbacks.BackupAndRestore` (placed after this callback)
    stops at the same epoch with the same weights as an uninterrupted run. A
    resumed run that repeats epochs rolls the state back to them first; a
    fresh `fit` from epoch 0 therefore starts afresh. Under `tf.distribute`
    every replica and worker takes the same decisions (they depend only on
    the aggregated logs) and only the chief writes files; all workers must
    read `state_path`.

    Args:
        monitor: str, the quantity in the logs to monitor.
            Defaults to `"val_loss"`.
        patience: int >= 0, epochs without improvement after which training
            stops ("patience" criterion). Defaults to `0`.
        min_delta: float >= 0, how much an epoch must beat the best value by
            to count as an improvement ("patience" criterion).
            Defaults to `0.0`.
        mode: `"auto"`, `"min"` or `"max"`, whether the quantity should
            decrease or increase; `"auto"` infers it from the metric as Keras
            does. Defaults to `"auto"`.
        baseline: float or None, a value an epoch must also beat to reset the
            patience counter ("patience" criterion). Defaults to `None`.
        restore_best_weights: bool, put back the best epoch's weights at the
            end of training. Defaults to `True`.
        start_from_epoch: int >= 0, epochs of warm-up that are not monitored
            (a non-finite value still stops training). Defaults to `0`.
        criterion: `"patience"`, `"gl"`, `"pq"` or `"up"`, the stop rule.
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
        verbose: int, 1 prints at the end why training stopped and which
            epoch's weights were restored. Defaults to `0`.
        min_delta_mode: `"absolute"` or `"relative"`: with "relative",
            `min_delta` is a fraction in [0, 1) of the best value.
            Defaults to `"absolute"`.
        smoothing_window: int >= 1, monitor the mean of the last
            `smoothing_window` values instead of the raw value (1: no
            smoothing); the best epoch is the best of the smoothed values.
            Defaults to `1`.

    Example:

    ```python
    import keras
    import numpy as np
    from kerasreg.callbacks import EarlyStopping

    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 8)).astype("float32")
    y = (x[:, :1] + rng.normal(size=(96, 1))).astype("float32")  # noisy target
    model = keras.Sequential(
        [keras.Input((8,)), keras.layers.Dense(64, "relu"), keras.layers.Dense(1)]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    # The classic rule: stop when val_loss rose in each of 3 successive epochs.
    stop = EarlyStopping(criterion="up", strip_length=1, strips=3, verbose=1)
    model.fit(x, y, validation_split=0.25, epochs=100, callbacks=[stop], verbose=0)
    # Prints: Epoch 12: early stopping, criterion 'up': the value rose over 3
    # strip(s) of 1 epoch(s). Restored the weights of epoch 9 (val_loss=1.11736).
    ```
    ```

    Reference:
        L. Prechelt, "Early Stopping — but when?", in Neural Networks: Tricks
        of the Trade, LNCS 1524, Springer, 1998, pp. 55-69.
    """

    def __init__(
        self,
        monitor="val_loss",
        patience=0,
        min_delta=0.0,
        mode="auto",
        baseline=None,
        restore_best_weights=True,
        start_from_epoch=0,
        criterion="patience",
        alpha=None,
        strip_length=5,
        strips=1,
        best_model_path=None,
        state_path=None,
        stop_on_nan=True,
        verbose=0,
        min_delta_mode="absolute",
        smoothing_window=1,
    ):
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise _validation.invalid(
                "monitor", monitor, "a non-empty str", error=TypeError
            )
        self.monitor = monitor
        self.patience = _validation.check_int("patience", patience, low=0)
        self.min_delta_mode = _validation.check_choice(
            "min_delta_mode", min_delta_mode, criteria.MIN_DELTA_MODES
        )
        relative = min_delta_mode == "relative"
        self.min_delta = _validation.check_float(
            "min_delta", min_delta, low=0.0, high=1.0 if relative else None
        )
        self.mode = _validation.check_choice("mode", mode, _SUPPORTED_MODES)
        self.baseline = (
            None if baseline is None else _validation.check_float("baseline", baseline)
        )
        self.restore_best_weights = _check_bool(
            "restore_best_weights", restore_best_weights
        )
        self.start_from_epoch = _validation.check_int(
            "start_from_epoch", start_from_epoch, low=0
        )
        self.criterion = _validation.check_choice(
            "criterion", criterion, criteria.CRITERIA
        )
        self.alpha = (
            None if alpha is None else _validation.check_float("alpha", alpha, low=0.0)
        )
        self.strip_length = _validation.check_int("strip_length", strip_length, low=1)
        self.strips = _validation.check_int("strips", strips, low=1)
        self.best_model_path = _check_path(
            "best_model_path", best_model_path, _BEST_MODEL_SUFFIXES
        )
        self.state_path = _check_path("state_path", state_path)
        self.stop_on_nan = _check_bool("stop_on_nan", stop_on_nan)
        self.verbose = _validation.check_int("verbose", verbose, low=0)
        self.smoothing_window = _validation.check_int(
            "smoothing_window", smoothing_window, low=1
        )
        self._check_criterion_arguments()
        self._state = _state.EarlyStoppingState()
        self._rule = None
        self._best = None
        self._resuming = False

    def _check_criterion_arguments(self):
        used = _CRITERION_ARGUMENTS[self.criterion]
        for argument, default in _CRITERION_DEFAULTS.items():
            value = getattr(self, argument)
            if argument not in used and value != default:
                raise _validation.invalid(
                    argument,
                    value,
                    f"{default!r} (its default), because criterion="
                    f"{self.criterion!r} does not use it",
                )
        if "alpha" in used and self.alpha is None:
            raise _validation.invalid(
                "alpha", None, f"a float >= 0 with criterion={self.criterion!r}"
            )
        if self.criterion in ("gl", "pq") and self.mode == "max":
            raise _validation.invalid(
                "mode",
                self.mode,
                f"'auto' or 'min' with criterion={self.criterion!r}, which needs "
                "a positive quantity to minimize",
            )

    @property
    def stopped_epoch(self):
        """The epoch (0-based) at which training stopped, or `None`."""
        return self._state.stopped_epoch

    @property
    def best_epoch(self):
        """The epoch (0-based) with the best monitored value, or `None`."""
        return self._state.best_epoch

    @property
    def best(self):
        """The best monitored value (smoothed, if smoothing), or `None`."""
        return self._state.best

    @property
    def wait(self):
        """Epochs since the patience counter was reset (since the best, for
        Prechelt's criteria)."""
        return self._state.wait

    @property
    def stop_reason(self):
        """Why training stopped; empty when it did not."""
        return self._state.stop_reason

    def get_config(self):
        return {
            "monitor": self.monitor,
            "patience": self.patience,
            "min_delta": self.min_delta,
            "mode": self.mode,
            "baseline": self.baseline,
            "restore_best_weights": self.restore_best_weights,
            "start_from_epoch": self.start_from_epoch,
            "criterion": self.criterion,
            "alpha": self.alpha,
            "strip_length": self.strip_length,
            "strips": self.strips,
            "best_model_path": self.best_model_path,
            "state_path": self.state_path,
            "stop_on_nan": self.stop_on_nan,
            "verbose": self.verbose,
            "min_delta_mode": self.min_delta_mode,
            "smoothing_window": self.smoothing_window,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # Training hooks.

    def on_train_begin(self, logs=None):
        self._chief = is_chief(self.model)
        self._best = DeviceCopy(self.model.weights)
        self._warned = set()
        loaded = _state.load(self.state_path) if self.state_path else None
        self._state = loaded or _state.EarlyStoppingState()
        # A loaded state is rolled back at the first epoch, whose number is the
        # first reliable sign of where the (possibly resumed) run starts.
        self._resuming = loaded is not None
        self._rule = None
        if self._chief:
            self._remove_leftovers()

    def on_epoch_begin(self, epoch, logs=None):
        if self._resuming:
            self._resume_at(epoch)
        if self._state.stopped_epoch is not None:
            # The interrupted run had already stopped; stop this one too.
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        state = self._state
        if state.stopped_epoch is not None:
            return
        logs = logs or {}
        best_before = state.best_epoch
        value = self._logged(logs, self.monitor, epoch)
        train_loss = self._logged(logs, "loss", epoch) if self.criterion == "pq" else 0
        if value is not None and train_loss is not None:
            if self._rule is None:
                state.direction = state.direction or self._infer_direction()
                self._rule = self._make_rule(state.direction)
            if epoch < self.start_from_epoch:
                self._stop(epoch, self._rule.nonfinite_reason(float(value)))
            else:
                self._record(epoch, float(value), float(train_loss))
        state.last_epoch = epoch
        improved = state.best_epoch == epoch
        if improved and self.restore_best_weights:
            self._best.capture()
        if self._chief:
            self._write_files(improved, best_before)

    def on_train_end(self, logs=None):
        if self._resuming:  # No epoch ran: nothing to roll back.
            self._resume_at(self._state.last_epoch + 1)
        restored = self.restore_best_weights and not self._best.empty
        if restored:
            self._best.restore()
        if self.verbose:
            print(self._summary(restored))

    # Decisions.

    def _make_rule(self, direction):
        return criteria.StopRule(
            criterion=self.criterion,
            direction=direction,
            patience=self.patience,
            min_delta=self.min_delta,
            min_delta_mode=self.min_delta_mode,
            baseline=self.baseline,
            alpha=self.alpha,
            strip_length=self.strip_length,
            strips=self.strips,
            smoothing_window=self.smoothing_window,
            stop_on_nan=self.stop_on_nan,
        )

    def _infer_direction(self):
        if self.mode != "auto":
            return self.mode
        name = self.monitor.removeprefix("val_")
        direction = "min" if name == "loss" else None
        for metric in _flat_metrics(self.model.metrics):
            # Keras marks a metric's direction only in the private `_direction`
            # ("up" or "down"); its own callbacks read it the same way.
            marked = getattr(metric, "_direction", None)
            if metric.name == name and marked is not None:
                direction = "max" if marked == "up" else "min"
        if direction is None:
            raise _validation.invalid(
                "mode",
                self.mode,
                f"'min' or 'max', because the direction of `{self.monitor}` "
                "cannot be inferred",
            )
        if self.criterion in ("gl", "pq") and direction == "max":
            raise _validation.invalid(
                "monitor",
                self.monitor,
                f"a quantity to minimize with criterion={self.criterion!r}",
            )
        return direction

    def _logged(self, logs, key, epoch):
        value = logs.get(key)
        if value is None and key not in self._warned:
            self._warned.add(key)
            available = ", ".join(sorted(logs)) or "none"
            warnings.warn(
                f"EarlyStopping needs `{key}`, which is not in the logs of epoch "
                f"{epoch + 1}; epochs without it are not counted. Available "
                f"keys: {available}.",
                stacklevel=3,
            )
        return value

    def _record(self, epoch, value, train_loss):
        state = self._state
        state.epochs.append(epoch)
        state.values.append(value)
        if self.criterion == "pq":
            state.train_losses.append(train_loss)
        verdict = self._evaluate()
        if verdict.stop:
            self._stop(epoch, verdict.reason)

    def _evaluate(self):
        """Set best, best_epoch and wait from the history; return the verdict."""
        state = self._state
        verdict = self._rule.evaluate(state.values, state.train_losses)
        state.best = verdict.best
        state.best_epoch = (
            None if verdict.best_index is None else state.epochs[verdict.best_index]
        )
        state.wait = verdict.wait
        return verdict

    def _stop(self, epoch, reason):
        if reason:
            self._state.stopped_epoch = epoch
            self._state.stop_reason = reason
            self.model.stop_training = True

    def _summary(self, restored):
        state = self._state
        lines = []
        if state.stopped_epoch is not None:
            lines.append(
                f"Epoch {state.stopped_epoch + 1}: early stopping, {state.stop_reason}."
            )
        if restored:
            lines.append(
                f"Restored the weights of epoch {state.best_epoch + 1} "
                f"({self.monitor}={state.best:.6g})."
            )
        else:
            lines.append("Kept the weights of the last epoch.")
        return " ".join(lines)

    # Files.

    def _keeps_weight_files(self):
        return self.state_path is not None and (
            self.restore_best_weights or self.best_model_path is not None
        )

    def _write_files(self, improved, best_before):
        """Write the epoch's files in an order that survives a kill anywhere.

        The best weights go to a new file before the state refers to it; the
        state names the epoch of the best model before that model is written,
        so a resumed run that finds it unwritten rewrites it; stale files go
        last. The state keeps the weights of the best epoch and of the one
        before it, which a roll-back of one epoch needs.
        """
        state = self._state
        if improved and self._keeps_weight_files():
            arrays = self._best_arrays()
            state.best_files[state.best_epoch] = _state.save_weights(
                arrays, self.state_path, state.best_epoch
            )
        keep = {state.best_epoch, best_before}
        state.best_files = {e: f for e, f in state.best_files.items() if e in keep}
        if improved and self.best_model_path:
            state.best_model_epoch = state.best_epoch
        if self.state_path:
            _state.save(state, self.state_path)
        if improved and self.best_model_path:
            self._write_best_model()
        if self.state_path:
            _state.remove_unreferenced(state, self.state_path)

    def _best_arrays(self):
        if self.restore_best_weights:
            return self._best.to_numpy()
        return [keras.ops.convert_to_numpy(v.value) for v in self.model.weights]

    def _write_best_model(self):
        with _atomic_io.replacing(self.best_model_path) as temporary:
            if self.best_model_path.endswith(".keras"):
                self.model.save(temporary)
            else:
                self.model.save_weights(temporary)

    def _remove_leftovers(self):
        if self.best_model_path:
            _atomic_io.remove_temporaries(self.best_model_path)
        if self.state_path:
            _state.remove_unreferenced(self._state, self.state_path)

    def _resume_at(self, epoch):
        """Continue a saved state in a run whose next epoch is `epoch`."""
        self._resuming = False
        state = self._state
        if state.last_epoch < epoch - 1:
            raise ValueError(
                f"The EarlyStopping state in {self.state_path!r} ends at epoch "
                f"{state.last_epoch + 1}, but training resumes at epoch "
                f"{epoch + 1}: the epochs in between were never recorded. Place "
                "EarlyStopping before keras.callbacks.BackupAndRestore in "
                "`callbacks` (kerasreg.callbacks.BackupAndRestore works in any "
                "order), or delete the state file to start afresh."
            )
        state.roll_back(epoch)
        if not state.values:  # A fresh run: nothing of the old one is kept.
            state.best, state.best_epoch, state.wait = None, None, 0
            state.direction = None
            return self._sync_best_model(None)
        self._rule = self._make_rule(state.direction)
        self._evaluate()
        arrays = self._load_best_arrays(epoch)
        if arrays is not None and self.restore_best_weights:
            self._best.load_numpy(arrays)
        self._sync_best_model(arrays)

    def _load_best_arrays(self, epoch):
        state = self._state
        if state.best_epoch is None or not self._keeps_weight_files():
            return None
        if state.best_epoch not in state.best_files:
            raise ValueError(
                f"Training resumes at epoch {epoch + 1}, more than one epoch "
                f"before the end of the EarlyStopping state in "
                f"{self.state_path!r}, which keeps the best weights for a "
                "roll-back of one epoch only. Back up at least once per epoch, "
                "e.g. with BackupAndRestore(save_freq='epoch')."
            )
        return _state.load_weights(self.state_path, state.best_files[state.best_epoch])

    def _sync_best_model(self, arrays):
        """Make `best_model_path` hold the best epoch again after a roll-back."""
        state = self._state
        if not (self._chief and self.best_model_path):
            return
        if state.best_epoch is None:
            _atomic_io.remove(self.best_model_path)
            state.best_model_epoch = None
        elif state.best_model_epoch != state.best_epoch:
            # Rare (after a kill): a host round trip is fine here.
            current = self.model.get_weights()
            self.model.set_weights(arrays)
            self._write_best_model()
            self.model.set_weights(current)
            state.best_model_epoch = state.best_epoch
