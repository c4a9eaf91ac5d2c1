"""EarlyStopping: Keras parity, weights kept on the device, files, resume, errors."""

import doctest
import json
import math
import os
import re

import keras
import numpy as np
import pytest

import kerasreg
from kerasreg.callbacks import EarlyStopping, criteria
from tests.callbacks._support import (
    ScriptedLogs,
    WeightsLog,
    assert_weights_equal,
    drive,
    regression_data,
    tiny_model,
)
from tests.contracts import assert_config_round_trip, invalid_argument_message

# Multiples of 1/8 are exact in float32, in which Keras compares values.
VAL = [1.0, 0.75, 0.875, 0.5, 0.625, 0.625, 0.75, 0.875, 1.0, 1.0]
# Patience 2 on VAL: best 0.5 at epoch 3; epochs 4, 5 do not improve -> stop at 5.
VAL_STOP, VAL_BEST = 5, 3


def _improves(value, reference, min_delta, mode):
    return (
        value + min_delta < reference
        if mode == "min"
        else value - min_delta > reference
    )


def test_stops_at_the_same_epoch_as_keras_on_random_sequences():
    rng = np.random.default_rng(0)
    model = tiny_model()
    differences = 0
    for _ in range(150):
        values = (rng.integers(0, 24, size=int(rng.integers(2, 20))) / 8).tolist()
        kwargs = dict(
            monitor="val_score",
            mode=str(rng.choice(["min", "max"])),
            patience=int(rng.integers(0, 5)),
            min_delta=float(rng.choice([0.0, 0.25, 0.5])),
            start_from_epoch=int(rng.integers(0, 4)),
            baseline=None if rng.random() < 0.6 else float(rng.integers(0, 24) / 8),
        )
        ours = EarlyStopping(**kwargs)
        theirs = keras.callbacks.EarlyStopping(**kwargs)
        ours_stop = drive(ours, values, "val_score", model)
        theirs_stop = drive(theirs, values, "val_score", model)
        if ours_stop == theirs_stop:
            # The same best too: its epoch, and its value (`None` in both
            # when no epoch was monitored).
            assert (ours.best_epoch, ours.best) == (theirs.best_epoch, theirs.best)
            continue
        # The one documented difference: an epoch that improves on the best but
        # not on the baseline may stop training here, never in Keras.
        differences += 1
        assert kwargs["baseline"] is not None
        assert theirs_stop is None or ours_stop < theirs_stop
        value = values[ours_stop]
        assert ours.best_epoch == ours_stop
        assert not _improves(
            value, kwargs["baseline"], kwargs["min_delta"], kwargs["mode"]
        )
    assert 0 < differences < 40


def test_keras_never_stops_below_a_baseline_it_never_reaches():
    values = [1.0, 0.875, 0.75, 0.625, 0.5, 0.375]
    theirs = keras.callbacks.EarlyStopping(patience=2, baseline=0.25)
    assert drive(theirs, values) is None
    ours = EarlyStopping(patience=2, baseline=0.25)
    assert drive(ours, values) == 1
    assert ours.best_epoch == 1


def test_nan_is_never_best_unlike_keras():
    values = [math.nan, 1.0, 0.5]
    theirs = keras.callbacks.EarlyStopping(patience=2)
    assert drive(theirs, values) == 2
    assert theirs.best_epoch == 0 and math.isnan(theirs.best)  # Keras 3.15
    ours = EarlyStopping(patience=2, stop_on_nan=False)
    assert drive(ours, values) is None
    assert (ours.best_epoch, ours.best) == (2, 0.5)
    stopping = EarlyStopping(patience=2)
    assert drive(stopping, [1.0, math.inf, 0.5]) == 1
    assert stopping.stop_reason == "the monitored value is inf"
    assert stopping.best_epoch == 0


