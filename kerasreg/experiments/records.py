"""The records of a study's trials: a `Run`, a path's `PathPoint`s, and their
one encoding as keras-tuner metrics.

A trial's results travel as keras-tuner metrics (flat names → floats), so
that in a distributed study the chief oracle holds everything the report
needs, whatever machine ran the trial. The trainer encodes, the result
decodes; nothing else spells the metric names.
"""

import dataclasses
import math

import numpy as np

# The first layer's kernel travels as a histogram over [-limit, limit]; an
# odd number of bins puts one bin around 0, where L1's exact zeros pile up.
HISTOGRAM_BINS = 81
# The learning curves a run keeps, as Keras' history names them.
HISTORY = ("loss", "accuracy", "val_loss", "val_accuracy")
# keras-tuner's objective: what the plan chooses on, for a run and a path.
OBJECTIVE = "val_loss"
# On a regularization path, validation accuracies within this many points of
# the path's best count as "as good".
PATH_TOLERANCE_POINTS = 1.0


def kernel_histogram(kernel):
    """`(limit, counts)`: `kernel`'s finite weights in `HISTOGRAM_BINS` equal
    bins over [-limit, limit], limit their largest magnitude (1.0 if none is
    finite or all are 0).

    A diverged run's NaN or infinite weights are left out, not counted: its
    histogram shows what is left, and drawing it never fails.

    Example:

    >>> limit, counts = kernel_histogram(np.array([-2.0, 0.0, np.nan, 2.0]))
    >>> limit, sum(counts), counts[HISTOGRAM_BINS // 2]
    (2.0, 3, 1)
    """
    kernel = np.asarray(kernel, dtype="float64").ravel()
    finite = kernel[np.isfinite(kernel)]
    limit = float(np.abs(finite).max()) if finite.size else 0.0
    limit = limit or 1.0
    counts, _ = np.histogram(finite, bins=HISTOGRAM_BINS, range=(-limit, limit))
    return limit, tuple(int(c) for c in counts)


@dataclasses.dataclass
class Run:
    """What one configuration gave with one seed.

    Epochs are counted from 1. With early stopping, `best_epoch` is the epoch
    whose weights were kept and `stopped_epoch` the epoch at which it stopped
    training (None if it never did). `val_loss` is the loss on the validation
    split after training (with the kept weights), the number every choice of
    the study rests on; a run that diverged has `val_loss` inf.
    `kernel_histogram` counts the first kernel's weights in `HISTOGRAM_BINS`
    equal bins over [-`kernel_limit`, `kernel_limit`].
    """

    technique: str
    seed: int
    train_accuracy: float
    val_accuracy: float
    test_accuracy: float
    val_loss: float
    epochs_run: int
    best_epoch: int | None
    stopped_epoch: int | None
    zero_fraction: float
    first_zero_fraction: float
    wall_time: float
    history: dict
    kernel_limit: float
    kernel_histogram: tuple

    @property
    def diverged(self):
        """Whether training diverged: its validation loss is not finite."""
        return not math.isfinite(self.val_loss)

    @property
    def gap(self):
        """Train minus test accuracy."""
        return self.train_accuracy - self.test_accuracy

    def to_json(self):
        """The run's numbers as JSON-ready values."""
        fields = dataclasses.asdict(self)
        del fields["kernel_histogram"], fields["kernel_limit"]
        return {**fields, "gap": self.gap, "diverged": self.diverged}

    def to_metrics(self):
        """The run as keras-tuner metrics (`val_loss` is the objective)."""
        metrics = {name: _number(getattr(self, name)) for name in _SCALARS}
        for key, values in self.history.items():
            # A diverged epoch's NaN travels as inf: keras-tuner's running
            # minimum warns on NaN, and either way it reads "not finite".
            metrics.update(
                {
                    f"history/{key}/{epoch:04d}": v if math.isfinite(v) else math.inf
                    for epoch, v in enumerate(values)
                }
            )
        metrics["kernel/limit"] = self.kernel_limit
        metrics.update(
            {f"kernel/{i:03d}": float(c) for i, c in enumerate(self.kernel_histogram)}
        )
        return metrics

    @classmethod
    def from_metrics(cls, technique, seed, metrics):
        """The `Run` that `to_metrics` sent (`metrics`: name → float)."""
        fields = {name: metrics[name] for name in _SCALARS}
        for name in ("epochs_run", "best_epoch", "stopped_epoch"):
            value = fields[name]
            fields[name] = None if value == _NO_EPOCH else int(value)
        history = {
            key: _series(metrics, f"history/{key}/")
            for key in HISTORY
            if f"history/{key}/0000" in metrics
        }
        return cls(
            technique=technique,
            seed=seed,
            history=history,
            kernel_limit=metrics["kernel/limit"],
            kernel_histogram=tuple(int(c) for c in _series(metrics, "kernel/")),
            **fields,
        )


