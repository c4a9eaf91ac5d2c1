"""The techniques a study compares: one registry entry each, and its settings.

A configuration of the study is a `Setting`: one value per switch (the
penalty and its strength, the dropout rate, batch normalization, the
early-stopping patience, the augmentation magnitude), everything off being
the unregularized baseline. A `Technique` entry of `TECHNIQUES` carries
everything the study knows about one technique: the setting field its
strength sets, its default grid and the check of a grid's values, how the
report describes it, its penalty factory (for a kernel penalty) and the
switch the model must call where it goes. Every other module looks a
technique up here (as `keras.regularizers.get` looks up its table); adding a
technique is adding an entry.
"""

import dataclasses

from kerasreg import regularizers
from kerasreg._validation import check_float, check_int, invalid

# What a penalty's strength sets: `Setting.strength`, with `Setting.penalty`
# naming the penalty (one per configuration; ElasticNet is L1 + L2).
_PENALTY_FIELD = "strength"


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
        for known in TECHNIQUES.values():
            value = getattr(self, known.field)
            if known.penalty is None and value:
                on[known.name] = value
        return on

    def regularizer(self):
        """The kernel regularizer of the penalty this setting turns on, or None."""
        if self.penalty == "none":
            return None
        return TECHNIQUES[self.penalty].penalty(self.strength)

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


def _positive(argument, value):
    check_float(argument, value, low=0.0, low_inclusive=False)


def _rate(argument, value):
    check_float(argument, value, low=0.0, high=1.0, low_inclusive=False)


def _epochs(argument, value):
    check_int(argument, value, low=1)


@dataclasses.dataclass(frozen=True)
class Technique:
    """One technique: what its strength sets, the strengths tried, and how.

    Args:
        name: str, the name in the report and in `study(techniques=...)`.
        field: str, the `Setting` field its strength sets.
        grid: tuple of strengths tried on the validation set, in order (a tie
            goes to the first).
        strength_name: str, what the strength is, for the report.
        check: callable `(argument, value)` that raises the message-form
            error for a strength this technique cannot take; None for a
            technique whose one strength is `True` (on).
        describe: callable `strength -> str`, what the model gets at that
            strength, in the report's words.
        penalty: callable `strength -> kernel regularizer` for a kernel
            penalty, else None.
        switch: str, the `Switches` member the model calls where the
            technique goes; None for one that needs no place in the model
            (early stopping is a callback the study adds).
        path: bool, whether the study draws its regularization path (exact
            zeros against λ). Defaults to `False`.
        default: bool, whether a study compares it unless told which
            techniques to compare. Defaults to `True`.
        halving: bool, whether its grid may be tuned by successive halving
            (short runs first, see `kerasreg.experiments.plan`). False for a
            strength a shortened run cannot show: early stopping's patience
            counts epochs, and a patience of 20 never fires in a 20-epoch
            run. Defaults to `True`.
    """

    name: str
    field: str
    grid: tuple
    strength_name: str
    check: object
    describe: object
    penalty: object = None
    switch: str | None = None
    path: bool = False
    default: bool = True
    halving: bool = True

    def setting(self, strength):
        """The `Setting` with this technique at `strength`."""
        if self.penalty is not None:
            return Setting(penalty=self.name, strength=float(strength))
        return Setting(**{self.field: strength})

    def with_grid(self, grid, argument):
        """This technique with `grid` in place of its own, checked.

        Raises:
            ValueError, TypeError: `grid` is not a non-empty list of strengths
                this technique can take; the message names `argument`.
        """
        if isinstance(grid, str) or not isinstance(grid, tuple | list) or not grid:
            raise invalid(argument, grid, "a non-empty list of strengths")
        for value in grid:
            if self.check is not None:
                self.check(argument, value)
            elif value is not True:
                raise invalid(
                    argument, grid, "(True,): batch normalization has no strength"
                )
        return dataclasses.replace(self, grid=tuple(grid))


def _penalty(name, factory, grid, describe=None, default=True):
    return Technique(
        name=name,
        field=_PENALTY_FIELD,
        grid=grid,
        strength_name="λ",
        check=_positive,
        describe=describe or (lambda s: f"`kerasreg.{name}({s:g})`"),
        penalty=factory,
        switch="kernel_regularizer",
        path=name != "L2",
        default=default,
    )


# Small grids, a factor of about 3 apart around what suits small networks;
# `study(grids=...)` replaces any of them.
TECHNIQUES = {
    "L1": _penalty("L1", regularizers.L1, (1e-4, 3e-4, 1e-3)),
    "L2": _penalty("L2", regularizers.L2, (3e-4, 3e-3, 3e-2)),
    "ElasticNet": _penalty(
        "ElasticNet",
        lambda s: regularizers.ElasticNet(l1=s / 2, l2=s / 2),
        (3e-4, 1e-3, 3e-3),
        describe=lambda s: f"`kerasreg.ElasticNet(l1={s / 2:g}, l2={s / 2:g})`",
    ),
    "GroupLasso": _penalty(
        "GroupLasso", regularizers.GroupLasso, (1e-4, 3e-4, 1e-3), default=False
    ),
    "Dropout": Technique(
        "Dropout",
        field="dropout_rate",
        grid=(0.1, 0.3, 0.5),
        strength_name="rate",
        check=_rate,
        describe=lambda s: f"`kerasreg.layers.Dropout({s:g})`",
        switch="dropout",
    ),
    "BatchNorm": Technique(
        "BatchNorm",
        field="batch_norm",
        grid=(True,),
        strength_name="on",
        check=None,
        describe=lambda s: "`kerasreg.layers.BatchNormalization()`",
        switch="batch_norm",
    ),
    "EarlyStopping": Technique(
        "EarlyStopping",
        field="patience",
        grid=(5, 10, 20),
        strength_name="patience",
        check=_epochs,
        describe=lambda s: f"`EarlyStopping(patience={s})`, best weights",
        halving=False,
    ),
    "Augmentation": Technique(
        "Augmentation",
        field="augmentation",
        grid=(0.5, 1.0, 2.0),
        strength_name="magnitude",
        check=_positive,
        describe=lambda s: f"augmentation at magnitude {s:g}",
        switch="augment",
    ),
}
DEFAULT_TECHNIQUES = tuple(name for name, t in TECHNIQUES.items() if t.default)
# Kernel penalties, as `Setting.penalty` names them, and those whose
# regularization path is drawn.
PENALTIES = tuple(name for name, t in TECHNIQUES.items() if t.penalty is not None)
PATH_PENALTIES = tuple(name for name, t in TECHNIQUES.items() if t.path)


def technique(name, grid=None):
    """The `Technique` called `name`, with `grid` in place of its own.

    Raises:
        ValueError: `name` is not a known technique, or `grid` holds a
            strength it cannot take (the message names `grids[name]`).
    """
    if name not in TECHNIQUES:
        listed = ", ".join(repr(n) for n in TECHNIQUES)
        raise invalid("techniques", name, f"names among {listed}")
    known = TECHNIQUES[name]
    return known if grid is None else known.with_grid(grid, f"grids[{name!r}]")
