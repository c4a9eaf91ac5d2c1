"""A study's arguments, checked before any data is read or model built, and
what of them makes two calls the same study (its identity)."""

import dataclasses
import math
import os

import keras

import kerasreg
from kerasreg._validation import check_bool, check_float, check_int, invalid
from kerasreg.experiments.plan import PATH_POINTS, Plan
from kerasreg.experiments.techniques import (
    DEFAULT_TECHNIQUES,
    PENALTIES,
    TECHNIQUES,
    technique,
)
from kerasreg.experiments.workers import check_sendable, check_workers

DEFAULT_LEARNING_RATES = (0.01, 0.03, 0.1)
# The optimizer when the study is given none, and how the report names it.
_DEFAULT_MOMENTUM = 0.9
DEFAULT_OPTIMIZER = f"Proximal(SGD(learning_rate, momentum={_DEFAULT_MOMENTUM:g}))"


def default_optimizer(learning_rate):
    """SGD with momentum, the optimizer of a study given none."""
    return keras.optimizers.SGD(learning_rate, momentum=_DEFAULT_MOMENTUM)


@dataclasses.dataclass(frozen=True)
class StudyArguments:
    """The arguments of `kerasreg.study`, checked (see its docstring).

    `techniques` holds `Technique`s with their grids, `combinations` tuples
    of names, and `learning_rates` floats; the rest is as given.
    `default_techniques`: whether `techniques` was left to its default
    (`for_examples` may then narrow it). Build it with `checked`.
    """

    build_model: object
    data: object
    techniques: tuple
    seeds: int
    epochs: int
    out: object
    combinations: tuple
    learning_rates: tuple
    optimizer: object
    loss: object
    batch_size: int
    augmentation: object
    path: bool
    halving: bool
    image_size: object
    overwrite: bool
    verbose: int
    stream: object
    workers: int
    budget: object
    tensorboard: bool
    default_techniques: bool = False

    @classmethod
    def checked(cls, **arguments):
        """The `StudyArguments` of a call, or the message-form error.

        Raises:
            ValueError, TypeError: an argument is not of the documented kind.
        """
        if not callable(arguments["build_model"]):
            raise invalid(
                "build_model", arguments["build_model"], "a callable", TypeError
            )
        check_int("seeds", arguments["seeds"], low=1)
        check_int("epochs", arguments["epochs"], low=1)
        check_int("batch_size", arguments["batch_size"], low=1)
        check_bool("path", arguments["path"])
        check_bool("halving", arguments["halving"])
        check_bool("overwrite", arguments["overwrite"])
        check_bool("tensorboard", arguments["tensorboard"])
        verbose = arguments["verbose"]
        if verbose not in (0, 1, 2) or isinstance(verbose, bool):
            raise invalid("verbose", verbose, "0, 1 or 2")
        _check_stream(arguments["stream"])
        budget = arguments["budget"]
        if budget is not None:
            budget = check_float("budget", budget, low=0.0, low_inclusive=False)
        out = arguments["out"]
        if not isinstance(out, str | os.PathLike) or not os.fspath(out):
            raise invalid("out", out, "a non-empty folder path (str or path-like)")
        names = arguments["techniques"]
        default_techniques = names is None
        if default_techniques:
            names = DEFAULT_TECHNIQUES
        if isinstance(names, str) or not isinstance(names, tuple | list) or not names:
            raise invalid("techniques", names, "a non-empty list of technique names")
        if len(set(names)) != len(names):
            raise invalid("techniques", names, "each technique once")
        for name in names:
            technique(name)
        grids = arguments["grids"] or {}
        if not isinstance(grids, dict):
            raise invalid(
                "grids", grids, "a dict of technique name → strengths", TypeError
            )
        for name in grids:
            if name not in names:
                raise invalid("grids", grids, f"grids only for the techniques {names}")
        techniques = tuple(technique(name, grids.get(name)) for name in names)
        combinations = _checked_combinations(arguments["combinations"], names)
        rates = arguments["learning_rates"]
        if isinstance(rates, str) or not isinstance(rates, tuple | list) or not rates:
            raise invalid("learning_rates", rates, "a non-empty list of floats > 0")
        for rate in rates:
            check_float("learning_rates", rate, low=0.0, low_inclusive=False)
        for argument in ("optimizer", "augmentation"):
            value = arguments[argument]
            if value is not None and not callable(value):
                raise invalid(argument, value, "None or a callable", TypeError)
        if arguments["optimizer"] is not None:
            _check_optimizer(arguments["optimizer"], rates)
        _check_loss(arguments["loss"])
        workers = check_workers(arguments["workers"])
        # Checked before any data is read: the workers receive them pickled.
        for argument in ("build_model", "optimizer", "augmentation", "loss"):
            check_sendable(argument, arguments[argument], workers)
        del arguments["grids"]
        return cls(
            **{
                **arguments,
                "techniques": techniques,
                "combinations": combinations,
                "learning_rates": tuple(float(r) for r in rates),
                "batch_size": int(arguments["batch_size"]),
                "budget": budget,
                "workers": workers,
                "default_techniques": default_techniques,
            }
        )

    def for_examples(self, dataset):
        """These arguments for `dataset`'s examples.

        The default augmentation rotates, scales and shifts images: for
        examples that are not images (a table's rows) and no `augmentation`
        given, "Augmentation" is left out of the default techniques, and
        refused where `techniques` names it.

        Raises:
            ValueError: `techniques`, `grids` or `combinations` names
                "Augmentation" for examples that are not images, and no
                `augmentation` is given.
        """
        name = "Augmentation"
        names = tuple(t.name for t in self.techniques)
        if dataset.images or self.augmentation is not None or name not in names:
            return self
        if not self.default_techniques:
            raise invalid(
                "techniques",
                names,
                f"techniques without {name!r} for examples "
                f"{dataset.shape_words()} (the default augmentation rotates, "
                "scales and shifts images), or an `augmentation=` for them",
            )
        kept = tuple(t for t in self.techniques if t.name != name)
        left = tuple(t.name for t in kept)
        augmentation = self.techniques[names.index(name)]
        if augmentation.grid != TECHNIQUES[name].grid:
            raise invalid(
                "grids",
                {name: augmentation.grid},
                f"grids only for the techniques {left} (no {name!r} for "
                f"examples {dataset.shape_words()}: they are not images)",
            )
        # The same check and message as a combination of unknown techniques.
        _checked_combinations(self.combinations, left)
        return dataclasses.replace(self, techniques=kept)

    def plan(self):
        """The study's `Plan`: its trials, phase by phase."""
        return Plan(
            techniques=self.techniques,
            combinations=self.combinations,
            learning_rates=self.learning_rates,
            seeds=self.seeds,
            epochs=self.epochs,
            path=self.path,
            halving=self.halving,
        )

    def optimizer_factory(self):
        """The callable `learning_rate -> optimizer` the runs compile with."""
        return self.optimizer or default_optimizer

    def describe_optimizer(self):
        """The optimizer, as the report names it."""
        if self.optimizer is None:
            return DEFAULT_OPTIMIZER
        return f"Proximal({type(self.optimizer(1e-3)).__name__}(learning_rate, ...))"

    def compiled_loss(self):
        """The loss the runs compile with."""
        return self.loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def identity(self, dataset, plan):
        """What makes two calls the same study: the plan they run (`plan`, as
        a budget may have cut it) and their data.

        `build_model`, `loss`, `optimizer` and `augmentation` are code, which
        cannot be compared; the versions are recorded, not compared.
        """
        return {
            "plan": self.plan_identity(plan),
            "data": {
                "name": dataset.name,
                "fingerprint": dataset.fingerprint(),
                "n_train": len(dataset.x_train),
                "n_val": len(dataset.x_val),
                "n_test": len(dataset.x_test),
            },
            "versions": {"kerasreg": kerasreg.__version__, "keras": keras.__version__},
            # What was read, for the report: recorded, not compared (the
            # fingerprint is the data's identity).
            "loaded": dataset.description(),
        }

    def plan_identity(self, plan):
        """The part of the identity that `plan` (with the batch size) makes."""
        return {
            "techniques": {t.name: list(t.grid) for t in plan.techniques},
            "combinations": [list(c) for c in plan.combinations],
            "learning_rates": list(plan.learning_rates),
            "seeds": plan.seeds,
            "epochs": plan.epochs,
            "path": plan.path,
            # Recorded only when on, or cut: a study written before halving or
            # budgets existed is the same study without them.
            **({"halving": True} if plan.halving else {}),
            **(
                {"path_points": plan.path_points}
                if plan.path_points != PATH_POINTS
                else {}
            ),
            "batch_size": self.batch_size,
        }


