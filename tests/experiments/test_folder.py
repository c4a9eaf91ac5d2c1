"""The study's folder: its report, staged beside its destination and swapped
in whole; its identity file, read as a kerasreg record; what it refuses (and
then leaves as it was), what `overwrite` deletes, and its lock."""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kerasreg.experiments import StudyError
from kerasreg.experiments.folder import ReportFolder, StudyFolder
from kerasreg.experiments.report import FILES


def _old_report(folder):
    folder.mkdir()
    for name in FILES:
        (folder / name).write_text(f"old {name}")


def _contents(folder):
    return {path.name: path.read_text() for path in folder.iterdir()}


def test_publish_replaces_a_previous_report_whole(tmp_path):
    out = tmp_path / "report"
    _old_report(out)
    folder = ReportFolder(out)
    # Staged beside the destination: the final rename stays on one filesystem.
    assert os.path.dirname(folder.staging) == str(tmp_path)
    with open(os.path.join(folder.staging, "report.md"), "w") as file:
        file.write("new")
    folder.publish()
    # The old figures are gone with the old report: nothing mixes.
    assert _contents(out) == {"report.md": "new"}
    assert sorted(os.listdir(tmp_path)) == ["report"]


def test_new_folder_and_missing_parents_are_created_on_publish(tmp_path):
    out = tmp_path / "a" / "b" / "report"
    folder = ReportFolder(out)
    assert not out.exists()
    folder.publish()
    assert out.is_dir() and os.listdir(out) == []


def test_discard_leaves_the_previous_report_as_it_was(tmp_path):
    out = tmp_path / "report"
    _old_report(out)
    before = _contents(out)
    folder = ReportFolder(out)
    with open(os.path.join(folder.staging, "report.md"), "w") as file:
        file.write("half")
    folder.discard()
    assert _contents(out) == before
    assert sorted(os.listdir(tmp_path)) == ["report"]


