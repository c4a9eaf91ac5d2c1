"""SelectFeatures: the selected columns of new data, as a layer or a transformer."""

import keras
import numpy as np
from keras import ops

from kerasreg._validation import check_int, invalid
from kerasreg.feature_selection.inputs import (
    check_feature_names,
    input_norms,
)


def _check_indices(indices, n_features):
    expected = f"a non-empty sequence of distinct ints in [0, {n_features - 1}]"
    try:
        values = [int(i) for i in indices]
    except (TypeError, ValueError):
        raise invalid("indices", indices, expected, error=TypeError) from None
    if any(isinstance(i, bool) or int(i) != i for i in indices):
        raise invalid("indices", indices, expected, error=TypeError)
    in_range = all(0 <= i < n_features for i in values)
    if not values or not in_range or len(set(values)) != len(values):
        raise invalid("indices", indices, expected)
    return values


@keras.saving.register_keras_serializable(package="kerasreg")
class SelectFeatures(keras.layers.Layer):
    """Keeps the selected columns: `y = x[..., indices]`.

    The end of feature selection: the inputs a model kept, applied to new
    data so that a smaller model, or any downstream model, trains on them.
    As a Keras layer it goes in front of a model (and is saved with it in a
    `.keras` file); as a scikit-learn-style transformer (`fit`, `transform`,
    `get_support`, `get_feature_names_out`, like `SelectFromModel` with a
    prefit estimator) it selects the columns of a numpy array or a pandas
    DataFrame, which keeps its column names.

    Build one from a trained model with `SelectFeatures.from_model`, or from
    a feature path with `FeaturePath.selector`.

    Args:
        indices: sequence of int, the kept columns, in the order they are
            kept.
        n_features: int, the number of columns of the input.
        feature_names: optional sequence of the `n_features` input names.
            Defaults to `None`.
        **kwargs: base layer arguments (`name`, `dtype`).

    Call arguments:
        inputs: a tensor of shape (..., n_features).

    Input shape:
        (..., n_features).

    Output shape:
        (..., len(indices)).

    Example:

    >>> select = SelectFeatures([2, 0], n_features=3,
    ...     feature_names=["age", "bmi", "bp"])
    >>> select.transform(np.array([[1.0, 2.0, 3.0]]))
    array([[3., 1.]])
    >>> select.get_feature_names_out()
    ['bp', 'age']
    """

    def __init__(self, indices, n_features, feature_names=None, **kwargs):
        super().__init__(**kwargs)
        self.n_features = check_int("n_features", n_features, low=1)
        # Tuples: Keras would wrap a list attribute in a tracked list.
        self.indices = tuple(_check_indices(indices, self.n_features))
        names = check_feature_names(feature_names, self.n_features)
        self.feature_names = None if names is None else tuple(names)

    @classmethod
    def from_model(cls, model, feature_names=None, k=None):
        """The inputs `model`'s first Dense kernel still uses (rows not all 0).

        Args:
            model: a built `keras.Model`, trained with the input-group penalty.
            feature_names: optional sequence of the inputs' names. Defaults
                to `None`.
            k: optional int, keep only the `k` inputs with the largest row
                norms ‖W[j, :]‖₂ (all of them non-zero), strongest first.
                Defaults to `None` (every selected input, in column order).

        Returns:
            A `SelectFeatures`.
        """
        norms = input_norms(model)
        selected = np.flatnonzero(norms > 0)
        if k is not None:
            k = check_int("k", k, low=1)
            if k > len(selected):
                raise invalid(
                    "k",
                    k,
                    f"an int in [1, {len(selected)}] (this model uses "
                    f"{len(selected)} of its {len(norms)} inputs)",
                )
            # Stable sort: equal norms keep column order.
            selected = np.argsort(-norms, kind="stable")[:k]
        return cls([int(i) for i in selected], len(norms), feature_names=feature_names)

    def call(self, inputs):
        return ops.take(inputs, list(self.indices), axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], len(self.indices))

    def _check_columns(self, x):
        width = np.shape(x)[-1] if np.ndim(x) else None
        if width != self.n_features:
            raise invalid(
                "x",
                f"<data of shape {np.shape(x)}>",
                f"data with {self.n_features} columns",
            )

    def fit(self, x=None, y=None):
        """Checks `x`'s width if given; the selection is already made. Returns self."""
        if x is not None:
            self._check_columns(x)
        return self

    def transform(self, x):
        """The kept columns of `x` (numpy array, pandas DataFrame or tensor)."""
        if hasattr(x, "iloc"):  # a pandas DataFrame keeps its column names
            self._check_columns(x)
            return x.iloc[:, list(self.indices)]
        if not hasattr(x, "shape"):
            x = np.asarray(x)
        self._check_columns(x)
        if isinstance(x, np.ndarray):
            return x[..., list(self.indices)]
        return self(x)

    def fit_transform(self, x, y=None):
        """`fit(x, y)` then `transform(x)`."""
        return self.fit(x, y).transform(x)

    def get_support(self, indices=False):
        """A boolean mask over the input columns, or the kept indices."""
        if indices:
            return np.array(self.indices)
        mask = np.zeros(self.n_features, dtype=bool)
        mask[list(self.indices)] = True
        return mask

    def get_feature_names_out(self, input_features=None):
        """The kept columns' names (`x{j}` where no names were given)."""
        names = check_feature_names(
            input_features if input_features is not None else self.feature_names,
            self.n_features,
        )
        if names is None:
            names = [f"x{j}" for j in range(self.n_features)]
        return [names[j] for j in self.indices]

    def get_config(self):
        return {
            **super().get_config(),
            "indices": list(self.indices),
            "n_features": self.n_features,
            "feature_names": None
            if self.feature_names is None
            else list(self.feature_names),
        }
