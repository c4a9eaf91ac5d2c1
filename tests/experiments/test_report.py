"""The study's report: report.md, results.json and the figures; the terminal."""

import dataclasses
import io
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from kerasreg.experiments.augment import make_augmentation
from kerasreg.experiments.reading import read_results
from kerasreg.experiments.records import path_model
from kerasreg.experiments.report import (
    AUGMENTATION,
    CURVES,
    FEATURES,
    FILES,
    PATHS,
    REPORT,
    RESULTS,
    WEIGHTS,
    results_json,
    say,
    write_report,
)
from kerasreg.experiments.table import format_table
from kerasreg.experiments.techniques import PATH_PENALTIES
from tests.experiments._results import make_result, path_points, tiny_dataset

# The study's report: report.md, results.json, the figures, the terminal.

TESTS = {
    "none": [0.90, 0.91],
    "L1": [0.91, 0.93],
    "Dropout": [0.93, 0.95],
    "Augmentation": [0.88, 0.90],
    "L1 + Dropout": [0.94, 0.95],
    "all together": [0.92, 0.92],
}


def _result(tests=None, **options):
    return make_result(TESTS if tests is None else tests, **options)


def _write(tmp_path, result, **options):
    folder = tmp_path / "report"
    folder.mkdir()
    path = write_report(str(folder), result, **options)
    with open(path, encoding="utf-8") as file:
        return folder, file.read()


def test_report_holds_settings_choices_results_and_figures(tmp_path):
    result = _result(paths={"L1": path_points()})
    logs = tmp_path / "logs" / "L1(0.001)" / "lr0.03_seed1_epochs60" / "train"
    logs.mkdir(parents=True)
    (logs / "events.out.tfevents.1").write_bytes(b"")
    folder, text = _write(tmp_path, result, logs=str(tmp_path / "logs"))
    # No model in the logs to hand out; images: no features counted.
    models = {path_model(name) for name in PATH_PENALTIES}
    assert sorted(os.listdir(folder)) == sorted(set(FILES) - models - {FEATURES})
    assert "features kept" not in text
    assert text.startswith(
        "# Which regularization helps the model? A kerasreg study on tiny\n\n"
        "The model trained without regularization and with each technique, 2 "
        "seeds per configuration: 300 training examples of shape 8×8×1, 300 "
        "for validation (every choice below, and early stopping), 1197 for the "
        "test accuracy (never used for a choice). 60 epochs of 32-example "
        "batches, Proximal(SGD(learning_rate, momentum=0.9)) at the learning "
        "rate chosen on validation, 0.03."
    )
    assert format_table(result.summaries, result.comparisons, markdown=True) in text
    assert "\n".join("- " + line for line in read_results(result)) in text
    for row in (
        "| learning rate | 0.01 → 0.520, **0.03 → 0.310**, 0.1 → 0.450 | 0.03 |",
        "| L1 λ | 0.0001 → 0.310, **0.0003 → 0.290**, 0.001 → 0.350 | "
        "`kerasreg.L1(0.0003)` |",
        "| Dropout rate | 0.1 → 0.330, 0.3 → 0.260, **0.5 → 0.250** | "
        "`kerasreg.layers.Dropout(0.5)` |",
        "| Augmentation magnitude | 0.5 → 0.290, **1 → 0.240**, 2 → 0.260 | "
        "augmentation at magnitude 1 |",
        "| none | no regularization: every switch off |",
        "| L1 + Dropout | `kerasreg.L1(0.0003)`; `kerasreg.layers.Dropout(0.5)` |",
        "| all together | `kerasreg.L1(0.0003)`; `kerasreg.layers.Dropout(0.5)`; "
        "augmentation at magnitude 1 |",
        "| 0.01 | 40.0% | 1.900 | 95.0% |",
        "| 1e-05 | 93.0% | 0.270 | 1.0% |",
    ):
        assert "\n" + row + "\n" in text
    for figure in (CURVES, PATHS, AUGMENTATION, WEIGHTS):
        assert f"]({figure})" in text
    assert "(zero padding, then a random crop); no flips" in text
    assert f"To browse them: `tensorboard --logdir {tmp_path / 'logs'}`" in text
    assert text.endswith("[`results.json`](results.json).\n")


def test_report_without_paths_augmentation_or_logs(tmp_path):
    result = _result({"none": [0.9], "L2": [0.92], "BatchNorm": [0.91]})
    folder, text = _write(tmp_path, result)
    assert (
        "\n| BatchNorm on | **on → 0.300** | `kerasreg.layers.BatchNormalization()` |\n"
    ) in text
    assert sorted(os.listdir(folder)) == sorted([REPORT, RESULTS, CURVES, WEIGHTS])
    for absent in ("## Regularization paths", "## Augmentation", "## Logs"):
        assert absent not in text


