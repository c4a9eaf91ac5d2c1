"""The techniques a study compares: the switch each one sets, and its grid.

A configuration of the study is a `Setting`: one value per switch (the
penalty and its strength, the dropout rate, batch normalization, the
early-stopping patience, the augmentation magnitude), everything off being
the unregularized baseline. A `Technique` turns one strength into a setting;
a combination merges the settings of several techniques.
"""

import dataclasses

from kerasreg._validation import invalid

# Kernel penalties, as `Setting.penalty` names them; one per configuration
# (ElasticNet is the sum of L1 and L2).
PENALTIES = ("L1", "L2", "ElasticNet", "GroupLasso")
# The penalties whose regularization path (exact zeros against λ) is drawn.
PATH_PENALTIES = ("L1", "ElasticNet", "GroupLasso")


@dataclasses.dataclass(frozen=True)
class Setting:
    """The value of every switch in one configuration; the defaults are off.

    Args:
        penalty: one of `PENALTIES`, or `"none"`.
        strength: float, the penalty's λ (for ElasticNet l1 = l2 = λ/2).
        dropout_rate: float in [0, 1), 0 for no dropout.
        batch_norm: bool, batch normalization where the model asks for it.
        patience: int, early stopping's patience in epochs; 0 for none.
        augmentation: float, the augmentation's magnitude; 0 for none.
    """

    penalty: str = "none"
    strength: float = 0.0
    dropout_rate: float = 0.0
    batch_norm: bool = False
    patience: int = 0
    augmentation: float = 0.0

    def merged(self, other):
        """This setting with every switch that `other` turns on."""
        changes = {
            field.name: getattr(other, field.name)
            for field in dataclasses.fields(self)
            if getattr(other, field.name) != field.default
        }
        return dataclasses.replace(self, **changes)

    def techniques(self):
        """Name → strength of each technique this setting turns on."""
        on = {self.penalty: self.strength} if self.penalty != "none" else {}
        for name, value in (
            ("Dropout", self.dropout_rate),
            ("BatchNorm", self.batch_norm),
            ("EarlyStopping", self.patience),
            ("Augmentation", self.augmentation),
        ):
            if value:
                on[name] = value
        return on

    def describe(self):
        """The techniques that are on, with their strengths, e.g. "L1(0.001)"."""
        parts = [
            name if value is True else f"{name}({value:g})"
            for name, value in self.techniques().items()
        ]
        return " + ".join(parts) or "none"

    def values(self):
        """The switches as keras-tuner hyperparameter values."""
        return dataclasses.asdict(self)

    @classmethod
    def from_values(cls, values):
        """The setting held in trial values (other keys are ignored)."""
        return cls(
            **{field.name: values[field.name] for field in dataclasses.fields(cls)}
        )


@dataclasses.dataclass(frozen=True)
class Technique:
    """One technique: what its strength sets, and the strengths tried.

    Args:
        name: str, the name in the report and in `study(techniques=...)`.
        grid: tuple of strengths tried on the validation set, in order (a tie
            goes to the first).
        strength_name: str, what the strength is, for the report.
    """

    name: str
    grid: tuple
    strength_name: str

    def setting(self, strength):
        """The `Setting` with this technique at `strength`."""
        if self.name in PENALTIES:
            return Setting(penalty=self.name, strength=float(strength))
        field = {
            "Dropout": "dropout_rate",
            "BatchNorm": "batch_norm",
            "EarlyStopping": "patience",
            "Augmentation": "augmentation",
        }[self.name]
        return Setting(**{field: strength})

    def describe(self, strength):
        """What the technique is at `strength`, in the report's words."""
        if self.name == "ElasticNet":
            return f"`kerasreg.ElasticNet(l1={strength / 2:g}, l2={strength / 2:g})`"
        if self.name in PENALTIES:
            return f"`kerasreg.{self.name}({strength:g})`"
        return {
            "Dropout": f"`kerasreg.layers.Dropout({strength:g})`",
            "BatchNorm": "`kerasreg.layers.BatchNormalization()`",
            "EarlyStopping": f"`EarlyStopping(patience={strength})`, best weights",
            "Augmentation": f"augmentation at magnitude {strength:g}",
        }[self.name]


# Small grids, a factor of about 3 apart around what suits small networks;
# `study(grids=...)` replaces any of them.
TECHNIQUES = {
    "L1": Technique("L1", (1e-4, 3e-4, 1e-3), "λ"),
    "L2": Technique("L2", (3e-4, 3e-3, 3e-2), "λ"),
    "ElasticNet": Technique("ElasticNet", (3e-4, 1e-3, 3e-3), "λ"),
    "GroupLasso": Technique("GroupLasso", (1e-4, 3e-4, 1e-3), "λ"),
    "Dropout": Technique("Dropout", (0.1, 0.3, 0.5), "rate"),
    "BatchNorm": Technique("BatchNorm", (True,), "on"),
    "EarlyStopping": Technique("EarlyStopping", (5, 10, 20), "patience"),
    "Augmentation": Technique("Augmentation", (0.5, 1.0, 2.0), "magnitude"),
}
DEFAULT_TECHNIQUES = (
    "L1",
    "L2",
    "ElasticNet",
    "Dropout",
    "BatchNorm",
    "EarlyStopping",
    "Augmentation",
)


def technique(name, grid=None):
    """The `Technique` called `name`, with `grid` in place of its own."""
    if name not in TECHNIQUES:
        listed = ", ".join(repr(n) for n in TECHNIQUES)
        raise invalid("techniques", name, f"names among {listed}")
    known = TECHNIQUES[name]
    return known if grid is None else dataclasses.replace(known, grid=tuple(grid))
