"""The report folder: report.md, results.json and the figures.

The report is written into a staging folder beside the destination and
swapped in whole (`ReportFolder`), so a failure while writing leaves the
previous report as it was, never a mix of old and new files.
"""

import json
import os
import shutil
import tempfile

from kerasreg.demo import plots
from kerasreg.demo.augment import describe_augmentation
from kerasreg.demo.errors import DemoError
from kerasreg.demo.table import format_table

REPORT, RESULTS = "report.md", "results.json"
CURVES, AUGMENTATION, WEIGHTS = "learning_curves.png", "augmentation.png", "weights.png"
# What a report folder holds; a folder holding anything else is not replaced.
FILES = (REPORT, RESULTS, CURVES, AUGMENTATION, WEIGHTS)


class ReportFolder:
    """The folder `out`, staged beside itself and replaced as a whole.

    Construction checks that `out` may be replaced (it is new, empty, or a
    previous report: nothing of the user's is deleted) and creates the
    staging folder, so an unwritable place is reported before any training.
    `publish` swaps the staging folder in for `out`; `discard` removes it.

    Args:
        out: str or path-like, the report folder.

    Raises:
        DemoError: `out` is a file, the current folder, a folder holding
            files that are not a report, or its parent is not writable.

    Example:

    >>> import tempfile
    >>> out = os.path.join(tempfile.mkdtemp(), "report")
    >>> folder = ReportFolder(out)
    >>> with open(os.path.join(folder.staging, REPORT), "w") as file:
    ...     _ = file.write("# A report")
    >>> folder.publish()
    >>> os.listdir(out)
    ['report.md']
    """

    def __init__(self, out):
        self.out = os.fspath(out)
        # Through a symbolic link: the report replaces the folder it points to.
        self.target = os.path.realpath(self.out)
        self._check_replaceable()
        parent = os.path.dirname(self.target)
        try:
            if not os.path.lexists(parent):
                os.makedirs(parent)
            self.staging = tempfile.mkdtemp(
                prefix=f".{os.path.basename(self.target)}.",
                suffix=".partial",
                dir=parent,
            )
        except OSError as error:
            raise self.unwritable(error) from error

    def publish(self):
        """Replace `out` by the staged report.

        Between the two renames `out` is briefly absent; the previous report
        is intact at every moment until the new one is in place.

        Raises:
            DemoError: `out` meanwhile holds files that are not a report, or
                cannot be replaced; the staged report is kept and named.
        """
        try:
            self._check_replaceable()
            old = None
            try:
                if os.path.isdir(self.target):
                    old = self.staging + ".old"
                    os.rename(self.target, old)
                try:
                    os.rename(self.staging, self.target)
                except OSError:
                    if old is not None:
                        os.rename(old, self.target)
                    raise
            except OSError as error:
                raise self.unwritable(error) from error
        except DemoError as error:
            raise DemoError(f"{error} The new report is in {self.staging!r}.") from None
        if old is not None:
            shutil.rmtree(old)

    def discard(self):
        """Remove the staging folder and what was written into it."""
        shutil.rmtree(self.staging, ignore_errors=True)

    def _check_replaceable(self):
        if not os.path.lexists(self.target):
            return
        if not os.path.isdir(self.target):
            raise DemoError(
                f"Cannot write the report to {self.out!r}: it is a file, not a folder."
            )
        if os.path.realpath(os.getcwd()) == self.target:
            raise DemoError(
                f"Will not replace {self.out!r}, the current folder, by the report; "
                "choose a new folder."
            )
        foreign = sorted(set(os.listdir(self.target)) - set(FILES))
        if foreign:
            listed = ", ".join(repr(name) for name in foreign[:5])
            more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
            raise DemoError(
                f"Will not replace {self.out!r}: it holds files that are not part "
                f"of a kerasreg report ({listed}{more}); choose a new or empty folder."
            )

    def unwritable(self, error):
        """The `DemoError` for `OSError` `error` while writing the report."""
        reason = error.strerror or str(error)
        return DemoError(f"Cannot write the report to {self.out!r}: {reason}.")


def write_report(folder, data, results, summaries, reading, settings):
    """Write report.md, results.json and the three PNGs into `folder`.

    Args:
        folder: str, an existing, writable folder.
        data: the `kerasreg.demo.data.Dataset` studied.
        results: dict from technique name to its list of `Run`.
        summaries: dict from technique name to its `Summary`.
        reading: list of str, the bullet points of `write_reading`.
        settings: dict of the study's settings (JSON-ready), shown in the
            report and stored in results.json.

    Returns:
        The path of report.md.

    Example:

    >>> write_report("kerasreg-report", data, results, summaries, reading,
    ...              settings)  # doctest: +SKIP
    'kerasreg-report/report.md'
    """
    plots.plot_learning_curves(results, os.path.join(folder, CURVES))
    plots.plot_augmentation_preview(data, os.path.join(folder, AUGMENTATION))
    plots.plot_weight_histograms(results, os.path.join(folder, WEIGHTS))
    payload = {
        "settings": settings,
        "summaries": [s.to_json() for s in summaries.values()],
        "runs": [run.to_json() for runs in results.values() for run in runs],
    }
    with open(os.path.join(folder, RESULTS), "w", encoding="utf-8") as file:
        json.dump(payload, file, indent=1)
    path = os.path.join(folder, REPORT)
    with open(path, "w", encoding="utf-8") as file:
        file.write(_markdown(data, summaries, reading, settings))
    return path


def _markdown(data, summaries, reading, settings):
    s = settings
    shape = "×".join(str(size) for size in data.image_shape)
    techniques = "\n".join(
        f"| {t['name']} | {t['description']} |" for t in s["techniques"]
    )
    return f"""# Which regularization helps? A kerasreg study on {data.name}

The same network — {s["network"]} — trained without regularization and with
each technique, {s["seeds"]} seed(s) each: {s["n_train"]} training images
of {shape} pixels, {s["n_val"]} for validation (learning curves, early
stopping), {s["n_test"]} for the test accuracy. {s["epochs"]} epochs of
{s["batch_size"]}-image batches, {s["optimizer"]}. Accuracies are measured in
inference mode on the clean images. Total wall time {s["wall_time"]:.0f} s
(kerasreg {s["versions"]["kerasreg"]}, Keras {s["versions"]["keras"]},
TensorFlow {s["versions"]["tensorflow"]}).

## Results

{format_table(summaries.values(), markdown=True)}

## Reading

{chr(10).join("- " + line for line in reading)}

## Techniques

| technique | what the network gets |
|---|---|
{techniques}

## Learning curves

![Training and validation loss per technique]({CURVES})

## Augmentation

{_capitalized(describe_augmentation(data))}

![An image and its augmentations]({AUGMENTATION})

## Weights

![Weight histograms and exact zeros]({WEIGHTS})

Every number above, per run and per technique: [`{RESULTS}`]({RESULTS}).
"""


def _capitalized(text):
    return text[:1].upper() + text[1:]