def test_report_names_tensorboard_only_where_its_event_files_are(tmp_path):
    logs = tmp_path / "logs" / "none" / "lr0.03_seed0_epochs60"
    logs.mkdir(parents=True)
    (logs / "history.csv").write_text("epoch,loss\n")
    _, text = _write(tmp_path, _result({"none": [0.9]}), logs=str(tmp_path / "logs"))
    assert (
        f"\n\n## Logs\n\nEvery run's history is logged in `{tmp_path / 'logs'}`, "
        "one folder per trial named by the techniques it ran with their "
        "strengths, then by its learning rate, seed and epochs: `history.csv` "
        "from Keras' `CSVLogger`. For TensorBoard's event files too, run the "
        "study with `tensorboard=True`.\n\n"
    ) in text
    assert "tensorboard --logdir" not in text


def test_report_names_the_model_and_a_given_optimizer(tmp_path):
    result = _result({"none": [0.9], "L2": [0.92]})
    result.settings.update(model="mlp", optimizer="Proximal(Adam(learning_rate))")
    _, text = _write(tmp_path, result)
    assert text.startswith("# Which regularization helps `mlp`?")
    assert (
        "\n\n`mlp` trained without regularization and with each technique, 1 seed "
        in text
    )
    assert "batches, Proximal(Adam(learning_rate)) at the learning rate" in text


def test_all_together_keeps_the_penalty_best_on_validation(tmp_path):
    # L2's chosen λ scored 0.27 on validation, L1's 0.29. L2 is listed first:
    # merging both penalties would keep the last listed, L1. The setting is the
    # one the study's `Plan.configurations` gives.
    result = _result({"none": [0.9], "L2": [0.9], "L1": [0.9], "all together": [0.9]})
    _, text = _write(tmp_path, result)
    assert "\n| all together | `kerasreg.L2(0.003)` |\n" in text


def test_a_given_augmentation_is_previewed_at_the_chosen_magnitude(tmp_path):
    calls = []

    def augmentation(magnitude, seed):
        calls.append((magnitude, seed))
        return make_augmentation(tiny_dataset(), seed, magnitude)

    result = _result({"none": [0.9], "Augmentation": [0.92]})
    folder, text = _write(tmp_path, result, augmentation=augmentation)
    assert calls == [(1.0, 0)]
    assert "The study's augmentation at magnitude 1, chosen on validation loss." in (
        text
    )
    assert AUGMENTATION in os.listdir(folder)


def test_results_json_is_json_ready(tmp_path):
    result = _result(paths={"L1": path_points()})
    folder, _ = _write(tmp_path, result)
    with open(folder / RESULTS, encoding="utf-8") as file:
        written = json.load(file)
    assert written == results_json(result)
    assert list(written) == [
        "settings",
        "choices",
        "summaries",
        "comparisons",
        "paths",
        "recommended",
        "runs",
    ]
    assert written["settings"] == result.settings
    assert written["choices"]["learning_rate"] == {
        "chosen": 0.03,
        "tried": [
            {"value": 0.01, "val_loss": 0.52, "epochs": 60},
            {"value": 0.03, "val_loss": 0.31, "epochs": 60},
            {"value": 0.1, "val_loss": 0.45, "epochs": 60},
        ],
    }
    assert written["choices"]["techniques"]["Dropout"]["chosen"] == 0.5
    assert list(written["summaries"]) == list(TESTS)
    none = written["summaries"]["none"]["test_accuracy"]
    assert none["mean"] == pytest.approx(0.905) and none["n"] == 2
    assert written["comparisons"]["L1 + Dropout"]["verdict"] == "better"
    assert "none" not in written["comparisons"]
    # NumPy numbers become Python floats.
    point = written["paths"]["L1"][0]
    assert point == {
        "strength": 0.01,
        "val_accuracy": 0.4,
        "val_loss": 1.9,
        "zero_share": 0.95,
    }
    assert type(results_json(result)["paths"]["L1"][0]["strength"]) is float
    assert len(written["runs"]) == 2 * len(TESTS)
    assert written["runs"][0]["technique"] == "none"
    assert "kernel_histogram" not in written["runs"][0]


_FULL_BUDGET = (
    "Each value was trained once (seed 0) and scored by its validation loss, "
    "the data loss without any penalty; the lowest wins (a tie goes to the "
    "value tried first). The learning rate was chosen first"
)


