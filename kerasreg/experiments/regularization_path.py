"""The regularization path: one model per strength, strong to weak, warm-started.

An L1-type penalty's strength trades accuracy for sparsity, and one strength
shows one point of that trade. The path shows all of it: fit at the strongest
penalty, then at each weaker one starting from the previous solution, as
glmnet and scikit-learn's `lasso_path` do. Warm starts make the later fits
short (the solution moves little between neighbouring strengths), and with
`kerasreg.optimizers.Proximal` the zeros are exact, so the share of zero
weights at each strength is a count, not a threshold.

Plain Python around the user's own `build`, `train` and `measure`: which
penalty, optimizer, data and metrics is theirs to choose.
"""

import itertools
import math
import numbers
from collections.abc import Mapping

import keras
import numpy as np

from kerasreg._validation import invalid
from kerasreg.experiments.records import PathPoint


def zero_share(model):
    """The share of exactly-zero entries among a model's kernel weights.

    Kernels are the weights whose path ends with "kernel" (Dense, Conv and
    their depthwise kernels): the weights an L1-type `kernel_regularizer`
    makes sparse. Biases, embeddings and normalization weights are left out.

    Args:
        model: a built `keras.Model` with at least one kernel.

    Returns:
        A float in [0, 1].

    Example:

    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)])
    >>> model.set_weights([np.array([[0.0, 1.0], [0.0, 2.0]]), np.zeros(2)])
    >>> zero_share(model)  # the zero bias does not count
    0.5
    """
    if not isinstance(model, keras.Layer):
        raise invalid("model", model, "a keras.Model", error=TypeError)
    kernels = [
        keras.ops.convert_to_numpy(weight)
        for weight in model.weights
        if weight.path.endswith("kernel")
    ]
    if not kernels:
        raise invalid("model", model, "a built keras.Model with kernel weights")
    zeros = sum(int(np.count_nonzero(kernel == 0)) for kernel in kernels)
    return zeros / sum(kernel.size for kernel in kernels)


def check_strengths(strengths, either_way=False):
    """`strengths` as a list of floats, or the message-form error: finite,
    > 0 and strictly decreasing (strong to weak); with `either_way`, strictly
    increasing too (weak to strong)."""
    order = "strictly monotone" if either_way else "strictly decreasing"
    expected = f"a non-empty sequence of finite floats > 0, {order}"
    try:
        values = [float(s) for s in strengths]
    except (TypeError, ValueError):
        raise invalid("strengths", strengths, expected, error=TypeError) from None
    pairs = list(itertools.pairwise(values))
    ordered = all(a > b for a, b in pairs) or (
        either_way and all(a < b for a, b in pairs)
    )
    valid = all(math.isfinite(v) and v > 0 for v in values)
    if not values or not ordered or not valid:
        raise invalid("strengths", strengths, expected)
    return values


def _check_callable(argument, value):
    if not callable(value):
        raise invalid(argument, value, "a callable", error=TypeError)


def checked_measures(measure, model):
    """`measure(model)` as a dict of str to float, or the message-form
    TypeError naming `measure`."""
    measures = measure(model)
    if not isinstance(measures, Mapping) or not all(
        isinstance(v, numbers.Real) for v in measures.values()
    ):
        raise invalid(
            "measure",
            measure,
            f"a callable returning a dict of floats; it returned {measures!r}",
            error=TypeError,
        )
    return {str(name): float(value) for name, value in measures.items()}


def warm_started_path(build, strengths, train, measure, stop=None):
    """Trains one model per strength, each starting from the previous one.

    For each strength s in `strengths` (strong to weak): `model = build(s)`;
    from the second strength on, `model.set_weights(previous.get_weights())`;
    `train(model)`; then `measure(model)` and the zero share of its kernels
    are recorded. The weights carry over, the optimizer state does not: each
    `build` returns a freshly compiled model.

    Args:
        build: callable `strength -> keras.Model`, a fresh, built, compiled
            model with that penalty strength (e.g. `kerasreg.L1(strength)` as
            its kernel regularizer and a `kerasreg.optimizers.Proximal`
            optimizer, for exact zeros). Every model has the same weight
            shapes.
        strengths: sequence of floats > 0, strictly decreasing.
        train: callable `model -> None` that fits the model.
        measure: callable `model -> dict` of metric name to float, e.g. the
            validation accuracy.
        stop: optional callable `PathPoint -> bool`; the path ends after the
            first point for which it returns True (e.g. once enough inputs
            are kept), leaving the weaker strengths untrained. Defaults to
            `None` (every strength).

    Returns:
        A list of `PathPoint`, one per strength, in the order of `strengths`.

    Example:

    >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    >>> y = x @ np.array([[2.0], [-1.0], [0.25], [0.0]], "float32")
    >>> def build(strength):
    ...     model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(
    ...         1, kernel_regularizer=kerasreg.L1(strength))])
    ...     model.compile(kerasreg.optimizers.Proximal(
    ...         keras.optimizers.SGD(0.1)), "mse")
    ...     model.optimizer.build(model.trainable_variables)
    ...     return model
    >>> path = warm_started_path(
    ...     build, [10.0, 1.0],
    ...     train=lambda m: m.fit(x, y, batch_size=64, epochs=20, verbose=0),
    ...     measure=lambda m: {"loss": m.evaluate(x, y, verbose=0)})
    >>> [p.zero_share for p in path]  # the weakest two of four weights are 0
    [1.0, 0.5]
    """
    for argument, value in (("build", build), ("train", train), ("measure", measure)):
        _check_callable(argument, value)
    if stop is not None:
        _check_callable("stop", stop)
    strengths = check_strengths(strengths)
    points, weights = [], None
    for strength in strengths:
        model = build(strength)
        if not isinstance(model, keras.Model) or not model.built:
            raise invalid(
                "build",
                build,
                f"a callable returning a built keras.Model; it returned {model!r}",
                error=TypeError,
            )
        if weights is not None:
            model.set_weights(weights)
        train(model)
        points.append(
            PathPoint(strength, checked_measures(measure, model), zero_share(model))
        )
        if stop is not None and stop(points[-1]):
            break
        weights = model.get_weights()
    return points
