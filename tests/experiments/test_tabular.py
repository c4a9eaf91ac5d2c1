"""A study on a table's rows: named columns, the features each path point
keeps, and the report's features at the recommended point."""

import inspect
import json
import re

import keras
import numpy as np
import pytest

from kerasreg.experiments import StudyError, engine, study
from kerasreg.experiments.arguments import StudyArguments
from kerasreg.experiments.data import as_dataset, load_dataset
from kerasreg.experiments.preflight import preflight
from kerasreg.experiments.report import FEATURES
from kerasreg.experiments.training import Trainer
from kerasreg.feature_selection import selected_features
from tests.experiments._models import digits_mlp

pd = pytest.importorskip("pandas")

# 12 columns, the label a linear function of the first three: a strong
# input-group penalty drops the others first.
_N, _D = 300, 12
COLUMNS = [f"col_{i}" for i in range(_D)]
PENALTY = "GroupLasso"
TABULAR = {
    "techniques": (PENALTY,),
    "seeds": 1,
    "epochs": 10,
    "grids": {PENALTY: (0.01, 0.1)},
    "learning_rates": (0.1,),
    "verbose": 0,
}


def _table(columns=COLUMNS):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(_N, _D)).astype("float32")
    y = (2 * x[:, 0] + x[:, 1] - x[:, 2] > 0).astype("int64")
    return pd.DataFrame(x, columns=columns), y


def tabular_mlp(switches):
    """Dense(16) on the 12 features with the penalty, ReLU, 2 logits."""
    inputs = keras.Input((_D,))
    x = keras.layers.Dense(16, kernel_regularizer=switches.kernel_regularizer)(inputs)
    x = switches.dropout(keras.layers.ReLU()(x))
    return keras.Model(inputs, keras.layers.Dense(2)(x))


def _study(out, data=None, **kwargs):
    return study(tabular_mlp, data or _table(), out=str(out), **{**TABULAR, **kwargs})


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    out = tmp_path_factory.mktemp("tabular") / "study"
    return out, _study(out)


def _kept_rows(model):
    # Independent of kerasreg: the first Dense kernel's rows not all 0.0.
    kernel = keras.ops.convert_to_numpy(model.layers[1].kernel)
    return tuple(int(i) for i in np.flatnonzero(np.any(kernel != 0.0, axis=1)))


def test_the_report_names_the_features_of_the_saved_model(finished):
    out, result = finished
    report = out / "report"
    text = (report / "report.md").read_text()
    match = re.search(
        rf"\*\*{PENALTY}\*\* at the recommended λ = \S+ \(validation accuracy "
        r"\S+\) keeps (\d+) of 12 features: (.*?)\. Its model, which uses these "
        rf"alone, is saved as \[`{PENALTY}_path.keras`\]",
        text,
    )
    assert match, text
    listed = re.findall(r"`([^`]+)`", match.group(2))
    model = keras.saving.load_model(report / f"{PENALTY}_path.keras")
    assert listed == selected_features(model, feature_names=COLUMNS)
    assert int(match.group(1)) == len(listed) == len(_kept_rows(model))
    # The strongest λ kept fewer features than there are: a choice was made.
    assert len(result.paths[PENALTY][0].features) < _D
    written = json.loads((report / "results.json").read_text())
    assert written["recommended"][PENALTY]["features"] == listed
    assert written["settings"]["loaded"]["feature_names"] == COLUMNS
    assert written["settings"]["features_counted"] is True
    assert f"![Validation accuracy against the input features kept]({FEATURES})" in text
    assert (report / FEATURES).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "180 training examples of 12 named features, 60 for validation" in text


def test_each_path_point_counts_the_rows_not_all_zero(tmp_path):
    data = as_dataset(_table())
    built = []

    def build_model(switches):
        built.append(tabular_mlp(switches))
        return built[-1]

    trainer = Trainer(
        build_model=build_model,
        data=data,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=lambda rate: keras.optimizers.SGD(rate, momentum=0.9),
        augmentation=None,
        batch_size=32,
        count_features=True,
    )
    values = {"learning_rate": 0.1, "epochs": 3, "seed": 0}
    points = trainer.run_path(PENALTY, (1.0, 0.3, 0.1), values)
    assert [p.features for p in points] == [_kept_rows(m) for m in built]
    # Some row is dropped, else the count shows nothing.
    assert len(points[0].features) < _D


