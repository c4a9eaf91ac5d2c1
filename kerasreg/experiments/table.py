"""The results table, for the terminal and as Markdown."""

HEADERS = (
    "technique",
    "train acc %",
    "test acc %",
    "gap (points)",
    "epochs run",
    "zero weights",
    "time per run",
)
# Left-align the names, right-align the numbers.
_ALIGN_LEFT = (True, False, False, False, False, False, False)


def _cells(summary):
    return (
        summary.technique,
        _percent_pm(summary.train_accuracy),
        _percent_pm(summary.test_accuracy),
        f"{100 * summary.gap.mean:.1f}",
        _count(summary.epochs_run),
        format_share(summary.zero_fraction.mean),
        f"{summary.wall_time:.1f} s",
    )


def _percent_pm(interval):
    return f"{100 * interval.mean:.1f} ± {100 * interval.half_width:.1f}"


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


def format_table(summaries, markdown=False):
    """The table of `summaries`, one row per technique.

    Columns: technique, train and test accuracy (mean ± standard deviation
    over seeds, in percent), generalization gap (train minus test accuracy,
    in percentage points), epochs run (mean), share of kernel weights that
    are exactly 0.0, and wall time per run (build, train, evaluate).

    Args:
        summaries: sequence of `kerasreg.experiments.summary.Summary`.
        markdown: bool, a Markdown pipe table instead of aligned text.
            Defaults to `False`.

    Returns:
        The table as a string, without a final newline.

    Example:

    >>> print(format_table([summarize(runs["none"])]))  # doctest: +SKIP
    technique     train acc %   test acc %  gap (points)  ...
    """
    rows = [HEADERS] + [_cells(summary) for summary in summaries]
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
