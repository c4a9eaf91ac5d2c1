"""Where an optimizer's extra per-variable work goes under `tf.distribute`.

Keras' TensorFlow optimizer sums the replicas' gradients and then updates each
variable once, in the strategy's cross-replica context. Work added around the
wrapped optimizer's `apply` must follow the same rules: a gradient term added
per replica is summed over the replicas, and a variable is assigned through
`strategy.extended.update`. Without a strategy, and on other backends, both are
the plain operations.
"""

import keras
from keras import ops


def _replica_context_strategy():
    """The strategy whose replica context this code runs in, or None."""
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    if not tf.distribute.has_strategy() or tf.distribute.in_cross_replica_context():
        return None
    return tf.distribute.get_strategy()


def replica_share():
    """The share of a gradient term that each replica adds: 1 / replicas."""
    strategy = _replica_context_strategy()
    return 1.0 if strategy is None else 1.0 / strategy.num_replicas_in_sync


def assign_each(updates, *args):
    """`variable.assign(fn(value, *args))` for each `(variable, fn)`, once each."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if tf.distribute.has_strategy():

            def update(strategy, *args):
                for variable, fn in updates:
                    strategy.extended.update(
                        variable.value,
                        lambda v, *a, fn=fn: v.assign(fn(ops.convert_to_tensor(v), *a)),
                        args=args,
                        group=False,
                    )

            if tf.distribute.in_cross_replica_context():
                update(tf.distribute.get_strategy(), *args)
            else:
                tf.distribute.get_replica_context().merge_call(update, args=args)
            return
    for variable, fn in updates:
        variable.assign(fn(ops.convert_to_tensor(variable), *args))
