"""The study's folder: its report, staged beside its destination and swapped
in whole; its identity file, read as a kerasreg record."""

import json
import os
import re

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
    assert identity == {"kind": "kerasreg.study", "format": 1, **FIELDS}
    assert json.loads((tmp_path / "study" / "study.json").read_text()) == identity
    assert folder.claim(FIELDS, overwrite=False) == identity


def test_another_study_is_refused_unless_overwritten(tmp_path):
    folder = StudyFolder(tmp_path)
    folder.claim(FIELDS, overwrite=False)
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
        f"({reason}). Delete the folder, or pass overwrite=True, to start afresh."
    )
    with pytest.raises(StudyError, match=f"^{re.escape(message)}$"):
        StudyFolder(tmp_path).claim(FIELDS, overwrite=False)
