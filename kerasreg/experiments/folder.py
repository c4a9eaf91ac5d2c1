"""The study's folder: its layout, its identity file, and the report's staging.

A study writes only inside its folder `out`:

    out/study.json   the identity file: which study the folder holds
    out/trials/      keras-tuner's project (every trial, the oracle's state)
    out/logs/        each run's TensorBoard and CSV logs
    out/report/      report.md, results.json and the figures

`StudyFolder` is the one place that knows this layout: the rest of the study
asks it for its paths. The report is written into a staging folder beside
`out/report` and swapped in whole (`ReportFolder`), so a failure while
writing leaves the previous report as it was, never a mix of old and new
files.
"""

import os
import shutil
import tempfile

from kerasreg import _filesystem
from kerasreg.experiments.errors import StudyError
from kerasreg.experiments.report import FILES

_IDENTITY, _TRIALS, _LOGS, _REPORT = "study.json", "trials", "logs", "report"
_KIND, _FORMAT = "kerasreg.study", 1


class StudyFolder:
    """The folder `out` of one study: where each of its parts lives.

    Args:
        out: str or path-like, the study's folder.

    Example:

    >>> folder = StudyFolder("my-study")
    >>> folder.logs == os.path.join("my-study", "logs")
    True
    """

    def __init__(self, out):
        self.out = os.fspath(out)
        self.identity = os.path.join(self.out, _IDENTITY)
        self.logs = os.path.join(self.out, _LOGS)
        self.report = os.path.join(self.out, _REPORT)
        # keras-tuner's project: `directory` and `project_name` of a tuner.
        self.tuner_project = {"directory": self.out, "project_name": _TRIALS}

    def claim(self, fields, overwrite):
        """Make `out` this study's folder, or resume the same study there.

        Args:
            fields: dict, what makes two calls the same study ("plan" and
                "data", and what else the identity file should record).
            overwrite: bool, start afresh even if `out` holds another study
                (its trials and logs are deleted).

        Returns:
            The identity record (`fields` with its kind and format).

        Raises:
            StudyError: `out` holds another study (other plan or data) and
                not `overwrite`; its identity file is damaged (named); or
                `out` cannot be written.
        """
        identity = _filesystem.record(_KIND, _FORMAT, **fields)
        if os.path.exists(self.identity) and not overwrite:
            held = self._held()
            if held.get("plan") != fields["plan"] or held.get("data") != fields["data"]:
                raise StudyError(
                    f"The folder {self.out!r} holds a study with other arguments or "
                    f"data (see {self.identity!r}). Use another `out`, or "
                    "overwrite=True to start afresh."
                )
            return identity
        try:
            if overwrite:
                for part in (self.tuner_project["project_name"], _LOGS):
                    shutil.rmtree(os.path.join(self.out, part), ignore_errors=True)
            os.makedirs(self.out, exist_ok=True)
            _filesystem.write_json(self.identity, identity)
        except OSError as error:
            reason = error.strerror or str(error)
            raise StudyError(
                f"Cannot write the study to {self.out!r}: {reason}."
            ) from None
        return identity

    def _held(self):
        try:
            return _filesystem.read_record(
                self.identity, _KIND, _FORMAT, "kerasreg study's identity file"
            )
        except (OSError, _filesystem.DamagedRecord) as error:
            raise StudyError(
                f"Cannot read the study's identity file {self.identity!r} ({error}). "
                "Delete the folder, or pass overwrite=True, to start afresh."
            ) from None

    def stage_report(self):
        """A `ReportFolder` staging the report beside `out/report`."""
        return ReportFolder(self.report)


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
    >>> with open(os.path.join(folder.staging, "report.md"), "w") as file:
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
