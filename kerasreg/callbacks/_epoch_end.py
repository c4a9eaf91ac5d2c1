"""An epoch's backup is committed once every state of its `fit` holds the epoch.

kerasreg's BackupAndRestore commits its backup of an epoch at the epoch's end,
as Keras' does, so a run that dies after that resumes at the next epoch. An
EarlyStopping with a `state_path` must then hold the epoch too, and it saves it
in its own `on_epoch_end`, which may come after the backup's in `callbacks`.
So the commit waits for the states: each EarlyStopping that keeps one joins
its `fit` (`keep_state`) and reports every epoch it has saved (`state_saved`);
the backup hands its commit to `commit_when_saved`, which runs it at once when
every state already holds the epoch, or else when the last one reports it. A
run that dies in between resumes from the backup before, which every state
holds.
"""

import weakref

# model -> (the fit's `model.history`, _Fit); like `_paths`' claims, a new
# `fit` of the same model starts afresh.
_fits = weakref.WeakKeyDictionary()


class _Fit:
    def __init__(self):
        self.saved = weakref.WeakKeyDictionary()  # state owner -> epoch saved
        self.waiting = None  # (epoch, weak reference to the commit)


def _fit(model):
    token = getattr(model, "history", None)
    held = _fits.get(model)
    if held is None or held[0] is not token:
        held = (token, _Fit())
        _fits[model] = held
    return held[1]


def keep_state(owner, model):
    """Make the backups of `model`'s `fit` wait for `owner`'s state."""
    _fit(model).saved[owner] = -1


def state_saved(owner, model, epoch):
    """`owner`'s state holds `epoch`: run the commit that waited for it."""
    fit = _fit(model)
    if owner in fit.saved:
        fit.saved[owner] = epoch
        _run_ready(fit)


def commit_when_saved(model, epoch, commit):
    """Call `commit()` once every state of `model`'s `fit` holds `epoch`: now,
    or when the last one reports it. Replaces a commit still waiting."""
    fit = _fit(model)
    # Weak: the registry must not keep a callback (and its model) alive.
    fit.waiting = (epoch, weakref.WeakMethod(commit))
    _run_ready(fit)


def forget(model):
    """End `model`'s `fit` (at its end): drop its states and a commit still
    waiting. A later `fit` given the same `History` object (the token of a
    fit) then starts afresh instead of waiting for states it no longer has."""
    _fits.pop(model, None)


def _run_ready(fit):
    if fit.waiting is None:
        return
    epoch, commit = fit.waiting
    if all(saved >= epoch for saved in fit.saved.values()):
        fit.waiting = None
        commit = commit()
        if commit is not None:
            commit()
