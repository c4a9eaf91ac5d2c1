"""EarlyStopping's files: its state, best weights and best model, written
atomically and read back checked.

`StateFiles` owns everything EarlyStopping keeps on disk: the state JSON
(`state_path`), replaced atomically at every epoch end; the best weights it
needs, `.npz` files beside it, each written under a fresh name before the JSON
refers to it and deleted only once the JSON no longer does; and the best model
(`best_model_path`). A process killed at any instant therefore leaves a JSON
whose every reference exists, and a resumed run rolls the state back to where
training restarts.

The JSON records the configuration it belongs to (monitor, mode, the rule and
its arguments) and its format; a file from another configuration, another
program, or damaged on disk is an error that names it and says what is wrong.
"""

import glob
import io
import os
import secrets
import zipfile

import numpy as np

from kerasreg import _filesystem
from kerasreg.callbacks import _epoch_end, _paths
from kerasreg.callbacks._chief import is_chief
from kerasreg.callbacks._state import EarlyStoppingState

FORMAT = 2
_KIND = "kerasreg.callbacks.EarlyStopping"
_BEST_MODEL_SUFFIXES = (".keras", ".weights.h5")
_WHAT = "kerasreg EarlyStopping state"
_START_AFRESH = "Delete it to start afresh."
# What NumPy raises for a file that is not a whole `.npz` of plain arrays.
_UNREADABLE = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile)


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, int | float) and not isinstance(value, bool)


def _optional(check):
    return lambda value: value is None or check(value)


def _list_of(check):
    return lambda value: isinstance(value, list) and all(check(v) for v in value)


def _is_carry(value):
    return (
        isinstance(value, list)
        and len(value) == 3
        and (value[0] is None or _is_number(value[0]))
        and (value[1] is None or _is_int(value[1]))
        and _is_int(value[2])
    )


_FIELD_CHECKS = {
    "epochs": (_list_of(_is_int), "a list of epochs"),
    "values": (_list_of(_is_number), "a list of numbers"),
    "train_losses": (_list_of(_is_number), "a list of numbers"),
    "carries": (_list_of(_is_carry), "a list of [best, best_epoch, wait]"),
    "last_epoch": (_is_int, "an int"),
    "direction": (lambda v: v in (None, "min", "max"), "'min', 'max' or null"),
    "best": (_optional(_is_number), "a number or null"),
    "best_epoch": (_optional(_is_int), "an int or null"),
    "wait": (_is_int, "an int"),
    "stopped_epoch": (_is_int, "an int"),
    "stop_reason": (lambda v: isinstance(v, str), "a string"),
    "best_files": (lambda v: isinstance(v, dict), "an object"),
    "best_model_epoch": (_optional(_is_int), "an int or null"),
}


def owned_patterns(state_path):
    """The `glob` patterns of the files EarlyStopping writes, and so deletes,
    beside `state_path`: best weights, and the temporaries of both."""
    folder, name = _filesystem.split(state_path)
    escaped = glob.escape(name)
    return [
        _filesystem.join(folder, f"{escaped}.best-*"),
        _filesystem.temporaries_pattern(state_path),
        _filesystem.join(folder, f".{escaped}.best-*{_filesystem.TEMPORARY_MARK}*"),
    ]


def checked_paths(state_path, best_model_path):
    """`state_path` and `best_model_path` as str paths (or `None`), checked:
    file paths (the best model's ending in `.keras` or `.weights.h5`), neither
    of them among the files written, and so deleted, for the other."""
    if best_model_path is not None:
        best_model_path = _paths.check_path(
            "best_model_path", best_model_path, _paths.FILE, _BEST_MODEL_SUFFIXES
        )
    if state_path is not None:
        state_path = _paths.check_path("state_path", state_path)
    _paths.check_apart(
        {
            "state_path": (
                state_path,
                owned_patterns(state_path) if state_path else [],
            ),
            "best_model_path": (
                best_model_path,
                [_filesystem.temporaries_pattern(best_model_path)]
                if best_model_path
                else [],
            ),
        }
    )
    return state_path, best_model_path


