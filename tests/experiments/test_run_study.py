"""kerasreg.study: its arguments, the user's model, and a test split that never
influences a choice."""

import io
import json
import math
import re

import keras
import numpy as np
import pytest

import kerasreg
from kerasreg.experiments import StudyError, study
from tests.experiments._models import digits_mlp

# The study feeds Keras through tf.data.
pytestmark = pytest.mark.tensorflow_only


def _splits(test_seed=0):
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target
    rng = np.random.default_rng(test_seed)
    test = (x[200:300], y[200:300])
    if test_seed:
        # Another test split altogether: noise images, shuffled labels.
        test = (rng.random(test[0].shape, dtype="float32"), rng.permutation(test[1]))
    return {"train": (x[:120], y[:120]), "validation": (x[120:200], y[120:200])} | {
        "test": test
    }


SMALL = {
    "techniques": ("L1", "Dropout"),
    "seeds": 2,
    "epochs": 2,
    "grids": {"L1": (1e-4, 1e-2), "Dropout": (0.1, 0.5)},
    "learning_rates": (0.01, 0.1),
    "path": False,
    "halving": True,
    "verbose": 0,
}


def _study(out, data=None, build_model=digits_mlp, **kwargs):
    return study(build_model, data or _splits(), out=str(out), **{**SMALL, **kwargs})


def _trial_values(out):
    return sorted(
        json.dumps(
            json.loads(p.read_text())["hyperparameters"]["values"], sort_keys=True
        )
        for p in (out / "trials").glob("trial_*/trial.json")
    )


@pytest.fixture(scope="module")
def two_studies(tmp_path_factory):
    folders = [tmp_path_factory.mktemp(f"study{seed}") for seed in (0, 1)]
    # The first logs every run for TensorBoard too, the second only as CSV.
    results = [
        _study(out, _splits(seed), tensorboard=seed == 0)
        for seed, out in zip((0, 1), folders, strict=True)
    ]
    return folders, results


def test_test_data_never_influences_a_choice(two_studies):
    folders, (first, second) = two_studies
    assert first.choices == second.choices
    assert _trial_values(folders[0]) == _trial_values(folders[1])
    for name, runs in first.runs.items():
        for run, other in zip(runs, second.runs[name], strict=True):
            assert run.val_loss == other.val_loss
    # The test splits did differ, and the test accuracies with them.
    baseline = [r.test_accuracy for r in first.runs["none"]]
    assert baseline != [r.test_accuracy for r in second.runs["none"]]


def test_result_holds_every_configuration_over_every_seed(two_studies):
    result = two_studies[1][0]
    assert list(result.runs) == ["none", "L1", "Dropout", "all together"]
    assert all(len(runs) == 2 for runs in result.runs.values())
    assert set(result.comparisons) == {"L1", "Dropout", "all together"}
    assert result.choices.learning_rate in (0.01, 0.1)
    assert result.choices.strength["Dropout"] in (0.1, 0.5)
    # The report is in place, and the logs: TensorBoard's event files only
    # where asked for, each run's history.csv always, and the report says so.
    with_events, without = two_studies[0]
    for folder in (with_events, without):
        assert len(list((folder / "logs").rglob("history.csv"))) == len(
            list((folder / "trials").glob("trial_*/trial.json"))
        )
    assert list((with_events / "logs").rglob("events.out.tfevents.*"))
    assert not list((without / "logs").rglob("events.out.tfevents.*"))
    report = (with_events / "report" / "report.md").read_text()
    assert f"`tensorboard --logdir {with_events / 'logs'}`" in report
    report = (without / "report" / "report.md").read_text()
    assert "run the study with `tensorboard=True`." in report


def test_paired_comparison_is_by_seed(two_studies):
    result = two_studies[1][0]
    baseline = [r.test_accuracy for r in result.runs["none"]]
    dropout = [r.test_accuracy for r in result.runs["Dropout"]]
    difference = result.comparisons["Dropout"].difference
    assert difference.mean == pytest.approx(np.mean(np.subtract(dropout, baseline)))


def test_a_model_the_user_cannot_edit_still_gets_the_penalty(tmp_path):
    seen = []

    def fixed(switches):
        # Never reads switches.kernel_regularizer.
        model = keras.Sequential(
            [keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(10)]
        )
        seen.append(model)
        return model

    _study(tmp_path, build_model=fixed, techniques=("L1",), grids={"L1": (0.01,)})
    penalized = [m for m in seen if m.losses]
    assert penalized
    assert all(
        isinstance(m.layers[-1].kernel_regularizer, kerasreg.L1) for m in penalized
    )