_SCALARS = (
    "train_accuracy",
    "val_accuracy",
    "test_accuracy",
    "val_loss",
    "epochs_run",
    "best_epoch",
    "stopped_epoch",
    "zero_fraction",
    "first_zero_fraction",
    "wall_time",
)


# keras-tuner takes the best of every metric, and NaN makes numpy warn there;
# an epoch that never happened travels as -1.
_NO_EPOCH = -1.0


def _number(value):
    return _NO_EPOCH if value is None else float(value)


def _series(metrics, prefix):
    keys = sorted(
        k for k in metrics if k.startswith(prefix) and k[len(prefix) :].isdigit()
    )
    return [metrics[k] for k in keys]


@dataclasses.dataclass(frozen=True)
class PathPoint:
    """One strength on a regularization path.

    Args:
        strength: float, the penalty strength the model was trained with.
        measures: dict of str to float, what the path's `measure` returned
            for it (in a study: "val_accuracy" and "val_loss").
        zero_share: float in [0, 1], the share of exactly-zero kernel weights.
        features: tuple of the int indices of the input features the model
            keeps (`kerasreg.feature_selection.selected_features`), in
            column order; None where they are not counted (images, a
            diverged fit). Defaults to `None`.

    Example:

    >>> PathPoint(strength=0.1, measures={"val_accuracy": 0.9}, zero_share=0.5)
    PathPoint(strength=0.1, measures={'val_accuracy': 0.9}, zero_share=0.5, features=None)
    """  # noqa: E501

    strength: float
    measures: dict
    zero_share: float
    features: tuple | None = None

    @property
    def diverged(self):
        """Whether the fit diverged: its validation loss is not finite."""
        return not math.isfinite(self.measures.get(OBJECTIVE, 0.0))

    def to_json(self):
        """The point as one JSON-ready dict: strength, measures, zeros and,
        where counted, "features_kept" and the kept "features" (indices)."""
        kept = (
            {}
            if self.features is None
            else {"features_kept": len(self.features), "features": list(self.features)}
        )
        return {
            "strength": self.strength,
            **dict(sorted(self.measures.items())),
            "zero_share": self.zero_share,
            **kept,
        }


def path_model(penalty):
    """The file name of the model a path recommends (`recommended_point`),
    saved by its trial in the study's logs folder and copied into its report.

    Example:

    >>> path_model("L1")
    'L1_path.keras'
    """
    return f"{penalty}_path.keras"


def recommended_point(points):
    """The index of the point a path recommends, or None if every fit diverged.

    The strongest λ (the sparsest model) whose validation accuracy is within
    `PATH_TOLERANCE_POINTS` of the best on the path; a diverged point is
    never recommended. `points` run strong λ first, as the path was fitted.

    Example:

    >>> points = [PathPoint(s, {"val_accuracy": a, "val_loss": 0.3}, 0.0)
    ...           for s, a in ((1.0, 0.50), (0.1, 0.905), (0.01, 0.91))]
    >>> recommended_point(points)  # 90.5% is within 1 point of 91%
    1
    """
    finite = [i for i, p in enumerate(points) if not p.diverged]
    if not finite:
        return None
    best = max(points[i].measures["val_accuracy"] for i in finite)
    # Rounded: 91% - 90% is 1.0000000000000009 points in floats, and counts.
    return next(
        i
        for i in finite
        if round(100 * (best - points[i].measures["val_accuracy"]), 9)
        <= PATH_TOLERANCE_POINTS
    )


def path_to_metrics(points):
    """A path's points as keras-tuner metrics (objective: best `val_loss`).

    A metric is one float: a point's kept features travel one index each
    (`path/NN/features/KKKKK`), beside their count (`path/NN/features_kept`,
    which also tells an empty selection from none counted).
    """
    metrics = {OBJECTIVE: min(p.measures[OBJECTIVE] for p in points)}
    for i, point in enumerate(points):
        fields = point.to_json()
        for k, feature in enumerate(fields.pop("features", ())):
            metrics[f"path/{i:02d}/features/{k:05d}"] = float(feature)
        for name, value in fields.items():
            metrics[f"path/{i:02d}/{name}"] = float(value)
    return metrics


def path_from_metrics(metrics):
    """The list of `PathPoint` that `path_to_metrics` sent."""
    fields, features = {}, {}
    for key, value in metrics.items():
        if key.startswith("path/"):
            _, index, name, *k = key.split("/")
            if k:
                features.setdefault(int(index), {})[int(k[0])] = int(value)
            else:
                fields.setdefault(int(index), {})[name] = value
    points = []
    for index in sorted(fields):
        measures = fields[index]
        strength, zeros = measures.pop("strength"), measures.pop("zero_share")
        kept = None
        if "features_kept" in measures:
            count = int(measures.pop("features_kept"))
            indices = features.get(index, {})
            kept = tuple(indices[k] for k in range(count))
        points.append(
            PathPoint(strength, dict(sorted(measures.items())), zeros, features=kept)
        )
    return points
