"""The techniques the demo compares, each a recipe for the same network."""

import dataclasses

import kerasreg

# From a coarse sweep on digits (factors of about 3): each strength is about
# the largest that does not cost accuracy; stronger ones underfit.
L1_STRENGTH = 1e-3
L2_STRENGTH = 3e-3
DROPOUT_RATE = 0.3
PATIENCE = 10


@dataclasses.dataclass(frozen=True)
class Technique:
    """One configuration of the study: which regularizers the network gets.

    Args:
        name: str, the name shown in the table.
        description: str, what exactly is used, for the report.
        penalty: callable returning a fresh kernel regularizer, or None.
        dropout_rate: float, the rate of a `kerasreg.layers.Dropout` after
            each hidden layer; 0 for none.
        batch_norm: bool, a `kerasreg.layers.BatchNormalization` before each
            hidden activation.
        early_stopping: bool, train with `kerasreg.callbacks.EarlyStopping`.
        augmentation: bool, augment the training images inside the model.
    """

    name: str
    description: str
    penalty: object = None
    dropout_rate: float = 0.0
    batch_norm: bool = False
    early_stopping: bool = False
    augmentation: bool = False


def _l1():
    return kerasreg.L1(L1_STRENGTH)


def _l2():
    return kerasreg.L2(L2_STRENGTH)


def _elastic_net():
    return kerasreg.ElasticNet(l1=L1_STRENGTH / 2, l2=L2_STRENGTH / 2)


TECHNIQUES = (
    Technique("none", "no regularization"),
    Technique(
        "L1",
        f"`kerasreg.L1({L1_STRENGTH:g})` on every kernel, applied by `Proximal` "
        "as soft-thresholding (exact zeros)",
        penalty=_l1,
    ),
    Technique(
        "L2",
        f"`kerasreg.L2({L2_STRENGTH:g})` on every kernel "
        f"(penalty {L2_STRENGTH:g}/2 · Σw²)",
        penalty=_l2,
    ),
    Technique(
        "ElasticNet",
        f"`kerasreg.ElasticNet(l1={L1_STRENGTH / 2:g}, l2={L2_STRENGTH / 2:g})` "
        "on every kernel, L1 part by `Proximal`",
        penalty=_elastic_net,
    ),
    Technique(
        "Dropout",
        f"`kerasreg.layers.Dropout({DROPOUT_RATE:g})` after each hidden layer",
        dropout_rate=DROPOUT_RATE,
    ),
    Technique(
        "BatchNorm",
        "`kerasreg.layers.BatchNormalization()` before each hidden activation",
        batch_norm=True,
    ),
    Technique(
        "EarlyStopping",
        f"`kerasreg.callbacks.EarlyStopping(patience={PATIENCE})` on the "
        "validation loss, best weights restored",
        early_stopping=True,
    ),
    Technique(
        "Augmentation",
        "`kerasreg.augmentation.Pipeline` of rotation, scale and crop inside the "
        "model (training only)",
        augmentation=True,
    ),
    Technique(
        "all together",
        "ElasticNet + Dropout + BatchNorm + EarlyStopping + Augmentation",
        penalty=_elastic_net,
        dropout_rate=DROPOUT_RATE,
        batch_norm=True,
        early_stopping=True,
        augmentation=True,
    ),
)