def test_a_technique_without_a_place_fails_before_training(tmp_path):
    def no_dropout(switches):
        return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten()])

    with pytest.raises(ValueError, match=re.escape("never calls `switches.dropout`")):
        _study(tmp_path, build_model=no_dropout)
    assert not (tmp_path / "trials").exists()


def test_build_model_must_return_a_model(tmp_path):
    with pytest.raises(TypeError, match="must return a keras.Model"):
        _study(tmp_path, build_model=lambda switches: "model")


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"build_model": 3}, TypeError, "argument `build_model`. Expected a callable"),
        ({"seeds": 0}, ValueError, "argument `seeds`. Expected an int in [1, inf]"),
        ({"epochs": 1.5}, TypeError, "argument `epochs`. Expected an int"),
        ({"techniques": "L1"}, ValueError, "argument `techniques`"),
        ({"techniques": ("L3",)}, ValueError, "Received: techniques='L3'"),
        ({"techniques": ("L1", "L1")}, ValueError, "each technique once"),
        ({"grids": {"L2": (1.0,)}}, ValueError, "argument `grids`"),
        ({"grids": {"Dropout": (1.0,)}}, ValueError, "grids['Dropout']"),
        ({"grids": {"L1": ()}}, ValueError, "grids['L1']"),
        ({"learning_rates": (0.0,)}, ValueError, "argument `learning_rates`"),
        ({"combinations": (("L1",),)}, ValueError, "argument `combinations`"),
        ({"verbose": 3}, ValueError, "argument `verbose`"),
        ({"stream": 3}, TypeError, "argument `stream`"),
        ({"out": ""}, ValueError, "argument `out`"),
        ({"path": 1}, TypeError, "argument `path`"),
        (
            {"halving": 1},
            TypeError,
            "Invalid value for argument `halving`. Expected a bool. "
            "Received: halving=1",
        ),
    ],
)
def test_bad_arguments_are_named_before_anything_runs(tmp_path, kwargs, error, message):
    arguments = {"out": tmp_path / "s", **kwargs}
    build_model = arguments.pop("build_model", digits_mlp)
    with pytest.raises(error, match=re.escape(message)):
        _study(arguments.pop("out"), build_model=build_model, **arguments)
    assert not (tmp_path / "s").exists()


def test_halving_stops_tuning_runs_early_and_never_a_compared_one(two_studies):
    folder, result = two_studies[0][0], two_studies[1][0]
    trials = [json.loads(values) for values in _trial_values(folder)]
    # Two epochs: each grid of two trains both values 1 epoch (2 / 3,
    # rounded up to one), then the better one 2.
    rungs = [v for v in trials if v["epochs"] == 1]
    assert len(rungs) == 3 * 2 and all(v["seed"] == 0 for v in rungs)
    assert all(v["epochs"] == 2 for v in trials if v["seed"] > 0)
    # Every compared run trained the full two epochs.
    assert {r.epochs_run for runs in result.runs.values() for r in runs} == {2}
    assert set(result.choices.learning_rate_epochs.values()) == {1, 2}
    report = (folder / "report" / "report.md").read_text(encoding="utf-8")
    assert "(1 ep)" in report and "successive halving" in report


def test_a_study_without_halving_is_another_study(tmp_path):
    options = {"techniques": ("Dropout",), "grids": {"Dropout": (0.5,)}, "seeds": 1}
    result = _study(tmp_path, halving=False, **options)
    assert set(result.choices.learning_rate_epochs.values()) == {2}
    with pytest.raises(StudyError, match="holds a study with other arguments"):
        _study(tmp_path, **options)


def test_two_penalties_in_one_combination_are_refused(tmp_path):
    with pytest.raises(ValueError, match="at most one penalty"):
        _study(
            tmp_path,
            techniques=("L1", "L2"),
            grids=None,
            combinations=(("L1", "L2"),),
        )


def test_verbose_prints_the_table_and_the_report(tmp_path):
    stream = io.StringIO()
    _study(
        tmp_path,
        techniques=("Dropout",),
        grids={"Dropout": (0.5,)},
        verbose=1,
        stream=stream,
        seeds=1,
    )
    text = stream.getvalue()
    assert "Dropout" in text and "Report:" in text


def test_another_study_in_the_same_folder_is_refused(tmp_path):
    _study(tmp_path, techniques=("Dropout",), grids={"Dropout": (0.5,)}, seeds=1)
    with pytest.raises(StudyError, match="holds a study with other arguments"):
        _study(tmp_path, techniques=("Dropout",), grids={"Dropout": (0.3,)}, seeds=1)


