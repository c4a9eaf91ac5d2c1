"""Dropout-family and batch-normalization layers, BN folding and recalibration."""

from kerasreg.layers.batch_normalization import BatchNormalization
from kerasreg.layers.bn_folding import fold_batch_norm
from kerasreg.layers.drop_block import DropBlock2D
from kerasreg.layers.dropout import Dropout
from kerasreg.layers.mc_dropout import mc_predict
from kerasreg.layers.recalibration import recalibrate_batch_norm
from kerasreg.layers.stochastic_depth import StochasticDepth, linear_drop_rates

__all__ = [
    "BatchNormalization",
    "DropBlock2D",
    "Dropout",
    "StochasticDepth",
    "fold_batch_norm",
    "linear_drop_rates",
    "mc_predict",
    "recalibrate_batch_norm",
]
