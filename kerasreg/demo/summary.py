"""Per-technique summaries of the runs: means and spreads over seeds."""

import dataclasses

import numpy as np


def mean_std(values):
    """(mean, sample standard deviation) of `values`; the deviation is 0 for one.

    Example:

    >>> mean_std([1.0, 3.0])
    (2.0, 1.4142135623730951)
    """
    values = np.asarray(values, dtype="float64")
    spread = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return float(values.mean()), spread


@dataclasses.dataclass(frozen=True)
class Summary:
    """One technique over its seeds: (mean, std) pairs and means.

    Accuracies, the gap and `zero_fraction` are fractions in [0, 1]; the gap
    is train minus test accuracy; `wall_time` is seconds per run.
    """

    technique: str
    seeds: int
    train_accuracy: tuple
    test_accuracy: tuple
    gap: tuple
    epochs_run: float
    best_epoch: float | None
    zero_fraction: float
    wall_time: float

    def to_json(self):
        """The summary as JSON-ready values."""
        return dataclasses.asdict(self)


def summarize(runs):
    """The `Summary` of one technique's list of `Run`.

    Example:

    >>> summarize(runs["L2"]).test_accuracy  # doctest: +SKIP
    (0.951, 0.004)
    """
    best = [run.best_epoch for run in runs if run.best_epoch is not None]
    return Summary(
        technique=runs[0].technique,
        seeds=len(runs),
        train_accuracy=mean_std([run.train_accuracy for run in runs]),
        test_accuracy=mean_std([run.test_accuracy for run in runs]),
        gap=mean_std([run.gap for run in runs]),
        epochs_run=float(np.mean([run.epochs_run for run in runs])),
        best_epoch=float(np.mean(best)) if best else None,
        zero_fraction=float(np.mean([run.zero_fraction for run in runs])),
        wall_time=float(np.mean([run.wall_time for run in runs])),
    )
