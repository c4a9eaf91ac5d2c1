"""A `MultiWorkerMirroredStrategy` that Keras' `model.fit` can train with.

TensorFlow only: `tf.distribute` is TensorFlow's, so this module is the one
place kerasreg works around it, and every function here raises a clear
`RuntimeError` under another Keras backend.

Why it exists. With Keras 3 (up to at least 3.15) and TensorFlow 2.21, a plain
`model.fit` under `tf.distribute.MultiWorkerMirroredStrategy` with two or more
workers fails at its first step with ``ValueError: Attempt to convert a value
(PerReplica:{...})``: Keras' TensorFlow trainer calls `strategy.reduce` on the
whole nested `(x, y)` batch (to build the model symbolically) and
`strategy.reduce("MEAN", metric, axis=0)` on scalar metrics, and the collective
strategy accepts neither a nested structure nor an axis on a scalar. The
strategy returned by `multi_worker_mirrored_strategy` reduces leaf by leaf and
drops the axis of scalars, which is what both callers mean: every worker gets
the mean over all replicas, so the logs, and so every callback's decisions,
are the same on every worker.

Nothing else in kerasreg relies on this: its layers and callbacks work with any
strategy. Once Keras reduces leaf by leaf itself, the override is never
exercised (`leafwise_reductions` stays at zero) and a plain strategy does the
same; `tests/distribute/test_multi_worker.py` reports that moment.
"""

import functools

import keras

_NOT_TENSORFLOW = (
    "kerasreg.distribute needs the TensorFlow backend (tf.distribute is "
    "TensorFlow's); the Keras backend is {backend!r}. Set KERAS_BACKEND="
    "tensorflow, or use {other}'s own distribution API "
    "(keras.distribution) instead."
)


def _require_tensorflow():
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise RuntimeError(_NOT_TENSORFLOW.format(backend=backend, other=backend))


@functools.cache
def _strategy_class():
    """The subclass, defined on first use so that importing needs no TF."""
    import tensorflow as tf

    def is_scalar(strategy, value):
        local = strategy.experimental_local_results(value)[0]
        return getattr(local, "shape", None) is not None and local.shape.rank == 0

    class LeafwiseReduceMultiWorkerMirroredStrategy(
        tf.distribute.MultiWorkerMirroredStrategy
    ):
        """`MultiWorkerMirroredStrategy` whose `reduce` maps over a structure.

        Each leaf is reduced on its own; a scalar leaf is reduced without an
        axis (an axis of a scalar does not exist; the reduction across the
        replicas is the same). `leafwise_reductions` counts the calls that a
        plain strategy would have rejected.
        """

        leafwise_reductions = 0

        def reduce(self, reduce_op, value, axis):
            nested = tf.nest.is_nested(value)
            if not nested and (axis is None or not is_scalar(self, value)):
                return super().reduce(reduce_op, value, axis)
            self.leafwise_reductions += 1

            def one(leaf):
                leaf_axis = None if is_scalar(self, leaf) else axis
                return super(LeafwiseReduceMultiWorkerMirroredStrategy, self).reduce(
                    reduce_op, leaf, leaf_axis
                )

            return tf.nest.map_structure(one, value)

    return LeafwiseReduceMultiWorkerMirroredStrategy


def multi_worker_mirrored_strategy(cluster_resolver=None, communication_options=None):
    """A `tf.distribute.MultiWorkerMirroredStrategy` that `model.fit` can use.

    Synchronous data-parallel training over several workers (processes,
    usually machines), each with its local devices; the cluster comes from the
    `TF_CONFIG` environment variable unless `cluster_resolver` is given. The
    strategy is a `tf.distribute.MultiWorkerMirroredStrategy` (so Keras treats
    it as one) whose `reduce` works leaf by leaf, working around Keras 3's
    TensorFlow trainer, which otherwise fails at the first step (see the
    module docstring). Create it at the start of the program, before any other
    TensorFlow op, on every worker. TensorFlow backend only.

    Args:
        cluster_resolver: a `tf.distribute.cluster_resolver.ClusterResolver`,
            or `None` to read `TF_CONFIG`. Defaults to `None`.
        communication_options: a `tf.distribute.experimental.
            CommunicationOptions`, or `None` for TensorFlow's default.
            Defaults to `None`.

    Returns:
        The strategy. Build and compile the model under `strategy.scope()`.

    Raises:
        RuntimeError: when the Keras backend is not TensorFlow.

    Example (not run as a doctest: the strategy must be created before any
    TensorFlow op runs in the process, and `TF_CONFIG` names the workers):

    >>> from kerasreg.distribute import multi_worker_mirrored_strategy
    >>> strategy = multi_worker_mirrored_strategy()  # doctest: +SKIP
    >>> with strategy.scope():  # doctest: +SKIP
    ...     model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    ...     model.compile(optimizer="sgd", loss="mse")
    >>> stop = kerasreg.EarlyStopping(
    ...     patience=3, best_model_path="best.keras", state_path="es.json")
    >>> model.fit(dataset, epochs=10, callbacks=[stop])  # doctest: +SKIP
    """
    _require_tensorflow()
    return _strategy_class()(
        cluster_resolver=cluster_resolver,
        communication_options=communication_options,
    )
