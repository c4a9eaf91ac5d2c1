"""`kerasreg demo` / `python -m kerasreg demo`: a shortened run, and bad input."""

import configparser
import importlib
import json
import os
import pathlib
import re

import keras
import numpy as np
import pytest
from PIL import Image

import kerasreg
from kerasreg.demo.cli import build_parser, in_cli_words, main
from kerasreg.experiments.techniques import DEFAULT_TECHNIQUES
from tests.demo._support import run_cli

NAMES = ["none", *DEFAULT_TECHNIQUES, "all together"]

# The demo and the examples feed Keras through tf.data.
pytestmark = pytest.mark.tensorflow_only


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "study"
    # One process, whatever `--workers auto` would make of this machine's load.
    status, stdout, stderr = run_cli(
        "demo",
        "--epochs",
        "2",
        "--seeds",
        "1",
        "--out",
        str(out),
        "--quiet",
        "--workers",
        "1",
    )
    return out, status, stdout, stderr


def test_short_run_succeeds_and_prints_the_table(short_run):
    out, status, stdout, stderr = short_run
    assert status == 0, "\n".join(stderr)
    assert not any("Traceback" in line for line in stderr)
    assert "test acc %" in stdout
    for name in NAMES:
        assert f"\n{name} " in stdout
    # --quiet: no progress bar.
    assert "/trial" not in stdout
    assert f"Report: {out / 'report' / 'report.md'}" in stdout


def test_results_json_holds_every_run(short_run):
    results = json.loads((short_run[0] / "report" / "results.json").read_text())
    assert list(results["summaries"]) == NAMES
    assert sorted({r["technique"] for r in results["runs"]}) == sorted(NAMES)
    for run in results["runs"]:
        assert run["epochs_run"] == 2
        assert len(run["history"]["val_loss"]) == 2
        assert 0.0 <= run["test_accuracy"] <= 1.0


def test_every_figure_of_the_report_is_a_readable_png(short_run):
    report = short_run[0] / "report"
    figures = re.findall(r"\]\(([\w.-]+\.png)\)", (report / "report.md").read_text())
    assert len(figures) >= 4
    for figure in figures:
        with Image.open(report / figure) as image:
            assert image.format == "PNG"
            assert image.width >= 600 and image.height >= 300
            pixels = np.asarray(image.convert("L"), dtype="float32")
        assert pixels.std() > 10  # not blank


def test_running_it_again_resumes_and_trains_nothing(short_run):
    out = short_run[0]
    before = sorted(p.stat().st_mtime_ns for p in out.glob("trials/trial_*/trial.json"))
    status, stdout, stderr = run_cli(
        "demo", "--epochs", "2", "--seeds", "1", "--out", str(out), "--quiet"
    )
    assert status == 0, "\n".join(stderr)
    after = sorted(p.stat().st_mtime_ns for p in out.glob("trials/trial_*/trial.json"))
    assert after == before
    # Said in this run's words: nothing left, and no wall time of 0 s.
    trials = len(before)
    # After keras-tuner's "Reloading Tuner from ...".
    assert stdout.splitlines()[1] == (
        f"{trials} trials planned, {trials} finished in an earlier run, 0 to go."
    )
    report = (out / "report" / "report.md").read_text()
    assert f"Resumed: {trials} trials had finished in an earlier run" in report
    assert "Total wall time" not in report


def _image_folder(root, broken=False):
    rng = np.random.default_rng(0)
    for name in ("cat", "dog"):
        (root / name).mkdir(parents=True)
        for index in range(8):
            pixels = rng.integers(0, 256, size=(12, 10, 3), dtype="uint8")
            Image.fromarray(pixels).save(root / name / f"{index}.png")
    if broken:
        (root / "dog" / "2.png").write_bytes(b"\x89PNG truncated")
    return root


def test_study_on_a_folder_of_images(tmp_path, capsys):
    images = _image_folder(tmp_path / "images")
    out = tmp_path / "study"
    argv = ["study", "--data", str(images), "--image-size", "8", "--out", str(out)]
    argv += ["--techniques", "Dropout", "--epochs", "1", "--seeds", "1", "--quiet"]
    assert main(argv) == 0
    assert "Dropout" in capsys.readouterr().out
    assert (out / "report" / "report.md").exists()


