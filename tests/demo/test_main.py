"""run_demo: its arguments, and a report folder that is never half-written."""

import io
import os
import re

import pytest

import kerasreg.demo.main as demo_main
from kerasreg.demo import DemoError, plots, run_demo
from kerasreg.demo.report import FILES
from kerasreg.demo.techniques import TECHNIQUES
from tests.demo._support import fake_run


@pytest.fixture
def fake_study(monkeypatch):
    """The study's runs made up (training is tested in test_study.py)."""

    def run_study(data, epochs, seeds, progress=None):
        return {
            t.name: [fake_run(t.name, seed=s) for s in range(seeds)] for t in TECHNIQUES
        }

    monkeypatch.setattr(demo_main.study, "run_study", run_study)


def _old_report(folder):
    folder.mkdir()
    for name in FILES:
        (folder / name).write_text(f"old {name}")
    return {name: f"old {name}" for name in FILES}


def _contents(folder):
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def _demo(out, **kwargs):
    return run_demo(
        out=out, epochs=2, seeds=1, quiet=True, stream=io.StringIO(), **kwargs
    )


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        (
            {"out": 5},
            TypeError,
            "Invalid value for argument `out`. Expected a folder path (str or "
            "path-like). Received: out=5",
        ),
        (
            {"out": ""},
            ValueError,
            "Invalid value for argument `out`. Expected a non-empty folder path. "
            "Received: out=''",
        ),
        (
            {"epochs": 0},
            ValueError,
            "Invalid value for argument `epochs`. Expected an int >= 1. "
            "Received: epochs=0",
        ),
        (
            {"epochs": 2.0},
            TypeError,
            "Invalid value for argument `epochs`. Expected an int. "
            "Received: epochs=2.0",
        ),
        (
            {"seeds": True},
            TypeError,
            "Invalid value for argument `seeds`. Expected an int. Received: seeds=True",
        ),
        (
            {"seeds": -1},
            ValueError,
            "Invalid value for argument `seeds`. Expected an int >= 1. "
            "Received: seeds=-1",
        ),
        (
            {"data": None},
            TypeError,
            "Invalid value for argument `data`. Expected 'digits', 'mnist', "
            "'cifar10' or a folder path (str or path-like). Received: data=None",
        ),
        (
            {"quiet": "yes"},
            TypeError,
            "Invalid value for argument `quiet`. Expected a bool. "
            "Received: quiet='yes'",
        ),
        (
            {"stream": "out.txt"},
            TypeError,
            "Invalid value for argument `stream`. Expected None or a text stream "
            "(`write` and `flush`). Received: stream='out.txt'",
        ),
    ],
    ids=[
        "out-int",
        "out-empty",
        "epochs-zero",
        "epochs-float",
        "seeds-bool",
        "seeds-negative",
        "data-none",
        "quiet-str",
        "stream-str",
    ],
)
def test_bad_arguments_are_named_before_anything_happens(
    tmp_path, monkeypatch, kwargs, error, message
):
    monkeypatch.chdir(tmp_path)
    arguments = {"out": "report", "epochs": 2, "seeds": 1, "quiet": True, **kwargs}
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        run_demo(**arguments)
    assert os.listdir(tmp_path) == []


def test_numpy_ints_are_accepted(tmp_path, fake_study):
    import numpy as np

    run_demo(
        out=tmp_path / "again",
        epochs=np.int64(2),
        seeds=np.int32(1),
        quiet=True,
        stream=io.StringIO(),
    )
    assert sorted(os.listdir(tmp_path / "again")) == sorted(FILES)


def test_a_new_report_replaces_the_old_one_whole(tmp_path, fake_study):
    out = tmp_path / "report"
    _old_report(out)
    stream = io.StringIO()
    run_demo(out=out, epochs=2, seeds=1, quiet=True, stream=stream)
    contents = _contents(out)
    assert sorted(contents) == sorted(FILES)
    assert all(not data.startswith(b"old ") for data in contents.values())
    assert sorted(os.listdir(tmp_path)) == ["report"]
    assert stream.getvalue().endswith(f"Report: {out / 'report.md'}\n")


def test_a_failure_while_writing_leaves_the_old_report_intact(
    tmp_path, fake_study, monkeypatch
):
    out = tmp_path / "report"
    before = {name: text.encode() for name, text in _old_report(out).items()}

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    # The last figure fails, after the other two were written.
    monkeypatch.setattr(plots, "plot_weight_histograms", disk_full)
    message = f"Cannot write the report to '{out}': No space left on device."
    with pytest.raises(DemoError, match=f"^{re.escape(message)}$"):
        _demo(out)
    assert _contents(out) == before
    assert sorted(os.listdir(tmp_path)) == ["report"]


def test_an_interrupted_run_leaves_nothing_behind(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(demo_main.study, "run_study", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _demo(tmp_path / "report")
    assert os.listdir(tmp_path) == []


def test_bad_data_creates_no_folder(tmp_path):
    with pytest.raises(DemoError, match="^Unknown dataset 'fashion'"):
        _demo(tmp_path / "report", data="fashion")
    assert os.listdir(tmp_path) == []
