"""A short reading of the results, written from the numbers."""

import math

from kerasreg.experiments.table import format_share

# A gap above this many points counts as overfitting worth curing.
_OVERFIT_POINTS = 2.0
# "Clearly" better or worse: the difference of means exceeds this many
# standard errors of that difference.
_STANDARD_ERRORS = 2.0


def _points(fraction):
    return 100 * fraction


def _signed(points):
    # Adding 0.0 turns a -0.0 left by rounding into 0.0, printed "+0.0".
    return f"{round(points, 1) + 0.0:+.1f}"


def _names(items):
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def verdict(summary, baseline):
    """'better', 'worse' or 'noise': `summary`'s test accuracy against `baseline`.

    With one seed there is no spread to judge by: the sign decides.

    Example:

    >>> verdict(summaries["L2"], summaries["none"])  # doctest: +SKIP
    'better'
    """
    difference = summary.test_accuracy[0] - baseline.test_accuracy[0]
    if summary.seeds < 2 or baseline.seeds < 2:
        return "better" if difference > 0 else "worse" if difference < 0 else "noise"
    error = math.hypot(
        summary.test_accuracy[1] / math.sqrt(summary.seeds),
        baseline.test_accuracy[1] / math.sqrt(baseline.seeds),
    )
    if abs(difference) <= _STANDARD_ERRORS * error:
        return "noise"
    return "better" if difference > 0 else "worse"


def write_reading(summaries, n_train, n_test, epochs):
    """Bullet points (Markdown) that read the table.

    Args:
        summaries: dict from technique name to `Summary`; must hold "none".
        n_train: int, the number of training images.
        n_test: int, the number of test images.
        epochs: int, the epochs each run was given.

    Returns:
        A list of strings, one bullet point each (without the bullet).

    Example:

    >>> for line in write_reading(summaries, 300, 1197, 60):  # doctest: +SKIP
    ...     print("-", line)
    """
    none = summaries["none"]
    others = [s for name, s in summaries.items() if name != "none"]
    lines = [_baseline(none, n_train, n_test)]
    if others:
        lines += [_ranking(none, others), _gap(none, others)]
    lines += [
        line
        for line in (
            _sparsity(none, others),
            _early_stopping(summaries.get("EarlyStopping"), epochs),
            _combination(others, summaries.get("all together")),
        )
        if line
    ]
    lines.append(_spread(none.seeds))
    return lines


def _baseline(none, n_train, n_test):
    gap = _points(none.gap[0])
    judgement = "it overfits" if gap > _OVERFIT_POINTS else "it hardly overfits here"
    return (
        f"Without regularization the network fits its {n_train} training images "
        f"to {_points(none.train_accuracy[0]):.1f}% accuracy but classifies "
        f"{_points(none.test_accuracy[0]):.1f}% of the {n_test} test images "
        f"correctly: a generalization gap of {gap:.1f} points, {judgement}."
    )


def _ranking(none, others):
    best = max(others, key=lambda s: s.test_accuracy[0])
    difference = _points(best.test_accuracy[0] - none.test_accuracy[0])
    line = (
        f"Best test accuracy: **{best.technique}**, "
        f"{_points(best.test_accuracy[0]):.1f}% ({_signed(difference)} points "
        "against no regularization)."
    )
    groups = {"better": [], "noise": [], "worse": []}
    for summary in sorted(others, key=lambda s: -s.test_accuracy[0]):
        delta = _points(summary.test_accuracy[0] - none.test_accuracy[0])
        groups[verdict(summary, none)].append(f"{summary.technique} ({_signed(delta)})")
    if none.seeds < 2:
        return line + f" Higher than without: {_names(groups['better']) or 'none'}."
    labels = {
        "better": "Clearly better than without",
        "noise": "Within seed-to-seed noise",
        "worse": "Clearly worse",
    }
    parts = [f"{labels[k]}: {_names(v)}." for k, v in groups.items() if v]
    return " ".join([line, *parts])


def _gap(none, others):
    smallest = min(others, key=lambda s: s.gap[0])
    line = (
        f"Smallest generalization gap: {smallest.technique}, "
        f"{_points(smallest.gap[0]):.1f} points (without: "
        f"{_points(none.gap[0]):.1f})."
    )
    if smallest.test_accuracy[0] < none.test_accuracy[0]:
        line += (
            " Its test accuracy is lower than without regularization, though: "
            "the gap closed because training accuracy fell, not because the "
            "network generalizes better."
        )
    return line


def _sparsity(none, others):
    sparse = [s for s in others if s.zero_fraction > 0]
    if not sparse:
        return (
            "No technique set any weight exactly to zero in this run; L1 and "
            "ElasticNet need more epochs for their soft-thresholding to add up."
            if any(s.technique in ("L1", "ElasticNet") for s in others)
            else ""
        )
    parts = [
        f"{s.technique} {format_share(s.zero_fraction)} "
        f"(test {_signed(_points(s.test_accuracy[0] - none.test_accuracy[0]))} "
        "points)"
        for s in sorted(sparse, key=lambda s: -s.zero_fraction)
    ]
    return (
        "Exactly-zero kernel weights, from the L1 penalties applied by "
        f"`Proximal` as soft-thresholding: {_names(parts)}. A plain subgradient "
        "step would leave them small but nonzero."
    )


def _early_stopping(stopping, epochs):
    if stopping is None:
        return ""
    if stopping.epochs_run >= epochs:
        return (
            f"EarlyStopping never stopped within {epochs} epochs (it still kept "
            "the weights of the best validation epoch); give it more epochs "
            "to see it cut training short."
        )
    saved = 100 * (1 - stopping.epochs_run / epochs)
    return (
        f"EarlyStopping trained {stopping.epochs_run:.1f} of {epochs} epochs on "
        f"average ({saved:.0f}% fewer) and kept the weights of epoch "
        f"{stopping.best_epoch:.1f}, the one with the lowest validation loss."
    )


def _combination(others, together):
    singles = [s for s in others if s is not together]
    if together is None or not singles:
        return ""
    best = max(singles, key=lambda s: s.test_accuracy[0])
    difference = _points(together.test_accuracy[0] - best.test_accuracy[0])
    above = difference > 0
    meaning = (
        "here the techniques complement each other"
        if above
        else "regularizers do not simply add up"
    )
    return (
        f"All together reach {_points(together.test_accuracy[0]):.1f}%, "
        f"{abs(difference):.1f} points {'above' if above else 'below'} the best "
        f"single technique ({best.technique}): {meaning}."
    )


def _spread(seeds):
    if seeds < 2:
        return (
            "One seed per technique: there is no spread to judge by, so "
            "differences of a point or so may be luck. Rerun with `--seeds 3` "
            "or more before drawing conclusions."
        )
    return (
        f"± is the standard deviation over {seeds} seeds; 'clearly' means the "
        f"difference exceeds {_STANDARD_ERRORS:g} standard errors."
    )
