"""Fitting a study's plan to a time budget, and how long a plan takes.

A study's time is about

    models × seconds_per_fit + epochs × seconds_per_epoch

where `models` counts every model built (a trial, or one λ of a
regularization path), each of which costs a fixed time to build, trace and
measure, and `epochs` every epoch trained (`Plan.epochs_planned`), each the
time of one epoch on the training split (with its validation). Both are
timed on this machine before the first trial (`kerasreg.experiments.timing`).

Given a budget in minutes, `fit_to_budget` cuts the plan the way a careful
experimenter would, in this order, each cut only as far as it must go:

1. the regularization paths' points (down to `MIN_PATH_POINTS`): a path is
   a picture beside the verdicts, never part of them;
2. the strength grids, every technique's at once (one step coarser each, as
   `coarser` keeps the middle and the ends), then the learning rates: the
   choices rest on fewer candidates, but every technique keeps as many as
   the others (a technique tuned more finely would win by its tuning), and
   the middle value a default grid is centred on stays;
3. the epochs (down to half those asked for): every run trains alike, so the
   comparison stays fair, but every model less far;
4. the seeds, last: the confidence intervals and the verdicts rest on them;
   never below `MIN_SEEDS` (an interval needs two).

A budget that even the smallest such plan overruns is refused, with the
minutes that plan needs. The functions here are pure: the plan and the
timing in, the plan and the cuts (as sentences for the terminal and the
report) out.
"""

import dataclasses
import math

from kerasreg._validation import invalid
from kerasreg.experiments.techniques import PATH_PENALTIES

MIN_SEEDS = 2
# Strong, middle and weak λ: the fewest that still show a path's shape.
MIN_PATH_POINTS = 3


def fit_to_budget(plan, seconds_per_epoch, seconds_per_fit, minutes):
    """The plan cut to fit `minutes`, and the cuts made.

    Args:
        plan: the study's `kerasreg.experiments.plan.Plan`, as asked for.
        seconds_per_epoch: float, the time of one epoch on this machine.
        seconds_per_fit: float, the fixed time of one model: building,
            tracing and measuring it.
        minutes: float > 0, the budget.

    Returns:
        `(plan, cuts)`: the largest plan, in the order of the module's
        docstring, that `estimate_seconds` puts within `minutes`, and a tuple
        of sentences, one per cut ("seeds 3 → 2"); `(plan, ())` when the
        whole plan fits.

    Raises:
        ValueError: even the smallest plan a budget may cut to overruns
            `minutes`; the message names `budget` and the minutes it needs.

    Example:

    >>> from kerasreg.experiments.plan import Plan
    >>> from kerasreg.experiments.techniques import technique
    >>> plan = Plan((technique("Dropout"),), (), (0.01, 0.03, 0.1), 3, 60, False)
    >>> estimate_seconds(plan, 0.1, 1.0)  # 10 trials: 10 × 1 s + 600 × 0.1 s
    70.0
    >>> cut, said = fit_to_budget(plan, 0.1, 1.0, minutes=0.5)
    >>> for sentence in said:
    ...     print(sentence)
    Dropout grid (0.1, 0.3, 0.5) → (0.3,)
    learning rates (0.01, 0.03, 0.1) → (0.03,)
    epochs 60 → 40
    >>> estimate_seconds(cut, 0.1, 1.0)  # 6 trials: 6 × 1 s + 240 × 0.1 s
    30.0
    """
    limit = minutes * 60

    def fits(candidate):
        return estimate_seconds(candidate, seconds_per_epoch, seconds_per_fit) <= limit

    if fits(plan):
        return plan, ()
    smallest = plan
    for candidate in _smaller(plan):
        if fits(candidate):
            return candidate, cuts(plan, candidate)
        smallest = candidate
    seconds = estimate_seconds(smallest, seconds_per_epoch, seconds_per_fit)
    # Rounded up to a tenth of a minute: that budget itself fits.
    needed = math.ceil(seconds / 6) / 10
    epoch, fit = format_seconds(seconds_per_epoch), format_seconds(seconds_per_fit)
    raise invalid(
        "budget",
        minutes,
        f"at least {needed:g} minute{'s' * (needed != 1)}: the smallest plan a "
        f"budget may cut this study to ({_describe(smallest)}) takes about that "
        "long on this machine "
        f"({epoch} s an epoch, {fit} s to build and measure each model)",
    )


def estimate_seconds(plan, seconds_per_epoch, seconds_per_fit):
    """The time `plan` takes: models × seconds_per_fit + epochs ×
    seconds_per_epoch, counted before any choice is made (an upper bound)."""
    epochs = plan.epochs_planned()
    return models(plan) * seconds_per_fit + epochs * seconds_per_epoch


def models(plan):
    """How many models `plan` builds: one a trial, one a point of each path."""
    paths = _paths(plan)
    return plan.count() + paths * (plan.path_points - 1)


def _paths(plan):
    # The path trials `Plan.count` counts: one per path penalty studied.
    if not plan.path:
        return 0
    return sum(t.name in PATH_PENALTIES for t in plan.techniques)


