"""Techniques and settings: what a strength turns on, merging, and names."""

import re

import pytest

import kerasreg
from kerasreg.experiments.techniques import (
    DEFAULT_TECHNIQUES,
    PATH_PENALTIES,
    PENALTIES,
    TECHNIQUES,
    Setting,
    technique,
)


@pytest.mark.parametrize(
    "name,strength,expected",
    [
        ("L1", 1e-3, Setting(penalty="L1", strength=1e-3)),
        ("GroupLasso", 1e-4, Setting(penalty="GroupLasso", strength=1e-4)),
        ("Dropout", 0.3, Setting(dropout_rate=0.3)),
        ("BatchNorm", True, Setting(batch_norm=True)),
        ("EarlyStopping", 10, Setting(patience=10)),
        ("Augmentation", 2.0, Setting(augmentation=2.0)),
    ],
)
def test_a_strength_sets_exactly_its_switch(name, strength, expected):
    setting = technique(name).setting(strength)
    assert setting == expected
    assert setting.techniques() == {name: strength}


def test_merged_turns_on_what_the_other_turns_on():
    merged = Setting(penalty="L2", strength=3e-3).merged(Setting(dropout_rate=0.5))
    assert merged == Setting(penalty="L2", strength=3e-3, dropout_rate=0.5)
    assert merged.describe() == "L2(0.003) + Dropout(0.5)"
    assert Setting().describe() == "none"


def test_values_round_trip_through_trial_values():
    setting = Setting(penalty="ElasticNet", strength=1e-3, batch_norm=True, patience=5)
    values = {**setting.values(), "seed": 2, "learning_rate": 0.1}
    assert Setting.from_values(values) == setting


def test_every_technique_describes_its_strength():
    for name, known in TECHNIQUES.items():
        assert known.describe(known.grid[0]), name
    assert technique("ElasticNet").describe(2e-3) == (
        "`kerasreg.ElasticNet(l1=0.001, l2=0.001)`"
    )


def test_a_grid_replaces_the_default_one():
    assert technique("Dropout", (0.2,)).grid == (0.2,)
    assert technique("Dropout").grid == TECHNIQUES["Dropout"].grid


def test_unknown_technique_is_named():
    with pytest.raises(ValueError, match=re.escape("Received: techniques='Mixup'")):
        technique("Mixup")


@pytest.mark.parametrize(
    "name,grid,expected",
    [
        ("Dropout", (0.5, 1.0), "Expected a finite float in (0, 1)"),
        (
            "BatchNorm",
            (False,),
            "Expected (True,): batch normalization has no strength",
        ),
        ("EarlyStopping", (0,), "Expected an int in [1, inf]"),
        ("L1", [], "Expected a non-empty list of strengths"),
    ],
    ids=["dropout-rate", "batch-norm-off", "patience-0", "empty"],
)
def test_each_entry_checks_the_strengths_of_its_grid(name, grid, expected):
    argument = f"grids[{name!r}]"
    # The value that fails is named; where the grid as a whole is wrong, it.
    received = grid if name in ("BatchNorm", "L1") else grid[-1]
    message = (
        f"Invalid value for argument `{argument}`. {expected}. "
        f"Received: {argument}={received!r}"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        technique(name, grid)


def test_a_penalty_entry_makes_its_regularizer():
    assert Setting().regularizer() is None
    elastic = Setting(penalty="ElasticNet", strength=2e-3).regularizer()
    assert isinstance(elastic, kerasreg.ElasticNet)
    assert elastic.get_config() == {"l1": 1e-3, "l2": 1e-3}
    for name in PENALTIES:
        known = TECHNIQUES[name]
        made = known.setting(known.grid[0]).regularizer()
        assert type(made).__name__ == name


def test_the_lists_of_penalties_and_defaults_come_from_the_entries():
    assert PENALTIES == ("L1", "L2", "ElasticNet", "GroupLasso")
    assert PATH_PENALTIES == ("L1", "ElasticNet", "GroupLasso")
    assert "GroupLasso" not in DEFAULT_TECHNIQUES
    assert len(DEFAULT_TECHNIQUES) == len(TECHNIQUES) - 1


def test_only_early_stopping_is_never_tuned_by_successive_halving():
    # Its patience counts epochs: a shortened run cannot show it.
    assert [name for name, t in TECHNIQUES.items() if not t.halving] == [
        "EarlyStopping"
    ]
    assert not technique("EarlyStopping", (3, 30)).halving
