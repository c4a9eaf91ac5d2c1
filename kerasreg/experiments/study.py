"""`study`: which regularization helps this model? Tuned fairly, compared honestly."""

import dataclasses
import os
import shutil
import sys
import time

import keras

import kerasreg
from kerasreg import _filesystem
from kerasreg._validation import check_bool, check_float, check_int, invalid
from kerasreg.experiments import augment, statistics
from kerasreg.experiments.data import as_dataset
from kerasreg.experiments.errors import StudyError
from kerasreg.experiments.plan import BASELINE, Plan, trial_key
from kerasreg.experiments.records import Run, path_from_metrics
from kerasreg.experiments.report import (
    DEFAULT_OPTIMIZER,
    REPORT,
    ReportFolder,
    say,
    write_report,
)
from kerasreg.experiments.summary import summarize
from kerasreg.experiments.techniques import (
    DEFAULT_TECHNIQUES,
    PATH_PENALTIES,
    PENALTIES,
    Setting,
    technique,
)
from kerasreg.experiments.training import Trainer

DEFAULT_LEARNING_RATES = (0.01, 0.03, 0.1)
_IDENTITY = "study.json"
_FORMAT = 1
_KIND = "kerasreg.study"


@dataclasses.dataclass(frozen=True)
class StudyResult:
    """What a study found.

    Attributes:
        choices: `kerasreg.experiments.plan.Choices`: the learning rate and
            each technique's strength chosen on validation loss, with the
            scores of every value tried.
        configurations: dict, configuration name → its `Setting` (the
            switches it turns on, at the chosen strengths), baseline first.
        runs: dict, configuration name → list of `Run`, one per seed.
        summaries: dict, configuration name → dict of `Interval` (test and
            train accuracy, gap, share of zeros) over the seeds.
        comparisons: dict, configuration name → `Comparison` of its test
            accuracy with the baseline's, paired by seed.
        paths: dict, penalty name → list of path points (λ, validation
            accuracy and loss, share of exact zeros), strong λ first.
        settings: dict of the study's settings, JSON-ready.
        dataset: the `Dataset` studied.

    Example:

    >>> import tempfile
    >>> def build_model(switches):
    ...     inputs = keras.Input((8, 8, 1))
    ...     x = switches.dropout(keras.layers.Flatten()(inputs))
    ...     return keras.Model(inputs, keras.layers.Dense(10)(x))
    >>> result = kerasreg.study(
    ...     build_model, "digits", techniques=("Dropout",), grids={"Dropout": (0.5,)},
    ...     seeds=2, epochs=1, learning_rates=(0.1,), out=tempfile.mkdtemp(), verbose=0)
    >>> list(result.runs), [run.seed for run in result.runs["Dropout"]]
    (['none', 'Dropout'], [0, 1])
    >>> result.comparisons["Dropout"].verdict in ("better", "worse", "tie")
    True
    """

    choices: object
    configurations: dict
    runs: dict
    summaries: dict
    comparisons: dict
    paths: dict
    settings: dict
    dataset: object