def test_a_folder_with_other_files_is_refused_and_left_alone(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    (out / "report.md").write_text("old")
    message = (
        f"Will not replace '{out}': it holds files that are not part of a "
        "kerasreg report ('notes.txt'); choose a new or empty folder."
    )
    with pytest.raises(StudyError, match=f"^{re.escape(message)}$"):
        ReportFolder(out)
    assert _contents(out) == {"notes.txt": "keep me", "report.md": "old"}
    assert sorted(os.listdir(tmp_path)) == ["mine"]


def test_files_appearing_during_training_keep_the_staged_report(tmp_path):
    out = tmp_path / "report"
    folder = ReportFolder(out)
    out.mkdir()
    (out / "data.csv").write_text("1,2")
    message = (
        f"Will not replace '{out}': it holds files that are not part of a "
        "kerasreg report ('data.csv'); choose a new or empty folder. The new "
        f"report is in '{folder.staging}'."
    )
    with pytest.raises(StudyError, match=f"^{re.escape(message)}$"):
        folder.publish()
    assert os.path.isdir(folder.staging)
    assert _contents(out) == {"data.csv": "1,2"}


def test_a_file_in_place_of_the_folder(tmp_path):
    out = tmp_path / "report"
    out.write_text("")
    message = f"Cannot write the report to '{out}': it is a file, not a folder."
    with pytest.raises(StudyError, match=f"^{re.escape(message)}$"):
        ReportFolder(out)


def test_the_current_folder_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    message = (
        "Will not replace '.', the current folder, by the report; choose a new folder."
    )
    with pytest.raises(StudyError, match=f"^{re.escape(message)}$"):
        ReportFolder(".")
    assert os.listdir(tmp_path) == []


def test_an_unwritable_parent(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    message = f"Cannot write the report to '{blocker / 'report'}': Not a directory."
    with pytest.raises(StudyError, match=f"^{re.escape(message)}$"):
        ReportFolder(blocker / "report")


def test_through_a_symbolic_link_the_linked_folder_is_replaced(tmp_path):
    real = tmp_path / "real"
    _old_report(real)
    link = tmp_path / "link"
    link.symlink_to(real)
    folder = ReportFolder(link)
    with open(os.path.join(folder.staging, "report.md"), "w") as file:
        file.write("new")
    folder.publish()
    assert link.is_symlink() and _contents(real) == {"report.md": "new"}


# The study's own folder: its layout and identity file.

FIELDS = {"plan": {"seeds": 2}, "data": {"name": "tiny"}}


def test_the_layout_is_the_folder_s_alone(tmp_path):
    folder = StudyFolder(tmp_path)
    assert folder.identity == os.path.join(tmp_path, "study.json")
    assert folder.logs == os.path.join(tmp_path, "logs")
    assert folder.report == os.path.join(tmp_path, "report")
    assert folder.tuner_project == {
        "directory": str(tmp_path),
        "project_name": "trials",
    }


def test_a_claim_writes_the_identity_record_and_the_same_study_resumes(tmp_path):
    folder = StudyFolder(tmp_path / "study")
    identity = folder.claim(FIELDS, overwrite=False)
    folder.release()
    assert identity == {"kind": "kerasreg.study", "format": 1, **FIELDS}
    assert json.loads((tmp_path / "study" / "study.json").read_text()) == identity
    assert folder.claim(FIELDS, overwrite=False) == identity
    folder.release()
    assert os.listdir(tmp_path / "study") == ["study.json"]


def test_recorded_is_the_identity_record_held_or_none(tmp_path):
    folder = StudyFolder(tmp_path / "study")
    assert folder.recorded() is None
    identity = folder.claim(FIELDS, overwrite=False)
    folder.release()
    assert folder.recorded() == identity
    (tmp_path / "study" / "study.json").write_text("")
    with pytest.raises(StudyError, match="^Cannot read the study's identity file"):
        folder.recorded()


def test_another_study_is_refused_unless_overwritten(tmp_path):
    folder = StudyFolder(tmp_path)
    folder.claim(FIELDS, overwrite=False)
    folder.release()
    (tmp_path / "trials").mkdir()
    (tmp_path / "logs").mkdir()
    other = {**FIELDS, "plan": {"seeds": 3}}
    message = (
        f"The folder '{tmp_path}' holds a study with other arguments or data (see "
        f"'{tmp_path / 'study.json'}'). Use another `out`, or overwrite=True to "
        "start afresh."
    )
    with pytest.raises(StudyError, match=f"^{re.escape(message)}$"):
        folder.claim(other, overwrite=False)
    folder.claim(other, overwrite=True)
    folder.release()
    assert sorted(os.listdir(tmp_path)) == ["study.json"]


@pytest.mark.parametrize(
    "text,reason",
    [
        ("", "the file is empty"),
        (
            '{"kind": "other"}',
            "the file is not a kerasreg study's identity file (it lacks "
            '"kind": "kerasreg.study")',
        ),
        (
            '{"kind": "kerasreg.study", "format": 0}',
            "the file has format 0, and this version of kerasreg reads format 1",
        ),
    ],
    ids=["empty", "another-kind", "another-format"],
)
def test_a_damaged_identity_file_is_named_with_its_reason(tmp_path, text, reason):
    (tmp_path / "study.json").write_text(text)
    message = (
        f"Cannot read the study's identity file '{tmp_path / 'study.json'}' "
        f"({reason}), so nothing in '{tmp_path}' is resumed or deleted. Delete "
        "the folder yourself to start afresh, or use another `out`."
    )
    for overwrite in (False, True):
        with pytest.raises(StudyError, match=f"^{re.escape(message)}$"):
            StudyFolder(tmp_path).claim(FIELDS, overwrite=overwrite)


# What a study may touch. A folder is snapshot whole (every path, its bytes and
# its modification time) to show that a refusal leaves it exactly as it was.


def _snapshot(root):
    snapshot = {}
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            path = os.path.join(folder, name)
            data = None if os.path.isdir(path) else Path(path).read_bytes()
            snapshot[os.path.relpath(path, root)] = (data, os.stat(path).st_mtime_ns)
    snapshot["."] = (None, os.stat(root).st_mtime_ns)
    return snapshot


def _make(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _claim(out, fields=FIELDS, overwrite=False, tuner_id="tuner0"):
    """Claim `out` and stage its report, as `study` does; then let go."""
    folder = StudyFolder(out)
    folder.claim(fields, overwrite, tuner_id)
    try:
        folder.stage_report().discard()
    finally:
        folder.release()


_USERS = {
    "logs/server.log": "12:00 started",
    "trials/clinical_trial.csv": "patient,dose",
}
_IDENTITY = json.dumps({"kind": "kerasreg.study", "format": 1, **FIELDS})
_OTHER = json.dumps({"kind": "kerasreg.study", "format": 1, "plan": {}, "data": {}})


@pytest.mark.parametrize("overwrite", [False, True], ids=["keep", "overwrite"])
@pytest.mark.parametrize(
    "files",
    [
        _USERS,
        {"report/report.md": "my own notes"},
        {"notes.txt": "keep me"},
        {".hidden": ""},
    ],
    ids=["logs-and-trials", "a-report-md", "a-file", "a-hidden-file"],
)
def test_a_folder_that_holds_no_study_is_refused_and_left_as_it_was(
    tmp_path, files, overwrite
):
    _make(tmp_path, files)
    before = _snapshot(tmp_path)
    top = sorted({name.split("/")[0] for name in files})
    listed = ", ".join(repr(name) for name in top)
    message = (
        f"Will not write a study into '{tmp_path}': it holds files that are not a "
        f"kerasreg study's ({listed}); choose a new or empty folder."
    )
    with pytest.raises(StudyError, match=f"^{re.escape(message)}$"):
        _claim(tmp_path, overwrite=overwrite)
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "files,overwrite,message",
    [
        (
            {"study.json": _OTHER},
            False,
            "The folder '{out}' holds a study with other arguments or data (see "
            "'{out}/study.json'). Use another `out`, or overwrite=True to start "
            "afresh.",
        ),
        (
            {"study.json": "{", **_USERS},
            True,
            "Cannot read the study's identity file '{out}/study.json' (the file is "
            "truncated or corrupt, not valid JSON (Expecting property name enclosed "
            "in double quotes: line 1 column 2 (char 1))), so nothing in '{out}' is "
            "resumed or deleted. Delete the folder yourself to start afresh, or "
            "use another `out`.",
        ),
        (
            {"study.json": _IDENTITY, "report/data.csv": "1,2"},
            False,
            "Will not replace '{out}/report': it holds files that are not part of "
            "a kerasreg report ('data.csv'); choose a new or empty folder.",
        ),
        (
            {"study.json": _OTHER, "trials/oracle.json": "{}", "report/a.csv": ""},
            True,
            "Will not replace '{out}/report': it holds files that are not part of "
            "a kerasreg report ('a.csv'); choose a new or empty folder.",
        ),
        (
            {"study.json": _IDENTITY, "trials": "a file"},
            False,
            "Cannot write the study to '{out}': '{out}/trials' is a file, not a "
            "folder. Move it away, or use another `out`.",
        ),
    ],
    ids=[
        "another-study",
        "damaged-identity-overwrite",
        "report-holds-other-files",
        "report-holds-other-files-overwrite",
        "trials-is-a-file",
    ],
)
def test_a_refused_study_folder_is_left_as_it_was(tmp_path, files, overwrite, message):
    _make(tmp_path, files)
    before = _snapshot(tmp_path)
    message = message.format(out=tmp_path)
    with pytest.raises(StudyError, match=f"^{re.escape(message)}$"):
        _claim(tmp_path, overwrite=overwrite)
    assert _snapshot(tmp_path) == before


@pytest.mark.parametrize("layout", ["new", "empty"])
def test_a_new_or_empty_folder_is_claimed(tmp_path, layout):
    out = tmp_path / "out"
    if layout == "empty":
        out.mkdir()
    _claim(out)
    assert sorted(os.listdir(out)) == ["study.json"]


def test_overwrite_deletes_only_what_the_study_wrote(tmp_path):
    study = {
        "study.json": _OTHER,
        "trials/oracle.json": "{}",
        "trials/tuner0.json": "{}",
        "trials/trial_0000/trial.json": "{}",
        "trials/.oracle.json.tmp-0a1b2c3d.json": "",
        "logs/none/lr0.1_seed0/history.csv": "epoch,loss",
        "logs/L1(0.001)/lr0.03_seed1/train/events.out.tfevents.1": "",
        "report/report.md": "# An old report",
        "report/results.json": "{}",
    }
    users = {
        **_USERS,
        "notes.txt": "keep me",
        "trials/settings.json": '{"dose": 3}',
        "logs/none/notes.txt": "keep me too",
        "logs/mine/run1/events": "",
    }
    _make(tmp_path, {**study, **users})
    _claim(tmp_path, overwrite=True)
    kept = {
        os.path.relpath(os.path.join(folder, name), tmp_path)
        for folder, _, files in os.walk(tmp_path)
        for name in files
    }
    assert kept == {*users, "study.json"}
    assert json.loads((tmp_path / "study.json").read_text())["plan"] == FIELDS["plan"]


# The lock: one process per folder (and keras-tuner id).

_HOLD = """
import sys, time
from kerasreg.experiments.folder import StudyFolder
StudyFolder(sys.argv[1]).claim({"plan": {"seeds": 2}, "data": {"name": "tiny"}}, False)
print("claimed", flush=True)
time.sleep(600)
"""


def test_a_second_process_is_refused_and_a_killed_one_leaves_no_lock(tmp_path):
    out = tmp_path / "study"
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(out)],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=root),
    )
    try:
        assert holder.stdout.readline() == "claimed\n"
        before = _snapshot(out)
        message = (
            f"Another process (pid {holder.pid}) is running a study in the folder "
            f"'{out}'. Wait for it to end, or use another `out`."
        )
        with pytest.raises(StudyError, match=f"^{re.escape(message)}$"):
            _claim(out)
        assert _snapshot(out) == before
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    # Killed, it left its lock file behind, but not the lock.
    assert sorted(os.listdir(out)) == [".study-tuner0.lock", "study.json"]
    _claim(out)
    assert os.listdir(out) == ["study.json"]


