"""A backup's commit waits for the EarlyStopping states of its `fit`."""

from kerasreg.callbacks import _epoch_end


class _Model:
    history = None  # One `fit` until replaced.


class _Backup:
    def __init__(self):
        self.commits = 0

    def commit(self):
        self.commits += 1


class _State:
    pass


def test_commits_at_once_when_no_state_waits():
    model, backup = _Model(), _Backup()
    _epoch_end.commit_when_saved(model, 0, backup.commit)
    assert backup.commits == 1


def test_commits_once_every_state_holds_the_epoch():
    model, backup = _Model(), _Backup()
    first, second = _State(), _State()
    _epoch_end.keep_state(first, model)
    _epoch_end.keep_state(second, model)
    _epoch_end.state_saved(first, model, 0)  # before the backup's epoch end
    _epoch_end.commit_when_saved(model, 0, backup.commit)
    assert backup.commits == 0  # `second` has not saved epoch 0
    _epoch_end.state_saved(second, model, 0)
    assert backup.commits == 1
    _epoch_end.state_saved(first, model, 1)  # nothing waits: nothing runs
    assert backup.commits == 1


def test_a_new_fit_forgets_the_states_of_the_last():
    model, backup = _Model(), _Backup()
    _epoch_end.keep_state(_State(), model)
    model.history = object()  # What a new `fit` does.
    _epoch_end.commit_when_saved(model, 0, backup.commit)
    assert backup.commits == 1


def test_a_waiting_commit_is_dropped_at_the_end_of_training():
    model, backup, state = _Model(), _Backup(), _State()
    _epoch_end.keep_state(state, model)
    _epoch_end.commit_when_saved(model, 0, backup.commit)
    _epoch_end.forget(model)
    _epoch_end.state_saved(state, model, 0)
    assert backup.commits == 0


def test_a_fit_that_reuses_the_history_object_forgets_the_last_fits_states():
    # A `History` passed in `callbacks` is reused by every `fit` given it.
    model, backup = _Model(), _Backup()
    model.history = object()
    finished = _State()
    _epoch_end.keep_state(finished, model)
    _epoch_end.state_saved(finished, model, 4)
    _epoch_end.forget(model)  # The last fit's end.
    state = _State()
    _epoch_end.keep_state(state, model)
    _epoch_end.state_saved(state, model, 6)
    _epoch_end.commit_when_saved(model, 6, backup.commit)
    assert backup.commits == 1  # Not waiting for `finished`, stuck at 4.
