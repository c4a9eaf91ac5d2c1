"""The study's folder: its layout, its identity file, its lock, and the
report's staging.

A study writes only inside its folder `out`:

    out/study.json   the identity file: which study the folder holds
    out/trials/      keras-tuner's project (every trial, the oracle's state)
    out/logs/        each run's TensorBoard and CSV logs
    out/report/      report.md, results.json and the figures

`StudyFolder` is the one place that knows this layout: the rest of the study
asks it for its paths. It claims `out` only if it is new, empty, or holds a
study (its identity file says so): a folder of the user's is never mixed
with a study's files, and `overwrite` deletes only the files a study writes,
in a folder that holds one. Every check is made before anything is written,
so a refused folder is left as it was. While a study runs, its process holds
a lock on `out` (`out/.study-<tuner id>.lock`, see `_filesystem.lock`): a
second process starting a study there is refused.

The report is written into a staging folder beside `out/report` and swapped
in whole (`ReportFolder`), so a failure while writing leaves the previous
report as it was, never a mix of old and new files.
"""

import contextlib
import os
import re
import secrets
import shutil

from kerasreg import _filesystem
from kerasreg.experiments.errors import StudyError
from kerasreg.experiments.report import FILES

_IDENTITY, _TRIALS, _LOGS, _REPORT = "study.json", "trials", "logs", "report"
_KIND, _FORMAT = "kerasreg.study", 1
# What a study writes, by name: its locks and, in keras-tuner's project, the
# trials' folders and the oracle's state; in `logs`, one folder per run under
# one per configuration (`Trainer`'s names: `lr0.1_seed0`).
_LOCK = re.compile(r"\.study-.+\.lock")
_TRIAL = re.compile(r"trial_\d+")
_ORACLE = "oracle.json"
_RUN = re.compile(r"lr.+_seed\d+")


