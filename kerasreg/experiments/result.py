"""What a study found: `StudyResult`, collected from its finished trials."""

import dataclasses

from kerasreg.experiments import statistics
from kerasreg.experiments.plan import BASELINE, trial_key
from kerasreg.experiments.records import (
    OBJECTIVE,
    Run,
    path_from_metrics,
    recommended_point,
)
from kerasreg.experiments.summary import summarize
from kerasreg.experiments.techniques import PATH_PENALTIES, Setting


@dataclasses.dataclass(frozen=True)
class StudyResult:
    """What a study found.

    Attributes:
        choices: `kerasreg.experiments.plan.Choices`: the learning rate and
            each technique's strength chosen on validation loss, with the
            scores of every value tried.
        configurations: dict, configuration name → its `Setting` (the
            switches it turns on, at the chosen strengths), baseline first.
        runs: dict, configuration name → list of `Run`, one per seed.
        summaries: dict, configuration name → dict of `Interval` (test and
            train accuracy, gap, share of zeros) over the seeds.
        comparisons: dict, configuration name → `Comparison` of its test
            accuracy with the baseline's, paired by seed.
        paths: dict, penalty name → list of path points (λ, validation
            accuracy and loss, share of exact zeros), strong λ first.
        fresh_fits: dict, penalty name → the `Run` of the penalty alone at
            the λ its path recommends (`recommended_point`), trained from a
            fresh start: what λ gives without the path's warm start. A path
            that diverged at every λ has none.
        settings: dict of the study's settings, JSON-ready.
        dataset: the `Dataset` studied.

    Example:

    >>> import tempfile
    >>> def build_model(switches):
    ...     inputs = keras.Input((8, 8, 1))
    ...     x = switches.dropout(keras.layers.Flatten()(inputs))
    ...     return keras.Model(inputs, keras.layers.Dense(10)(x))
    >>> result = kerasreg.study(
    ...     build_model, "digits", techniques=("Dropout",), grids={"Dropout": (0.5,)},
    ...     seeds=2, epochs=1, learning_rates=(0.1,), out=tempfile.mkdtemp(), verbose=0)
    >>> list(result.runs), [run.seed for run in result.runs["Dropout"]]
    (['none', 'Dropout'], [0, 1])
    >>> result.comparisons["Dropout"].verdict in ("better", "worse", "tie")
    True
    """

    choices: object
    configurations: dict
    runs: dict
    summaries: dict
    comparisons: dict
    paths: dict
    settings: dict
    dataset: object
    fresh_fits: dict = dataclasses.field(default_factory=dict)


def collect(finished, plan, dataset, settings):
    """The `StudyResult` of a finished study.

    Args:
        finished: dict, trial key → the trial's metrics (name → float), as
            the engine's `completed_metrics` gives them.
        plan: the study's `Plan`.
        dataset: the `Dataset` studied.
        settings: dict of the study's settings, JSON-ready.
    """
    losses = {key: metrics[OBJECTIVE] for key, metrics in finished.items()}
    choices = plan.choices(losses)
    lr = choices.learning_rate
    configurations = plan.configurations(choices, losses)
    runs = {
        name: [
            Run.from_metrics(
                name, seed, finished[trial_key(plan.values(setting, lr, seed))]
            )
            for seed in range(plan.seeds)
        ]
        for name, setting in configurations.items()
    }
    paths = {
        t.name: path_from_metrics(
            finished[trial_key(plan.values(Setting(), lr, 0, path=t.name))]
        )
        for t in plan.techniques
        if plan.path and t.name in PATH_PENALTIES
    }
    fresh_fits = {}
    for name, points in paths.items():
        index = recommended_point(points)
        if index is not None:
            values = plan.fresh_fit(name, points[index].strength, lr)
            fresh_fits[name] = Run.from_metrics(name, 0, finished[trial_key(values)])
    summaries = {name: summarize(r) for name, r in runs.items()}
    baseline = [run.test_accuracy for run in runs[BASELINE]]
    comparisons = {
        name: statistics.paired_comparison([r.test_accuracy for r in rs], baseline)
        for name, rs in runs.items()
        if name != BASELINE
    }
    return StudyResult(
        choices,
        configurations,
        runs,
        summaries,
        comparisons,
        paths,
        settings,
        dataset,
        fresh_fits,
    )
