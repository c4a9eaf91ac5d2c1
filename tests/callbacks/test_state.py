"""EarlyStopping's state, directly: roll-back."""

from kerasreg.callbacks import _state


def _state_after(values):
    """A state as the patience rule (patience 2) leaves it after `values`."""
    state = _state.EarlyStoppingState(direction="min")
    best, best_epoch, wait = None, None, 0
    for epoch, value in enumerate(values):
        state.record(epoch, value)
        wait += 1
        if best is None or value < best:
            best, best_epoch, wait = value, epoch, 0
        state.set_carry(best, best_epoch, wait)
        state.last_epoch = epoch
    return state


def test_roll_back_restores_the_carry_of_the_last_kept_epoch():
    state = _state_after([1.0, 0.5, 0.75, 0.875])
    state.stopped_epoch, state.stop_reason = 3, "no improvement"
    # A value written by hand after epoch 1 is what a roll-back to 2 restores.
    state.carries[1] = [0.25, 1, 1]
    state.roll_back(2)
    assert (state.epochs, state.values, state.last_epoch) == ([0, 1], [1.0, 0.5], 1)
    assert (state.best, state.best_epoch, state.wait) == (0.25, 1, 1)
    assert (state.stopped_epoch, state.stop_reason) == (0, "")
    state.roll_back(0)
    assert (state.best, state.best_epoch, state.wait, state.carries) == (
        None,
        None,
        0,
        [],
    )