def test_a_finished_tabular_study_trains_nothing_again(finished, monkeypatch):
    def run_trial(*args, **kwargs):
        raise AssertionError("a finished study ran a trial again")

    monkeypatch.setattr(engine.StudyTuner, "run_trial", run_trial)
    out, result = finished
    again = _study(out)
    assert again.paths == result.paths
    assert again.dataset.feature_names == tuple(COLUMNS)


def test_renamed_columns_are_another_study(finished):
    out, _ = finished
    renamed = _table(columns=[f"other_{i}" for i in range(_D)])
    message = f"The folder {str(out)!r} holds a study with other arguments or data"
    with pytest.raises(StudyError, match=re.escape(message)):
        _study(out, data=renamed)


def _arguments(**given):
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(study).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    return StudyArguments.checked(
        **{**defaults, "build_model": tabular_mlp, "data": None, **given}
    )


def _names(arguments):
    return tuple(t.name for t in arguments.techniques)


def test_augmentation_is_a_default_for_images_only():
    table, images = as_dataset(_table()), load_dataset("digits")
    defaults = ("L1", "L2", "ElasticNet", "Dropout", "BatchNorm", "EarlyStopping")
    assert _names(_arguments().for_examples(table)) == defaults
    assert _names(_arguments().for_examples(images)) == (*defaults, "Augmentation")
    # An augmentation of the user's own suits their examples.
    noise = _arguments(augmentation=lambda magnitude, seed: keras.layers.Identity())
    assert _names(noise.for_examples(table)) == (*defaults, "Augmentation")


@pytest.mark.parametrize(
    "given,message",
    [
        (
            {"techniques": ("L1", "Augmentation")},
            "Invalid value for argument `techniques`. Expected techniques without "
            "'Augmentation' for examples of 12 named features (the default "
            "augmentation rotates, scales and shifts images), or an "
            "`augmentation=` for them. Received: techniques=('L1', 'Augmentation')",
        ),
        (
            {"grids": {"Augmentation": (1.0,)}},
            "Invalid value for argument `grids`. Expected grids only for the "
            "techniques ('L1', 'L2', 'ElasticNet', 'Dropout', 'BatchNorm', "
            "'EarlyStopping') (no 'Augmentation' for examples of 12 named "
            "features: they are not images). Received: "
            "grids={'Augmentation': (1.0,)}",
        ),
        (
            {"combinations": (("Dropout", "Augmentation"),)},
            "Invalid value for argument `combinations`. Expected tuples of two or "
            "more distinct techniques among ('L1', 'L2', 'ElasticNet', 'Dropout', "
            "'BatchNorm', 'EarlyStopping'). Received: "
            "combinations=(('Dropout', 'Augmentation'),)",
        ),
    ],
    ids=["techniques", "grids", "combinations"],
)
def test_augmentation_asked_for_on_a_table_is_named(given, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        _arguments(**given).for_examples(as_dataset(_table()))


def test_a_table_s_augmentation_fails_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match=re.escape("Expected techniques without")):
        _study(tmp_path / "out", techniques=("L1", "Augmentation"), grids=None)
    assert not (tmp_path / "out").exists()


def per_value_mlp(switches):
    """Its first Dense layer acts on each value alone: one kernel row, not 12."""
    inputs = keras.Input((_D,))
    x = keras.layers.Reshape((_D, 1))(inputs)
    x = keras.layers.Dense(4, kernel_regularizer=switches.kernel_regularizer)(x)
    return keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(x)))


@pytest.mark.parametrize(
    "build_model, data, counted",
    [
        (tabular_mlp, _table, True),
        (per_value_mlp, _table, False),
        # Flatten then Dense has a row per pixel, but pixels are no features.
        (digits_mlp, lambda: "digits", False),
    ],
    ids=["table", "dense-per-value", "images"],
)
def test_features_are_counted_where_the_first_dense_takes_them(
    build_model, data, counted
):
    arguments = _arguments(build_model=build_model, techniques=(PENALTY,))
    trainer = Trainer(
        build_model=build_model,
        data=as_dataset(data()),
        loss=arguments.compiled_loss(),
        optimizer=arguments.optimizer_factory(),
        augmentation=None,
        batch_size=32,
    )
    checked, _ = preflight(arguments, trainer, arguments.plan())
    assert checked.count_features is counted