def test_one_lock_per_folder_and_tuner_id(tmp_path):
    first = StudyFolder(tmp_path)
    first.claim(FIELDS, False)
    with pytest.raises(StudyError, match="is running a study in the folder"):
        StudyFolder(tmp_path).claim(FIELDS, False)
    first.release()
    # A distributed study's chief and workers may share the folder.
    chief, worker = StudyFolder(tmp_path), StudyFolder(tmp_path)
    chief.claim(FIELDS, False, "chief")
    worker.claim(FIELDS, False, "worker0")
    with pytest.raises(StudyError, match="is running a study in the folder"):
        StudyFolder(tmp_path).claim(FIELDS, False, "worker0")
    chief.release()
    worker.release()
    assert os.listdir(tmp_path) == ["study.json"]


# The report's staging.


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002], ids=oct)
def test_the_report_folder_gets_the_permissions_of_any_new_folder(tmp_path, umask):
    previous = os.umask(umask)
    try:
        folder = ReportFolder(tmp_path / "report")
        folder.publish()
    finally:
        os.umask(previous)
    assert os.stat(tmp_path / "report").st_mode & 0o777 == 0o777 & ~umask


def test_what_a_killed_report_write_left_is_removed(tmp_path):
    _old_report(tmp_path / "report")
    stale = [".report.ab12cd34.partial", ".report.k_9zq0x1.partial.old"]
    others = [".report.notes.partial", ".other.ab12cd34.partial", ".report.keep"]
    for name in stale + others:
        (tmp_path / name).mkdir()
        (tmp_path / name / "report.md").write_text("half")
    folder = ReportFolder(tmp_path / "report")
    folder.publish()
    assert sorted(os.listdir(tmp_path)) == sorted(["report", *others])
