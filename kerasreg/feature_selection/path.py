"""The feature path: which inputs a model keeps as the penalty changes.

`lasso_path` for a neural network: the input-group penalty's strength λ runs
over a grid, each fit warm-started from the previous one
(`kerasreg.experiments.regularization_path.warm_started_path`). At each λ
the path records the inputs kept (exact zeros under `Proximal`), the user's
measures (e.g. validation accuracy) and the trained model; across the path,
the order in which the inputs enter as λ weakens.

Strong to weak is `lasso_path`'s order, and right where inputs act alone.
Weak to strong is LassoNet's (Lemhadri et al., JMLR 2021): a dense model
first, then inputs leave. An input that acts only through a product or a
square has a zero gradient while its row is zero, so it can never enter a
model that starts without it; the weak-to-strong order keeps it instead.
"""

import dataclasses

import keras
import numpy as np

from kerasreg._validation import check_int, invalid
from kerasreg.experiments.regularization_path import (
    check_strengths,
    checked_measures,
    warm_started_path,
)
from kerasreg.feature_selection.inputs import check_feature_names, input_norms
from kerasreg.feature_selection.select_features import SelectFeatures

# The measure every point of a feature path adds to the user's.
N_FEATURES = "n_features"


@dataclasses.dataclass
class FeaturePoint:
    """One strength on a feature path.

    Args:
        strength: float, the input-group penalty's λ.
        measures: dict of str to float, what `measure` returned, plus
            `"n_features"`, the number of inputs kept.
        indices: list of int, the inputs kept (rows of the first Dense kernel
            not all 0.0), in column order.
        norms: numpy vector, each input's row norm ‖W[j, :]‖₂.
        model: the `keras.Model` trained at this strength.

    Example:

    >>> point = FeaturePoint(0.1, {"n_features": 1.0}, [2],
    ...     np.array([0.0, 0.0, 0.5]), model=None)
    >>> point.indices
    [2]
    """

    strength: float
    measures: dict
    indices: list
    norms: np.ndarray = dataclasses.field(repr=False)
    model: keras.Model = dataclasses.field(repr=False)


class FeaturePath:
    """The points of a feature path, in the order trained, and what they tell.

    Returned by `feature_path`.

    Args:
        points: list of `FeaturePoint`, in the order they were trained.
        feature_names: optional list of the inputs' names. Defaults to
            `None` (features are named by their column index).

    Example:

    >>> norms = [np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.0, 0.5]),
    ...     np.array([0.2, 0.0, 0.9])]
    >>> points = [FeaturePoint(s, {}, [int(j) for j in np.flatnonzero(n)], n, None)
    ...     for s, n in zip([1.0, 0.1, 0.01], norms)]
    >>> path = FeaturePath(points, feature_names=["age", "bmi", "bp"])
    >>> path.entry_order
    ['bp', 'age']
    >>> path.n_features
    [0, 1, 2]
    """

    def __init__(self, points, feature_names=None):
        self.points = list(points)
        self.feature_names = feature_names

    def _name(self, index):
        return index if self.feature_names is None else self.feature_names[index]

    def features(self, point):
        """The inputs kept at `point` (a `FeaturePoint` or its position)."""
        if isinstance(point, (int, np.integer)):
            point = self.points[point]
        return [self._name(j) for j in point.indices]

    @property
    def strengths(self):
        """The path's λ, in the order trained."""
        return [point.strength for point in self.points]

    @property
    def n_features(self):
        """The number of inputs kept at each λ."""
        return [len(point.indices) for point in self.points]

    @property
    def entry_order(self):
        """The inputs in the order they enter as λ weakens (as `lasso_path`).

        An input enters at the first λ that keeps it; inputs entering at the
        same λ come strongest (largest row norm) first. Inputs never kept are
        left out.
        """
        order, seen = [], set()
        for point in self._strong_to_weak():
            new = [j for j in point.indices if j not in seen]
            new.sort(key=lambda j: -point.norms[j])
            order += new
            seen.update(new)
        return [self._name(j) for j in order]

    def point_for(self, k, best=None):
        """The point at which `selector(k, best)` ranks the inputs.

        Without `best`: the strongest λ's point that keeps at least `k`
        inputs. With `best`, the name of a measure where higher is better
        (e.g. `"val_accuracy"`): among the points that keep at least `k`
        inputs, the one where it is highest (the strongest λ on ties).

        Args:
            k: int >= 1, the number of inputs to keep.
            best: optional name of a measure where higher is better.
                Defaults to `None`.

        Returns:
            A `FeaturePoint`.
        """
        k = check_int("k", k, low=1)
        candidates = [p for p in self._strong_to_weak() if len(p.indices) >= k]
        if not candidates:
            most = max(self.n_features, default=0)
            expected = f"an int in [1, {most}] (the most inputs a point keeps)"
            raise invalid("k", k, expected)
        if best is None:
            return candidates[0]
        names = sorted(set.intersection(*(set(p.measures) for p in self.points)))
        if best not in names:
            raise invalid("best", best, f"None or a measure of every point: {names}")
        return max(candidates, key=lambda point: point.measures[best])

    def selector(self, k, best=None):
        """A `SelectFeatures` that keeps exactly `k` inputs.

        The `k` inputs of largest row norm ‖W[j, :]‖₂ at one point of the
        path (`point_for(k, best)`), so no extra fit lands on exactly `k`
        (two inputs entering together could never be split by λ alone).
        By default that point is the strongest λ that keeps at least `k`:
        the inputs that survive the most shrinkage. With `best`, it is the
        point that measures best, e.g. on validation data: where `k` is far
        below what such a point keeps, the `k` largest norms of a model that
        fits well there can be a better set than the survivors of a strong λ,
        where the shrunken model fits poorly. On 5,000 MNIST digits, `k` = 50
        pixels ranked at the λ of best validation accuracy (90.6%, 546 pixels
        kept) gave a downstream MLP 86.5% test accuracy; the strongest λ that
        kept 50 (56 kept, 30.6% validation accuracy) gave 79.2%
        (`benchmarks/bench_feature_selection.py`).

        Args:
            k: int >= 1, the number of inputs to keep.
            best: optional name of a measure (from `feature_path`'s
                `measure`) where higher is better. Defaults to `None` (the
                strongest λ that keeps at least `k`).

        Returns:
            A `SelectFeatures`.
        """
        return SelectFeatures.from_model(
            self.point_for(k, best).model, feature_names=self.feature_names, k=k
        )

    def _strong_to_weak(self):
        return sorted(self.points, key=lambda point: -point.strength)

    def to_json(self):
        """One flat JSON-ready dict per point: strength, measures, features kept."""
        return [
            {
                "strength": point.strength,
                **dict(sorted(point.measures.items())),
                "features": self.features(point),
            }
            for point in self.points
        ]


