"""A study killed with SIGKILL resumes without repeating a finished trial.

keras-tuner records each trial under `<out>/trials`; the resumed study
reloads them, retries the trial that was in flight and ends with exactly
the result of an uninterrupted run. It is killed twice: from outside,
mid-search; and by itself halfway through writing the oracle's state after
a trial's end (keras-tuner alone would leave a torn state file, and once
that is fixed, a state that still lists the finished trial as running,
which it would run again). A finished folder runs
nothing again; a folder holding another study, or a damaged identity file,
is refused by name. A damaged folder (trial files lost, the oracle's state
garbage) resumes to the same result, running only what was lost; a kill
while the report is written leaves the previous report, and the next run
removes what the kill left; a second process on a running study's folder is
refused, and the killed first one leaves no lock.
"""

import json
import os
import re
import shutil
import signal
import time

import pytest

from kerasreg.experiments import StudyError, engine
from kerasreg.experiments.folder import StudyFolder
from tests.distribute._cluster import _tail
from tests.experiments import _processes, _study_child

# Generous: a trial takes seconds, but the machine may be loaded.
_TIMEOUT = 240
_KILL_AFTER = 2


def _snapshot(records):
    """Path → (mtime, bytes) of the completed trials' files."""
    snapshot = {}
    for status, _, path in records.values():
        if status == "COMPLETED":
            with open(path, "rb") as f:
                snapshot[path] = (os.stat(path).st_mtime_ns, f.read())
    return snapshot


def _kill_after_completed(process, stderr, out, count):
    """SIGKILL `process` once `count` trials of `out` have completed."""
    deadline = time.monotonic() + _TIMEOUT
    while len(_processes.completed_keys(out)) < count:
        assert process.poll() is None, (
            "the study ended before it could be killed",
            _tail(stderr),
        )
        assert time.monotonic() < deadline, "no trial completed in time"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL


def test_sigkill_mid_search_resumes_to_the_uninterrupted_result(tmp_path, reference):
    workdir, out = str(tmp_path), str(tmp_path / "study")
    # Killed from outside once two trials have finished, wherever it is.
    process, _, stderr = _processes.start(workdir, "outside", out)
    try:
        _kill_after_completed(process, stderr, out, _KILL_AFTER)
    finally:
        _processes.finish(process, 0)
    finished = _snapshot(_processes.trial_records(out))
    assert _KILL_AFTER <= len(finished) < _study_child.TRIALS
    # Killed by itself halfway through writing the state that records a
    # finished trial's end (the trial's own file is written).
    process, _, stderr = _processes.start(
        workdir, "inside", out, env={"KILL_MID_STATE": "1"}
    )
    assert _processes.finish(process, _TIMEOUT) == -signal.SIGKILL, _tail(stderr)
    last = _snapshot(_processes.trial_records(out))
    assert len(last) == len(finished) + 1 and finished.items() <= last.items()
    finished_ids = {
        i
        for i, (status, *_) in _processes.trial_records(out).items()
        if status == "COMPLETED"
    }
    started_before = _processes.ran_by(out)

    process, result, stderr = _processes.start(workdir, "resumed", out)
    assert _processes.finish(process, _TIMEOUT) == 0, _tail(stderr)

    # Every planned trial completed exactly once over the three processes,
    # the last one started none that had finished before, and their files
    # are as they were.
    assert sorted(_processes.completed_keys(out).values()) == [1] * _study_child.TRIALS
    started_after = _processes.ran_by(out)[len(started_before) :]
    assert not finished_ids & set(started_after)
    assert len(started_after) == _study_child.TRIALS - len(finished_ids)
    assert _snapshot(_processes.trial_records(out)).items() >= last.items()
    assert _processes.read_json(result) == reference[1]


def test_a_finished_study_runs_no_trial_again(reference, monkeypatch):
    def run_trial(*args, **kwargs):
        raise AssertionError("a finished study ran a trial again")

    monkeypatch.setattr(engine.StudyTuner, "run_trial", run_trial)
    out, digest = reference
    trials = _snapshot(_processes.trial_records(out))
    assert len(trials) == _study_child.TRIALS
    assert _study_child.digest(_study_child.tiny_study(out)) == digest
    assert _snapshot(_processes.trial_records(out)) == trials