@pytest.mark.parametrize("rates", [(0.1, 1e30)], ids=["lr-1e30"])
def test_a_diverging_learning_rate_is_recorded_and_never_chosen(tmp_path, rates):
    result = _study(
        tmp_path,
        learning_rates=rates,
        seeds=1,
        path=True,
        grids={"L1": (1e-4,), "Dropout": (0.1,)},
    )
    assert result.choices.learning_rate == 0.1
    assert math.isinf(result.choices.learning_rates[1e30])
    text = (tmp_path / "report" / "report.md").read_text()
    assert "1e+30 → diverged" in text
    assert "Diverged while tuning (validation loss not finite, never chosen): " in text


@pytest.mark.parametrize("grid", [(1e-3, 3e-2)], ids=["l1"])
def test_the_paths_model_is_saved_beside_a_fresh_fit_at_its_lambda(tmp_path, grid):
    from kerasreg.experiments.records import recommended_point
    from kerasreg.experiments.regularization_path import zero_share

    result = _study(
        tmp_path, techniques=("L1",), grids={"L1": grid}, seeds=1, epochs=3, path=True
    )
    points = result.paths["L1"]
    point = points[recommended_point(points)]
    fresh = result.fresh_fits["L1"]
    # The fresh fit is the penalty alone at the recommended λ, seed 0.
    values = [json.loads(v) for v in _trial_values(tmp_path)]
    assert {"penalty": "L1", "strength": point.strength, "seed": 0, "path": ""} in [
        {k: v[k] for k in ("penalty", "strength", "seed", "path")} for v in values
    ]
    model = keras.saving.load_model(tmp_path / "report" / "L1_path.keras")
    assert zero_share(model) == pytest.approx(point.zero_share)
    written = json.loads((tmp_path / "report" / "results.json").read_text())
    recommended = written["recommended"]["L1"]
    assert recommended["path"]["strength"] == point.strength
    assert recommended["fresh_fit"]["zero_fraction"] == fresh.zero_fraction
    assert "| on the path (" in (tmp_path / "report" / "report.md").read_text()


@pytest.mark.parametrize("interrupt_at", [7], ids=["after-two-trials"])
def test_a_resumed_study_counts_and_times_only_this_runs_trials(
    tmp_path, capsys, interrupt_at
):
    calls = []

    def interrupted(switches):
        # The first two calls are the checks before any trial (the model with
        # every technique on, and the baseline), the next two the models
        # timed for the estimate; then one per trial.
        calls.append(None)
        if len(calls) == interrupt_at:
            raise KeyboardInterrupt
        return digits_mlp(switches)

    with pytest.raises(KeyboardInterrupt):
        _study(tmp_path, build_model=interrupted, seeds=1, verbose=1)
    first = capsys.readouterr().out.splitlines()[0]
    assert re.fullmatch(
        r"\d+ trials planned \(at most: exact once the strengths are chosen\)\.", first
    )
    result = _study(tmp_path, seeds=1, verbose=1)
    out = capsys.readouterr().out
    total, done, left = map(
        int,
        re.fullmatch(
            r"(\d+) trials planned \(at most: exact once the strengths are "
            r"chosen\), (\d+) finished in an earlier run, (\d+) to go\.",
            # keras-tuner says first that it reloads the folder.
            next(line for line in out.splitlines() if "planned" in line),
        ).groups(),
    )
    assert (done, left) == (interrupt_at - 5, total - done)
    # The bar, and so its ETA, counts this run's trials alone.
    assert f"{left}/{left}" in out and f"{total}/{total}" not in out
    assert result.settings["trials_resumed"] == done
    report = (tmp_path / "report" / "report.md").read_text()
    assert f"Resumed: {done} trials had finished in an earlier run; this run" in report


@pytest.mark.parametrize("overwrite", [False, True], ids=["keep", "overwrite"])
def test_a_folder_of_the_user_s_is_refused_and_left_as_it_was(tmp_path, overwrite):
    users = {"logs/server.log": "12:00 started", "trials/clinical_trial.csv": "a,b"}
    for name, text in users.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    message = (
        f"Will not write a study into '{tmp_path}': it holds files that are not a "
        "kerasreg study's ('logs', 'trials'); choose a new or empty folder."
    )
    with pytest.raises(StudyError, match=f"^{re.escape(message)}$"):
        _study(tmp_path, overwrite=overwrite)
    found = {
        path.relative_to(tmp_path).as_posix(): path.read_text()
        for path in tmp_path.rglob("*")
        if path.is_file()
    }
    assert found == users
