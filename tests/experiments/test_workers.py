"""`study(..., workers=N)`: N processes on this machine run the trials, this
process serves them as keras-tuner's chief, and the result is the one process's.

Each trial's result is a function of its values and seed alone, wherever it
runs, so the tiny study run with two workers must give exactly the
uninterrupted single-process result (`reference`), choices and runs alike.
A worker that dies ends the study with its exit code, keeping the finished
trials, which a run with one process resumes (and the other way round).
"""

import faulthandler
import os
import pickle
import re
import shutil

import keras
import pytest

from kerasreg.experiments import StudyError, study, workers
from tests.experiments import _study_child, _worker_models

# A hang (a dead worker the chief never noticed) ends the test run instead.
_HANG = 300


@pytest.fixture
def no_hang():
    faulthandler.dump_traceback_later(_HANG, exit=True)
    yield
    faulthandler.cancel_dump_traceback_later()


def test_a_dead_worker_ends_the_study_and_one_process_resumes_it(
    tmp_path, reference, no_hang
):
    out = str(tmp_path / "study")
    said = (
        re.escape("The study's worker process worker")
        + r"[01] \(pid \d+, one of 2\) "
        + re.escape(
            f"ended with exit code {_worker_models.EXIT_CODE}; the other "
            "workers were stopped. The finished trials are kept in "
            f"{out!r}: run the study again to resume."
        )
    )
    with pytest.raises(StudyError, match=f"^{said}$"):
        study(
            _worker_models.dying_in_a_worker,
            _study_child.tiny_data(),
            out=out,
            verbose=0,
            workers=2,
            **_study_child.ARGUMENTS,
        )
    assert not os.path.exists(os.path.join(out, "report"))

    result = _study_child.tiny_study(out, workers=1)

    assert _study_child.digest(result) == reference[1]
    # The worker that died had finished its first two trials.
    assert result.settings["trials_resumed"] >= _worker_models.FATAL_BUILD - 1


def test_a_study_begun_in_one_process_resumes_with_two_workers(
    tmp_path, reference, no_hang
):
    environment = dict(os.environ)
    out = str(tmp_path / "study")
    shutil.copytree(reference[0], out)
    trials = os.path.join(out, "trials")
    # As if the one process had been killed after its first eight trials.
    for name in sorted(n for n in os.listdir(trials) if n.startswith("trial_"))[8:]:
        shutil.rmtree(os.path.join(trials, name))

    result = _study_child.tiny_study(out, workers=2)

    assert _study_child.digest(result) == reference[1]
    assert result.settings["trials_resumed"] == 8
    assert dict(os.environ) == environment
    # keras-tuner's workers record themselves in the trials' folder.
    assert {"worker0.json", "worker1.json"} & set(os.listdir(trials))


_NOT_SENDABLE = (
    "a module-level function or a picklable callable object: workers=2 sends "
    "it to 2 processes; a lambda or closure cannot be sent"
)


def _closure():
    def build_model(switches):
        return _study_child.build_model(switches)

    return build_model


@pytest.mark.parametrize(
    "argument,value",
    [
        ("build_model", lambda switches: _study_child.build_model(switches)),
        ("build_model", _closure()),
        ("optimizer", lambda learning_rate: keras.optimizers.SGD(learning_rate)),
        ("augmentation", lambda magnitude, seed: None),
        ("loss", lambda y_true, y_pred: 0.0),
    ],
    ids=["lambda", "closure", "optimizer", "augmentation", "loss"],
)
def test_what_cannot_reach_the_workers_is_refused_before_anything(
    tmp_path, argument, value
):
    out = tmp_path / "study"
    arguments = {
        "build_model": _study_child.build_model,
        "data": _study_child.tiny_data(),
        argument: value,
    }
    message = (
        f"Invalid value for argument `{argument}`. Expected {_NOT_SENDABLE}. "
        f"Received: {argument}={value!r}"
    )
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        study(out=str(out), workers=2, verbose=0, **arguments)
    assert not out.exists()


@pytest.mark.parametrize(
    "value,error,expected",
    [
        (0, ValueError, "an int in [1, inf]"),
        (2.0, TypeError, "an int"),
        (True, TypeError, "an int"),
        ("all", ValueError, "an int >= 1 or 'auto'"),
    ],
    ids=["zero", "float", "bool", "unknown_word"],
)
def test_workers_must_be_a_positive_int(tmp_path, value, error, expected):
    out = tmp_path / "study"
    message = (
        f"Invalid value for argument `workers`. Expected {expected}. "
        f"Received: workers={value!r}"
    )
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        study(_study_child.build_model, "digits", out=str(out), workers=value)
    assert not out.exists()


def test_a_process_of_a_distributed_study_takes_no_workers(tmp_path, monkeypatch):
    monkeypatch.setenv(workers.TUNER_ID, "chief")
    out = tmp_path / "study"
    message = (
        "Invalid value for argument `workers`. Expected 1 in a process of a "
        "distributed study (KERASTUNER_TUNER_ID='chief' is set); start more "
        "workers as more processes with their own tuner ids. Received: workers=2"
    )
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        study(_study_child.build_model, "digits", out=str(out), workers=2)
    assert not out.exists()


def test_one_worker_sends_nothing():
    workers.check_sendable("build_model", lambda switches: None, workers=1)


def test_the_default_augmentation_and_the_plan_reach_the_workers():
    from kerasreg.experiments import augment
    from kerasreg.experiments.arguments import StudyArguments
    from kerasreg.experiments.data import as_dataset

    dataset = as_dataset("digits", None)
    factory = pickle.loads(pickle.dumps(augment.for_dataset(dataset)))
    assert factory(1.0, 0).name == "augmentation"
    arguments = StudyArguments.checked(
        **{
            **_defaults(),
            "techniques": ("ElasticNet", "Dropout"),
            "grids": {"ElasticNet": (1e-3, 1e-2)},
        }
    )
    plan = arguments.plan()
    assert pickle.loads(pickle.dumps(plan)) == plan


def _defaults():
    import inspect

    parameters = inspect.signature(study).parameters.values()
    return {
        "build_model": _study_child.build_model,
        "data": "digits",
        **{p.name: p.default for p in parameters if p.default is not p.empty},
    }


@pytest.mark.parametrize(
    "cores,count,threads",
    [(2, 1, 2), (2, 2, 1), (2, 3, 1), (16, 3, 5), (16, 4, 4)],
    ids=["one", "two", "more_than_cores", "remainder", "even"],
)
def test_each_worker_gets_its_share_of_the_cores(monkeypatch, cores, count, threads):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    assert workers.threads_per_worker(count) == threads


@pytest.mark.parametrize(
    "cores,expected,threads", [(1, 1, 1), (2, 2, 1), (4, 4, 1), (16, 4, 4)]
)
def test_auto_is_one_worker_per_core_at_most_four(
    monkeypatch, cores, expected, threads
):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    monkeypatch.delenv(workers.TUNER_ID, raising=False)
    assert workers.check_workers("auto") == expected
    assert workers.threads_per_worker(expected) == threads
    # In a process of a distributed study, more workers are more processes.
    monkeypatch.setenv(workers.TUNER_ID, "worker0")
    assert workers.check_workers("auto") == 1