@pytest.mark.parametrize(
    "kwargs,values,train",
    [
        (dict(criterion="gl", alpha=10.0), [1.0, 0.8, 0.85, 0.9, 0.7], None),
        (
            dict(criterion="pq", alpha=2.0, strip_length=2),
            [1.0, 0.8, 0.88, 0.9, 0.95],
            [1.0, 0.9, 0.85, 0.84, 0.83],
        ),
        (dict(criterion="up", strip_length=1, strips=2), [3.0, 2.0, 2.5, 2.75], None),
        (
            dict(patience=1, min_delta=0.05, min_delta_mode="relative"),
            [10, 9, 8.5, 8.2],
            None,
        ),
        (
            dict(patience=1, smoothing_window=2),
            [4, 2, 3, 1, 2, 0.5, 1.5, 1.25, 2],
            None,
        ),
        (dict(patience=1, start_from_epoch=2), [1.0, 2.0, 3.0, 2.5, 2.75], None),
    ],
    ids=["gl", "pq", "up", "relative", "smoothing", "start_from_epoch"],
)
def test_callback_takes_the_decisions_of_its_rule(kwargs, values, train):
    callback = EarlyStopping(**kwargs)
    stopped = drive(callback, values, train_losses=train)
    rule_kwargs = {k: v for k, v in kwargs.items() if k != "start_from_epoch"}
    rule = criteria.StopRule(**rule_kwargs)
    skip = kwargs.get("start_from_epoch", 0)
    expected = criteria.first_stop(rule, values[skip:], (train or [])[skip:])
    assert stopped == expected + skip
    assert callback.stopped_epoch == stopped


def _fit(callbacks, epochs=10, model=None, **kwargs):
    model = model or tiny_model()
    x, y = regression_data()
    history = model.fit(
        x,
        y,
        epochs=epochs,
        batch_size=16,
        shuffle=False,
        verbose=0,
        validation_data=(x[:16], y[:16]),
        callbacks=callbacks,
        **kwargs,
    )
    return model, history


def test_restores_best_weights_from_device_copies_without_host_round_trip():
    model = tiny_model()

    def forbidden(*args, **kwargs):
        raise AssertionError("no host round trip expected")

    model.get_weights = model.set_weights = forbidden
    log = WeightsLog()
    stop = EarlyStopping(patience=2)
    _fit([ScriptedLogs(VAL), log, stop], model=model)
    assert (stop.stopped_epoch, stop.best_epoch, stop.best) == (VAL_STOP, VAL_BEST, 0.5)
    assert_weights_equal([v.numpy() for v in model.weights], log.weights[VAL_BEST])


def test_restore_best_weights_false_keeps_the_last_weights():
    log = WeightsLog()
    stop = EarlyStopping(patience=2, restore_best_weights=False)
    model, _ = _fit([ScriptedLogs(VAL), log, stop])
    assert_weights_equal(model.get_weights(), log.weights[VAL_STOP])


@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"], ids=["keras", "weights"])
def test_best_model_path_holds_the_best_epoch(tmp_path, suffix):
    path = tmp_path / f"best{suffix}"
    log = WeightsLog()
    _fit([ScriptedLogs(VAL), log, EarlyStopping(patience=2, best_model_path=path)])
    if suffix == ".keras":
        saved = keras.saving.load_model(path).get_weights()
    else:
        clone = tiny_model()
        clone.load_weights(path)
        saved = clone.get_weights()
    assert_weights_equal(saved, log.weights[VAL_BEST])
    assert sorted(os.listdir(tmp_path)) == [f"best{suffix}"]  # no temporaries left


