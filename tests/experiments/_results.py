"""Hand-built study results for the report's tests: no training."""

import numpy as np

from kerasreg.experiments.arguments import DEFAULT_OPTIMIZER
from kerasreg.experiments.data import Dataset
from kerasreg.experiments.plan import BASELINE, Plan, trial_key
from kerasreg.experiments.records import PathPoint, Run, kernel_histogram
from kerasreg.experiments.result import StudyResult
from kerasreg.experiments.statistics import paired_comparison
from kerasreg.experiments.summary import summarize
from kerasreg.experiments.techniques import Setting, technique

# Each technique's grid with made-up validation losses, and its chosen value
# (the lowest loss).
GRIDS = {
    "L1": {1e-4: 0.31, 3e-4: 0.29, 1e-3: 0.35},
    "L2": {3e-4: 0.30, 3e-3: 0.27, 3e-2: 0.40},
    "ElasticNet": {3e-4: 0.30, 1e-3: 0.28, 3e-3: 0.33},
    "Dropout": {0.1: 0.33, 0.3: 0.26, 0.5: 0.25},
    "BatchNorm": {True: 0.30},
    "EarlyStopping": {5: 0.32, 10: 0.30, 20: 0.31},
    "Augmentation": {0.5: 0.29, 1.0: 0.24, 2.0: 0.26},
}
LEARNING_RATES = {0.01: 0.52, 0.03: 0.31, 0.1: 0.45}


def tiny_dataset():
    """Twenty random 8x8 grey images per split, four classes."""
    rng = np.random.default_rng(0)

    def split():
        return rng.random((20, 8, 8, 1), "float32"), rng.integers(0, 4, 20)

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = split(), split(), split()
    return Dataset(
        name="tiny",
        x_train=x_train,
        y_train=y_train,
        x_val=x_val,
        y_val=y_val,
        x_test=x_test,
        y_test=y_test,
        class_names=("a", "b", "c", "d"),
        mirror_symmetric=False,
        dark_background=True,
    )


