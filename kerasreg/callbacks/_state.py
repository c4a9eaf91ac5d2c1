"""EarlyStopping's mutable state, and Keras' attributes over it.

The state is one small dataclass: everything a run needs to continue after a
restart, which `_state_files.StateFiles` keeps on disk. `KerasAttributes` gives
EarlyStopping Keras' attributes (`best`, `wait`, `monitor_op`, ...) with
Keras' meaning, read from and written to that state, and checked when
written, so that a value written as in Keras is also what is saved and resumed.
"""

import dataclasses

from kerasreg import _validation
from kerasreg.callbacks import _monitor


@dataclasses.dataclass
class EarlyStoppingState:
    """Everything an EarlyStopping run needs to continue after a restart.

    `epochs[i]`, `values[i]` and `train_losses[i]` describe the i-th monitored
    epoch (`train_losses` only for the "pq" criterion) and `carries[i]` the
    `[best, best_epoch, wait]` after it, so that a roll-back restores them even
    where they were written by hand; `last_epoch` is the last epoch whose end
    was handled, monitored or not, so that a run resumed at an earlier epoch
    can roll the state back; `direction` is the monitored quantity's ("min" or
    "max"), fixed at the first monitored epoch. Training stopped when
    `stop_reason` is not empty (`stopped_epoch` keeps Keras' meaning: 0 until
    a stop). `best_files` maps an epoch to the `.npz` file holding its weights;
    `best_model_epoch` is the epoch whose model `best_model_path` holds.
    """

    epochs: list = dataclasses.field(default_factory=list)
    values: list = dataclasses.field(default_factory=list)
    train_losses: list = dataclasses.field(default_factory=list)
    carries: list = dataclasses.field(default_factory=list)
    last_epoch: int = -1
    direction: str | None = None
    best: float | None = None
    best_epoch: int | None = None
    wait: int = 0
    stopped_epoch: int = 0
    stop_reason: str = ""
    best_files: dict = dataclasses.field(default_factory=dict)
    best_model_epoch: int | None = None

    def record(self, epoch, value, train_loss=None):
        """Append a monitored epoch, before the rule decides on it."""
        self.epochs.append(epoch)
        self.values.append(value)
        if train_loss is not None:
            self.train_losses.append(train_loss)

    def set_carry(self, best, best_epoch, wait):
        """The rule's decision after the last recorded epoch."""
        self.best, self.best_epoch, self.wait = best, best_epoch, wait
        self.carries.append([best, best_epoch, wait])

    def roll_back(self, epoch):
        """Forget every epoch from `epoch` on (a resumed run repeats them)."""
        kept = sum(1 for e in self.epochs if e < epoch)
        del self.epochs[kept:], self.values[kept:], self.carries[kept:]
        del self.train_losses[kept:]
        self.best, self.best_epoch, self.wait = (
            self.carries[-1] if self.carries else (None, None, 0)
        )
        self.last_epoch = min(self.last_epoch, epoch - 1)
        if self.stop_reason and self.stopped_epoch >= epoch:
            self.stopped_epoch, self.stop_reason = 0, ""
        if self.best_model_epoch is not None and self.best_model_epoch >= epoch:
            self.best_model_epoch = None
        self.best_files = {e: f for e, f in self.best_files.items() if e < epoch}

    def summary(self, monitor, restored):
        """What `verbose=1` prints at the end of training: why it stopped,
        and which weights the model holds (`restored`: the best ones)."""
        lines = []
        if self.stop_reason:
            lines.append(
                f"Epoch {self.stopped_epoch + 1}: early stopping, {self.stop_reason}."
            )
        if restored and self.best_epoch is not None and self.best is not None:
            lines.append(
                f"Restored the weights of epoch {self.best_epoch + 1} "
                f"({monitor}={self.best:.6g})."
            )
        elif restored:
            lines.append("Restored the best weights.")
        else:
            lines.append("Kept the weights of the last epoch.")
        return " ".join(lines)

    def to_json(self):
        config = dataclasses.asdict(self)
        # JSON object keys are strings.
        config["best_files"] = {str(e): f for e, f in self.best_files.items()}
        return config


class KerasAttributes:
    """Keras' EarlyStopping attributes over `self._state` (an
    `EarlyStoppingState`) and `self._weights` (the copy of the best weights).
    """

    @property
    def monitor_op(self):
        """`keras.ops.less` ("min") or `keras.ops.greater` ("max"), the
        comparison that tells an improvement; `None` until known."""
        return _monitor.comparison(self._state.direction)

    @monitor_op.setter
    def monitor_op(self, value):
        self._state.direction = _monitor.direction_of(value)

    @property
    def best(self):
        """The best monitored value (smoothed, if smoothing), or `None`."""
        return self._state.best

    @best.setter
    def best(self, value):
        if value is not None:
            value = _validation.check_float("best", value)
        self._state.best = value

    @property
    def wait(self):
        """Epochs since the patience counter was reset (since the best, for
        Prechelt's criteria)."""
        return self._state.wait

    @wait.setter
    def wait(self, value):
        self._state.wait = _validation.check_int("wait", value, low=0)

    @property
    def stopped_epoch(self):
        """The epoch (0-based) at which training stopped; 0 until then, as
        in Keras (`stop_reason` tells whether it stopped)."""
        return self._state.stopped_epoch

    @stopped_epoch.setter
    def stopped_epoch(self, value):
        self._state.stopped_epoch = _validation.check_int("stopped_epoch", value)

    @property
    def best_epoch(self):
        """The epoch (0-based) with the best monitored value; 0 until then,
        as in Keras."""
        best_epoch = self._state.best_epoch
        return 0 if best_epoch is None else best_epoch

    @best_epoch.setter
    def best_epoch(self, value):
        self._state.best_epoch = _validation.check_int("best_epoch", value, low=0)

    @property
    def best_weights(self):
        """The best epoch's weights as host arrays (a copy from the device),
        or `None`; restored at train end when `restore_best_weights`."""
        return self._weights.value

    @best_weights.setter
    def best_weights(self, value):
        self._weights.write(value)

    @property
    def stop_reason(self):
        """Why training stopped; empty when it did not."""
        return self._state.stop_reason
