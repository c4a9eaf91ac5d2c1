"""The report folder: report.md, results.json and the figures.

The report is written into a staging folder beside the destination and
swapped in whole (`ReportFolder`), so a failure while writing leaves the
previous report as it was, never a mix of old and new files.
"""

import json
import os
import shutil
import tempfile

from kerasreg.experiments.errors import StudyError
from kerasreg.experiments.table import format_table

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
        StudyError: `out` is a file, the current folder, a folder holding
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
            StudyError: `out` meanwhile holds files that are not a report, or
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
        except StudyError as error:
            raise StudyError(
                f"{error} The new report is in {self.staging!r}."
            ) from None
        if old is not None:
            shutil.rmtree(old)

    def discard(self):
        """Remove the staging folder and what was written into it."""
        shutil.rmtree(self.staging, ignore_errors=True)

    def _check_replaceable(self):
        if not os.path.lexists(self.target):
            return
        if not os.path.isdir(self.target):
            raise StudyError(
                f"Cannot write the report to {self.out!r}: it is a file, not a folder."
            )
        if os.path.realpath(os.getcwd()) == self.target:
            raise StudyError(
                f"Will not replace {self.out!r}, the current folder, by the report; "
                "choose a new folder."
            )
        foreign = sorted(set(os.listdir(self.target)) - set(FILES))
        if foreign:
            listed = ", ".join(repr(name) for name in foreign[:5])
            more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
            raise StudyError(
                f"Will not replace {self.out!r}: it holds files that are not part "
                f"of a kerasreg report ({listed}{more}); choose a new or empty folder."
            )

    def unwritable(self, error):
        """The `StudyError` for `OSError` `error` while writing the report."""
        reason = error.strerror or str(error)
        return StudyError(f"Cannot write the report to {self.out!r}: {reason}.")


def write_report(folder, result):
    """Write report.md and results.json into `folder`; returns report.md's path.

    Args:
        folder: str, an existing, writable folder.
        result: the `kerasreg.experiments.StudyResult`.
    """
    payload = {
        "settings": result.settings,
        "summaries": [s.to_json() for s in result.summaries.values()],
        "runs": [run.to_json() for runs in result.runs.values() for run in runs],
    }
    with open(os.path.join(folder, RESULTS), "w", encoding="utf-8") as file:
        json.dump(payload, file, indent=1)
    path = os.path.join(folder, REPORT)
    with open(path, "w", encoding="utf-8") as file:
        file.write(format_table(result.summaries.values(), markdown=True))
    return path


def say(stream, result, path):
    """Print the table and the report's path to `stream`."""
    stream.write(format_table(result.summaries.values()) + f"\n\nReport: {path}\n")
    stream.flush()
