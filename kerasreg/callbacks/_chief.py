"""Callbacks under `tf.distribute`: which process writes files, and one decision.

This is TensorFlow's job (the strategy and its cluster), so it lives here, apart
from the callbacks. Only the chief writes files. Keras aggregates the logs
across replicas and workers, but a worker-local metric, or a callback that edits
`logs` on one worker, can still make the workers' logs differ; a worker that
stopped alone would leave the others waiting on a collective until the job
dies. So under `MultiWorkerMirroredStrategy` the chief decides: every epoch,
one small collective hands the chief's monitored values to every worker, which
then take the chief's decisions (stop, best epoch, restored weights) exactly.
"""

import json
import os
import sys

import numpy as np


def _task_from_tf_config():
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = config.get("task") or {}
    return task.get("type"), task.get("index", 0), "chief" in config.get("cluster", {})


def _task(strategy):
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or resolver.task_type is None:
        return _task_from_tf_config()
    cluster = resolver.cluster_spec().as_dict()
    return resolver.task_type, resolver.task_id or 0, "chief" in cluster


def is_chief(model):
    """Whether this process is the chief of `model`'s distribution strategy.

    A single process is the chief. In a cluster the chief is the task of type
    "chief", or worker 0 when the cluster has no "chief" task; evaluators and
    parameter servers never are.
    """
    task_type, task_id, has_chief = _task(getattr(model, "distribute_strategy", None))
    if task_type is None:
        return True
    if task_type == "chief":
        return True
    return task_type == "worker" and not has_chief and task_id == 0


def _multi_worker_strategy(model):
    """`model`'s MultiWorkerMirroredStrategy, or `None` for any other."""
    # Without TensorFlow imported, no strategy can be TensorFlow's.
    tf = sys.modules.get("tensorflow")
    strategy = getattr(model, "distribute_strategy", None)
    if tf is None or not isinstance(
        strategy, tf.distribute.MultiWorkerMirroredStrategy
    ):
        return None
    return strategy


def chief_values(model, values):
    """The chief's `values` (floats or `None`), on every worker.

    Outside a MultiWorkerMirroredStrategy, `values` as they are. Inside one,
    every worker must call this at the same point (it is a collective): each
    worker adds a vector of (present, value) pairs, all zeros but the chief's,
    so the sum is the chief's exactly, NaN and infinities included.
    """
    strategy = _multi_worker_strategy(model)
    if strategy is None:
        return values
    import tensorflow as tf

    pairs = [(0.0, 0.0) if v is None else (1.0, float(v)) for v in values]
    mine = np.array(pairs if is_chief(model) else np.zeros_like(pairs), "float64")
    local = iter([mine])

    def contribution(context):
        # One replica per worker adds its vector; the others add zeros.
        return tf.constant(next(local, np.zeros_like(mine)))

    total = strategy.reduce(
        tf.distribute.ReduceOp.SUM,
        strategy.experimental_distribute_values_from_function(contribution),
        axis=None,
    )
    return [
        float(value) if present else None
        for present, value in np.asarray(total).reshape(-1, 2)
    ]
