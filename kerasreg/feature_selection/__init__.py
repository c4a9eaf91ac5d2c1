"""Feature selection with exact zeros: which inputs a Keras model still uses.

The source document says of L1: "Can be used for feature selection." Here
that is one penalty and three answers. `penalize_inputs` (or
`GroupLasso(strength, axis=0)` on the first Dense layer) puts one group per
input on the first kernel; trained with `kerasreg.optimizers.Proximal`, an
input the model gives up has a row of exact zeros. `selected_features` names
the inputs a trained model keeps, `SelectFeatures` applies that choice to new
data (a Keras layer and a scikit-learn-style transformer), and
`feature_path` trains the warm-started path from strong to weak penalty:
inputs kept, accuracy, and the order in which the inputs enter.

Modules: `inputs` (the penalty's placement, the row norms, the selected
inputs), `select_features` (the transformer) and `path` (`feature_path`).
"""

from kerasreg.feature_selection.inputs import (
    input_layer,
    input_norms,
    penalize_inputs,
    selected_features,
)
from kerasreg.feature_selection.path import (
    FeaturePath,
    FeaturePoint,
    feature_path,
)
from kerasreg.feature_selection.select_features import SelectFeatures

__all__ = [
    "FeaturePath",
    "FeaturePoint",
    "SelectFeatures",
    "feature_path",
    "input_layer",
    "input_norms",
    "penalize_inputs",
    "selected_features",
]