def make_run(
    name,
    seed=0,
    test=0.93,
    train=0.99,
    epochs=6,
    zeros=0.0,
    best_epoch=None,
    stopped_epoch=None,
    val_loss=0.3,
    diverged=False,
):
    """A `Run` with made-up curves and the histogram of a random kernel; a
    diverged one has NaN weights and losses from its third epoch on."""
    rng = np.random.default_rng(seed)
    kernel = rng.normal(scale=0.1, size=2048)
    kernel[rng.random(kernel.shape) < zeros] = 0.0
    steps = np.arange(1, epochs + 1)
    history = {
        "loss": list(2.0 / steps),
        "val_loss": list(2.0 / steps + 0.02 * steps),
        "accuracy": list(1 - 1 / (steps + 1)),
        "val_accuracy": list(0.9 - 1 / (steps + 2)),
    }
    if diverged:
        kernel[: kernel.size // 2] = np.nan
        kernel[-3:] = np.inf
        val_loss = float("inf")
        for key in ("loss", "val_loss"):
            history[key][2:] = [float("nan")] * (epochs - 2)
    limit, counts = kernel_histogram(kernel)
    return Run(
        technique=name,
        seed=seed,
        train_accuracy=train,
        val_accuracy=0.9,
        test_accuracy=test,
        val_loss=val_loss,
        epochs_run=epochs,
        best_epoch=best_epoch,
        stopped_epoch=stopped_epoch,
        zero_fraction=zeros,
        first_zero_fraction=float(np.mean(kernel == 0.0)),
        wall_time=1.0,
        history=history,
        kernel_limit=limit,
        kernel_histogram=counts,
    )


def path_points():
    """An L1 path, strong λ first: sparser and less accurate at strong λ."""
    return [
        PathPoint(
            strength=np.float64(strength),
            measures={
                "val_accuracy": np.float64(accuracy),
                "val_loss": np.float64(loss),
            },
            zero_share=np.float64(zeros),
        )
        for strength, accuracy, loss, zeros in (
            (1e-2, 0.40, 1.9, 0.95),
            (1e-3, 0.88, 0.45, 0.60),
            (1e-4, 0.925, 0.28, 0.20),
            (1e-5, 0.93, 0.27, 0.01),
        )
    ]


def make_result(
    tests,
    epochs=60,
    paths=None,
    run_options=None,
    wall_time=12.5,
    fresh_fits=None,
    halving=False,
):
    """A `StudyResult` whose configurations have the given test accuracies.

    Args:
        tests: dict, configuration name → list of test accuracies, one per
            seed; must hold the baseline first.
        epochs: the epochs each run was given.
        paths: dict, penalty → path points, or None for none.
        run_options: dict, configuration name → keyword arguments of
            `make_run` (besides the test accuracy).
        fresh_fits: dict, penalty → its fresh fit's `Run`; None for one
            with 2% zeros and 92% test accuracy per path.
        halving: whether the values were chosen by successive halving (their
            made-up losses are the same at every budget).
    """
    run_options = run_options or {}
    runs = {
        name: [
            make_run(name, seed, test=test, **run_options.get(name, {}))
            for seed, test in enumerate(accuracies)
        ]
        for name, accuracies in tests.items()
    }
    baseline = tests[BASELINE]
    seeds = len(baseline)
    combinations = tuple(tuple(name.split(" + ")) for name in tests if " + " in name)
    # A combination made up for a test may hold techniques not run alone.
    named = [*tests, *(part for parts in combinations for part in parts)]
    plan = Plan(
        techniques=tuple(
            technique(name, tuple(GRIDS[name]))
            for name in dict.fromkeys(named)
            if name in GRIDS
        ),
        combinations=combinations,
        learning_rates=tuple(LEARNING_RATES),
        seeds=seeds,
        epochs=epochs,
        path=bool(paths),
        halving=halving,
    )
    losses = _tuning_losses(plan)
    choices = plan.choices(losses)
    # Every configuration as the study's plan sets it, at the chosen strengths.
    configurations = plan.configurations(choices, losses)
    settings = {
        "kind": "kerasreg.study",
        "format": 1,
        "plan": {
            "techniques": {t.name: list(t.grid) for t in plan.techniques},
            "combinations": [],
            "learning_rates": list(LEARNING_RATES),
            "seeds": seeds,
            "epochs": epochs,
            "path": bool(paths),
            "halving": halving,
            "batch_size": 32,
        },
        "data": {
            "name": "tiny",
            "fingerprint": "0" * 64,
            "n_train": 300,
            "n_val": 300,
            "n_test": 1197,
        },
        "versions": {"kerasreg": "0.1.0", "keras": "3.15.1"},
        "optimizer": DEFAULT_OPTIMIZER,
        "wall_time": wall_time,
    }
    return StudyResult(
        choices=choices,
        configurations={name: configurations[name] for name in tests},
        runs=runs,
        summaries={name: summarize(r) for name, r in runs.items()},
        comparisons={
            name: paired_comparison(accuracies, baseline)
            for name, accuracies in tests.items()
            if name != BASELINE
        },
        paths=paths or {},
        settings=settings,
        dataset=tiny_dataset(),
        fresh_fits=(
            {name: make_run(name, test=0.92, zeros=0.02) for name in paths or {}}
            if fresh_fits is None
            else fresh_fits
        ),
    )


def _tuning_losses(plan):
    """Trial key → made-up validation loss of every tuning run (seed 0), the
    same at every budget."""
    losses = {}
    while plan.choices(losses) is None:
        for values in plan.trials(losses)[0]:
            on = Setting.from_values(values).techniques()
            losses[trial_key(values)] = (
                GRIDS[next(iter(on))][next(iter(on.values()))]
                if on
                else LEARNING_RATES[values["learning_rate"]]
            )
    return losses


def example_result():
    """The `StudyResult` that docstring examples call `result` (see the root
    conftest): three seeds of the baseline, L2 and Dropout."""
    return make_result(
        {
            "none": [0.90, 0.91, 0.90],
            "L2": [0.93, 0.94, 0.94],
            "Dropout": [0.92, 0.90, 0.93],
        }
    )
