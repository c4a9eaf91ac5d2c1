"""The numbers and the text: mean_std, the table, and the generated reading."""

import pytest

from kerasreg.demo.reading import verdict, write_reading
from kerasreg.demo.summary import mean_std, summarize
from kerasreg.demo.table import format_table
from tests.demo._support import fake_run, summary


def test_mean_std_uses_the_sample_deviation():
    assert mean_std([0.9, 0.94]) == pytest.approx((0.92, 0.0282842712))
    assert mean_std([0.5]) == (0.5, 0.0)


def test_summarize_averages_the_runs():
    runs = [fake_run("EarlyStopping", seed, best_epoch=4) for seed in range(2)]
    runs[1].test_accuracy = 0.95
    result = summarize(runs)
    assert result.technique == "EarlyStopping" and result.seeds == 2
    assert result.test_accuracy[0] == pytest.approx(0.94)
    assert result.gap[0] == pytest.approx(0.05)
    assert result.best_epoch == 4.0


def test_text_table_is_aligned():
    table = format_table(
        [summary("none", 0.937, std=0.004), summary("L1", 0.95, zeros=0.4512)]
    )
    assert table.splitlines() == [
        "technique  train acc %  test acc %  gap (points)  epochs run  zero weights"
        "  time per run",
        "-" * 88,
        "none       100.0 ± 0.4  93.7 ± 0.4           6.3          60          0.0%"
        "         4.0 s",
        "L1         100.0 ± 0.0  95.0 ± 0.0           5.0          60         45.1%"
        "         4.0 s",
    ]


def test_markdown_table():
    table = format_table([summary("none", 0.937, epochs=42.5)], markdown=True)
    assert table.splitlines() == [
        "| technique | train acc % | test acc % | gap (points) | epochs run | "
        "zero weights | time per run |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        "| none | 100.0 ± 0.0 | 93.7 ± 0.0 | 6.3 | 42.5 | 0.0% | 4.0 s |",
    ]


@pytest.mark.parametrize(
    "test,std,expected",
    [(0.95, 0.002, "better"), (0.93, 0.002, "worse"), (0.941, 0.01, "noise")],
    ids=["better", "worse", "noise"],
)
def test_verdict_weighs_the_difference_against_the_spread(test, std, expected):
    assert verdict(summary("x", test, std=std), summary("none", 0.94, std=std)) == (
        expected
    )


def test_verdict_with_one_seed_goes_by_the_sign():
    one = {"seeds": 1}
    assert verdict(summary("x", 0.941, **one), summary("none", 0.94, **one)) == (
        "better"
    )


def _study(**overrides):
    summaries = {
        "none": summary("none", 0.937, std=0.003),
        "L1": summary("L1", 0.936, std=0.003, zeros=0.42),
        "L2": summary("L2", 0.955, std=0.003, train=0.99),
        "Dropout": summary("Dropout", 0.940, std=0.01),
        "EarlyStopping": summary(
            "EarlyStopping", 0.925, std=0.003, epochs=31.0, best_epoch=21.0
        ),
        "all together": summary("all together", 0.96, std=0.003, train=0.97),
    }
    summaries.update(overrides)
    return summaries


def test_reading_is_drawn_from_the_numbers():
    lines = write_reading(_study(), n_train=300, n_test=1197, epochs=60)
    assert lines[0] == (
        "Without regularization the network fits its 300 training images to "
        "100.0% accuracy but classifies 93.7% of the 1197 test images "
        "correctly: a generalization gap of 6.3 points, it overfits."
    )
    assert lines[1] == (
        "Best test accuracy: **all together**, 96.0% (+2.3 points against no "
        "regularization). Clearly better than without: all together (+2.3) and "
        "L2 (+1.8). Within seed-to-seed noise: Dropout (+0.3) and L1 (-0.1)."
        " Clearly worse: EarlyStopping (-1.2)."
    )
    assert lines[2] == (
        "Smallest generalization gap: all together, 1.0 points (without: 6.3)."
    )
    assert lines[3].startswith(
        "Exactly-zero kernel weights, from the L1 penalties applied by "
        "`Proximal` as soft-thresholding: L1 42.0% (test -0.1 points)."
    )
    assert lines[4] == (
        "EarlyStopping trained 31.0 of 60 epochs on average (48% fewer) and kept "
        "the weights of epoch 21.0, the one with the lowest validation loss."
    )
    assert lines[5] == (
        "All together reach 96.0%, 0.5 points above the best single technique "
        "(L2): here the techniques complement each other."
    )
    assert lines[6] == (
        "± is the standard deviation over 3 seeds; 'clearly' means the "
        "difference exceeds 2 standard errors."
    )


def test_other_numbers_give_another_reading():
    lines = write_reading(
        _study(
            L2=summary("L2", 0.90, std=0.003, train=0.90),
            EarlyStopping=summary("EarlyStopping", 0.935, std=0.003, epochs=60.0),
        ),
        n_train=300,
        n_test=1197,
        epochs=60,
    )
    assert lines[2] == (
        "Smallest generalization gap: L2, 0.0 points (without: 6.3). Its test "
        "accuracy is lower than without regularization, though: the gap closed "
        "because training accuracy fell, not because the network generalizes "
        "better."
    )
    assert lines[4].startswith("EarlyStopping never stopped within 60 epochs")


def test_reading_with_one_seed_warns_about_luck():
    one = {
        name: summary(name, 0.9 + i / 100, seeds=1)
        for i, name in enumerate(["none", "L1", "L2"])
    }
    lines = write_reading(one, n_train=300, n_test=1197, epochs=2)
    assert lines[1].endswith("Higher than without: L2 (+2.0) and L1 (+1.0).")
    assert lines[-2] == (
        "No technique set any weight exactly to zero in this run; L1 and "
        "ElasticNet need more epochs for their soft-thresholding to add up."
    )
    assert lines[-1].startswith("One seed per technique")