class StateFiles:
    """The files of one EarlyStopping in one `fit`: state, best weights, best model.

    Every process reads the state; only the chief writes files.

    Args:
        state_path: the state JSON, or `None` for no state.
        best_model_path: where the best model is written (`.keras` or
            `.weights.h5`), or `None`.
        identity: the configuration the state belongs to, a JSON object. Its
            `restore_best_weights` says whether the best weights are kept, and
            so saved with the state.
        model: the model being trained.
        weights: the callback's copy of the best weights (a
            `_best_weights.DeviceCopy` or `HostCopy`), saved from and loaded
            into.
    """

    def __init__(self, state_path, best_model_path, identity, model, weights):
        self.state_path = state_path
        self.best_model_path = best_model_path
        self.identity = identity
        self._model = model
        self._weights = weights
        self._restores = identity["restore_best_weights"]
        self._chief = is_chief(model)

    @property
    def _keeps_weight_files(self):
        return self.state_path is not None and (
            self._restores or self.best_model_path is not None
        )

    # Reading.

    def load(self):
        """The saved state, or `None` when there is no state file.

        On the chief, what a process killed mid-write left behind is then
        deleted (only now: a file that failed to load is left as found).
        """
        state = None
        if self.state_path is not None:
            # The backups of this `fit` wait for the state (`_epoch_end`).
            _epoch_end.keep_state(self, self._model)
            if _filesystem.exists(self.state_path):
                state = self._read()
        if self._chief:
            self._remove_leftovers(state or EarlyStoppingState())
        return state

    def _read(self):
        config = self._read_record()
        state = config["state"]
        for name, (check, expected) in _FIELD_CHECKS.items():
            if name not in state or not check(state[name]):
                self._damaged(f"`{name}` is not {expected}")
        unknown = sorted(set(state) - set(_FIELD_CHECKS))
        if unknown:
            self._damaged(f"unknown fields {unknown}")
        count = len(state["epochs"])
        if len(state["values"]) != count or len(state["carries"]) != count:
            self._damaged("the history lists differ in length")
        state["best_files"] = self._checked_best_files(state["best_files"])
        return EarlyStoppingState(**state)

    def _read_record(self):
        path = self.state_path
        try:
            config = _filesystem.read_record(path, _KIND, FORMAT, _WHAT)
        except _filesystem.DamagedRecord as reason:
            raise ValueError(
                f"The EarlyStopping state file {path!r} cannot be read: {reason}. "
                "Delete it to start afresh, or choose another `state_path`."
            ) from None
        if not isinstance(config.get("config"), dict) or not isinstance(
            config.get("state"), dict
        ):
            self._damaged('"config" or "state" is missing')
        differences = [
            f"{key}={config['config'].get(key)!r} there, {value!r} here"
            for key, value in self.identity.items()
            if config["config"].get(key) != value
        ]
        if differences or set(config["config"]) != set(self.identity):
            differences = differences or ["its arguments are not this version's"]
            raise ValueError(
                f"The EarlyStopping state file {path!r} belongs to another "
                f"configuration: {'; '.join(differences)}. Resume with the same "
                f"arguments, or use another `state_path`. {_START_AFRESH}"
            )
        return config

    def _checked_best_files(self, best_files):
        prefix = f"{_filesystem.split(self.state_path)[1]}.best-"
        checked = {}
        for epoch, name in best_files.items():
            valid_name = (
                isinstance(name, str)
                and name.startswith(prefix)
                and name.endswith(".npz")
                and "/" not in name
                and os.sep not in name
            )
            if not (epoch.isdigit() and valid_name):
                self._damaged(f"`best_files` has the entry {epoch!r}: {name!r}")
            checked[int(epoch)] = name
        return checked

    def _damaged(self, what):
        raise ValueError(
            f"The EarlyStopping state file {self.state_path!r} is damaged: "
            f"{what}. {_START_AFRESH}"
        )

    def _weights_path(self, name):
        return _filesystem.join(_filesystem.split(self.state_path)[0], name)

    def _load_weights(self, name):
        """The arrays of a best-weights file that the state refers to."""
        path = self._weights_path(name)
        if not _filesystem.exists(path):
            problem = "is missing"
        else:
            try:
                with np.load(io.BytesIO(_filesystem.read_bytes(path))) as data:
                    return [data[f"arr_{i}"] for i in range(len(data.files))]
            except _UNREADABLE as error:
                problem = f"cannot be read ({type(error).__name__}: {error})"
        raise ValueError(
            f"The best weights file {path!r}, which the EarlyStopping state "
            f"{self.state_path!r} refers to, {problem}. Delete the state file "
            "to start afresh."
        )

    # Writing.

    def write_epoch(self, state, improved, best_before):
        """Write the epoch's files (on the chief) in an order that survives a
        kill anywhere; then the epoch's backup may be committed.

        The best weights go to a new file before the state refers to it; the
        state names the epoch of the best model before that model is written,
        so a resumed run that finds it unwritten rewrites it; stale files go
        last. The state keeps the weights of the best epoch and of the one
        before it, which a roll-back of one epoch needs.

        Args:
            state: the state after the epoch.
            improved: whether the epoch is the new best.
            best_before: the best epoch before this one.
        """
        if self._chief:
            self._write_epoch(state, improved, best_before)
        _epoch_end.state_saved(self, self._model, state.last_epoch)

    def _write_epoch(self, state, improved, best_before):
        if improved and self._keeps_weight_files:
            state.best_files[state.best_epoch] = self._save_weights(state.best_epoch)
        keep = {state.best_epoch, best_before}
        state.best_files = {e: f for e, f in state.best_files.items() if e in keep}
        if improved and self.best_model_path:
            state.best_model_epoch = state.best_epoch
        if self.state_path:
            _filesystem.write_json(
                self.state_path,
                _filesystem.record(
                    _KIND, FORMAT, config=self.identity, state=state.to_json()
                ),
            )
        if improved and self.best_model_path:
            self._write_best_model()
        if self.state_path:
            self._remove_unreferenced(state)

    def _save_weights(self, epoch):
        """Write the best weights to a new `.npz` beside the state; return its
        name."""
        # Without restoring, the copy is empty: the epoch's weights are the best.
        if self._restores:
            arrays = self._weights.to_numpy()
        else:
            arrays = self._weights.current_numpy()
        name = (
            f"{_filesystem.split(self.state_path)[1]}.best-{epoch}-"
            f"{secrets.token_hex(4)}.npz"
        )
        # Through memory: a `tf.io.gfile` file cannot seek, which zip needs.
        buffer = io.BytesIO()
        np.savez(buffer, *arrays)
        _filesystem.write_bytes(self._weights_path(name), buffer.getvalue())
        return name

    def _write_best_model(self):
        with _filesystem.replacing(self.best_model_path) as temporary:
            if temporary.endswith(".keras"):
                self._model.save(temporary)
            else:
                self._model.save_weights(temporary)

    def _remove_leftovers(self, state):
        """Delete what a process killed mid-write left behind."""
        if self.best_model_path:
            _filesystem.remove_temporaries(self.best_model_path)
        if self.state_path:
            self._remove_unreferenced(state)

    def _remove_unreferenced(self, state):
        """Delete weight files and temporaries that `state` no longer refers to."""
        referenced = set(state.best_files.values())
        weights, *temporaries = owned_patterns(self.state_path)
        for path in _filesystem.glob(weights):
            if _filesystem.split(path)[1] not in referenced:
                _filesystem.remove(path)
        for pattern in temporaries:
            for path in _filesystem.glob(pattern):
                _filesystem.remove(path)

    # Resuming.

    def resume(self, state, epoch):
        """Continue `state` in a run whose next epoch is `epoch`.

        Rolls the state back to `epoch`, puts the best weights it names into
        the callback's copy, and, on the chief, makes `best_model_path` hold
        the best epoch's model again.
        """
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
        arrays = self._best_arrays(state, epoch)
        if arrays is not None and self._restores:
            source = self._weights_path(state.best_files[state.best_epoch])
            self._weights.load_numpy(arrays, source)
        if self._chief and self.best_model_path:
            self._sync_best_model(state, arrays)

    def _best_arrays(self, state, epoch):
        if state.best_epoch is None or not state.values or not self._keeps_weight_files:
            return None
        if state.best_epoch not in state.best_files:
            raise ValueError(
                f"Training resumes at epoch {epoch + 1}, more than one epoch "
                f"before the end of the EarlyStopping state in "
                f"{self.state_path!r}, which keeps the best weights for a "
                "roll-back of one epoch only. Back up at least once per epoch, "
                "e.g. with BackupAndRestore(save_freq='epoch')."
            )
        return self._load_weights(state.best_files[state.best_epoch])

    def _sync_best_model(self, state, arrays):
        """Make `best_model_path` hold the best epoch again after a roll-back."""
        if state.best_epoch is None or not state.values:
            _filesystem.remove(self.best_model_path)
            state.best_model_epoch = None
        elif state.best_model_epoch != state.best_epoch:
            # Rare (after a kill): a host round trip is fine here.
            current = self._model.get_weights()
            self._model.set_weights(arrays)
            self._write_best_model()
            self._model.set_weights(current)
            state.best_model_epoch = state.best_epoch