def study(
    build_model,
    data,
    techniques=DEFAULT_TECHNIQUES,
    seeds=3,
    epochs=60,
    out="kerasreg-study",
    *,
    combinations=(),
    grids=None,
    learning_rates=DEFAULT_LEARNING_RATES,
    optimizer=None,
    loss=None,
    batch_size=32,
    augmentation=None,
    path=True,
    image_size=(32, 32),
    overwrite=False,
    verbose=1,
    stream=None,
):
    """Which regularization helps `build_model`? Tune, train, compare.

    The model `build_model(switches)` returns is trained without
    regularization and with each technique, fairly: the learning rate is
    chosen once, for the unregularized model, from `learning_rates`; each
    technique's strength (λ, dropout rate, patience, augmentation magnitude)
    from its grid; both on the validation split's loss, never on the test
    split. Then every configuration (the baseline, each technique at its
    chosen strength, the `combinations` and "all together") trains with
    seeds 0 … `seeds`−1, and its test accuracy is reported as a mean with a
    95% confidence interval (Student's t over the seeds) and compared with
    the baseline's paired by seed: a difference whose interval covers 0 is a
    tie. L1-type penalties also get their regularization path: from strong
    to weak λ, each fit warm-started from the previous one, with the
    validation accuracy and the share of exactly-zero weights at each λ.

    Every trial runs through keras-tuner, recorded in `out/trials`: a study
    that is killed resumes where it stopped when called again with the same
    arguments, and with `KERASTUNER_TUNER_ID`, `KERASTUNER_ORACLE_IP` and
    `KERASTUNER_ORACLE_PORT` set it runs distributed: the chief (tuner id
    "chief") plans and collects, each worker runs trials (see the README).
    Each run's history is logged for TensorBoard under `out/logs`; the
    report (report.md, results.json, figures) is written to `out/report`.

    Every model is compiled with `Proximal(optimizer(learning_rate))`, the
    given `loss` and an "accuracy" metric; the validation loss the choices
    rest on is the data loss alone (no penalty), so penalties compete fairly.

    Args:
        build_model: callable `Switches -> keras.Model`, called once per run.
            It places the techniques by calling the switches (see
            `kerasreg.experiments.Switches`); a model that never reads
            `switches.kernel_regularizer` gets the penalty on every kernel
            through `kerasreg.apply_regularization`.
        data: the examples: `(x, y)` arrays, a `tf.data.Dataset` of pairs, a
            dict of `"train"`, `"validation"`, `"test"` splits, a folder of
            images in class subfolders, or `"digits"` (see
            `kerasreg.experiments.data.as_dataset`).
        techniques: names among "L1", "L2", "ElasticNet", "GroupLasso",
            "Dropout", "BatchNorm", "EarlyStopping", "Augmentation".
            Defaults to all but GroupLasso.
        seeds: int >= 1, runs per compared configuration. Defaults to `3`.
        epochs: int >= 1, epochs per run. Defaults to `60`.
        out: str, the study's folder. Defaults to `"kerasreg-study"`.
        combinations: tuple of tuples of technique names (at most one
            penalty each), compared at the chosen strengths. Defaults to `()`.
        grids: dict, technique name → tuple of strengths to try in place of
            its default grid. Defaults to `None`.
        learning_rates: tuple of floats > 0. Defaults to `(0.01, 0.03, 0.1)`.
        optimizer: callable `learning_rate -> optimizer`. Defaults to SGD
            with momentum 0.9.
        loss: the loss. Defaults to sparse categorical cross-entropy on
            logits.
        batch_size: int >= 1. Defaults to `32`.
        augmentation: callable `(magnitude, seed) -> layer`. Defaults to
            random rotation, scaling and shifts of images, growing with the
            magnitude (`kerasreg.experiments.augment.make_augmentation`).
        path: bool, whether to run the regularization paths.
            Defaults to `True`.
        image_size: (height, width) of a folder's images. Defaults to 32x32.
        overwrite: bool, start afresh even if `out` holds a study with other
            arguments (its trials are deleted). Defaults to `False`. A study
            is known again by its plan (techniques, grids, rates, seeds,
            epochs, batch size) and its data's fingerprint; `build_model`,
            `loss`, `optimizer` and `augmentation` are code, which a resumed
            study cannot compare: change them in a new `out`.
        verbose: 0 (silent), 1 (a progress bar with ETA, then the table,
            its reading and the report's path) or 2 (the table, reading and
            path without the progress bar). Defaults to `1`.
        stream: text stream for the table. Defaults to `sys.stdout`.

    Returns:
        A `StudyResult` — or `None` in a distributed worker, whose results
        reach the chief.

    Raises:
        ValueError, TypeError: an argument is not of the documented kind, or
            `build_model` gives no place to a technique studied.
        StudyError: the data cannot be read, or `out` holds a different
            study (and `overwrite` is False).

    Example:

    >>> def build_model(switches):
    ...     inputs = keras.Input((8, 8, 1))
    ...     x = switches.augment(inputs)
    ...     x = keras.layers.Flatten()(x)
    ...     x = keras.layers.Dense(
    ...         32, kernel_regularizer=switches.kernel_regularizer)(x)
    ...     x = switches.dropout(keras.layers.ReLU()(switches.batch_norm(x)))
    ...     return keras.Model(inputs, keras.layers.Dense(10)(x))
    >>> import tempfile
    >>> result = kerasreg.study(
    ...     build_model, "digits", techniques=("L1", "Dropout", "BatchNorm"),
    ...     seeds=1, epochs=1, grids={"L1": (1e-3,), "Dropout": (0.3,)},
    ...     learning_rates=(0.05,), out=tempfile.mkdtemp(), verbose=0)
    >>> list(result.runs)
    ['none', 'L1', 'Dropout', 'BatchNorm', 'all together']
    >>> result.choices.strength
    {'L1': 0.001, 'Dropout': 0.3, 'BatchNorm': True}
    """
    arguments = _checked(locals())
    _check_dependencies()
    dataset = as_dataset(data, image_size)
    plan = Plan(
        techniques=arguments["techniques"],
        combinations=arguments["combinations"],
        learning_rates=arguments["learning_rates"],
        seeds=seeds,
        epochs=epochs,
        path=path,
    )
    trainer = Trainer(
        build_model=build_model,
        data=dataset,
        loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=optimizer or (lambda lr: keras.optimizers.SGD(lr, momentum=0.9)),
        augmentation=augmentation or augment.for_dataset(dataset),
        batch_size=batch_size,
        log_dir=os.path.join(out, "logs"),
    )
    model = _check_build(trainer, plan)
    identity = _identity(plan, dataset, arguments)
    _claim(out, identity, overwrite)
    worker = "KERASTUNER_ORACLE_IP" in os.environ and "chief" not in os.environ.get(
        "KERASTUNER_TUNER_ID", ""
    )
    # Checked before any training: an unwritable report folder fails now.
    folder = None if worker else ReportFolder(os.path.join(out, "report"))
    start = time.perf_counter()
    try:
        oracle = _search(trainer, plan, out, verbose == 1 and not worker)
        if worker:
            return None
        described = {
            "model": model.name,
            "parameters": model.count_params(),
            "optimizer": _describe_optimizer(optimizer, trainer),
        }
        result = collect(
            oracle.trials.values(),
            plan,
            dataset,
            {**identity, **described},
            time.perf_counter() - start,
        )
        try:
            write_report(
                folder.staging,
                result,
                logs=os.path.join(out, "logs"),
                augmentation=augmentation,
            )
        except OSError as error:
            raise folder.unwritable(error) from error
    except BaseException:
        if folder:
            folder.discard()
        raise
    folder.publish()
    if verbose:
        say(stream or sys.stdout, result, os.path.join(folder.out, REPORT))
    return result


