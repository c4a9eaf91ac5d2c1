"""MirroredStrategy over two logical CPUs, with every kerasreg component.

Logical devices must be set before TensorFlow initializes, so the work runs in
a fresh process (`_mirrored_child.py`), bounded in time, and reports back.
"""

import json
import os
import subprocess

import pytest

from tests.distribute._cluster import ROOT, python

pytestmark = pytest.mark.tensorflow_only


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("mirrored")
    env = {"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}
    result = subprocess.run(
        python("_mirrored_child.py", str(workdir)),
        capture_output=True,
        text=True,
        timeout=240,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_two_replicas(report):
    assert report["replicas"] == 2


def test_synchronized_batch_norm_uses_the_global_batch(report):
    # Each replica holds half of a batch whose halves differ in mean (0 vs 3):
    # per-replica statistics would be off by about 1.5, global ones by rounding.
    stats = report["batch_norm"]
    assert stats["mean"] < 1e-5 and stats["variance"] < 1e-5
    assert stats["keras_mean"] < 1e-5  # Keras' BN on the whole batch, one device
    assert stats["outputs"] < 1e-5


def test_training_matches_a_single_device(report):
    # Without random layers, full-batch SGD with synchronized BN, penalties in
    # Proximal and loss scaled by 1/replicas is the same mathematics on one
    # device: the weights agree to float32 rounding after five steps.
    assert report["single_device"]["max_weight_gap"] < 1e-5


def test_every_component_trains_and_keeps_the_best_model(report):
    info = report["every_component"]
    # min_delta=1.0 exceeds any possible gain: stop at epoch 1, best epoch 0.
    assert (info["stopped_epoch"], info["best_epoch"], info["epochs_run"]) == (1, 0, 2)
    assert info["finite"]
    assert info["best_model_equals_restored"]
    assert {"best.keras", "early_stopping.json"} <= set(info["files"])
