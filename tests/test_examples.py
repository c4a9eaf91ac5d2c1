"""Every script in examples/ runs, in its shortened mode, so that none rots.

The scripts run in this process (through `runpy`, as `__main__`) with
KERASREG_EXAMPLE_QUICK=1, which cuts their training to a few epochs or steps;
a fresh interpreter per script would spend most of the time importing
TensorFlow.
"""

import importlib.util
import pathlib
import runpy

import pytest

# The demo and the examples feed Keras through tf.data.
pytestmark = pytest.mark.tensorflow_only

EXAMPLES = sorted((pathlib.Path(__file__).parent.parent / "examples").glob("*.py"))
# What each example must print: a sign that it got to its point.
EXPECTED = {
    "augmentation.py": "preview grid",
    "early_stopping_resume.py": "best model from",
    "feature_selection.py": "inputs kept:",
    "functional_regularizers.py": "input pixels switched off by GroupLasso",
    "multi_worker_training.py": "all 2 workers finished",
    "regularize_pretrained.py": "penalty after reload: ElasticNet",
    "sparsity_vs_lasso.py": "exact zeros: Lasso 5, Proximal 5, plain SGD 0",
    "study_tabular.py": "features kept at GroupLasso's recommended λ:",
    "study_your_model.py": "chosen learning rate: 0.03",
    "tune_lambda_keras_tuner.py": "test accuracy of the best model",
}
# Optional dependencies an example needs beyond kerasreg's test extras.
OPTIONAL = {
    "feature_selection.py": ("pandas",),
    "study_tabular.py": ("pandas",),
    "tune_lambda_keras_tuner.py": ("keras_tuner", "tensorboard"),
}


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES) == sorted(EXPECTED)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path, monkeypatch, tmp_path, capsys):
    for module in OPTIONAL.get(path.name, ()):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{path.name} needs the optional package {module}")
    monkeypatch.setenv("KERASREG_EXAMPLE_QUICK", "1")
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(path), run_name="__main__")
    assert EXPECTED[path.name] in capsys.readouterr().out
