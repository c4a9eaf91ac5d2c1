"""The results table, for the terminal and as Markdown."""

import math

HEADERS = (
    "configuration",
    "train acc %",
    "test acc %",
    "vs baseline (points)",
    "gap (points)",
    "epochs run",
    "zero weights",
    "time per run",
)
# Left-align the names, right-align the numbers.
_ALIGN_LEFT = (True, False, False, False, False, False, False, False)
# In place of a half-width that one seed cannot give.
NO_INTERVAL = "–"
# The baseline's own "vs baseline" cell.
_NOT_APPLICABLE = "—"


def format_points(interval, signed=False):
    """An `Interval` of fractions in points: "93.7 ± 1.2", "99.6 -3.0/+0.4"
    (clipped at 100%), or "93.7 ± –".

    The distances to the ends of the 95% confidence interval; with one seed
    there is none, and a dash says so (never "± 0.0").

    Example:

    >>> from kerasreg.experiments.statistics import mean_interval
    >>> format_points(mean_interval([0.93, 0.94, 0.95]))
    '94.0 ± 2.5'
    >>> format_points(mean_interval([0.012]), signed=True)
    '+1.2 ± –'
    >>> format_points(mean_interval([1.0, 0.99, 1.0], bounds=(0, 1)))
    '99.7 -1.4/+0.3'
    """
    mean = (
        format_signed(100 * interval.mean) if signed else f"{100 * interval.mean:.1f}"
    )
    if interval.n < 2 or math.isnan(interval.half_width):
        return f"{mean} ± {NO_INTERVAL}"
    below = f"{100 * (interval.mean - interval.low):.1f}"
    above = f"{100 * (interval.high - interval.mean):.1f}"
    if below == above:
        return f"{mean} ± {below}"
    # Clipped at a bound (an accuracy's 100%): the two ends, not one ±.
    return f"{mean} -{below}/+{above}"


def format_signed(points):
    """`points` with its sign and one decimal; what rounds to 0 is "+0.0".

    Example:

    >>> format_signed(1.25), format_signed(-0.04), format_signed(-2.0)
    ('+1.2', '+0.0', '-2.0')
    """
    # Adding 0.0 turns a -0.0 left by rounding into 0.0.
    return f"{round(points, 1) + 0.0:+.1f}"


def format_share(fraction):
    """`fraction` in percent, one decimal; a nonzero share below 0.05% is "<0.1%".

    A few zeros among thousands of weights must not read as none.

    Example:

    >>> format_share(0.4512), format_share(0.0001), format_share(0.0)
    ('45.1%', '<0.1%', '0.0%')
    """
    if 0 < fraction < 0.0005:
        return "<0.1%"
    return f"{100 * fraction:.1f}%"


def _count(value):
    return f"{value:.0f}" if value == round(value) else f"{value:.1f}"


def _cells(summary, comparison):
    versus = (
        _NOT_APPLICABLE
        if comparison is None
        else f"{format_points(comparison.difference, signed=True)} {comparison.verdict}"
    )
    name = summary.technique
    if summary.diverged:
        name += f" ({summary.diverged} of {summary.seeds} diverged)"
    return (
        name,
        format_points(summary.train_accuracy),
        format_points(summary.test_accuracy),
        versus,
        f"{100 * summary.gap.mean:.1f}",
        _count(summary.epochs_run),
        format_share(summary.zero_fraction.mean),
        f"{summary.wall_time:.1f} s",
    )


def format_table(summaries, comparisons, markdown=False):
    """The table of `summaries`, one row per configuration, in their order.

    Columns: the configuration (with how many of its runs diverged, if
    any); train and test accuracy (mean ± half-width
    of the 95% confidence interval over the seeds, in percent; "± –" with
    one seed); the test accuracy's difference from the baseline paired by
    seed (in points, ± its interval) with the verdict: "better" or "worse"
    only when the interval excludes 0, else "tie"; the generalization gap
    (train minus test accuracy, in points); epochs run (mean); the share of
    kernel weights that are exactly 0.0; wall time per run (build, train,
    evaluate).

    Args:
        summaries: dict, configuration name → `Summary`.
        comparisons: dict, configuration name → `Comparison` with the
            baseline; the baseline has none.
        markdown: bool, a Markdown pipe table instead of aligned text.
            Defaults to `False`.

    Returns:
        The table as a string, without a final newline.

    Example:

    >>> from kerasreg.experiments.summary import Summary
    >>> from kerasreg.experiments.statistics import mean_interval as interval
    >>> from kerasreg.experiments.statistics import paired_comparison
    >>> def summary(name, test):
    ...     return Summary(name, 3, interval([1.0] * 3), interval(test),
    ...                    interval([1 - t for t in test]), interval([0.0] * 3),
    ...                    60.0, None, 4.0)
    >>> summaries = {"none": summary("none", [0.90, 0.91, 0.92]),
    ...              "L2": summary("L2", [0.93, 0.94, 0.94])}
    >>> comparisons = {"L2": paired_comparison([0.93, 0.94, 0.94],
    ...                                        [0.90, 0.91, 0.92])}
    >>> for line in format_table(summaries, comparisons).splitlines():
    ...     print(line[:60])
    configuration  train acc %  test acc %  vs baseline (points)
    ------------------------------------------------------------
    none           100.0 ± 0.0  91.0 ± 2.5                     —
    L2             100.0 ± 0.0  93.7 ± 1.4     +2.7 ± 1.4 better
    """
    rows = [HEADERS] + [
        _cells(summary, comparisons.get(name)) for name, summary in summaries.items()
    ]
    if markdown:
        rule = ["---" if left else "---:" for left in _ALIGN_LEFT]
        lines = [_pipe(rows[0]), _pipe(rule)] + [_pipe(row) for row in rows[1:]]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADERS))]
    lines = [
        "  ".join(
            cell.ljust(width) if left else cell.rjust(width)
            for cell, width, left in zip(row, widths, _ALIGN_LEFT, strict=True)
        ).rstrip()
        for row in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def _pipe(cells):
    return "| " + " | ".join(cells) + " |"
