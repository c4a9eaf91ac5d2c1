"""Techniques and settings: what a strength turns on, merging, and names."""

import re

import pytest

from kerasreg.experiments.techniques import TECHNIQUES, Setting, technique


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
