"""The reading: written from the numbers, every claim resting on a verdict.

Hand-computed references use t(0.975, 2) = 4.3027: a half-width is
4.3027 · s / sqrt(3), with s the sample deviation over the 3 seeds.
"""

import pytest

from kerasreg.experiments.reading import read_results
from tests.experiments._results import make_result, path_points

# Test accuracies by seed, and their seed-paired differences from "none":
# all together (2.7, 2.7, 2.1): +2.5 ± 0.9, better; L2 (2.0, 1.9, 1.6):
# +1.8 ± 0.5, better; Dropout (5.5, -1.7, 3.1): +2.3 ± 9.1, the largest
# mean after all together but a tie; L1 (-0.1, -0.1, 0.1): +0.0 ± 0.3, a tie;
# EarlyStopping (-1.0, -1.1, -1.5): -1.2 ± 0.7, worse.
TESTS = {
    "none": [0.935, 0.937, 0.939],
    "L1": [0.934, 0.936, 0.940],
    "L2": [0.955, 0.956, 0.955],
    "Dropout": [0.99, 0.92, 0.97],
    "EarlyStopping": [0.925, 0.926, 0.924],
    "all together": [0.962, 0.964, 0.960],
}
OPTIONS = {
    "L1": {"zeros": 0.42},
    "EarlyStopping": {"epochs": 31, "best_epoch": 21, "stopped_epoch": 31},
    "all together": {"train": 0.97},
}


def _reading(tests=None, options=None, **kw):
    result = make_result(
        TESTS if tests is None else tests,
        run_options=OPTIONS if options is None else options,
        **kw,
    )
    return read_results(result)


def test_reading_is_drawn_from_the_numbers():
    lines = _reading(paths={"L1": path_points()})
    assert lines == [
        "Without regularization the model fits its 300 training examples to "
        "99.0% accuracy but classifies 93.7% of the 1197 test examples "
        "correctly: a generalization gap of 5.3 points, it overfits.",
        "Better than without regularization (the 95% interval of the "
        "seed-paired difference lies above 0): **all together** (+2.5 ± 0.9) "
        "and L2 (+1.8 ± 0.5). Ties (the interval covers 0: no difference told "
        "from seed-to-seed noise): Dropout (+2.3 ± 9.1) and L1 (+0.0 ± 0.3). "
        "Worse (the interval lies below 0): EarlyStopping (-1.2 ± 0.7).",
        "Smallest generalization gap: all together, 0.8 points (without: 5.3).",
        "Exactly-zero kernel weights, from the L1-type penalties applied by "
        "`Proximal` as soft-thresholding: L1 42.0% (test +0.0 points). A plain "
        "subgradient step would leave them small but nonzero.",
        "L1's regularization path: the strongest λ whose validation accuracy "
        "is within 1 point of the path's best (93.0%) is 0.0001, where the "
        "path's model (warm-started from the stronger λ before it) has 20.0% of "
        "its kernel weights exactly zero (validation accuracy 92.5%). Trained "
        "from scratch at that λ alone: 2.0% zeros, validation accuracy 90.0%: "
        "what λ gives without the path's warm start.",
        "EarlyStopping (patience 10) trained 31.0 of 60 epochs on average (48% "
        "fewer) and kept the weights of epoch 21.0, the one with the lowest "
        "validation loss.",
        # Against Dropout, seed by seed (-2.8, 4.4, -1.0): +0.2 ± 9.3.
        "All together reach 96.2 ± 0.5%; against the best single technique "
        "(Dropout), paired by seed, +0.2 ± 9.3 points: a tie, no gain told "
        "from seed-to-seed noise.",
        "Chosen at an edge of the grid tried: Dropout rate 0.5 (the largest "
        "tried); the best value may lie beyond it. Widen the grid "
        "(`learning_rates=`, `grids=`) to find out.",
        "± is the half-width of the 95% confidence interval over the 3 seeds "
        "(Student's t); better or worse means the interval of the seed-paired "
        "difference from the baseline excludes 0, else a tie.",
    ]


def test_a_tie_is_never_reported_as_a_win():
    # Dropout's mean is 2.3 points higher, but its interval covers 0.
    tests = {"none": TESTS["none"], "Dropout": TESTS["Dropout"]}
    lines = _reading(tests, options={})
    assert lines[1] == (
        "No configuration beat no regularization beyond seed-to-seed noise (3 "
        "seeds, test accuracy 93.7 ± 0.5%). Ties (the interval covers 0: no "
        "difference told from seed-to-seed noise): Dropout (+2.3 ± 9.1)."
    )
    assert not any("**" in line or "Best" in line for line in lines)


def test_one_seed_makes_every_difference_a_tie():
    tests = {name: accuracies[:1] for name, accuracies in TESTS.items()}
    lines = _reading(tests)
    assert lines[1] == (
        "With one seed there is no confidence interval, so no difference from "
        "the baseline can be told from luck: every verdict is a tie. The highest "
        "test accuracy was Dropout's, 99.0% (+5.5 points)."
    )
    assert (
        "All together reach 96.2%, -2.8 points against the best single technique "
        "(Dropout); one seed gives no verdict."
    ) in lines
    assert lines[-1] == (
        "One seed per configuration: differences of a point or so may be luck. "
        "Rerun with `seeds=3` or more before drawing conclusions."
    )
    assert not any("±" in line for line in lines)


def test_other_numbers_give_another_reading():
    tests = {
        "none": TESTS["none"],
        "L1": TESTS["L1"],
        "L2": [0.90, 0.90, 0.91],
        "EarlyStopping": TESTS["EarlyStopping"],
    }
    options = {"L2": {"train": 0.90}, "EarlyStopping": {"epochs": 60}}
    lines = _reading(tests, options, epochs=60)
    assert lines[2] == (
        "Smallest generalization gap: L2, -0.3 points (without: 5.3). Its test "
        "accuracy is lower than without regularization, though: the gap closed "
        "because training accuracy fell, not because the model generalizes "
        "better."
    )
    # L1 studied, yet no weight exactly zero.
    assert lines[3] == (
        "No configuration set any weight exactly to zero; L1-type penalties "
        "need a larger λ or more epochs for their soft-thresholding to add up."
    )
    assert lines[4].startswith(
        "EarlyStopping (patience 10) never stopped within 60 epochs"
    )


def test_the_baseline_alone():
    lines = _reading({"none": [0.99, 0.99]}, options={})
    assert lines[0].endswith(
        "a generalization gap of 0.0 points, it hardly overfits here."
    )
    assert len(lines) == 2 and lines[1].startswith("**Too few seeds**: with 2")


@pytest.mark.parametrize(
    "seeds, warned",
    [(2, True), (3, False), (5, False)],
    ids=["two-seeds", "three-seeds", "five-seeds"],
)
def test_fewer_than_three_seeds_carry_a_warning(seeds, warned):
    tests = {name: (values * 2)[:seeds] for name, values in TESTS.items()}
    lines = _reading(tests)
    warning = [line for line in lines if line.startswith("**Too few seeds**")]
    if warned:
        assert warning == [
            "**Too few seeds**: with 2, each interval and verdict rests on "
            "Student's t with 1 degree of freedom (its 95% quantile is 12.7, "
            "against 4.3 for three seeds): one unlucky seed decides. Rerun with "
            "`seeds=3` or more before drawing conclusions."
        ]
    else:
        assert warning == []
