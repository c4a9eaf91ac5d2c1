"""kerasreg: exact, fast regularization for Keras 3.

Weight penalties with exact proximal sparsity, dropout-family and batch
normalization layers, early stopping that keeps and saves the best model, and a
fused augmentation pipeline. See `kerasreg.regularizers`, `kerasreg.optimizers`,
`kerasreg.layers`, `kerasreg.callbacks` and `kerasreg.augmentation`.
"""

__version__ = "0.1.0"

from kerasreg import optimizers, regularizers
from kerasreg.model_regularization import (
    RegularizationReport,
    apply_regularization,
    regularization_report,
)
from kerasreg.optimizers import Proximal
from kerasreg.regularizers import L1, L2, ElasticNet, GroupLasso, WeightRegularizer

__all__ = [
    "L1",
    "L2",
    "ElasticNet",
    "GroupLasso",
    "WeightRegularizer",
    "Proximal",
    "RegularizationReport",
    "apply_regularization",
    "regularization_report",
    "optimizers",
    "regularizers",
]
