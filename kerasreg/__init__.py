"""kerasreg: exact, fast regularization for Keras 3.

Weight penalties with exact proximal sparsity, dropout-family and batch
normalization layers, early stopping that keeps and saves the best model, and a
fused augmentation pipeline; and `study`, which finds which of them helps a
model. See `kerasreg.regularizers`, `kerasreg.optimizers`, `kerasreg.layers`,
`kerasreg.callbacks`, `kerasreg.augmentation`, `kerasreg.experiments` and
`kerasreg.feature_selection`.
"""

__version__ = "0.1.0"

from kerasreg import (
    augmentation,
    callbacks,
    distribute,
    experiments,
    feature_selection,
    layers,
    optimizers,
    regularizers,
)
from kerasreg.augmentation import RandomTranslation, RandomZoom
from kerasreg.callbacks import BackupAndRestore, EarlyStopping
from kerasreg.experiments import Switches, study
from kerasreg.feature_selection import (
    SelectFeatures,
    feature_path,
    penalize_inputs,
    selected_features,
)
from kerasreg.layers import (
    BatchNormalization,
    DropBlock2D,
    Dropout,
    StochasticDepth,
    fold_batch_norm,
    linear_drop_rates,
    mc_predict,
    recalibrate_batch_norm,
)
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
    "EarlyStopping",
    "BackupAndRestore",
    "Dropout",
    "DropBlock2D",
    "StochasticDepth",
    "BatchNormalization",
    "linear_drop_rates",
    "mc_predict",
    "fold_batch_norm",
    "recalibrate_batch_norm",
    "RegularizationReport",
    "apply_regularization",
    "regularization_report",
    "study",
    "Switches",
    "SelectFeatures",
    "feature_path",
    "penalize_inputs",
    "selected_features",
    "RandomTranslation",
    "RandomZoom",
    "augmentation",
    "callbacks",
    "distribute",
    "experiments",
    "feature_selection",
    "layers",
    "optimizers",
    "regularizers",
]