def test_a_folder_with_another_study_is_refused(reference):
    out, _ = reference
    with pytest.raises(StudyError, match=f"The folder {out!r} holds a study with"):
        _study_child.tiny_study(out, seeds=3)


def test_a_damaged_identity_file_is_named(tmp_path):
    out = tmp_path / "study"
    out.mkdir()
    identity = out / "study.json"
    identity.write_text('{"kind": "kerasreg.st')
    with pytest.raises(StudyError, match=f"identity file {str(identity)!r}"):
        _study_child.tiny_study(str(out))


def _counting_trials(monkeypatch):
    ran = []
    run_trial = engine.StudyTuner.run_trial

    def counted(self, trial, *args, **kwargs):
        ran.append(trial.trial_id)
        return run_trial(self, trial, *args, **kwargs)

    monkeypatch.setattr(engine.StudyTuner, "run_trial", counted)
    return ran


def test_a_damaged_folder_resumes_to_the_same_result(tmp_path, reference, monkeypatch):
    out = tmp_path / "study"
    shutil.copytree(reference[0], out)
    trials = out / "trials"
    shutil.rmtree(trials / "trial_0003")
    (trials / "trial_0005" / "trial.json").write_text('{"trial_id": "00')
    (trials / "oracle.json").write_text("garbage")
    (trials / "tuner0.json").unlink()
    ran = _counting_trials(monkeypatch)
    with pytest.warns(UserWarning, match="The study lost a trial") as caught:
        result = _study_child.tiny_study(str(out))
    assert _study_child.digest(result) == reference[1]
    assert len(ran) == 2
    lost = [str(w.message) for w in caught if "lost a trial" in str(w.message)]
    assert sorted(message.split("'")[1] for message in lost) == [
        str(trials / name / "trial.json") for name in ("trial_0003", "trial_0005")
    ]


def test_a_kill_while_the_report_is_written(tmp_path, reference):
    out = tmp_path / "study"
    shutil.copytree(reference[0], out)
    report = out / "report"
    before = {path.name: path.read_bytes() for path in report.iterdir()}
    process, _, stderr = _processes.start(
        str(tmp_path), "report", str(out), env={"KILL_IN_REPORT": "1"}
    )
    assert _processes.finish(process, _TIMEOUT) == -signal.SIGKILL, _tail(stderr)
    # The previous report is as it was; the staged one is left beside it.
    assert {path.name: path.read_bytes() for path in report.iterdir()} == before
    assert [n for n in os.listdir(out) if n.startswith(".report.")] != []

    umask = os.umask(0o022)
    try:
        result = _study_child.tiny_study(str(out))
    finally:
        os.umask(umask)
    assert _study_child.digest(result) == reference[1]
    assert [n for n in os.listdir(out) if n.startswith(".report.")] == []
    assert os.stat(report).st_mode & 0o777 == 0o755


def test_a_second_process_on_a_running_study_is_refused(tmp_path):
    workdir, out = str(tmp_path), str(tmp_path / "study")
    process, _, stderr = _processes.start(workdir, "first", out)
    try:
        deadline = time.monotonic() + _TIMEOUT
        while not _processes.ran_by(out):
            assert process.poll() is None, _tail(stderr)
            assert time.monotonic() < deadline, "no trial started in time"
            time.sleep(0.05)
        message = (
            f"Another process (pid {process.pid}) is running a study in the folder "
            f"{out!r}. Wait for it to end, or use another `out`."
        )
        with pytest.raises(StudyError, match=f"^{re.escape(message)}$"):
            _study_child.tiny_study(out)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    # The killed process left no lock behind.
    with open(os.path.join(out, "study.json")) as f:
        fields = json.load(f)
    del fields["kind"], fields["format"]
    folder = StudyFolder(out)
    folder.claim(fields, overwrite=False)
    folder.release()