class _Interrupt(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise RuntimeError("interrupted")


@pytest.mark.parametrize("backup", ["keras", "kerasreg"])
def test_resume_with_backup_stops_like_an_uninterrupted_run(tmp_path, backup):
    backup_cls = {
        "keras": keras.callbacks.BackupAndRestore,
        "kerasreg": kerasreg.callbacks.BackupAndRestore,
    }[backup]
    reference = EarlyStopping(patience=2)
    expected, _ = _fit([ScriptedLogs(VAL), reference])

    def callbacks(interrupt=None):
        stop = EarlyStopping(patience=2, state_path=tmp_path / "es.json")
        found = [ScriptedLogs(VAL), stop, backup_cls(str(tmp_path / "backup"))]
        return stop, found + ([_Interrupt(interrupt)] if interrupt else [])

    model = tiny_model()
    for interrupt in (2, 4, 5):  # before the best, after it, at the stop epoch
        _, found = callbacks(interrupt)
        with pytest.raises(RuntimeError, match="interrupted"):
            _fit(found, model=model)
    stop, found = callbacks()
    _, history = _fit(found, model=model)
    assert len(history.history["loss"]) == 1  # only epoch 5 was left
    assert (stop.stopped_epoch, stop.best_epoch) == (VAL_STOP, VAL_BEST)
    assert_weights_equal(model.get_weights(), expected.get_weights())


def test_state_that_lags_behind_the_backup_is_an_error(tmp_path):
    state_path = tmp_path / "es.json"
    _fit(
        [ScriptedLogs(VAL), EarlyStopping(patience=5, state_path=state_path)], epochs=3
    )
    message = (
        f"The EarlyStopping state in {str(state_path)!r} ends at epoch 3, but "
        "training resumes at epoch 5: the epochs in between were never "
        "recorded. Place EarlyStopping before keras.callbacks.BackupAndRestore "
        "in `callbacks` (kerasreg.callbacks.BackupAndRestore works in any "
        "order), or delete the state file to start afresh."
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        _fit(
            [ScriptedLogs(VAL), EarlyStopping(patience=5, state_path=state_path)],
            initial_epoch=4,
        )


def test_state_file_is_small_json_with_the_history(tmp_path):
    state_path = tmp_path / "es.json"
    _fit([ScriptedLogs(VAL), EarlyStopping(patience=2, state_path=state_path)])
    saved = json.loads(state_path.read_text())
    assert (saved["kind"], saved["format"]) == ("kerasreg.callbacks.EarlyStopping", 2)
    assert saved["config"]["monitor"] == "val_loss"
    assert saved["config"]["patience"] == 2
    state = saved["state"]
    assert state["values"] == VAL[: VAL_STOP + 1]
    assert (state["best_epoch"], state["stopped_epoch"], state["last_epoch"]) == (
        3,
        5,
        5,
    )
    # Only the best epoch's weights remain beside it.
    assert sorted(os.listdir(tmp_path)) == sorted(["es.json", state["best_files"]["3"]])


def test_reused_instance_starts_fresh(tmp_path):
    stop = EarlyStopping(patience=2)
    for _ in range(2):
        _fit([ScriptedLogs(VAL), stop])
        assert (stop.stopped_epoch, stop.best_epoch, stop.wait) == (
            VAL_STOP,
            VAL_BEST,
            2,
        )
    # With a state_path, a new fit from epoch 0 repeats every epoch: fresh too.
    stop = EarlyStopping(patience=2, state_path=tmp_path / "es.json")
    for _ in range(2):
        _, history = _fit([ScriptedLogs(VAL), stop])
        assert len(history.history["loss"]) == VAL_STOP + 1


def test_message_names_criterion_epoch_and_restored_weights(capsys):
    _fit([ScriptedLogs(VAL), EarlyStopping(patience=2, verbose=1)])
    assert capsys.readouterr().out.strip() == (
        "Epoch 6: early stopping, criterion 'patience': no improvement in 2 "
        "epoch(s) (patience=2). Restored the weights of epoch 4 (val_loss=0.5)."
    )


def test_missing_monitor_warns_with_the_available_keys():
    stop = EarlyStopping(monitor="val_los", mode="min")
    with pytest.warns(UserWarning) as record:
        _fit([stop], epochs=2)
    assert len(record) == 1
    assert str(record[0].message) == (
        "EarlyStopping needs `val_los`, which is not in the logs of epoch 1; "
        "epochs without it are not counted. Available keys: loss, val_loss."
    )
    # Keras' values when nothing was monitored.
    assert (stop.best_epoch, stop.stopped_epoch, stop.best, stop.stop_reason) == (
        0,
        0,
        None,
        "",
    )


def test_auto_mode_reads_the_metric_direction():
    model = tiny_model()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", keras.metrics.R2Score()])
    stop = EarlyStopping(monitor="val_r2_score", patience=1)
    _fit([ScriptedLogs([0.1, 0.5, 0.4], "val_r2_score"), stop], model=model)
    assert (stop.stopped_epoch, stop.best_epoch) == (2, 1)  # maximized
    stop = EarlyStopping(monitor="val_mae", patience=1)
    _fit([ScriptedLogs([0.5, 0.1, 0.4], "val_mae"), stop], model=model)
    assert (stop.stopped_epoch, stop.best_epoch) == (2, 1)  # minimized


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (
            dict(monitor="val_unknown"),
            "Invalid value for argument `mode`. Expected 'min' or 'max', because "
            "the direction of `val_unknown` cannot be inferred. Received: mode='auto'",
        ),
        (
            dict(monitor="val_r2_score", criterion="gl", alpha=1.0),
            "Invalid value for argument `monitor`. Expected a quantity to minimize "
            "with criterion='gl'. Received: monitor='val_r2_score'",
        ),
    ],
    ids=["unknown_direction", "gl_of_a_maximized_metric"],
)
def test_auto_mode_errors(kwargs, message):
    model = tiny_model()
    model.compile(optimizer="sgd", loss="mse", metrics=[keras.metrics.R2Score()])
    key = kwargs["monitor"]
    with pytest.raises(ValueError, match=re.escape(message)):
        _fit([ScriptedLogs([1.0], key), EarlyStopping(**kwargs)], model=model, epochs=1)


