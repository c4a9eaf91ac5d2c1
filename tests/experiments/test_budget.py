"""Fitting a study's plan to a time budget: the cut order and arithmetic
against hand counts, the refusal, and the lines said before the first trial."""

import dataclasses
import re

import pytest

from kerasreg.experiments.budget import (
    budget_lines,
    coarser,
    cuts,
    estimate_line,
    estimate_seconds,
    fit_to_budget,
    models,
)
from kerasreg.experiments.plan import Plan
from kerasreg.experiments.techniques import technique
from tests.experiments._models import digits_mlp


def _plan(**changes):
    # Phase 1: 3 rates; phase 2: 3 + 3 strengths; phase 3: none, L1, Dropout
    # and all together over 3 seeds, seed 0 of the first three reused (9);
    # L1's path and its fresh fit: 3 + 6 + 9 + 1 + 1 = 20 trials. Models:
    # 19 trials and the path's 6 points = 25; epochs 25 × 10 = 250.
    plan = Plan(
        techniques=(technique("L1"), technique("Dropout")),
        combinations=(),
        learning_rates=(0.01, 0.03, 0.1),
        seeds=3,
        epochs=10,
        path=True,
    )
    return dataclasses.replace(plan, **changes)


L1_CUT = "L1 grid (0.0001, 0.0003, 0.001) → (0.0003,)"
DROPOUT_CUT = "Dropout grid (0.1, 0.3, 0.5) → (0.3,)"
RATES_CUT = "learning rates (0.01, 0.03, 0.1) → (0.03,)"


@pytest.mark.parametrize(
    "grid,expected",
    [
        ((1,), (1,)),
        ((1, 2), (1,)),
        ((1, 2, 3), (2,)),
        ((1, 2, 3, 4), (1, 4)),
        ((1, 2, 3, 4, 5), (1, 3, 5)),
        ((1, 2, 3, 4, 5, 6), (1, 3, 6)),
        ((1, 2, 3, 4, 5, 6, 7), (1, 3, 5, 7)),
    ],
    ids=lambda value: str(len(value)) if isinstance(value, tuple) else None,
)
def test_a_coarser_grid_keeps_the_middle_or_the_ends(grid, expected):
    assert coarser(grid) == expected


@pytest.mark.parametrize(
    "changes,trials,model_count,epochs",
    [
        ({}, 20, 25, 250),
        ({"path_points": 3}, 20, 22, 220),
        ({"path": False}, 18, 18, 180),
        ({"seeds": 2, "epochs": 5}, 16, 21, 105),
    ],
    ids=["asked", "three-points", "no-path", "two-seeds"],
)
def test_the_counts_match_hand_counts(changes, trials, model_count, epochs):
    plan = _plan(**changes)
    assert plan.count() == trials
    assert models(plan) == model_count
    assert plan.epochs_planned() == epochs
    assert estimate_seconds(plan, 2.0, 3.0) == 2.0 * epochs + 3.0 * model_count


