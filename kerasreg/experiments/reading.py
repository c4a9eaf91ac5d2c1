"""A short reading of a study's results, written from its numbers.

Every claim that one configuration beats another rests on the seed-paired
comparison's verdict: a difference whose 95% confidence interval covers 0 is
a tie and is never read as a win, and with one seed every difference is one.
"""

import math

from kerasreg.experiments.plan import ALL_TOGETHER, BASELINE
from kerasreg.experiments.records import PATH_TOLERANCE_POINTS, recommended_point
from kerasreg.experiments.statistics import paired_comparison, t_quantile
from kerasreg.experiments.table import format_points, format_share, format_signed
from kerasreg.experiments.techniques import PATH_PENALTIES, technique

# A gap above this many points counts as overfitting worth curing.
_OVERFIT_POINTS = 2.0
# Fewer seeds than this carry a verdict with a warning.
_FEW_SEEDS = 3
_VERDICTS = {
    "better": "Better than without regularization (the 95% interval of the "
    "seed-paired difference lies above 0)",
    "tie": "Ties (the interval covers 0: no difference told from seed-to-seed noise)",
    "worse": "Worse (the interval lies below 0)",
}


def _points(fraction):
    return 100 * fraction


def _names(items):
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def read_results(result):
    """Bullet points (Markdown) that read a study's results.

    The baseline's fit and gap; which configurations are better, tied or
    worse than the baseline by the seed-paired verdicts; the smallest gap;
    exact zeros and the regularization paths; early stopping's epochs; "all
    together" against the best single technique; choices at the edge of
    their grid; and what ± means (or, for one seed, that nothing is told).

    Args:
        result: a `kerasreg.experiments.StudyResult`.

    Returns:
        A list of strings, one bullet point each (without the bullet).

    Example:

    >>> lines = read_results(result)  # `result`: a `StudyResult`
    >>> print(lines[1])  # doctest: +NORMALIZE_WHITESPACE
    Better than without regularization (the 95% interval of the seed-paired
    difference lies above 0): **L2** (+3.3 ± 1.4). Ties (the interval covers
    0: no difference told from seed-to-seed noise): Dropout (+1.3 ± 5.2).
    """
    summaries, settings = result.summaries, result.settings
    none = summaries[BASELINE]
    others = [s for name, s in summaries.items() if name != BASELINE]
    seeds = settings["plan"]["seeds"]
    lines = [_baseline(none, settings["data"])]
    lines += [line for line in (_diverged(result),) if line]
    if others:
        lines += [_ranking(none, others, result.comparisons, seeds), _gap(none, others)]
    lines += [
        line
        for line in (
            _sparsity(none, others),
            *(
                _path(name, points, result.fresh_fits.get(name), result.dataset)
                for name, points in result.paths.items()
            ),
            _early_stopping(
                summaries.get("EarlyStopping"),
                result.choices.strength.get("EarlyStopping"),
                settings["plan"]["epochs"],
            ),
            _combination(result),
            _edges(result.choices),
        )
        if line
    ]
    lines.append(_spread(seeds))
    return lines


def _diverged(result):
    """Which runs and tuned values diverged: shown, never chosen."""
    runs = [
        f"{name} seed {run.seed}"
        for name, runs in result.runs.items()
        for run in runs
        if run.diverged
    ]
    choices = result.choices
    tried = {"learning rate": choices.learning_rates}
    tried.update(
        (f"{name} {technique(name).strength_name}", scores)
        for name, scores in choices.strengths.items()
    )
    values = [
        f"{label} {value:g}"
        for label, scores in tried.items()
        for value, loss in scores.items()
        if not math.isfinite(loss)
    ]
    parts = []
    if values:
        parts.append(
            f"Diverged while tuning (validation loss not finite, never chosen): "
            f"{_names(values)}."
        )
    if runs:
        parts.append(
            f"**Diverged** (validation loss not finite): {_names(runs)}; their "
            "accuracies are a broken model's, counted in their configuration's "
            "mean as they are. A smaller learning rate or a weaker strength may "
            "cure them."
        )
    return " ".join(parts)