def test_values_stopped_by_successive_halving_show_where_they_stopped(tmp_path):
    tests = {"none": [0.9, 0.91], "L1": [0.91, 0.93], "EarlyStopping": [0.9, 0.9]}
    stopping = {"EarlyStopping": {"best_epoch": 3, "stopped_epoch": 6}}
    result = make_result(tests, halving=True, run_options=stopping)
    folder, text = _write(tmp_path, result)
    for row in (
        "| learning rate | 0.01 → 0.520 (20 ep), **0.03 → 0.310**, "
        "0.1 → 0.450 (20 ep) | 0.03 |",
        "| L1 λ | 0.0001 → 0.310 (20 ep), **0.0003 → 0.290**, 0.001 → 0.350 "
        "(20 ep) | `kerasreg.L1(0.0003)` |",
        # Early stopping's patience is never halved.
        "| EarlyStopping patience | 5 → 0.320, **10 → 0.300**, 20 → 0.310 | "
        "`EarlyStopping(patience=10)`, best weights |",
    ):
        assert "\n" + row + "\n" in text
    assert (
        "\n\nThe values were compared by successive halving (Hyperband's rule): "
        "all of a grid's values trained from a fresh start (seed 0) for a "
        "fraction of the 60 epochs, the best third of them by validation loss "
        "(the data loss without any penalty; a tie goes to the value tried "
        "first) went on for about three times as many, and so on until one "
        "trained the full 60: it is chosen. Each rung's losers stopped after 20 "
        "epochs; the table gives the loss each value reached and, in brackets, "
        "where it stopped. Early stopping's patience counts epochs, which a "
        "shortened run cannot show: its values all trained the full 60. The "
        "learning rate was chosen first, for the model without regularization, "
        "and kept for every configuration; each technique's strength then at "
        "that rate. The test split played no part. The comparison trains every "
        "configuration and seed the full 60 epochs from scratch.\n\n"
    ) in text
    assert _FULL_BUDGET not in text
    written = results_json(result)["choices"]
    assert written["learning_rate"]["tried"][0] == {
        "value": 0.01,
        "val_loss": 0.52,
        "epochs": 20,
    }
    assert [t["epochs"] for t in written["techniques"]["EarlyStopping"]["tried"]] == [
        60,
        60,
        60,
    ]


def test_without_halving_every_value_reads_as_trained_the_full_budget(tmp_path):
    _, text = _write(tmp_path, _result({"none": [0.9], "L1": [0.92]}))
    assert "\n\n" + _FULL_BUDGET in text
    assert " ep)" not in text and "successive halving" not in text


def _diverged(result):
    """`result` where the largest learning rate diverged."""
    rates = {0.01: 0.52, 0.03: 0.31, 0.1: math.inf}
    choices = dataclasses.replace(result.choices, learning_rates=rates)
    return dataclasses.replace(result, choices=choices)


def test_results_json_writes_nan_and_inf_as_null():
    result = _diverged(_result({"none": [0.9], "L2": [0.92]}))
    result.runs["L2"][0].val_loss = math.inf
    payload = results_json(result)
    json.dumps(payload, allow_nan=False)
    # One seed: no interval.
    test = payload["summaries"]["none"]["test_accuracy"]
    assert test["low"] is None and test["high"] is None
    assert payload["comparisons"]["L2"]["difference"]["low"] is None
    assert payload["comparisons"]["L2"]["verdict"] == "tie"
    assert payload["choices"]["learning_rate"]["tried"][2]["val_loss"] is None
    assert payload["runs"][1]["val_loss"] is None


def test_a_diverged_value_reads_diverged(tmp_path):
    result = _diverged(_result({"none": [0.9], "L2": [0.92]}))
    _, text = _write(tmp_path, result)
    assert "| learning rate | 0.01 → 0.520, **0.03 → 0.310**, 0.1 → diverged |" in (
        text
    )


def test_say_prints_the_table_the_reading_and_the_path():
    result = _result()
    stream = io.StringIO()
    say(stream, result, "out/report/report.md")
    lines = stream.getvalue().splitlines()
    table = format_table(result.summaries, result.comparisons).splitlines()
    reading = read_results(result)
    assert lines[: len(table)] == table
    assert len(lines) == len(table) + len(reading) + 3
    assert lines[-2:] == ["", "Report: out/report/report.md"]
    # The reading, without Markdown's marks.
    bullets = lines[len(table) + 1 : -2]
    assert [line.replace("- ", "", 1) for line in bullets] == [
        line.replace("**", "").replace("`", "") for line in reading
    ]
    assert "Better than without regularization" in stream.getvalue()
    assert not any("**" in line or "`" in line for line in lines)