NOT_USED = "(its default), because criterion={!r} does not use it"
BAD_ARGUMENTS = [
    # (kwargs, error, argument, value, expected)
    (dict(patience=-1), ValueError, "patience", -1, "an int in [0, inf]"),
    (dict(patience=1.5), TypeError, "patience", 1.5, "an int"),
    (
        dict(mode="minimum"),
        ValueError,
        "mode",
        "minimum",
        "one of 'auto', 'min', 'max'",
    ),
    (
        dict(criterion="prechelt"),
        ValueError,
        "criterion",
        "prechelt",
        "one of 'patience', 'gl', 'pq', 'up'",
    ),
    (
        dict(criterion="gl"),
        ValueError,
        "alpha",
        None,
        "a float >= 0 with criterion='gl'",
    ),
    (
        dict(criterion="pq"),
        ValueError,
        "alpha",
        None,
        "a float >= 0 with criterion='pq'",
    ),
    (
        dict(criterion="up", strip_length=0),
        ValueError,
        "strip_length",
        0,
        "an int in [1, inf]",
    ),
    (dict(criterion="up", strips=0), ValueError, "strips", 0, "an int in [1, inf]"),
    (dict(min_delta=-0.1), ValueError, "min_delta", -0.1, "a finite float in [0, inf)"),
    (
        dict(min_delta=1.0, min_delta_mode="relative"),
        ValueError,
        "min_delta",
        1.0,
        "a finite float in [0, 1)",
    ),
    (
        dict(min_delta_mode="percent"),
        ValueError,
        "min_delta_mode",
        "percent",
        "one of 'absolute', 'relative'",
    ),
    (
        dict(baseline=math.inf),
        ValueError,
        "baseline",
        math.inf,
        "a finite float in [-inf, inf)",
    ),
    (dict(alpha=5.0), ValueError, "alpha", 5.0, "None " + NOT_USED.format("patience")),
    (
        dict(criterion="gl", alpha=1.0, patience=3),
        ValueError,
        "patience",
        3,
        "0 " + NOT_USED.format("gl"),
    ),
    (
        dict(criterion="up", alpha=1.0),
        ValueError,
        "alpha",
        1.0,
        "None " + NOT_USED.format("up"),
    ),
    (
        dict(criterion="gl", alpha=1.0, mode="max"),
        ValueError,
        "mode",
        "max",
        "'auto' or 'min' with criterion='gl', which needs a positive quantity "
        "to minimize",
    ),
    (
        dict(best_model_path="best.h5"),
        ValueError,
        "best_model_path",
        "best.h5",
        "a path ending in '.keras' or '.weights.h5'",
    ),
    (dict(state_path=3), TypeError, "state_path", 3, "a path"),
    (
        dict(restore_best_weights=1),
        TypeError,
        "restore_best_weights",
        1,
        "a bool",
    ),
    (
        dict(smoothing_window=0),
        ValueError,
        "smoothing_window",
        0,
        "an int in [1, inf]",
    ),
    (dict(monitor=""), TypeError, "monitor", "", "a non-empty str"),
]