class StudyFolder:
    """The folder `out` of one study: where each of its parts lives.

    Args:
        out: str or path-like, the study's folder (on a local disk).

    Example:

    >>> folder = StudyFolder("my-study")
    >>> folder.logs == os.path.join("my-study", "logs")
    True
    """

    def __init__(self, out):
        self.out = os.fspath(out)
        self.identity = os.path.join(self.out, _IDENTITY)
        self.trials = os.path.join(self.out, _TRIALS)
        self.logs = os.path.join(self.out, _LOGS)
        self.report = os.path.join(self.out, _REPORT)
        # keras-tuner's project: `directory` and `project_name` of a tuner.
        self.tuner_project = {"directory": self.out, "project_name": _TRIALS}
        self._lock = None

    def claim(self, fields, overwrite, tuner_id="tuner0"):
        """Make `out` this study's folder, or resume the same study there.

        The folder is locked until `release`: keras-tuner's processes (tuner
        ids) may share it, each id once.

        Args:
            fields: dict, what makes two calls the same study ("plan" and
                "data", and what else the identity file should record).
            overwrite: bool, start afresh even if `out` holds another study
                (the files that study wrote are deleted, nothing else).
            tuner_id: str, keras-tuner's id of this process ("tuner0" unless
                the study is distributed). Defaults to `"tuner0"`.

        Returns:
            The identity record (`fields` with its kind and format).

        Raises:
            StudyError: `out` holds files but no study, holds another study
                (other plan or data) and not `overwrite`, its identity file
                is damaged (named), another process runs a study in it, or it
                cannot be written. The folder is then left as it was.
        """
        identity = _filesystem.record(_KIND, _FORMAT, **fields)
        # Checked before anything is written, and again once `out` is locked:
        # another process may have claimed it in between.
        self._check(fields, overwrite)
        created = not os.path.lexists(self.out)
        try:
            os.makedirs(self.out, exist_ok=True)
            self._take_lock(tuner_id)
            try:
                held = self._check(fields, overwrite)
                if overwrite and held:
                    self._erase()
                _filesystem.remove_temporaries(self.identity)
                if held != identity:
                    _filesystem.write_json(self.identity, identity)
            except BaseException:
                self.release()
                raise
        except (StudyError, OSError) as error:
            if created:
                # Only the folder this call made, and only while it is empty.
                with contextlib.suppress(OSError):
                    os.rmdir(self.out)
            if isinstance(error, StudyError):
                raise
            reason = error.strerror or str(error)
            raise StudyError(
                f"Cannot write the study to {self.out!r}: {reason}."
            ) from None
        return identity

    def recorded(self):
        """The identity record `out` holds, or None where it holds none.

        Raises:
            StudyError: the identity file is damaged (as `claim` would).
        """
        if not os.path.lexists(self.identity):
            return None
        return self._held()

    def release(self):
        """Let go of the lock `claim` took (nothing if it took none)."""
        if self._lock is not None:
            _filesystem.unlock(*self._lock)
            self._lock = None

    def _take_lock(self, tuner_id):
        path = os.path.join(self.out, f".study-{tuner_id}.lock")
        fd = _filesystem.lock(path)
        if fd is None:
            try:
                holder = f" (pid {_filesystem.read_bytes(path).decode()})"
            except (OSError, UnicodeDecodeError):
                holder = ""
            raise StudyError(
                f"Another process{holder} is running a study in the folder "
                f"{self.out!r}. Wait for it to end, or use another `out`."
            )
        self._lock = (path, fd)

    def _check(self, fields, overwrite):
        """The identity record `out` holds, or None if `out` is new or empty;
        raises `StudyError` if the study may not go there."""
        if not os.path.lexists(self.out):
            return None
        if not os.path.isdir(self.out):
            raise StudyError(
                f"Cannot write the study to {self.out!r}: it is a file, not a folder."
            )
        if not os.path.lexists(self.identity):
            foreign = [name for name in os.listdir(self.out) if not self._written(name)]
            if foreign:
                raise StudyError(
                    f"Will not write a study into {self.out!r}: it holds files that "
                    f"are not a kerasreg study's ({_listed(foreign)}); choose a new "
                    "or empty folder."
                )
            return None
        held = self._held()
        same = held.get("plan") == fields["plan"] and held.get("data") == fields["data"]
        if not (same or overwrite):
            raise StudyError(
                f"The folder {self.out!r} holds a study with other arguments or "
                f"data (see {self.identity!r}). Use another `out`, or "
                "overwrite=True to start afresh."
            )
        for part in (self.trials, self.logs, self.report):
            if os.path.lexists(part) and not os.path.isdir(part):
                raise StudyError(
                    f"Cannot write the study to {self.out!r}: {part!r} is a file, "
                    "not a folder. Move it away, or use another `out`."
                )
        _check_replaceable(self.report)
        return held

    def _written(self, name):
        # What a study writes into `out` before its identity file.
        return bool(_LOCK.fullmatch(name)) or name.startswith(
            f".{_IDENTITY}{_filesystem.TEMPORARY_MARK}"
        )

    def _held(self):
        try:
            return _filesystem.read_record(
                self.identity, _KIND, _FORMAT, "kerasreg study's identity file"
            )
        except (OSError, _filesystem.DamagedRecord) as error:
            raise StudyError(
                f"Cannot read the study's identity file {self.identity!r} ({error}), "
                f"so nothing in {self.out!r} is resumed or deleted. Delete the "
                "folder yourself to start afresh, or use another `out`."
            ) from None

    def _erase(self):
        """Delete what a study wrote here: its trials, logs and report."""
        _remove_entries(
            self.trials,
            lambda name, path: (
                _TRIAL.fullmatch(name)
                or name == _ORACLE
                or _filesystem.TEMPORARY_MARK in name
                or _is_tuner_state(path)
            ),
        )
        if os.path.isdir(self.logs):
            for name in os.listdir(self.logs):
                configuration = os.path.join(self.logs, name)
                if os.path.isdir(configuration) and not os.path.islink(configuration):
                    _remove_entries(configuration, lambda n, _: _RUN.fullmatch(n))
        _remove_entries(self.logs, lambda *_: False)
        _remove_entries(self.report, lambda name, _: name in FILES)

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
        _check_replaceable(self.out)
        parent, name = os.path.split(self.target)
        try:
            if not os.path.lexists(parent):
                os.makedirs(parent)
            # What a killed process left staging, by this folder's pattern.
            stale = re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}\.partial(\.old)?")
            for entry in os.listdir(parent):
                if stale.fullmatch(entry):
                    _filesystem.remove(os.path.join(parent, entry))
            # `os.mkdir` gives the folder the permissions any folder the user
            # makes gets (0o777 less the umask); `tempfile.mkdtemp` 0o700.
            self.staging = os.path.join(
                parent, f".{name}.{secrets.token_hex(4)}.partial"
            )
            os.mkdir(self.staging)
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
            _check_replaceable(self.out)
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

    def unwritable(self, error):
        """The `StudyError` for `OSError` `error` while writing the report."""
        reason = error.strerror or str(error)
        return StudyError(f"Cannot write the report to {self.out!r}: {reason}.")


def _check_replaceable(out):
    """Raise `StudyError` unless the report may replace the folder `out`: it
    is new, empty, or a previous report (nothing of the user's is deleted)."""
    target = os.path.realpath(out)
    if not os.path.lexists(target):
        return
    if not os.path.isdir(target):
        raise StudyError(
            f"Cannot write the report to {out!r}: it is a file, not a folder."
        )
    if os.path.realpath(os.getcwd()) == target:
        raise StudyError(
            f"Will not replace {out!r}, the current folder, by the report; "
            "choose a new folder."
        )
    foreign = sorted(set(os.listdir(target)) - set(FILES))
    if foreign:
        raise StudyError(
            f"Will not replace {out!r}: it holds files that are not part "
            f"of a kerasreg report ({_listed(foreign)}); choose a new or empty folder."
        )


def _listed(names):
    """Up to five of `names`, quoted, and how many more."""
    names = sorted(names)
    listed = ", ".join(repr(name) for name in names[:5])
    return listed + (f" and {len(names) - 5} more" if len(names) > 5 else "")


def _remove_entries(folder, written):
    """Delete the entries of `folder` for which `written(name, path)`, then
    `folder` itself if that leaves it empty."""
    if not os.path.isdir(folder) or os.path.islink(folder):
        return
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if written(name, path):
            _filesystem.remove(path)
    with contextlib.suppress(OSError):
        os.rmdir(folder)


def _is_tuner_state(path):
    # keras-tuner's tuner writes `<tuner id>.json` holding its (empty) state.
    if not path.endswith(".json") or not os.path.isfile(path):
        return False
    try:
        return _filesystem.read_json(path) == {}
    except (OSError, ValueError):
        return False
