"""Training runs: reproducible per seed, early stopping recorded, progress lines."""

import io

import numpy as np
import pytest

from kerasreg.demo import study
from kerasreg.demo.data import load_dataset
from kerasreg.demo.progress import Progress
from kerasreg.demo.techniques import TECHNIQUES, Technique

# The demo and the examples feed Keras through tf.data.
pytestmark = pytest.mark.tensorflow_only


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


def test_same_seed_same_run(digits):
    first, again = (study.train_once(TECHNIQUES[0], digits, 2, seed=0) for _ in "ab")
    assert first.history == again.history
    assert first.test_accuracy == again.test_accuracy
    np.testing.assert_array_equal(first.first_kernel, again.first_kernel)


def test_early_stopping_run_records_its_epochs(digits):
    # Patience 10 never runs out in 3 epochs: no stop, the best epoch kept.
    technique = next(t for t in TECHNIQUES if t.name == "EarlyStopping")
    run = study.train_once(technique, digits, 3, seed=0)
    assert run.epochs_run == 3
    assert run.stopped_epoch is None
    assert run.best_epoch == 1 + int(np.argmin(run.history["val_loss"]))
    assert set(run.to_json()) >= {"gap", "best_epoch", "history", "wall_time"}
    assert "first_kernel" not in run.to_json()


def test_progress_prints_one_line_per_technique(digits):
    stream = io.StringIO()
    techniques = [Technique("none", "no regularization")]
    results = study.run_study(digits, 1, 2, techniques, progress=Progress(stream))
    assert [r.seed for r in results["none"]] == [0, 1]
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("[1/1] none          test accuracy ")
    assert lines[0].endswith(" s)") and "(2 seeds, " in lines[0]