@pytest.mark.parametrize(
    "kwargs,error,argument,value,expected",
    BAD_ARGUMENTS,
    ids=[f"{case[2]}={case[3]!r}" for case in BAD_ARGUMENTS],
)
def test_bad_arguments(kwargs, error, argument, value, expected):
    message = invalid_argument_message(argument, value, expected)
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        EarlyStopping(**kwargs)


def test_config_round_trip_and_registration():
    stop = EarlyStopping(criterion="up", strip_length=2, strips=3, state_path="s.json")
    assert_config_round_trip(stop)
    assert keras.saving.get_registered_name(EarlyStopping) == "kerasreg>EarlyStopping"
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(stop)
    )
    assert restored.get_config() == stop.get_config()


@pytest.mark.parametrize(
    "cls", [EarlyStopping, kerasreg.callbacks.BackupAndRestore], ids=["es", "bar"]
)
def test_docstring_example_runs(cls):
    # The names the docstrings' examples use, as `conftest.py` gives them.
    names = {"keras": keras, "kerasreg": kerasreg, "np": np}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(cls, globs=names):
        runner.run(test)
    summary = runner.summarize(verbose=False)
    assert summary.attempted > 0 and summary.failed == 0


# Keras' signature and attributes (issue 13).


def test_is_keras_early_stopping():
    stop = EarlyStopping()
    assert isinstance(stop, keras.callbacks.EarlyStopping)
    assert isinstance(stop, keras.callbacks.Callback)
    # Keras' own has none of kerasreg's criteria, files or state.
    assert not isinstance(keras.callbacks.EarlyStopping(), EarlyStopping)


def test_positional_arguments_follow_keras_order():
    ours = EarlyStopping("loss", 0.25, 3, 1, "max", 2.0, False, 4)
    theirs = keras.callbacks.EarlyStopping("loss", 0.25, 3, 1, "max", 2.0, False, 4)
    for name in (
        "monitor",
        "min_delta",
        "patience",
        "verbose",
        "mode",
        "baseline",
        "restore_best_weights",
        "start_from_epoch",
    ):
        assert getattr(ours, name) == getattr(theirs, name), name
    with pytest.raises(TypeError):
        EarlyStopping("loss", 0, 1, 0, "auto", None, True, 0, "gl")


def test_written_best_and_wait_mean_what_they_mean_in_keras():
    values = [1.0, 0.75, 0.625, 0.5]

    class Writer(keras.callbacks.Callback):
        def __init__(self, stop):
            super().__init__()
            self.stop = stop

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0:  # After the stopper's epoch end: the next compares.
                self.stop.best, self.stop.wait = 0.25, 1

    for stop in (EarlyStopping(patience=2), keras.callbacks.EarlyStopping(patience=2)):
        _fit([ScriptedLogs(values), stop, Writer(stop)])
        # 0.75 does not beat the written best 0.25: wait 2 -> stop at epoch 1.
        assert (stop.stopped_epoch, stop.best, stop.wait) == (1, 0.25, 2)


