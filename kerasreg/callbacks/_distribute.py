"""Which process writes files under `tf.distribute`: the chief, and only it.

This is TensorFlow's job (the strategy and its cluster), so it lives here, apart
from the callbacks. Every worker takes the same stop decisions, because they
depend only on the logs, which Keras aggregates across replicas and workers.
"""

import json
import os


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
