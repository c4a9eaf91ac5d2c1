"""EarlyStopping's mutable state, and how it is written and read atomically.

The state is one small dataclass. Its JSON file (`state_path`) is replaced
atomically at every epoch end; the best weights it needs are `.npz` files beside
it, each written under a fresh name before the JSON refers to it and deleted
only once the JSON no longer does. A process killed at any instant therefore
leaves a JSON whose every reference exists.
"""

import dataclasses
import glob
import os
import secrets

import numpy as np

from kerasreg.callbacks import _atomic_io

_FORMAT = 1


@dataclasses.dataclass
class EarlyStoppingState:
    """Everything an EarlyStopping run needs to continue after a restart.

    `epochs[i]`, `values[i]` and `train_losses[i]` describe the i-th monitored
    epoch (`train_losses` only for the "pq" criterion); `last_epoch` is the
    last epoch whose end was handled, monitored or not, so that a run resumed
    at an earlier epoch can roll the state back; `direction` is the monitored
    quantity's ("min" or "max"), fixed at the first monitored epoch.
    `best_files` maps an epoch to the `.npz` file holding its weights;
    `best_model_epoch` is the epoch whose model `best_model_path` holds.
    """

    epochs: list = dataclasses.field(default_factory=list)
    values: list = dataclasses.field(default_factory=list)
    train_losses: list = dataclasses.field(default_factory=list)
    last_epoch: int = -1
    direction: str | None = None
    best: float | None = None
    best_epoch: int | None = None
    wait: int = 0
    stopped_epoch: int | None = None
    stop_reason: str = ""
    best_files: dict = dataclasses.field(default_factory=dict)
    best_model_epoch: int | None = None

    def roll_back(self, epoch):
        """Forget every epoch from `epoch` on (a resumed run repeats them)."""
        kept = sum(1 for e in self.epochs if e < epoch)
        del self.epochs[kept:], self.values[kept:], self.train_losses[kept:]
        self.last_epoch = min(self.last_epoch, epoch - 1)
        if self.stopped_epoch is not None and self.stopped_epoch >= epoch:
            self.stopped_epoch, self.stop_reason = None, ""
        if self.best_model_epoch is not None and self.best_model_epoch >= epoch:
            self.best_model_epoch = None
        self.best_files = {e: f for e, f in self.best_files.items() if e < epoch}

    def to_json(self):
        config = dataclasses.asdict(self)
        # JSON object keys are strings.
        config["best_files"] = {str(e): f for e, f in self.best_files.items()}
        return {"format": _FORMAT, **config}

    @classmethod
    def from_json(cls, config):
        config = dict(config)
        config.pop("format")
        config["best_files"] = {int(e): f for e, f in config["best_files"].items()}
        return cls(**config)


def _weights_pattern(state_path):
    return f"{os.path.abspath(state_path)}.best-"


def save(state, state_path):
    _atomic_io.write_json(state_path, state.to_json())


def load(state_path):
    """The saved state, or `None` when `state_path` does not exist."""
    if not os.path.exists(state_path):
        return None
    return EarlyStoppingState.from_json(_atomic_io.read_json(state_path))


def save_weights(arrays, state_path, epoch):
    """Write `arrays` to a new `.npz` beside `state_path`; return its file name."""
    path = f"{_weights_pattern(state_path)}{epoch}-{secrets.token_hex(4)}.npz"
    with _atomic_io.replacing(path) as temporary, open(temporary, "wb") as f:
        np.savez(f, *arrays)
    return os.path.basename(path)


def load_weights(state_path, name):
    path = os.path.join(os.path.dirname(os.path.abspath(state_path)), name)
    with np.load(path) as data:
        return [data[f"arr_{i}"] for i in range(len(data.files))]


def remove_unreferenced(state, state_path):
    """Delete weight files and temporaries that `state` no longer refers to."""
    referenced = set(state.best_files.values())
    for path in glob.glob(f"{glob.escape(_weights_pattern(state_path))}*"):
        if os.path.basename(path) not in referenced:
            _atomic_io.remove(path)
    _atomic_io.remove_temporaries(state_path)
    folder, name = os.path.split(os.path.abspath(state_path))
    weight_temporaries = f".{glob.escape(name)}.best-*{_atomic_io.TEMPORARY_MARK}*"
    for path in glob.glob(os.path.join(folder, weight_temporaries)):
        _atomic_io.remove(path)