def _baseline(none, data):
    gap = _points(none.gap.mean)
    judgement = "it overfits" if gap > _OVERFIT_POINTS else "it hardly overfits here"
    return (
        f"Without regularization the model fits its {data['n_train']} training "
        f"examples to {_points(none.train_accuracy.mean):.1f}% accuracy but "
        f"classifies {_points(none.test_accuracy.mean):.1f}% of the "
        f"{data['n_test']} test examples correctly: a generalization gap of "
        f"{gap:.1f} points, {judgement}."
    )


def _ranking(none, others, comparisons, seeds):
    def difference(summary):
        return comparisons[summary.technique].difference

    ranked = sorted(others, key=lambda s: -difference(s).mean)
    if seeds < 2:
        best = ranked[0]
        return (
            "With one seed there is no confidence interval, so no difference "
            "from the baseline can be told from luck: every verdict is a tie. "
            f"The highest test accuracy was {best.technique}'s, "
            f"{_points(best.test_accuracy.mean):.1f}% "
            f"({format_signed(_points(difference(best).mean))} points)."
        )
    groups = {verdict: [] for verdict in _VERDICTS}
    for summary in ranked:
        verdict = comparisons[summary.technique].verdict
        # The best of the better ones stands out; a tie never does.
        name = summary.technique
        if verdict == "better" and not groups["better"]:
            name = f"**{name}**"
        groups[verdict].append(
            f"{name} ({format_points(difference(summary), signed=True)})"
        )
    if groups["better"]:
        parts = []
    else:
        parts = [
            "No configuration beat no regularization beyond seed-to-seed noise "
            f"({none.test_accuracy.n} seeds, test accuracy "
            f"{format_points(none.test_accuracy)}%)."
        ]
    parts += [f"{_VERDICTS[k]}: {_names(v)}." for k, v in groups.items() if v]
    return " ".join(parts)


def _gap(none, others):
    smallest = min(others, key=lambda s: s.gap.mean)
    line = (
        f"Smallest generalization gap: {smallest.technique}, "
        f"{_points(smallest.gap.mean):.1f} points (without: "
        f"{_points(none.gap.mean):.1f})."
    )
    if smallest.test_accuracy.mean < none.test_accuracy.mean:
        line += (
            " Its test accuracy is lower than without regularization, though: "
            "the gap closed because training accuracy fell, not because the "
            "model generalizes better."
        )
    return line


def _sparsity(none, others):
    sparse = [s for s in others if s.zero_fraction.mean > 0]
    if not sparse:
        return (
            "No configuration set any weight exactly to zero; L1-type penalties "
            "need a larger λ or more epochs for their soft-thresholding to add up."
            if any(s.technique in PATH_PENALTIES for s in others)
            else ""
        )
    parts = [
        f"{s.technique} {format_share(s.zero_fraction.mean)} (test "
        f"{format_signed(_points(s.test_accuracy.mean - none.test_accuracy.mean))}"
        " points)"
        for s in sorted(sparse, key=lambda s: -s.zero_fraction.mean)
    ]
    return (
        "Exactly-zero kernel weights, from the L1-type penalties applied by "
        f"`Proximal` as soft-thresholding: {_names(parts)}. A plain subgradient "
        "step would leave them small but nonzero."
    )


def _path(name, points, fresh, data):
    index = recommended_point(points)
    if index is None:
        return f"{name}'s regularization path diverged at every λ."
    kept = points[index]
    # The path's first fit starts from scratch, as the fresh fit does.
    origin = (
        "warm-started from the stronger λ before it"
        if index
        else "its first fit, from scratch like the fresh fit"
    )
    best = max(p.measures["val_accuracy"] for p in points if not p.diverged)
    line = (
        f"{name}'s regularization path: the strongest λ whose validation "
        f"accuracy is within {PATH_TOLERANCE_POINTS:g} point of the path's best "
        f"({_points(best):.1f}%) is {kept.strength:.3g}, where the path's model "
        f"({origin}) has "
        f"{format_share(kept.zero_share)} of its kernel weights exactly zero "
        f"(validation accuracy {_points(kept.measures['val_accuracy']):.1f}%)"
        + (
            f" and keeps {len(kept.features)} of its {data.image_shape[0]} input "
            "features (listed in the report)."
            if kept.features is not None
            else "."
        )
    )
    if fresh is not None:
        line += (
            f" Trained from scratch at that λ alone: "
            f"{format_share(fresh.zero_fraction)} zeros, validation accuracy "
            f"{_points(fresh.val_accuracy):.1f}%"
            + (" (diverged)" if fresh.diverged else "")
            + ": what λ gives without the path's warm start."
        )
    return line