_OPTIMIZER = (
    "a callable `learning_rate -> keras optimizer` whose optimizer trains at "
    "the learning rate it is given"
)


def _check_optimizer(optimizer, rates):
    # A factory that ignores its rate (`lambda lr: "sgd"`) would make the
    # tuned learning rate a label on runs that all train alike.
    for rate in rates:
        try:
            built = optimizer(rate)
        except Exception as error:
            raise invalid("optimizer", optimizer, _OPTIMIZER, TypeError) from error
        if not isinstance(built, keras.optimizers.Optimizer):
            raise invalid(
                "optimizer",
                optimizer,
                f"{_OPTIMIZER}; it returned {built!r} for {rate:g}",
                TypeError,
            )
        given = float(keras.ops.convert_to_numpy(built.learning_rate))
        if not math.isclose(given, rate, rel_tol=1e-6):
            raise invalid(
                "optimizer",
                optimizer,
                f"{_OPTIMIZER}; given {rate:g} it trains at {given:g}",
            )


def _check_loss(loss):
    if loss is None:
        return
    try:
        keras.losses.get(loss)
    except (ValueError, TypeError):
        raise invalid(
            "loss",
            loss,
            "None, a Keras loss, its name, or a callable (y_true, y_pred) -> loss",
        ) from None


def _check_stream(stream):
    if stream is not None and not all(
        callable(getattr(stream, method, None)) for method in ("write", "flush")
    ):
        raise invalid(
            "stream", stream, "None or a text stream (`write` and `flush`)", TypeError
        )


def _checked_combinations(combinations, names):
    if isinstance(combinations, str) or not isinstance(combinations, tuple | list):
        raise invalid(
            "combinations",
            combinations,
            "a list of tuples of technique names",
            TypeError,
        )
    checked = []
    for combination in combinations:
        if (
            isinstance(combination, str)
            or not isinstance(combination, tuple | list)
            or len(combination) < 2
            or not set(combination) <= set(names)
            or len(set(combination)) != len(combination)
        ):
            raise invalid(
                "combinations",
                combinations,
                f"tuples of two or more distinct techniques among {tuple(names)}",
            )
        if sum(name in PENALTIES for name in combination) > 1:
            raise invalid(
                "combinations",
                combinations,
                "at most one penalty per combination (ElasticNet is L1 + L2)",
            )
        checked.append(tuple(combination))
    return tuple(checked)
