"""The one place kerasreg uses private Keras names.

Keras keeps a few facts kerasreg needs behind private names. Each use is a
small named function here, and `tests/test_keras_private.py` checks every one
against the installed Keras, so that a Keras release that renames or changes
one fails that test loudly instead of changing kerasreg's behaviour silently.
"""


def metric_direction(metric):
    """ "min" or "max": whether `metric` improves downwards or upwards; `None`
    when Keras does not say.

    Keras marks a metric's direction only in the private `_direction` ("up" or
    "down"); its own callbacks (`MonitorCallback._set_monitor_op`) read it the
    same way.
    """
    marked = getattr(metric, "_direction", None)
    if marked is None:
        return None
    return "max" if marked == "up" else "min"


def set_initial_epoch(model, epoch):
    """Make `model.fit` start at `epoch` (`None`: at its `initial_epoch`).

    Keras offers no public way for a callback to choose the epoch `fit` starts
    from; its trainers read `model._initial_epoch` right after
    `on_train_begin`, which Keras' own BackupAndRestore sets.
    """
    model._initial_epoch = epoch
