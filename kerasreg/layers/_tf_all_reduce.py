"""Sums across the replicas of a `tf.distribute` strategy (synchronized BN)."""

import tensorflow as tf


def all_reduce_sum(values):
    """Sum each tensor in `values` over all replicas in sync.

    Outside a strategy, or with a single replica, the values come back as
    they are.
    """
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return values
    return context.all_reduce(tf.distribute.ReduceOp.SUM, values)
