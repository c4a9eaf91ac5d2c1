"""Per-configuration summaries of the runs: means with confidence intervals."""

import dataclasses

import numpy as np

from kerasreg.experiments.statistics import mean_interval

# Accuracies and shares of zeros lie in [0, 1], and so do their intervals.
_SHARE = (0.0, 1.0)


@dataclasses.dataclass(frozen=True)
class Summary:
    """One configuration over its seeds.

    Accuracies, the gap (train minus test accuracy) and `zero_fraction` are
    fractions in [0, 1] (the gap in [-1, 1]), as `Interval`s (mean with a 95%
    confidence interval over the seeds, clipped to those bounds; no interval
    for one seed); `epochs_run`, `best_epoch`
    and `wall_time` (seconds per run) are means. `diverged` counts the runs
    whose training diverged (their numbers are in the means: a configuration
    that diverges is shown as it is, never left out).
    """

    technique: str
    seeds: int
    train_accuracy: object
    test_accuracy: object
    gap: object
    zero_fraction: object
    epochs_run: float
    best_epoch: float | None
    wall_time: float
    diverged: int = 0


def summarize(runs):
    """The `Summary` of one configuration's list of `Run`.

    Example:

    >>> summary = summarize(result.runs["L2"])  # `result`: a `StudyResult`
    >>> summary.seeds, str(summary.test_accuracy)
    (3, '0.937 ± 0.014')
    """
    best = [run.best_epoch for run in runs if run.best_epoch is not None]
    return Summary(
        technique=runs[0].technique,
        seeds=len(runs),
        train_accuracy=mean_interval([r.train_accuracy for r in runs], bounds=_SHARE),
        test_accuracy=mean_interval([r.test_accuracy for r in runs], bounds=_SHARE),
        gap=mean_interval([run.gap for run in runs], bounds=(-1.0, 1.0)),
        zero_fraction=mean_interval([r.zero_fraction for r in runs], bounds=_SHARE),
        epochs_run=float(np.mean([run.epochs_run for run in runs])),
        best_epoch=float(np.mean(best)) if best else None,
        wall_time=float(np.mean([run.wall_time for run in runs])),
        diverged=sum(run.diverged for run in runs),
    )