def test_the_study_needs_matplotlib_only_to_draw():
    code = (
        "import sys\n"
        "sys.modules['matplotlib'] = None\n"
        "import kerasreg, kerasreg.experiments.run_study, kerasreg.experiments.report\n"
        "try:\n"
        "    import kerasreg.experiments.plots\n"
        "except ImportError:\n"
        "    print('drawing needs matplotlib')\n"
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout == "drawing needs matplotlib\n"


@pytest.mark.parametrize(
    "diverged", ["none", "L1", "all together"], ids=lambda name: name.replace(" ", "-")
)
def test_a_diverged_run_is_written_and_shown_as_diverged(tmp_path, diverged):
    tests = {"none": [0.90, 0.91], "L1": [0.91, 0.93], "Dropout": [0.92, 0.93]}
    tests["all together"] = [0.92, 0.94]
    points = path_points()
    points[0] = dataclasses.replace(
        points[0], measures={"val_accuracy": 0.1, "val_loss": math.inf}
    )
    result = _result(
        tests, paths={"L1": points}, run_options={diverged: {"diverged": True}}
    )
    folder, text = _write(tmp_path, result)
    assert {CURVES, PATHS, WEIGHTS, RESULTS} <= set(os.listdir(folder))
    assert f"| {diverged} (2 of 2 diverged) |" in text
    assert f"**Diverged** (validation loss not finite): {diverged} seed 0 and " in text
    written = json.loads((folder / RESULTS).read_text())
    flags = {(r["technique"], r["seed"]): r["diverged"] for r in written["runs"]}
    assert [key for key, flag in flags.items() if flag] == [
        (diverged, 0),
        (diverged, 1),
    ]
    assert written["paths"]["L1"][0]["val_loss"] is None
    stream = io.StringIO()
    say(stream, result, "report.md")
    assert f"{diverged} (2 of 2 diverged)" in stream.getvalue()


@pytest.mark.parametrize("saved", [True, False], ids=["model-saved", "model-missing"])
def test_the_paths_model_and_a_fresh_fit_at_its_lambda_side_by_side(tmp_path, saved):
    logs = tmp_path / "logs"
    logs.mkdir()
    if saved:
        (logs / "L1_path.keras").write_bytes(b"the model")
    result = _result(paths={"L1": path_points()})
    folder, text = _write(tmp_path, result, logs=str(logs))
    assert ((folder / "L1_path.keras").exists()) is saved
    assert "What a path is: one model trained at each λ from strong to weak" in text
    # The recommended point (1e-4: within a point of 93%) is in bold.
    assert "\n| **0.0001** | 92.5% | 0.280 | 20.0% |\n" in text
    model = (
        "[`L1_path.keras`](L1_path.keras)" if saved else "not found in the logs folder"
    )
    assert (
        "| λ = 0.0001 | validation accuracy | kernel weights exactly 0 | model |\n"
        "| --- | ---: | ---: | --- |\n"
        f"| on the path (warm-started) | 92.5% | 20.0% | {model} |\n"
        "| trained from scratch | 90.0% | 2.0% | test accuracy 92.0% |"
    ) in text
    assert (
        "Trained from scratch at that λ alone: 2.0% zeros, validation accuracy "
        "90.0%: what λ gives without the path's warm start." in text
    )
    written = json.loads((folder / RESULTS).read_text())["recommended"]["L1"]
    assert written["path"]["strength"] == 1e-4 and written["path"]["zero_share"] == 0.2
    assert written["fresh_fit"]["zero_fraction"] == 0.02
    assert written["model"] == "L1_path.keras"


@pytest.mark.parametrize(
    "losses, row",
    [
        ({0.01: 0.2034, 0.03: 0.2031, 0.1: 0.45}, "0.01 → 0.2034, **0.03 → 0.2031**"),
        (
            {0.01: 0.20301, 0.03: 0.20300, 0.1: math.inf},
            "0.01 → 0.20301, **0.03 → 0.20300**",
        ),
        ({0.01: 0.52, 0.03: 0.31, 0.1: 0.45}, "0.01 → 0.520, **0.03 → 0.310**"),
    ],
    ids=["four-decimals", "five-decimals", "three-suffice"],
)
def test_tuning_losses_show_the_digits_that_decide(tmp_path, losses, row):
    result = _result({"none": [0.9, 0.91], "L2": [0.92, 0.93]})
    choices = dataclasses.replace(
        result.choices, learning_rates=losses, learning_rate=0.03
    )
    _, text = _write(tmp_path, dataclasses.replace(result, choices=choices))
    assert f"| learning rate | {row}" in text


@pytest.mark.parametrize(
    "train, cell",
    [([1.0, 0.99, 1.0], "99.7 -1.4/+0.3"), ([0.9, 0.91, 0.92], "91.0 ± 2.5")],
    ids=["clipped-at-100", "inside"],
)
def test_accuracy_intervals_stay_within_100(tmp_path, train, cell):
    result = _result(
        {"none": [0.9, 0.91, 0.9], "L2": [0.92, 0.93, 0.94]},
        run_options={"none": {"train": 1.0}},
    )
    runs = [
        dataclasses.replace(r, train_accuracy=t)
        for r, t in zip(result.runs["none"], train, strict=True)
    ]
    from kerasreg.experiments.summary import summarize

    summaries = {**result.summaries, "none": summarize(runs)}
    result = dataclasses.replace(
        result, runs={**result.runs, "none": runs}, summaries=summaries
    )
    _, text = _write(tmp_path, result)
    assert f"| none | {cell} |" in text
    assert summaries["none"].train_accuracy.high <= 1.0


def test_too_few_seeds_are_said_in_the_terminal_and_the_report(tmp_path):
    result = _result({"none": [0.9, 0.91], "L2": [0.92, 0.93]})
    _, text = _write(tmp_path, result)
    stream = io.StringIO()
    say(stream, result, "report.md")
    assert "- **Too few seeds**: with 2, each interval" in text
    assert "- Too few seeds: with 2, each interval" in stream.getvalue()


@pytest.mark.parametrize(
    "accuracies, origin",
    [
        ((0.93, 0.92, 0.925, 0.93), "its first fit, from scratch"),
        ((0.40, 0.88, 0.925, 0.93), "warm-started"),
    ],
    ids=["first-point", "warm-started-point"],
)
def test_the_recommended_points_origin_is_said(tmp_path, accuracies, origin):
    points = [
        dataclasses.replace(p, measures={**p.measures, "val_accuracy": a})
        for p, a in zip(path_points(), accuracies, strict=True)
    ]
    _, text = _write(tmp_path, _result(paths={"L1": points}))
    assert f"| on the path ({origin}) |" in text


def _table_result(kept):
    """The result with the L1 path on a table of 5 unnamed columns; `kept`:
    each point's kept features (None: not counted)."""
    x = np.zeros((20, 5), "float32")
    table = dataclasses.replace(tiny_dataset(), x_train=x, x_val=x, x_test=x)
    points = [
        dataclasses.replace(point, features=features)
        for point, features in zip(path_points(), kept, strict=True)
    ]
    return dataclasses.replace(_result(paths={"L1": points}), dataset=table)


def test_a_table_s_report_lists_the_recommended_model_s_columns(tmp_path):
    result = _table_result([(1,), (1, 3), (0, 1, 3), (0, 1, 2, 3, 4)])
    folder, text = _write(tmp_path, result, logs=str(tmp_path / "logs"))
    assert "300 training examples of 5 features, 300 for validation" in text
    assert "\n| **0.0001** | 92.5% | 0.280 | 20.0% | 3 |\n" in text
    assert (
        "**L1** at the recommended λ = 0.0001 (validation accuracy 92.5%) keeps "
        "3 of 5 columns (0-based): `0`, `1`, `3`. Its model was not found in the "
        "logs folder."
    ) in text
    assert (folder / FEATURES).exists()
    written = json.loads((folder / RESULTS).read_text())
    assert written["recommended"]["L1"]["features"] == [0, 1, 3]
    assert written["paths"]["L1"][0]["features"] == [1]
    assert "and keeps 3 of its 5 input features (listed in the report)" in text


@pytest.mark.parametrize(
    "counted, why",
    [
        (False, "the model's first Dense layer does not take the features"),
        (True, "its paths finished under a kerasreg that did not count them"),
    ],
    ids=["model", "earlier-paths"],
)
def test_a_table_whose_features_were_not_counted_says_why(tmp_path, counted, why):
    result = _table_result([None] * 4)
    result.settings["features_counted"] = counted
    folder, text = _write(tmp_path, result)
    assert not (folder / FEATURES).exists()
    assert "## Features kept" not in text
    assert f"The input features each model keeps are not counted: {why}" in text
