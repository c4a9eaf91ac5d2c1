"""tf.distribute: one decision for every replica, files from the chief only."""

import json
import os
import subprocess
import sys
import textwrap
import types

import pytest
import tensorflow as tf

from kerasreg.callbacks import BackupAndRestore, EarlyStopping
from kerasreg.callbacks._chief import is_chief
from tests.callbacks._support import (
    ScriptedLogs,
    WeightsLog,
    assert_weights_equal,
    regression_data,
    tiny_model,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _model_with_task(task_type, task_id, cluster):
    resolver = tf.distribute.cluster_resolver.SimpleClusterResolver(
        tf.train.ClusterSpec(cluster), task_type=task_type, task_id=task_id
    )
    strategy = types.SimpleNamespace(cluster_resolver=resolver)
    return types.SimpleNamespace(distribute_strategy=strategy)


WORKERS = {"worker": ["w0:1", "w1:1"]}
WITH_CHIEF = {"chief": ["c:1"], "worker": ["w0:1"], "evaluator": ["e:1"]}


@pytest.mark.parametrize(
    "task_type,task_id,cluster,expected",
    [
        ("worker", 0, WORKERS, True),
        ("worker", 1, WORKERS, False),
        ("chief", 0, WITH_CHIEF, True),
        ("worker", 0, WITH_CHIEF, False),
        ("evaluator", 0, WITH_CHIEF, False),
    ],
    ids=["worker0", "worker1", "chief", "worker0_beside_chief", "evaluator"],
)
def test_chief_from_the_cluster_resolver(task_type, task_id, cluster, expected):
    assert is_chief(_model_with_task(task_type, task_id, cluster)) is expected


@pytest.mark.parametrize(
    "tf_config,expected",
    [
        (None, True),
        ({"cluster": WORKERS, "task": {"type": "worker", "index": 1}}, False),
        ({"cluster": WITH_CHIEF, "task": {"type": "chief", "index": 0}}, True),
    ],
    ids=["single_process", "worker1", "chief"],
)
def test_chief_from_tf_config(monkeypatch, tf_config, expected):
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", json.dumps(tf_config))
    assert is_chief(types.SimpleNamespace()) is expected


_MIRRORED_SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    import numpy as np
    from kerasreg.callbacks import BackupAndRestore, EarlyStopping
    from tests.callbacks._support import (
        ScriptedLogs, WeightsLog, regression_data, tiny_model)

    workdir = sys.argv[1]
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        model = tiny_model()
    x, y = regression_data()
    log = WeightsLog()
    stop = EarlyStopping(
        monitor="loss",
        patience=2,
        state_path=os.path.join(workdir, "es.json"),
        best_model_path=os.path.join(workdir, "best.weights.h5"),
    )
    values = [1.0, 0.75, 0.875, 0.5, 0.625, 0.625, 0.75, 0.875]
    model.fit(x, y, epochs=8, batch_size=16, shuffle=False, verbose=0,
              callbacks=[ScriptedLogs(values, "loss"), log, stop,
                         BackupAndRestore(os.path.join(workdir, "backup"))])
    # Every replica's copy of every weight holds the best epoch's value.
    replicas = [
        all(np.array_equal(part.numpy(), expected) for part in v.value.values)
        for v, expected in zip(model.weights, log.weights[3])
    ]
    print(json.dumps({
        "epochs": [stop.stopped_epoch, stop.best_epoch],
        "replicas": len(model.weights[0].value.values),
        "all_best": all(replicas),
        "files": sorted(os.listdir(workdir)),
    }))
    """
)


@pytest.mark.tensorflow_only
def test_mirrored_strategy_restores_every_replica(tmp_path):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONPATH=ROOT)
    result = subprocess.run(
        [sys.executable, "-c", _MIRRORED_SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    info = json.loads(result.stdout.strip().splitlines()[-1])
    files = info.pop("files")
    assert info == {"epochs": [5, 3], "replicas": 2, "all_best": True}
    assert files[:2] == ["best.weights.h5", "es.json"]
    assert len(files) == 3 and files[2].startswith("es.json.best-3-")


def test_a_non_chief_worker_decides_alike_and_writes_nothing(tmp_path, monkeypatch):
    worker1 = {"cluster": WORKERS, "task": {"type": "worker", "index": 1}}
    monkeypatch.setenv("TF_CONFIG", json.dumps(worker1))
    log = WeightsLog()
    stop = EarlyStopping(
        monitor="loss",
        patience=2,
        state_path=tmp_path / "es.json",
        best_model_path=tmp_path / "best.keras",
    )
    model = tiny_model()
    x, y = regression_data()
    backup = BackupAndRestore(str(tmp_path / "backup"), delete_checkpoint=False)
    values = [1.0, 0.75, 0.875, 0.5, 0.625, 0.625, 0.75]
    model.fit(
        x,
        y,
        epochs=7,
        batch_size=16,
        verbose=0,
        callbacks=[ScriptedLogs(values, "loss"), log, stop, backup],
    )
    assert (stop.stopped_epoch, stop.best_epoch) == (5, 3)
    assert_weights_equal([v.numpy() for v in model.weights], log.weights[3])
    assert os.listdir(tmp_path) == []