def _early_stopping(stopping, patience, epochs):
    if stopping is None:
        return ""
    if stopping.epochs_run >= epochs:
        return (
            f"EarlyStopping (patience {patience}) never stopped within {epochs} "
            "epochs (it still kept the weights of the best validation epoch); "
            "give it more epochs to see it cut training short."
        )
    saved = 100 * (1 - stopping.epochs_run / epochs)
    return (
        f"EarlyStopping (patience {patience}) trained {stopping.epochs_run:.1f} "
        f"of {epochs} epochs on average ({saved:.0f}% fewer) and kept the weights "
        f"of epoch {stopping.best_epoch:.1f}, the one with the lowest validation "
        "loss."
    )


def _combination(result):
    together = result.summaries.get(ALL_TOGETHER)
    singles = [
        s for name, s in result.summaries.items() if name in result.choices.strength
    ]
    if together is None or not singles:
        return ""
    best = max(singles, key=lambda s: s.test_accuracy.mean)
    comparison = paired_comparison(
        [run.test_accuracy for run in result.runs[ALL_TOGETHER]],
        [run.test_accuracy for run in result.runs[best.technique]],
    )
    if comparison.difference.n < 2:
        return (
            f"All together reach {_points(together.test_accuracy.mean):.1f}%, "
            f"{format_signed(_points(comparison.difference.mean))} points against the "
            f"best single technique ({best.technique}); one seed gives no verdict."
        )
    meaning = {
        "better": "better, the techniques complement each other here",
        "tie": "a tie, no gain told from seed-to-seed noise",
        "worse": "worse, regularizers do not simply add up",
    }[comparison.verdict]
    return (
        f"All together reach {format_points(together.test_accuracy)}%; against "
        f"the best single technique ({best.technique}), paired by seed, "
        f"{format_points(comparison.difference, signed=True)} points: {meaning}."
    )


def _edges(choices):
    grids = {"learning rate": (choices.learning_rates, choices.learning_rate)}
    grids.update(
        (f"{name} {technique(name).strength_name}", (scores, choices.strength[name]))
        for name, scores in choices.strengths.items()
    )
    edges = []
    for name, (scores, chosen) in grids.items():
        values = sorted(scores)
        if len(values) > 1 and chosen in (values[0], values[-1]):
            end = "smallest" if chosen == values[0] else "largest"
            edges.append(f"{name} {chosen:g} (the {end} tried)")
    if not edges:
        return ""
    return (
        f"Chosen at an edge of the grid tried: {_names(edges)}; the best value "
        "may lie beyond it. Widen the grid (`learning_rates=`, `grids=`) to find out."
    )


def _spread(seeds):
    if seeds < 2:
        return (
            "One seed per configuration: differences of a point or so may be "
            "luck. Rerun with `seeds=3` or more before drawing conclusions."
        )
    if seeds < _FEW_SEEDS:
        return (
            f"**Too few seeds**: with {seeds}, each interval and verdict rests on "
            f"Student's t with {seeds - 1} degree of freedom (its 95% quantile is "
            f"{t_quantile(0.975, seeds - 1):.1f}, against 4.3 for three seeds): one "
            "unlucky seed decides. Rerun with `seeds=3` or more before drawing "
            "conclusions."
        )
    return (
        f"± is the half-width of the 95% confidence interval over the {seeds} "
        "seeds (Student's t); better or worse means the interval of the "
        "seed-paired difference from the baseline excludes 0, else a tie."
    )