def _describe_optimizer(optimizer, trainer):
    if optimizer is None:
        return DEFAULT_OPTIMIZER
    return f"Proximal({type(trainer.optimizer(1e-3)).__name__}(learning_rate, ...))"


def _search(trainer, plan, out, verbose):
    """Run every trial, resuming what `out` holds; returns the oracle."""
    from kerasreg.experiments.engine import PlanOracle, StudyTuner

    progress = keras.utils.Progbar(
        plan.count(), unit_name="trial", verbose=1 if verbose else 0
    )
    oracle = PlanOracle(plan, on_trial_end=lambda: _advance(progress, plan, oracle))
    tuner = StudyTuner(
        oracle,
        trainer,
        plan,
        directory=out,
        project_name="trials",
        overwrite=False,
    )
    oracle.verbose = 0
    progress.update(len(oracle.end_order))
    tuner.search()
    return oracle


def _advance(progress, plan, oracle):
    from kerasreg.experiments.engine import validation_losses

    # Once the strengths are chosen the plan knows its exact length.
    progress.target = plan.count(validation_losses(oracle.trials.values()))
    progress.add(1)


def collect(trials, plan, dataset, identity, wall_time):
    """The `StudyResult` of a finished study's keras-tuner trials."""
    from kerasreg.experiments.engine import completed_metrics

    finished = completed_metrics(trials)
    losses = {key: metrics["val_loss"] for key, (_, metrics) in finished.items()}
    choices = plan.choices(losses)
    lr = choices.learning_rate
    configurations = plan.configurations(choices, losses)
    runs = {
        name: [
            Run.from_metrics(
                name, seed, finished[trial_key(plan.values(setting, lr, seed))][1]
            )
            for seed in range(plan.seeds)
        ]
        for name, setting in configurations.items()
    }
    paths = {
        t.name: path_from_metrics(
            finished[trial_key(plan.values(Setting(), lr, 0, path=t.name))][1]
        )
        for t in plan.techniques
        if plan.path and t.name in PATH_PENALTIES
    }
    summaries = {name: summarize(r) for name, r in runs.items()}
    baseline = [run.test_accuracy for run in runs[BASELINE]]
    comparisons = {
        name: statistics.paired_comparison([r.test_accuracy for r in rs], baseline)
        for name, rs in runs.items()
        if name != BASELINE
    }
    settings = {**identity, "wall_time": wall_time}
    return StudyResult(
        choices, configurations, runs, summaries, comparisons, paths, settings, dataset
    )