# With 1 s an epoch and no fixed cost, a plan takes as many seconds as it
# has epochs: each budget below sits just above a hand-counted plan.
@pytest.mark.parametrize(
    "seconds,expected,plan_changes",
    [
        (250, (), {}),
        (240, ("path points 6 → 5",), {"path_points": 5}),
        (225, ("path points 6 → 3",), {"path_points": 3}),
        # Every technique's grid at once: 3 + 1 + 1 + 9 + 2 = 16 trials,
        # 15 models and 3 path points, 18 × 10 epochs.
        (
            200,
            ("path points 6 → 3", L1_CUT, DROPOUT_CUT),
            {"path_points": 3, "grids": True},
        ),
        # One rate: 14 trials, 16 models of 10 epochs.
        (
            170,
            ("path points 6 → 3", L1_CUT, DROPOUT_CUT, RATES_CUT),
            {"path_points": 3, "grids": True, "rates": True},
        ),
        # 16 models: 8 epochs (128 s) fit 130 s, 9 (144 s) do not.
        (
            130,
            ("path points 6 → 3", L1_CUT, DROPOUT_CUT, RATES_CUT, "epochs 10 → 8"),
            {"path_points": 3, "grids": True, "rates": True, "epochs": 8},
        ),
        # Half the epochs (80 s) still overrun: two seeds, 12 models × 5.
        (
            70,
            (
                "path points 6 → 3",
                L1_CUT,
                DROPOUT_CUT,
                RATES_CUT,
                "epochs 10 → 5",
                "seeds 3 → 2",
            ),
            {"path_points": 3, "grids": True, "rates": True, "epochs": 5, "seeds": 2},
        ),
    ],
    ids=["fits", "path-1", "path-3", "grids", "rates", "epochs", "seeds"],
)
def test_cuts_come_in_order_and_only_as_far_as_needed(seconds, expected, plan_changes):
    plan, said = fit_to_budget(_plan(), 1.0, 0.0, minutes=seconds / 60)
    assert said == expected
    changes = dict(plan_changes)
    if changes.pop("grids", False):
        changes["techniques"] = (
            technique("L1", (3e-4,)),
            technique("Dropout", (0.3,)),
        )
    if changes.pop("rates", False):
        changes["learning_rates"] = (0.03,)
    assert plan == _plan(**changes)
    assert estimate_seconds(plan, 1.0, 0.0) <= seconds
    assert cuts(_plan(), plan) == expected


def test_fewer_path_points_span_the_same_strengths():
    asked, cut = _plan().path_strengths("L1"), _plan(path_points=3).path_strengths("L1")
    assert len(asked) == 6 and len(cut) == 3
    # From ten times the grid's largest λ to a tenth of its smallest.
    assert cut[0] == pytest.approx(asked[0]) == pytest.approx(1e-2)
    assert cut[-1] == pytest.approx(asked[-1]) == pytest.approx(1e-5)
    assert cut[1] == pytest.approx((cut[0] * cut[2]) ** 0.5)


def test_the_fixed_cost_of_each_model_counts():
    # 1 s a model and no epoch cost: 25 models, then 24 with 5 path points.
    plan, said = fit_to_budget(_plan(), 0.0, 1.0, minutes=24 / 60)
    assert said == ("path points 6 → 5",)
    assert models(plan) == 24