def test_written_monitor_op_sets_the_direction():
    stop = EarlyStopping(monitor="val_score", patience=1)
    stop.monitor_op = keras.ops.greater
    assert drive(stop, [1.0, 2.0, 1.5], "val_score") == 2
    assert (stop.best_epoch, stop.best, stop.monitor_op) == (1, 2.0, keras.ops.greater)
    message = invalid_argument_message(
        "monitor_op", max, "keras.ops.less, keras.ops.greater (or NumPy's) or None"
    )
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        stop.monitor_op = max


def test_written_best_weights_are_restored_as_in_keras():
    model = tiny_model()
    stop = EarlyStopping(patience=5)
    stop.set_model(model)
    stop.on_train_begin()
    assert stop.best_weights is None
    stop.on_epoch_end(0, {"val_loss": 1.0})
    assert_weights_equal(stop.best_weights, model.get_weights())
    chosen = [np.full(w.shape, 0.5, "float32") for w in model.get_weights()]
    stop.best_weights = chosen
    stop.on_train_end()
    assert_weights_equal(model.get_weights(), chosen)


def test_a_model_with_its_own_get_and_set_weights_is_served_through_them():
    class Counted(keras.Sequential):
        calls = 0

        def get_weights(self):
            Counted.calls += 1
            return super().get_weights()

    keras.utils.set_random_seed(0)
    model = Counted([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    log = WeightsLog()
    stop = EarlyStopping(patience=2)
    _fit([ScriptedLogs(VAL), log, stop], model=model)
    assert Counted.calls > 0
    assert_weights_equal([v.numpy() for v in model.weights], log.weights[VAL_BEST])


# The state file's identity and damage (issue 12, item 4).


def _state_file(tmp_path, **kwargs):
    state_path = tmp_path / "es.json"
    kwargs = {"patience": 5, **kwargs}
    _fit([ScriptedLogs(VAL), EarlyStopping(state_path=state_path, **kwargs)], epochs=3)
    return state_path


def _resume_error(state_path, **kwargs):
    kwargs = {"patience": 5, **kwargs}
    with pytest.raises(ValueError) as raised:
        _fit(
            [ScriptedLogs(VAL), EarlyStopping(state_path=state_path, **kwargs)],
            initial_epoch=3,
        )
    return str(raised.value)


def test_resuming_with_another_configuration_is_an_error(tmp_path):
    state_path = _state_file(tmp_path)
    message = _resume_error(state_path, monitor="val_mae", mode="max")
    assert message == (
        f"The EarlyStopping state file {str(state_path)!r} belongs to another "
        "configuration: monitor='val_loss' there, 'val_mae' here; mode='auto' "
        "there, 'max' here. Resume with the same arguments, or use another "
        "`state_path`. Delete it to start afresh."
    )
    assert "criterion='patience' there, 'up' here" in _resume_error(
        state_path, patience=0, criterion="up"
    )


UNREADABLE = (
    "The EarlyStopping state file {path!r} cannot be read: {reason}. Delete it "
    "to start afresh, or choose another `state_path`."
)
DAMAGED = (
    "The EarlyStopping state file {path!r} is damaged: {reason}. Delete it to "
    "start afresh."
)


@pytest.mark.parametrize(
    "edit,form,reason",
    [
        (lambda text: "", UNREADABLE, "the file is empty"),
        (
            lambda text: text[: len(text) // 2],
            UNREADABLE,
            # The rest is the JSON parser's own message.
            "the file is truncated or corrupt, not valid JSON (",
        ),
        (
            lambda text: "[1, 2]",
            UNREADABLE,
            "the file is not a kerasreg EarlyStopping state (it lacks "
            '"kind": "kerasreg.callbacks.EarlyStopping")',
        ),
        (
            lambda text: text.replace('"format": 2', '"format": 99'),
            UNREADABLE,
            "the file has format 99, and this version of kerasreg reads format 2",
        ),
        (
            lambda text: text.replace('"wait": ', '"wait": "x", "_w": '),
            DAMAGED,
            "`wait` is not an int",
        ),
        (
            lambda text: json.dumps(
                {
                    **json.loads(text),
                    "state": {**json.loads(text)["state"], "values": []},
                }
            ),
            DAMAGED,
            "the history lists differ in length",
        ),
    ],
    ids=["empty", "truncated", "foreign", "format99", "wrong_type", "lengths"],
)
def test_a_damaged_state_file_is_named_in_one_clear_error(tmp_path, edit, form, reason):
    state_path = _state_file(tmp_path)
    state_path.write_text(edit(state_path.read_text()))
    message = _resume_error(state_path)
    expected = form.format(path=str(state_path), reason=reason)
    if reason.endswith("("):
        start, end = expected.split("(. ")
        assert message.startswith(start + "(") and message.endswith(". " + end)
    else:
        assert message == expected


@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_a_damaged_weights_file_is_named_in_one_clear_error(tmp_path, damage):
    state_path = _state_file(tmp_path)
    state = json.loads(state_path.read_text())["state"]
    weights = tmp_path / state["best_files"][str(state["best_epoch"])]
    if damage == "missing":
        weights.unlink()
    else:
        weights.write_bytes(weights.read_bytes()[:100])
    message = _resume_error(state_path)
    assert message.startswith(
        f"The best weights file {str(weights)!r}, which the EarlyStopping state "
        f"{str(state_path)!r} refers to, "
    )
    assert ("is missing" if damage == "missing" else "cannot be read") in message


def test_two_callbacks_sharing_a_state_path_is_an_error(tmp_path):
    state_path = str(tmp_path / "es.json")
    message = invalid_argument_message(
        "state_path",
        state_path,
        f"a path no other callback uses, but it is EarlyStopping's "
        f"state_path={state_path!r}",
    )
    pair = [EarlyStopping(state_path=state_path) for _ in range(2)]
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _fit(pair, epochs=2)
    # Not a leftover: each alone, one after the other, is fine.
    for stop in pair:
        _fit([stop], epochs=2)


@pytest.mark.parametrize(
    "paths,argument,expected",
    [
        (
            dict(state_path="same.keras", best_model_path="same.keras"),
            "best_model_path",
            "a path other than state_path='same.keras'",
        ),
        (dict(state_path=""), "state_path", "a non-empty path"),
        (
            dict(state_path="run", best_model_path="run.best-model.keras"),
            "best_model_path",
            "a path that state_path='run' does not clean up (it deletes files "
            "matching '{tmp}/run.best-*')",
        ),
        (
            dict(state_path="folder"),
            "state_path",
            "the path of a file, but it is an existing folder",
        ),
        (
            dict(best_model_path="file/best.keras"),
            "best_model_path",
            "a path inside a folder, but '{tmp}/file' is a file",
        ),
    ],
    ids=["same", "empty", "cleaned_up", "folder", "under_a_file"],
)
def test_bad_paths_are_errors_at_construction(
    tmp_path, monkeypatch, paths, argument, expected
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("")
    message = invalid_argument_message(
        argument, paths[argument], expected.format(tmp=tmp_path)
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        EarlyStopping(**paths)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
def test_an_unwritable_path_is_an_error_before_an_epoch():
    # /proc takes no new files, even from root.
    epochs = WeightsLog()
    with pytest.raises(
        ValueError,
        match=r"^Invalid value for argument `state_path`. Expected a writable path ",
    ):
        _fit([EarlyStopping(state_path="/proc/kerasreg-es.json"), epochs])
    assert epochs.weights == {}