def coarser(grid):
    """`grid` one step coarser: of three values or fewer, the middle one (the
    first of two); of more, about half of them, evenly spread, both ends kept.

    Example:

    >>> coarser((3e-4, 3e-3, 3e-2))
    (0.003,)
    >>> coarser((1, 2, 3, 4, 5, 6, 7))
    (1, 3, 5, 7)
    """
    n = len(grid)
    if n <= 3:
        return (grid[(n - 1) // 2],)
    kept = (n + 1) // 2
    return tuple(grid[round(i * (n - 1) / (kept - 1))] for i in range(kept))


def _smaller(plan):
    """Each plan one step smaller than the one before, in the order of cuts."""
    if _paths(plan):
        for points in range(plan.path_points - 1, MIN_PATH_POINTS - 1, -1):
            plan = dataclasses.replace(plan, path_points=points)
            yield plan
    while any(len(t.grid) > 1 for t in plan.techniques):
        techniques = tuple(
            dataclasses.replace(t, grid=coarser(t.grid)) for t in plan.techniques
        )
        plan = dataclasses.replace(plan, techniques=techniques)
        yield plan
    while len(plan.learning_rates) > 1:
        plan = dataclasses.replace(plan, learning_rates=coarser(plan.learning_rates))
        yield plan
    for epochs in range(plan.epochs - 1, math.ceil(plan.epochs / 2) - 1, -1):
        plan = dataclasses.replace(plan, epochs=epochs)
        yield plan
    for seeds in range(plan.seeds - 1, MIN_SEEDS - 1, -1):
        plan = dataclasses.replace(plan, seeds=seeds)
        yield plan


def cuts(asked, cut):
    """What `cut` cut of the plan `asked`, one sentence each, in the order of
    cuts: "path points 6 → 4", "L2 grid (0.0003, 0.003, 0.03) → (0.003,)",
    "learning rates (0.01, 0.03, 0.1) → (0.03,)", "epochs 60 → 40",
    "seeds 3 → 2"."""
    said = []
    if cut.path_points != asked.path_points:
        said.append(f"path points {asked.path_points} → {cut.path_points}")
    for before, after in zip(asked.techniques, cut.techniques, strict=True):
        if before.grid != after.grid:
            grids = f"{_grid(before.grid)} → {_grid(after.grid)}"
            said.append(f"{before.name} grid {grids}")
    if cut.learning_rates != asked.learning_rates:
        said.append(
            f"learning rates {_grid(asked.learning_rates)} → "
            f"{_grid(cut.learning_rates)}"
        )
    for field in ("epochs", "seeds"):
        if getattr(cut, field) != getattr(asked, field):
            said.append(f"{field} {getattr(asked, field)} → {getattr(cut, field)}")
    return tuple(said)


def estimate_line(plan, seconds_per_epoch, seconds_per_fit, workers=1):
    """The terminal's estimate of the whole study before its first trial.

    The estimate is of one process. With `workers` > 1 it says so and how
    many share the trials, without dividing: the phases wait on each other's
    choices, and workers that share the cores share their speed.

    Example:

    >>> from kerasreg.experiments.plan import Plan
    >>> from kerasreg.experiments.techniques import technique
    >>> plan = Plan((technique("Dropout"),), (), (0.01, 0.03, 0.1), 3, 60, False)
    >>> print(estimate_line(plan, 0.1, 1.0))  # doctest: +NORMALIZE_WHITESPACE
    The whole study: about 70 s on this machine (0.1 s an epoch, 600 epochs
    in all, and 1 s to build and measure each of 10 models).
    """
    seconds = estimate_seconds(plan, seconds_per_epoch, seconds_per_fit)
    epoch, fit = format_seconds(seconds_per_epoch), format_seconds(seconds_per_fit)
    where = "on this machine" + " in one process" * (workers > 1)
    shared = f" {workers} worker processes share it." * (workers > 1)
    return (
        f"The whole study: about {_duration(seconds)} {where} ({epoch} s an "
        f"epoch, {plan.epochs_planned()} epochs in all, and {fit} s to build "
        f"and measure each of {models(plan)} models).{shared}"
    )


def budget_lines(minutes, cut_sentences):
    """The terminal's account of a budget before the first trial.

    Example:

    >>> budget_lines(10, ("epochs 60 → 40", "seeds 3 → 2"))
    ['Cut to fit the budget of 10 minutes:', '- epochs 60 → 40', '- seeds 3 → 2']
    """
    if not cut_sentences:
        return [f"The whole plan fits the budget of {minutes:g} minutes: nothing cut."]
    return [f"Cut to fit the budget of {minutes:g} minutes:"] + [
        f"- {sentence}" for sentence in cut_sentences
    ]


def _describe(plan):
    parts = [
        f"{plan.seeds} seed{'s' * (plan.seeds > 1)}",
        f"{plan.epochs} epoch{'s' * (plan.epochs > 1)}",
        "one value per grid",
    ]
    if _paths(plan):
        parts.append(f"paths of {plan.path_points} points")
    return ", ".join(parts)


def _grid(values):
    return "(" + ", ".join(f"{v:g}" for v in values) + ("," * (len(values) == 1)) + ")"


def format_seconds(seconds):
    """`seconds` to two significant figures, as 0.012, 3.4 or 41."""
    return f"{seconds:.0f}" if seconds >= 10 else f"{seconds:.2g}"


def _duration(seconds):
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3 * 3600:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"