def test_bad_input_in_a_fresh_process_is_one_line_and_status_2():
    status, stdout, stderr = run_cli("demo", "--epochs", "0")
    assert status == 2
    assert stderr == [
        "python -m kerasreg demo: error: argument --epochs: expected a positive "
        "int, got '0' (see --help)"
    ]
    assert stdout == ""


@pytest.mark.parametrize(
    "argv,message",
    [
        (
            ["--epochs", "-3"],
            "kerasreg demo: error: argument --epochs: expected a "
            "positive int, got '-3' (see --help)",
        ),
        (
            ["--seeds", "0"],
            "kerasreg demo: error: argument --seeds: expected a "
            "positive int, got '0' (see --help)",
        ),
        (
            ["--workers", "0"],
            "kerasreg demo: error: argument --workers: expected a "
            "positive int or 'auto', got '0' (see --help)",
        ),
        (
            ["--out", ""],
            "kerasreg demo: error: argument --out: expected a folder path, got '' "
            "(see --help)",
        ),
        (
            ["--epochs", "ten"],
            "kerasreg demo: error: argument --epochs: expected a "
            "positive int, got 'ten' (see --help)",
        ),
        (
            ["--colour", "blue"],
            "kerasreg: error: unrecognized arguments: --colour blue (see --help)",
        ),
    ],
    ids=[
        "negative-epochs",
        "zero-seeds",
        "zero-workers",
        "empty-out",
        "text-epochs",
        "unknown-option",
    ],
)
def test_bad_arguments(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", *argv])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines() == [message]


def test_unknown_dataset(capsys, tmp_path):
    status = main(["demo", "--data", "fashion", "--out", str(tmp_path / "r")])
    assert status == 2
    assert capsys.readouterr().err.splitlines() == [
        "kerasreg demo: error: Unknown dataset 'fashion': expected "
        "'digits', 'mnist', 'cifar10' or a folder of images in class subfolders."
    ]
    # Bad input creates no report folder.
    assert os.listdir(tmp_path) == []


def test_unwritable_output_folder(capsys, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    # A folder below a file can never be created, whoever runs the test.
    status = main(["demo", "--out", str(blocker / "study")])
    assert status == 2
    assert capsys.readouterr().err.splitlines() == [
        f"kerasreg demo: error: Cannot write the study to "
        f"'{blocker / 'study'}': Not a directory."
    ]


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--techniques", "L1,L7"], "argument --techniques: expected names among"),
        (["--image-size", "0"], "argument --image-size: expected a positive int"),
    ],
)
def test_bad_study_arguments(capsys, tmp_path, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["study", "--data", str(tmp_path), *argv])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_study_needs_a_folder(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        main(["study", "--data", str(tmp_path / "missing")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"kerasreg study: error: argument --data: not a folder: "
        f"'{tmp_path / 'missing'}' "
        "(see --help)"
    ]


def test_no_command_prints_help_and_status_2(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "demo" in err and "study" in err


def test_corrupt_image_is_one_line_status_2_and_no_folder(capsys, tmp_path):
    images = _image_folder(tmp_path / "images", broken=True)
    out = tmp_path / "report"
    assert main(["demo", "--data", str(images), "--out", str(out)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith(
        f"kerasreg demo: error: Cannot read the image '{images / 'dog' / '2.png'}': "
    )
    assert not out.exists()


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == (
        f"kerasreg {kerasreg.__version__} (Keras {keras.__version__})\n"
    )


def test_python_dash_m_runs_the_same_command_line():
    status, stdout, stderr = run_cli("--version")
    assert (status, stderr) == (0, [])
    assert stdout == f"kerasreg {kerasreg.__version__} (Keras {keras.__version__})\n"


def test_console_script_is_declared_and_resolves():
    config = configparser.ConfigParser()
    config.read(pathlib.Path(__file__).parents[2] / "setup.cfg")
    scripts = config["options.entry_points"]["console_scripts"].split()
    assert scripts == ["kerasreg", "=", "kerasreg.demo.cli:main"]
    module, name = scripts[2].split(":")
    assert getattr(importlib.import_module(module), name) is main


@pytest.mark.parametrize(
    "message, said",
    [
        (
            "The folder 'x' holds a study with other arguments or data (see "
            "'x/study.json'). Use another `out`, or overwrite=True to start afresh.",
            "The folder 'x' holds a study with other arguments or data (see "
            "'x/study.json'). Use another --out, or --overwrite to start afresh.",
        ),
        (
            "Cannot read the study's identity file 'x/study.json' (empty). Delete "
            "the folder, or pass overwrite=True, to start afresh.",
            "Cannot read the study's identity file 'x/study.json' (empty). Delete "
            "the folder, or pass --overwrite, to start afresh.",
        ),
        (
            "`data` holds NaN or inf.",
            "--data holds NaN or inf.",
        ),
        (
            "`image_size` must match the images.",
            "--image-size must match the images.",
        ),
        (
            "The finished trials are kept in 'x': run the study again to resume.",
            "The finished trials are kept in 'x': run the same command again to "
            "resume.",
        ),
    ],
    ids=["other-study", "damaged-identity", "data", "image-size", "dead-worker"],
)
def test_study_errors_use_the_command_lines_words(capsys, monkeypatch, message, said):
    def run_demo(**kwargs):
        raise kerasreg.experiments.StudyError(message)

    monkeypatch.setattr("kerasreg.demo.cli.run_demo", run_demo)
    assert main(["demo", "--out", "x"]) == 2
    assert capsys.readouterr().err.splitlines() == [f"kerasreg demo: error: {said}"]


@pytest.mark.parametrize(
    "argv,workers",
    [
        (["demo"], "auto"),
        (["demo", "--workers", "2"], 2),
        (["study", "--data", "."], 1),
        (["study", "--data", ".", "--workers", "3"], 3),
        (["study", "--data", ".", "--workers", "auto"], "auto"),
    ],
    ids=["demo_default", "demo", "study_default", "study", "study_auto"],
)
def test_workers_reach_the_study(monkeypatch, argv, workers):
    calls = []
    monkeypatch.setattr("kerasreg.demo.cli.run_demo", lambda **kw: calls.append(kw))
    assert main(argv) == 0
    assert calls[0]["workers"] == workers


def test_a_damaged_study_folder_is_told_in_the_command_lines_words(capsys, tmp_path):
    (tmp_path / "study.json").write_text("")
    assert main(["demo", "--out", str(tmp_path), "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "`out`" not in err


def test_an_interrupted_study_says_how_to_resume(capsys, monkeypatch):
    def run_demo(**kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("kerasreg.demo.cli.run_demo", run_demo)
    argv = ["demo", "--out", "my study", "--epochs", "5"]
    assert main(argv) == 130
    assert capsys.readouterr().err.splitlines() == [
        "",
        "kerasreg demo: interrupted. The finished trials are kept in 'my study'; "
        "to resume, run the same command again: kerasreg demo --out 'my study' "
        "--epochs 5",
    ]


def test_the_planned_trials_are_said_before_the_first(short_run):
    out, _, stdout, _ = short_run
    trials = len(list(out.glob("trials/trial_*")))
    assert stdout.splitlines()[0] == (
        f"{trials} trials planned (at most: exact once the strengths are chosen)."
    )


def test_rates_grids_and_budget_are_parsed():
    args = build_parser().parse_args(
        [
            "demo",
            "--learning-rates",
            "0.01,0.03",
            "--grids",
            "L1=1e-4,1e-3",
            "EarlyStopping=5,10",
            "--budget",
            "7.5",
        ]
    )
    assert args.learning_rates == (0.01, 0.03)
    # A patience stays an int: a number of epochs.
    assert args.grids == [("L1", (1e-4, 1e-3)), ("EarlyStopping", (5, 10))]
    assert args.budget == 7.5
    defaults = build_parser().parse_args(["demo"])
    assert (defaults.learning_rates, defaults.grids, defaults.budget) == (None,) * 3


def test_rates_grids_and_budget_reach_run_demo(monkeypatch):
    calls = []
    monkeypatch.setattr("kerasreg.demo.cli.run_demo", lambda **kw: calls.append(kw))
    argv = ["demo", "--techniques", "L1,Dropout", "--grids", "Dropout=0.2,0.4"]
    assert main([*argv, "--learning-rates", "0.05", "--budget", "3"]) == 0
    [kwargs] = calls
    assert kwargs["grids"] == {"Dropout": (0.2, 0.4)}
    assert (kwargs["learning_rates"], kwargs["budget"]) == ((0.05,), 3.0)


_TUNED = "L1, L2, ElasticNet, GroupLasso, Dropout, EarlyStopping, Augmentation"


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--budget", "0"], "argument --budget: expected a positive number, got '0'"),
        (
            ["--budget", "nan"],
            "argument --budget: expected a positive number, got 'nan'",
        ),
        (
            ["--learning-rates", "0.1,-1"],
            "argument --learning-rates: expected comma-separated numbers > 0, "
            "got '0.1,-1'",
        ),
        (
            ["--learning-rates", "0.1,,0.2"],
            "argument --learning-rates: expected comma-separated numbers > 0, "
            "got '0.1,,0.2'",
        ),
        (
            ["--grids", "L1"],
            f"argument --grids: expected NAME=v1,v2,... with NAME among {_TUNED}, "
            "got 'L1'",
        ),
        (
            ["--grids", "BatchNorm=1"],
            f"argument --grids: expected NAME=v1,v2,... with NAME among {_TUNED}, "
            "got 'BatchNorm=1'",
        ),
        (
            ["--grids", "Dropout=0.2,1"],
            "argument --grids: expected Dropout=v1,v2,... with each value a finite "
            "float in (0, 1), got 'Dropout=0.2,1'",
        ),
        (
            ["--grids", "EarlyStopping=5.5"],
            "argument --grids: expected EarlyStopping=v1,v2,... with each value an "
            "int, got 'EarlyStopping=5.5'",
        ),
        (
            ["--grids", "L1=small"],
            "argument --grids: expected L1=v1,v2,... with each value a number, "
            "got 'L1=small'",
        ),
        (
            ["--grids", "L1=1e-4", "L1=1e-3"],
            "argument --grids: expected each technique once, got 'L1' twice",
        ),
        (
            ["--techniques", "L1,L2", "--grids", "Dropout=0.5"],
            "argument --grids: expected techniques among those compared (L1,L2), "
            "got 'Dropout'",
        ),
    ],
    ids=[
        "zero-budget",
        "nan-budget",
        "negative-rate",
        "empty-rate",
        "no-values",
        "batch-norm",
        "dropout-1",
        "fractional-patience",
        "text-strength",
        "twice",
        "not-compared",
    ],
)
def test_bad_rates_grids_and_budget(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", *argv])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"kerasreg demo: error: {message} (see --help)"
    ]


def test_a_budget_too_small_is_one_line_in_the_command_lines_words(capsys, monkeypatch):
    def run_demo(**kwargs):
        raise ValueError(
            "Invalid value for argument `budget`. Expected at least 7.5 minutes: "
            "the smallest plan (...). Received: budget=2.0"
        )

    monkeypatch.setattr("kerasreg.demo.cli.run_demo", run_demo)
    assert main(["demo", "--budget", "2"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "kerasreg demo: error: Invalid value for argument --budget. Expected at "
        "least 7.5 minutes: the smallest plan (...). Received: --budget 2.0"
    ]


def test_any_other_value_error_keeps_its_traceback(monkeypatch):
    def run_demo(**kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr("kerasreg.demo.cli.run_demo", run_demo)
    with pytest.raises(ValueError, match="^a bug$"):
        main(["demo"])


def test_the_reading_names_the_options_that_widen_a_grid():
    # The reading's advice, as the terminal prints it (code marks dropped).
    said = "Widen the grid (learning_rates=, grids=) to find out."
    assert in_cli_words(said) == (
        "Widen the grid (--learning-rates, --grids) to find out."
    )


@pytest.mark.parametrize(
    "argv, halving",
    [
        (["demo"], False),
        (["demo", "--halving"], True),
        (["study", "--data", ".", "--halving"], True),
    ],
)
def test_halving_is_opt_in_on_the_command_line(monkeypatch, argv, halving):
    calls = []
    monkeypatch.setattr("kerasreg.demo.cli.run_demo", lambda **kw: calls.append(kw))
    assert main(argv) == 0
    assert calls[0]["halving"] is halving