def test_a_budget_too_small_for_two_seeds_is_refused_with_the_minutes_needed():
    # The smallest plan: 12 models of 5 epochs, 60 s: 1 minute.
    message = (
        "Invalid value for argument `budget`. Expected at least 1 minute: the "
        "smallest plan a budget may cut this study to (2 seeds, 5 epochs, one "
        "value per grid, paths of 3 points) takes about that long on this "
        "machine (1 s an epoch, 0 s to build and measure each model). "
        "Received: budget=0.5"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        fit_to_budget(_plan(), 1.0, 0.0, minutes=0.5)
    # The minutes it names are enough.
    plan, _ = fit_to_budget(_plan(), 1.0, 0.0, minutes=1)
    assert (plan.seeds, plan.epochs) == (2, 5)


def test_one_seed_asked_is_never_raised_to_two():
    message = (
        "Invalid value for argument `budget`. Expected at least 0.4 minutes: the "
        "smallest plan a budget may cut this study to (1 seed, 5 epochs, one value "
        "per grid) takes about that long on this machine (1 s an epoch, 0.5 s to "
        "build and measure each model). Received: budget=0.1"
    )
    # One seed, no path, everything else at its least: one rate, one value
    # per grid and 5 epochs: 1 + 2 + (4 - 3) = 4 trials, 4 × 0.5 s + 20
    # epochs × 1 s = 22 s, 0.4 minutes rounded up.
    plan = _plan(seeds=1, path=False, epochs=10)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        fit_to_budget(plan, 1.0, 0.5, minutes=0.1)


def test_the_estimate_and_the_cuts_as_said_before_the_first_trial():
    assert estimate_line(_plan(), 0.0123, 2.5) == (
        "The whole study: about 66 s on this machine (0.012 s an epoch, 250 "
        "epochs in all, and 2.5 s to build and measure each of 25 models)."
    )
    assert estimate_line(_plan(epochs=600), 1.0, 24.0) == (
        "The whole study: about 4.3 hours on this machine (1 s an epoch, 15000 "
        "epochs in all, and 24 s to build and measure each of 25 models)."
    )
    assert estimate_line(_plan(), 1.0, 0.0) == (
        "The whole study: about 4 minutes on this machine (1 s an epoch, 250 "
        "epochs in all, and 0 s to build and measure each of 25 models)."
    )
    assert budget_lines(2.5, ()) == [
        "The whole plan fits the budget of 2.5 minutes: nothing cut."
    ]
    assert budget_lines(10, ("seeds 3 → 2",)) == [
        "Cut to fit the budget of 10 minutes:",
        "- seeds 3 → 2",
    ]


# The study with a budget, given a fake timing: what it says, records and
# reports. The study feeds Keras through tf.data.


def _digits():
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype("float32")[..., None]
    y = digits.target
    return {
        "train": (x[:120], y[:120]),
        "validation": (x[120:200], y[120:200]),
        "test": (x[200:300], y[200:300]),
    }


# 2 rates, 2 + 2 strengths, none, L1, Dropout and all together over 2 seeds
# (5 more): 11 trials of 2 epochs, 33 s at 1 s a model and 1 s an epoch.
# One value per grid: 2 + 1 + 1 + 5 = 9 trials, 27 s.
SMALL = {
    "techniques": ("L1", "Dropout"),
    "seeds": 2,
    "epochs": 2,
    "grids": {"L1": (1e-4, 1e-2), "Dropout": (0.1, 0.5)},
    "learning_rates": (0.01, 0.1),
    "path": False,
}
CUT_LINES = [
    "Cut to fit the budget of 0.45 minutes:",
    "- L1 grid (0.0001, 0.01) → (0.0001,)",
    "- Dropout grid (0.1, 0.5) → (0.1,)",
]


def _study(out, stream, **kwargs):
    from kerasreg.experiments import study

    return study(
        digits_mlp, _digits(), out=str(out), stream=stream, **{**SMALL, **kwargs}
    )


def _fake_timing(monkeypatch, seconds):
    timed = []

    def time_models(trainer, plan):
        timed.append(plan)
        return seconds

    monkeypatch.setattr("kerasreg.experiments.run_study.time_models", time_models)
    return timed


@pytest.mark.tensorflow_only
def test_a_budgeted_study_says_reports_and_resumes_its_cut_plan(tmp_path, monkeypatch):
    import io
    import json

    timed = _fake_timing(monkeypatch, (1.0, 1.0))
    stream = io.StringIO()
    result = _study(tmp_path, stream, budget=0.45, verbose=2)
    assert stream.getvalue().splitlines()[:5] == [
        *CUT_LINES,
        "9 trials planned (at most: exact once the strengths are chosen).",
        "The whole study: about 27 s on this machine (1 s an epoch, 18 epochs in "
        "all, and 1 s to build and measure each of 9 models).",
    ]
    assert len(timed) == 1
    assert len(list((tmp_path / "trials").glob("trial_*"))) == 9
    tried = {name: list(scores) for name, scores in result.choices.strengths.items()}
    assert tried == {"L1": [1e-4], "Dropout": [0.1]}
    budget = {
        "minutes": 0.45,
        "cuts": [line[2:] for line in CUT_LINES[1:]],
    }
    assert result.settings["budget"] == budget
    assert result.settings["timing"] == {
        "seconds_per_epoch": 1.0,
        "seconds_per_fit": 1.0,
    }
    written = json.loads((tmp_path / "report" / "results.json").read_text())
    assert written["settings"]["budget"] == budget
    report = (tmp_path / "report" / "report.md").read_text()
    assert (
        " **Cut to fit a budget of 0.45 minutes**, as timed before the first trial "
        "(1 s an epoch, 1 s to build and measure a model): L1 grid (0.0001, 0.01) "
        "→ (0.0001,); Dropout grid (0.1, 0.5) → (0.1,). Every number in this report "
        "rests on the cut plan, not on the one asked for.\n"
    ) in report

    # Resumed, the study reuses the timing its first start recorded: the same
    # plan, whatever this machine would time now.
    timed = _fake_timing(monkeypatch, (100.0, 100.0))
    stream = io.StringIO()
    _study(tmp_path, stream, budget=0.45, verbose=2)
    lines = [line for line in stream.getvalue().splitlines() if "Reloading" not in line]
    assert lines[:4] == [
        *CUT_LINES,
        "9 trials planned, 9 finished in an earlier run, 0 to go.",
    ]
    assert timed == []


@pytest.mark.tensorflow_only
def test_a_budget_too_small_is_refused_before_anything_is_written(
    tmp_path, monkeypatch
):
    _fake_timing(monkeypatch, (1.0, 1.0))
    # One value per grid, one rate, 1 epoch, 2 seeds: 8 trials, 16 s.
    message = (
        "Invalid value for argument `budget`. Expected at least 0.3 minutes: the "
        "smallest plan a budget may cut this study to (2 seeds, 1 epoch, one value "
        "per grid) takes about that long on this machine (1 s an epoch, 1 s to "
        "build and measure each model). Received: budget=0.01"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _study(tmp_path / "out", None, budget=0.01, verbose=0)
    assert not (tmp_path / "out").exists()


@pytest.mark.tensorflow_only
@pytest.mark.parametrize("verbose", [0, 2], ids=["silent", "said"])
def test_the_models_are_timed_only_for_a_budget_or_the_estimate(
    tmp_path, monkeypatch, verbose
):
    import io

    from kerasreg.experiments import run_study

    calls = []
    real = run_study.time_models

    def time_models(trainer, plan):
        calls.append(plan)
        return real(trainer, plan)

    monkeypatch.setattr(run_study, "time_models", time_models)
    stream = io.StringIO()
    tiny = {
        "techniques": ("Dropout",),
        "grids": {"Dropout": (0.5,)},
        "learning_rates": (0.1,),
        "seeds": 1,
        "epochs": 1,
    }
    result = _study(tmp_path, stream, verbose=verbose, **tiny)
    assert result.settings["budget"] is None
    assert "budget" not in (tmp_path / "report" / "report.md").read_text()
    if not verbose:
        assert calls == [] and result.settings["timing"] is None
        return
    assert len(calls) == 1
    timing = result.settings["timing"]
    assert all(timing[key] >= 0 for key in ("seconds_per_epoch", "seconds_per_fit"))
    assert re.fullmatch(
        r"The whole study: about \d+ s on this machine \([0-9.e-]+ s an epoch, 2 "
        r"epochs in all, and [0-9.e-]+ s to build and measure each of 2 models\)\.",
        stream.getvalue().splitlines()[1],
    )


@pytest.mark.parametrize(
    "budget,error,message",
    [
        (0, ValueError, "Expected a finite float in (0, inf). Received: budget=0.0"),
        (
            -1.5,
            ValueError,
            "Expected a finite float in (0, inf). Received: budget=-1.5",
        ),
        ("10", TypeError, "Expected a float. Received: budget='10'"),
        (True, TypeError, "Expected a float. Received: budget=True"),
    ],
    ids=["zero", "negative", "text", "bool"],
)
def test_a_bad_budget_is_named_before_anything_runs(tmp_path, budget, error, message):
    from kerasreg.experiments.arguments import StudyArguments

    arguments = {
        "build_model": digits_mlp,
        "data": None,
        "techniques": ("Dropout",),
        "seeds": 1,
        "epochs": 1,
        "out": str(tmp_path),
        "combinations": (),
        "grids": None,
        "learning_rates": (0.1,),
        "optimizer": None,
        "loss": None,
        "batch_size": 8,
        "augmentation": None,
        "path": False,
        "halving": False,
        "image_size": None,
        "overwrite": False,
        "verbose": 0,
        "stream": None,
        "workers": 1,
        "budget": budget,
        "tensorboard": False,
    }
    text = f"Invalid value for argument `budget`. {message}"
    with pytest.raises(error, match=f"^{re.escape(text)}$"):
        StudyArguments.checked(**arguments)
