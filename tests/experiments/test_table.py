"""The results table: intervals, paired verdicts, alignment, Markdown."""

import math

import pytest

from kerasreg.experiments.statistics import Interval
from kerasreg.experiments.summary import summarize
from kerasreg.experiments.table import (
    HEADERS,
    format_points,
    format_share,
    format_table,
)
from tests.experiments._results import make_result, make_run

# Test accuracies by seed. Hand-computed, with t(0.975, 2) = 4.3027:
# none: 91.0 ± 4.3027 · 1.0 / sqrt(3) = 2.5; the long name: 93.67 ± 1.4,
# paired differences (3, 3, 2) points: +2.7 ± 1.4, above 0: better;
# Dropout: differences (5, -1, 4): +2.7 ± 4.3027 · 3.215 / sqrt(3) = 8.0, a tie;
# its own test accuracy 93.67 ± 7.99 is clipped at 100: -8.0/+6.3.
THREE_SEEDS = {
    "none": [0.90, 0.91, 0.92],
    "L2 + Dropout + Augmentation": [0.93, 0.94, 0.94],
    "Dropout": [0.95, 0.90, 0.96],
}


def _table(tests, markdown=False, **options):
    result = make_result(tests, **options)
    return format_table(result.summaries, result.comparisons, markdown=markdown)


def test_points_with_and_without_an_interval():
    assert format_points(Interval(0.912, 0.899, 0.925, 3)) == "91.2 ± 1.3"
    assert format_points(Interval(0.0123, 0.0, 0.0246, 3), signed=True) == (
        "+1.2 ± 1.2"
    )
    # One seed: a dash, never "± 0.0".
    assert format_points(Interval(0.912, math.nan, math.nan, 1)) == "91.2 ± –"
    # Rounding to -0.0 still reads +0.0.
    assert format_points(Interval(-0.0001, -0.01, 0.01, 2), signed=True) == (
        "+0.0 ± 1.0"
    )


@pytest.mark.parametrize(
    "fraction,text",
    [(0.4512, "45.1%"), (0.0001, "<0.1%"), (0.0, "0.0%"), (1.0, "100.0%")],
)
def test_share(fraction, text):
    assert format_share(fraction) == text


def test_text_table_with_intervals_and_verdicts():
    assert _table(THREE_SEEDS).splitlines() == [
        "configuration                train acc %      test acc %  vs baseline "
        "(points)  gap (points)  epochs run  zero weights  time per run",
        "-" * 132,
        "none                          99.0 ± 0.0      91.0 ± 2.5                 "
        "    —           8.0           6          0.0%         1.0 s",
        "L2 + Dropout + Augmentation   99.0 ± 0.0      93.7 ± 1.4     +2.7 ± 1.4 "
        "better           5.3           6          0.0%         1.0 s",
        # 93.7 + 8.0 would pass 100%: the interval is clipped there.
        "Dropout                       99.0 ± 0.0  93.7 -8.0/+6.3        +2.7 ± "
        "8.0 tie           5.3           6          0.0%         1.0 s",
    ]


def test_columns_stay_aligned_for_long_names():
    tests = {
        "none": [0.90, 0.91],
        "L2": [0.92, 0.925],
        "L2 + Dropout + Augmentation + EarlyStopping": [0.5, 0.55],
        "all together": [0.999, 0.95],
    }
    lines = _table(tests, run_options={"L2": {"zeros": 0.0001}}).splitlines()
    header, rows = lines[0], lines[2:]
    ends = [header.index(title) + len(title) for title in HEADERS[1:]]
    for line, name in zip(rows, tests, strict=True):
        assert line.startswith(name + "  ")
        for end in ends:
            # Every number ends where its column's title ends.
            assert line[end - 1] != " " and line[end : end + 1] in ("", " ")
    assert len({len(line) for line in lines}) == 1


def test_one_seed_shows_no_interval():
    table = _table(
        {"none": [0.937], "L1": [0.949]}, run_options={"L1": {"zeros": 0.4512}}
    )
    assert table.splitlines()[2:] == [
        "none              99.0 ± –    93.7 ± –                     —           5.3"
        "           6          0.0%         1.0 s",
        "L1                99.0 ± –    94.9 ± –          +1.2 ± – tie           4.1"
        "           6         45.1%         1.0 s",
    ]
    assert "± 0.0" not in table


def test_markdown_table():
    table = _table(THREE_SEEDS, markdown=True)
    assert table.splitlines() == [
        "| configuration | train acc % | test acc % | vs baseline (points) | "
        "gap (points) | epochs run | zero weights | time per run |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        "| none | 99.0 ± 0.0 | 91.0 ± 2.5 | — | 8.0 | 6 | 0.0% | 1.0 s |",
        "| L2 + Dropout + Augmentation | 99.0 ± 0.0 | 93.7 ± 1.4 | "
        "+2.7 ± 1.4 better | 5.3 | 6 | 0.0% | 1.0 s |",
        "| Dropout | 99.0 ± 0.0 | 93.7 -8.0/+6.3 | +2.7 ± 8.0 tie | 5.3 | 6 | 0.0% "
        "| 1.0 s |",
    ]


def test_fractional_epochs_keep_their_decimal():
    runs = [
        make_run("EarlyStopping", 0, epochs=6),
        make_run("EarlyStopping", 1, epochs=9),
    ]
    table = format_table({"EarlyStopping": summarize(runs)}, {}, markdown=True)
    assert table.splitlines()[-1] == (
        "| EarlyStopping | 99.0 ± 0.0 | 93.0 ± 0.0 | — | 6.0 | 7.5 | 0.0% | 1.0 s |"
    )
