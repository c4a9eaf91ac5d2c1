"""MultiWorkerMirroredStrategy: two worker processes on 127.0.0.1.

The workers (`_worker_child.py`) are started by `_cluster.run_workers` with a
TF_CONFIG each, watched, and killed on the first failure or at the deadline.
"""

import json
import time

import numpy as np
import pytest

from tests.distribute import _cluster

pytestmark = pytest.mark.tensorflow_only

TIMEOUT = 240


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("multi_worker")
    command = _cluster.python("_worker_child.py", str(workdir), "train")
    outputs = _cluster.run_workers(command, str(workdir), timeout=TIMEOUT)
    reports = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
    weights = [np.load(workdir / f"weights{i}.npz") for i in range(2)]
    return reports, [[w[k] for k in w.files] for w in weights]


def test_both_workers_stop_at_the_same_epoch_with_identical_weights(trained):
    reports, weights = trained
    # min_delta=1.0 exceeds any possible gain: stop at epoch 1, best epoch 0.
    for report in reports:
        assert (report["stopped_epoch"], report["best_epoch"]) == (1, 0)
        assert report["epochs_run"] == 2
    for a, b in zip(*weights, strict=True):
        np.testing.assert_array_equal(a, b)


def test_only_the_chief_writes_files(trained):
    reports, _ = trained
    chief, other = reports
    assert chief["files"][:2] == ["best.keras", "early_stopping.json"]
    assert chief["best_model_equals_restored"]
    assert other["files"] == []


def test_the_keras_workaround_is_still_needed(trained):
    """Fails loudly if Keras changes how it reduces; quiet once it is fixed.

    Keras 3.15's TensorFlow trainer hands `strategy.reduce` the nested (x, y)
    batch and scalar metrics with axis=0, which a plain MultiWorkerMirrored-
    Strategy rejects (`ValueError: Attempt to convert a value (PerReplica...`).
    The training above would have failed if Keras reduced in some third way
    the helper does not handle. When Keras reduces leaf by leaf itself, the
    helper's override is never used: this test then skips, saying so.
    """
    reports, _ = trained
    counts = {report["leafwise_reductions"] for report in reports}
    if counts == {0}:
        pytest.skip(
            "Keras no longer hands strategy.reduce nested values or scalars with "
            "an axis: kerasreg.distribute.multi_worker_mirrored_strategy is no "
            "longer needed and a plain MultiWorkerMirroredStrategy works."
        )
    assert len(counts) == 1 and counts.pop() > 0


def test_a_killed_worker_fails_the_run_quickly(tmp_path):
    command = _cluster.python("_worker_child.py", str(tmp_path), "die")
    start = time.monotonic()
    with pytest.raises(_cluster.WorkerFailed, match=r"worker 1 exited with code -9"):
        _cluster.run_workers(command, str(tmp_path), timeout=TIMEOUT)
    # Caught when worker 1 died, not at the deadline.
    assert time.monotonic() - start < TIMEOUT - 30


def test_workers_whose_logs_differ_take_the_chiefs_decision(tmp_path):
    """Without one agreed decision worker 1 trains on alone, and the chief's
    next collective never completes (a gRPC "Socket closed" in a real job)."""
    command = _cluster.python("_differing_logs_child.py", str(tmp_path))
    outputs = _cluster.run_workers(command, str(tmp_path), timeout=TIMEOUT)
    reports = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
    # The chief's values: best 0.5 at epoch 1, then 0.75, 0.875 -> stop at 3.
    expected = {
        "epochs_run": 4,
        "stopped_epoch": 3,
        "best_epoch": 1,
        "best": 0.5,
        "restored_best": True,
    }
    assert reports == [expected, expected]
    weights = [np.load(tmp_path / f"weights{i}.npz") for i in range(2)]
    for name in weights[0].files:
        np.testing.assert_array_equal(weights[0][name], weights[1][name])