def _checked(arguments):
    """The arguments, checked before any data is read or model built."""
    if not callable(arguments["build_model"]):
        raise invalid("build_model", arguments["build_model"], "a callable", TypeError)
    check_int("seeds", arguments["seeds"], low=1)
    check_int("epochs", arguments["epochs"], low=1)
    check_int("batch_size", arguments["batch_size"], low=1)
    check_bool("path", arguments["path"])
    check_bool("overwrite", arguments["overwrite"])
    if arguments["verbose"] not in (0, 1, 2) or isinstance(arguments["verbose"], bool):
        raise invalid("verbose", arguments["verbose"], "0, 1 or 2")
    stream = arguments["stream"]
    if stream is not None and not all(
        callable(getattr(stream, method, None)) for method in ("write", "flush")
    ):
        raise invalid(
            "stream", stream, "None or a text stream (`write` and `flush`)", TypeError
        )
    out = arguments["out"]
    if not isinstance(out, str | os.PathLike) or not os.fspath(out):
        raise invalid("out", out, "a non-empty folder path (str or path-like)")
    names = arguments["techniques"]
    if isinstance(names, str) or not isinstance(names, tuple | list) or not names:
        raise invalid("techniques", names, "a non-empty list of technique names")
    if len(set(names)) != len(names):
        raise invalid("techniques", names, "each technique once")
    for name in names:
        technique(name)
    grids = arguments["grids"] or {}
    if not isinstance(grids, dict):
        raise invalid("grids", grids, "a dict of technique name → strengths", TypeError)
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
    return {
        "techniques": techniques,
        "combinations": combinations,
        "learning_rates": tuple(float(r) for r in rates),
        "batch_size": int(arguments["batch_size"]),
    }


def _check_dependencies():
    for module in ("keras_tuner", "sklearn", "matplotlib"):
        try:
            __import__(module)
        except ImportError as error:
            raise StudyError(
                f"A study needs keras-tuner, scikit-learn and matplotlib ({error}); "
                "install them with: pip install 'kerasreg[study]'"
            ) from error


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


def _check_build(trainer, plan):
    """Build the model with every technique on, before any epoch is spent:
    a `build_model` that fails, or gives no place to a technique, fails now.
    Returns that model (its name and size go into the report)."""
    everything = Setting()
    for t in plan.techniques:
        everything = everything.merged(t.setting(t.grid[0]))
    return trainer.model(everything, plan.learning_rates[0], seed=0)


def _identity(plan, dataset, arguments):
    """What makes two calls the same study: their plan and their data."""
    return {
        "kind": _KIND,
        "format": _FORMAT,
        "plan": {
            "techniques": {t.name: list(t.grid) for t in plan.techniques},
            "combinations": [list(c) for c in plan.combinations],
            "learning_rates": list(plan.learning_rates),
            "seeds": plan.seeds,
            "epochs": plan.epochs,
            "path": plan.path,
            "batch_size": arguments["batch_size"],
        },
        "data": {
            "name": dataset.name,
            "fingerprint": dataset.fingerprint(),
            "n_train": len(dataset.x_train),
            "n_val": len(dataset.x_val),
            "n_test": len(dataset.x_test),
        },
        "versions": {"kerasreg": kerasreg.__version__, "keras": keras.__version__},
    }


def _claim(out, identity, overwrite):
    """Make `out` this study's folder, or resume the same study there.

    A folder holding another study (other arguments or data) is refused,
    unless `overwrite`; a damaged identity file is named in the error.
    """
    path = os.path.join(out, _IDENTITY)
    if os.path.exists(path) and not overwrite:
        try:
            held = _filesystem.read_json(path)
        except (OSError, ValueError) as error:
            raise StudyError(
                f"Cannot read the study's identity file {path!r} ({error}). Delete "
                "the folder, or pass overwrite=True, to start afresh."
            ) from None
        if not isinstance(held, dict) or held.get("kind") != _KIND:
            raise StudyError(f"{path!r} is not a kerasreg study's identity file.")
        if (
            held.get("format") != _FORMAT
            or held.get("plan") != identity["plan"]
            or (held.get("data") != identity["data"])
        ):
            raise StudyError(
                f"The folder {out!r} holds a study with other arguments or data "
                f"(see {path!r}). Use another `out`, or overwrite=True to start "
                "afresh."
            )
        return
    try:
        if overwrite:
            for name in ("trials", "logs"):
                shutil.rmtree(os.path.join(out, name), ignore_errors=True)
        os.makedirs(out, exist_ok=True)
        _filesystem.write_json(path, identity)
    except OSError as error:
        reason = error.strerror or str(error)
        raise StudyError(f"Cannot write the study to {out!r}: {reason}.") from None