def feature_path(
    build, strengths, train, measure=None, feature_names=None, stop_at=None
):
    """Trains a warm-started path of input-selecting models over a grid of λ.

    Each model minimizes `loss + λ · Σ_j ‖W[j, :]‖₂`, the input-group penalty
    on its first Dense kernel W (`GroupLasso(λ, axis=0)`, see
    `penalize_inputs`), trained with `kerasreg.optimizers.Proximal` so that a
    dropped input's row is exactly 0.0. Each fit starts from the previous
    solution. Strengths run either way:

    - strong to weak (`lasso_path`'s order): start at a λ that keeps no (or
      few) inputs; inputs enter as λ weakens. Right for inputs that act on
      their own (a linear model, pixels). A ReLU first layer whose kernel is
      all zero passes no gradient back when its biases are <= 0, so no input
      could enter: use a smooth activation there (`"tanh"`, `"elu"`).
    - weak to strong (LassoNet's order): start near a dense model; inputs
      leave as λ grows. Needed where inputs act only through products or
      squares: their gradient is zero while their row is zero.

    Args:
        build: callable `strength -> keras.Model`: a fresh, built, compiled
            model whose first Dense layer carries `GroupLasso(strength,
            axis=0)` (or `penalize_inputs(model, strength)`), with a
            `Proximal` optimizer. Every model has the same weight shapes.
        strengths: sequence of floats > 0, strictly decreasing or strictly
            increasing.
        train: callable `model -> None` that fits the model.
        measure: optional callable `model -> dict` of name to float (e.g. the
            validation accuracy). Defaults to `None` (only the number of
            inputs kept).
        feature_names: optional sequence of the inputs' names (e.g. a pandas
            DataFrame's `columns`). Defaults to `None` (indices).
        stop_at: optional int k; the path stops at its first point past k
            inputs: keeping at least k on a strong-to-weak path, at most k on
            a weak-to-strong one (`selector(k)` then has the point it needs
            where the path reached more than k before). Defaults to `None`
            (every λ).

    Returns:
        A `FeaturePath`.

    Example:

    >>> x = np.random.default_rng(0).normal(size=(128, 4)).astype("float32")
    >>> y = x @ np.array([[2.0], [0.0], [0.5], [0.0]], "float32")
    >>> def build(strength):
    ...     model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(
    ...         1, kernel_regularizer=kerasreg.GroupLasso(strength, axis=0))])
    ...     model.compile(kerasreg.optimizers.Proximal(
    ...         keras.optimizers.SGD(0.1)), "mse")
    ...     model.optimizer.build(model.trainable_variables)
    ...     return model
    >>> path = feature_path(build, [8.0, 2.0, 0.5],
    ...     train=lambda m: m.fit(x, y, batch_size=128, epochs=50, verbose=0),
    ...     feature_names=["a", "b", "c", "d"])
    >>> path.n_features, path.entry_order
    ([0, 1, 2], ['a', 'c'])
    """
    if measure is None:
        measure = _no_measures
    elif not callable(measure):
        raise invalid("measure", measure, "a callable", error=TypeError)
    if stop_at is not None:
        stop_at = check_int("stop_at", stop_at, low=1)
    if feature_names is not None and hasattr(feature_names, "__len__"):
        # Types and duplicates now; the count once the first model is built.
        check_feature_names(feature_names, len(feature_names))
    found = []

    def measure_and_select(model):
        norms = input_norms(model)
        if not found:
            found.append(check_feature_names(feature_names, len(norms)))
        indices = [int(j) for j in np.flatnonzero(norms > 0)]
        found.append((indices, norms, model))
        return {**checked_measures(measure, model), N_FEATURES: float(len(indices))}

    strengths = check_strengths(strengths, either_way=True)
    weakening = strengths[0] > strengths[-1]

    def past_k(point):
        if stop_at is None:
            return False
        kept = point.measures[N_FEATURES]
        return kept >= stop_at if weakening else kept <= stop_at

    # warm_started_path walks strictly decreasing strengths: it walks the
    # positions n, ..., 1 here, and `build` maps each back to its strength, so
    # that a path may also run from weak to strong.
    position = {len(strengths) - i: s for i, s in enumerate(strengths)}
    trained = warm_started_path(
        lambda p: build(position[p]),
        list(position),
        train,
        measure_and_select,
        past_k,
    )
    points = [
        FeaturePoint(position[p.strength], p.measures, indices, norms, model)
        for p, (indices, norms, model) in zip(trained, found[1:], strict=True)
    ]
    return FeaturePath(points, feature_names=found[0])


def _no_measures(model):
    return {}
