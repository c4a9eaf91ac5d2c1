"""`kerasreg demo` / `python -m kerasreg demo`: a shortened run, and bad input."""

import configparser
import importlib
import json
import os
import pathlib

import keras
import numpy as np
import pytest
from PIL import Image

import kerasreg
from kerasreg.demo.cli import main
from kerasreg.demo.techniques import TECHNIQUES
from tests.demo._support import run_cli

NAMES = [t.name for t in TECHNIQUES]
FIGURES = ("learning_curves.png", "augmentation.png", "weights.png")

# The demo and the examples feed Keras through tf.data.
pytestmark = pytest.mark.tensorflow_only


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "report"
    status, stdout, stderr = run_cli(
        "demo", "--epochs", "2", "--seeds", "1", "--out", str(out), "--quiet"
    )
    return out, status, stdout, stderr


def test_short_run_succeeds_and_prints_the_table(short_run):
    _, status, stdout, stderr = short_run
    assert status == 0, "\n".join(stderr)
    assert not any("Traceback" in line for line in stderr)
    assert "technique" in stdout and "test acc %" in stdout
    for name in NAMES:
        assert f"\n{name} " in stdout
    # --quiet: no progress lines.
    assert "[1/9]" not in stdout


def test_results_json_holds_every_run(short_run):
    out = short_run[0]
    results = json.loads((out / "results.json").read_text())
    assert [s["technique"] for s in results["summaries"]] == NAMES
    assert [r["technique"] for r in results["runs"]] == NAMES
    assert results["settings"]["epochs"] == 2
    assert results["settings"]["seeds"] == 1
    for run in results["runs"]:
        assert run["epochs_run"] == 2
        assert len(run["history"]["val_loss"]) == 2
        assert 0.0 <= run["test_accuracy"] <= 1.0
        assert 0.0 <= run["zero_fraction"] <= 1.0


def test_report_md_has_table_reading_and_figures(short_run):
    text = (short_run[0] / "report.md").read_text()
    assert "| technique | train acc % |" in text
    for name in NAMES:
        assert f"| {name} |" in text
    assert "## Reading" in text and "One seed per technique" in text
    for figure in FIGURES:
        assert f"]({figure})" in text


@pytest.mark.parametrize("figure", FIGURES)
def test_figures_are_readable_pngs(short_run, figure):
    with Image.open(short_run[0] / figure) as image:
        assert image.format == "PNG"
        assert image.width >= 600 and image.height >= 300
        pixels = np.asarray(image.convert("L"), dtype="float32")
    assert pixels.std() > 10  # not blank


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
            ["--epochs", "ten"],
            "kerasreg demo: error: argument --epochs: expected a "
            "positive int, got 'ten' (see --help)",
        ),
        (
            ["--colour", "blue"],
            "kerasreg: error: unrecognized arguments: --colour blue (see --help)",
        ),
    ],
    ids=["negative-epochs", "zero-seeds", "text-epochs", "unknown-option"],
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
    status = main(["demo", "--out", str(blocker / "report")])
    assert status == 2
    assert capsys.readouterr().err.splitlines() == [
        f"kerasreg demo: error: Cannot write the report to "
        f"'{blocker / 'report'}': Not a directory."
    ]


def test_no_command_prints_help_and_status_2(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().err


def test_corrupt_image_is_one_line_status_2_and_no_folder(capsys, tmp_path):
    images = tmp_path / "images"
    rng = np.random.default_rng(0)
    for name in ("cat", "dog"):
        (images / name).mkdir(parents=True)
        for index in range(6):
            pixels = rng.integers(0, 256, size=(12, 10, 3), dtype="uint8")
            Image.fromarray(pixels).save(images / name / f"{index}.png")
    (images / "dog" / "2.png").write_bytes(b"\x89PNG truncated")
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
