"""`study`: which regularization helps this model? Tuned fairly, compared honestly.

The function that ties the study's parts together: its checked arguments,
its folder, the trials on keras-tuner, the result and the report.
"""

import os
import sys
import time

import keras

from kerasreg.experiments import augment
from kerasreg.experiments.arguments import DEFAULT_LEARNING_RATES, StudyArguments
from kerasreg.experiments.budget import budget_lines, estimate_line, fit_to_budget
from kerasreg.experiments.data import as_dataset
from kerasreg.experiments.errors import StudyError
from kerasreg.experiments.folder import StudyFolder
from kerasreg.experiments.preflight import preflight
from kerasreg.experiments.report import REPORT, say, write_report
from kerasreg.experiments.result import collect
from kerasreg.experiments.timing import time_models
from kerasreg.experiments.training import Trainer
from kerasreg.experiments.workers import serve


def study(
    build_model,
    data,
    techniques=None,
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
    halving=False,
    image_size=None,
    overwrite=False,
    verbose=1,
    stream=None,
    workers=1,
    budget=None,
    tensorboard=False,
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
    On a table's rows (x of shape (N, features)) whose first Dense layer
    takes the features, the path also counts the features each λ keeps
    (`kerasreg.feature_selection.selected_features`: rows of that layer's
    kernel not all exactly 0), and the report plots the validation accuracy
    against the features kept and names those the recommended model keeps
    (by a pandas DataFrame's column names when x is one).

    Every trial runs through keras-tuner, recorded in `out/trials`: a study
    that is killed resumes where it stopped when called again with the same
    arguments (a trial whose file was lost or damaged runs again), and with
    `KERASTUNER_TUNER_ID`, `KERASTUNER_ORACLE_IP` and
    `KERASTUNER_ORACLE_PORT` set it runs distributed: the chief (tuner id
    "chief") plans and collects, each worker runs trials (see the README).
    With `workers=N` this process is such a chief on this machine and N
    worker processes run the trials (see `workers` below).
    Each run's history is logged under `out/logs` (a CSV file, and event
    files for TensorBoard with `tensorboard`); the report (report.md,
    results.json, figures) is written to `out/report`.

    Every model is compiled with `Proximal(optimizer(learning_rate))`, the
    given `loss` and an "accuracy" metric; the validation loss the choices
    rest on is the data loss alone (no penalty), so penalties compete fairly.

    Args:
        build_model: callable `Switches -> keras.Model`, called once per run.
            It places the techniques by calling the switches (see
            `kerasreg.experiments.Switches`); a model that never reads
            `switches.kernel_regularizer` gets the penalty on every kernel
            through `kerasreg.apply_regularization`.
        data: the examples: `(x, y)` arrays (x a pandas DataFrame to name
            a table's features by its columns), a `tf.data.Dataset` of
            pairs, a dict of `"train"`, `"validation"`, `"test"` splits, a
            folder of images in class subfolders, or `"digits"` (see
            `kerasreg.experiments.data.as_dataset`).
        techniques: names among "L1", "L2", "ElasticNet", "GroupLasso",
            "Dropout", "BatchNorm", "EarlyStopping", "Augmentation", or None.
            "Augmentation" needs images, or an `augmentation` for the
            examples given. Defaults to `None`: all but GroupLasso; for
            examples that are not images (a table's rows), also without
            Augmentation unless `augmentation` is given.
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
            magnitude (`kerasreg.experiments.augment.make_augmentation`);
            examples that are not images have no default.
        path: bool, whether to run the regularization paths.
            Defaults to `True`.
        halving: bool, whether the learning rate and the strengths are
            chosen by successive halving: every value of a grid trains a
            third (or a ninth, …) of `epochs`, and only the best third of
            them goes on, until one trains the full `epochs` (Hyperband's
            rule, η = 3; early stopping's patience is always tuned at the
            full `epochs`). False trains every value tried the full
            `epochs`. The compared runs train the full `epochs` either way.
            Off by default: on the demo, choices made at a third of the
            epochs moved the learning rate and the strengths towards the
            ones that win early (a fast rate, weak regularization) and
            changed two verdicts (see the README). Defaults to `False`.
        image_size: (height, width) to read a folder's images at, or None
            for the size they all share (see `as_dataset`). Only for a
            folder. Defaults to `None`.
        overwrite: bool, start afresh even if `out` holds a study with other
            arguments: the files that study wrote are deleted, nothing else
            (a folder holding files but no study is refused, whatever
            `overwrite` says). Defaults to `False`. A study is known again
            by its plan (techniques, grids, rates, seeds, epochs, halving,
            batch size) and its data's fingerprint (a table's column names
            included); `build_model`, `loss`,
            `optimizer` and `augmentation` are code, which a resumed study
            cannot compare: change them in a new `out`.
        verbose: 0 (silent), 1 (before the first trial the number of trials
            and an estimate of the whole study's time, for which two models
            are timed as `budget` says; then a progress bar with ETA, the
            table, its reading and the report's path) or 2 (the same without
            the progress bar). Defaults to `1`.
        stream: text stream for the table. Defaults to `sys.stdout`.
        workers: int >= 1, processes that run trials at once on this
            machine. With N > 1 this process serves keras-tuner's oracle on
            127.0.0.1 as a distributed study's chief does (its environment
            is set only while each worker starts) and starts N processes by
            multiprocessing's "spawn", each with `cores // N` TensorFlow
            threads (at least 1), training silently:
            `build_model`, `optimizer`, `augmentation` and `loss` must be
            picklable (module-level functions, not lambdas or closures), and
            a script that calls `study` must do so under
            `if __name__ == "__main__":`. A study run with one number of
            workers resumes with any other. Not in a process that is already
            one of a distributed study's. `"auto"`: one per core this
            process may use, at most 4 (each holds TensorFlow and the
            data), each with its share of the threads. Defaults to `1`.
        budget: float > 0, the minutes the study may take on this machine,
            or None for no limit. The first trial's model and the one with
            every technique on are timed for two epochs (an epoch, and a
            model's fixed cost: `kerasreg.experiments.timing`) and the plan
            is cut to fit, in `kerasreg.experiments.budget`'s order: the
            paths' points, the grids coarser, the epochs (to half), the seeds
            (to 2). What was cut is said before the first trial and in the
            report; the cut plan is the study's identity. A resumed study
            reuses the timing its first start recorded in `out`, so the same
            budget gives the same plan (in a distributed study, so do workers
            that share the chief's `out`). Defaults to `None`.
        tensorboard: bool, also log every run for TensorBoard (Keras'
            `TensorBoard` callback, in each run's folder under `out/logs`).
            Off by default: its summaries cost time every epoch (a demo
            trial took 1.07x as long with them), and the report reads the
            runs' histories. Not part of the study's identity: a study
            resumes with it on or off. Defaults to `False`.

    Returns:
        A `StudyResult` — or `None` in a distributed worker, whose results
        reach the chief.

    Raises:
        ValueError, TypeError: an argument is not of the documented kind,
            `build_model` gives no place to a technique studied,
            "Augmentation" is studied on examples that are not images
            without an `augmentation`, or even the
            smallest plan `budget` may cut to overruns it (the message says
            how many minutes it needs).
        StudyError: the data cannot be read; `out` holds files but no
            study, a different study (and `overwrite` is False), or a damaged
            identity file; or another process runs a study in `out`. A
            refused `out` is left as it was. Or a worker process died: it is
            named with its exit code, and the finished trials are kept.

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
    arguments = StudyArguments.checked(**locals())
    _check_dependencies()
    dataset = as_dataset(data, image_size)
    arguments = arguments.for_examples(dataset)
    plan = arguments.plan()
    folder = StudyFolder(out)
    trainer = Trainer(
        build_model=build_model,
        data=dataset,
        loss=arguments.compiled_loss(),
        optimizer=arguments.optimizer_factory(),
        augmentation=augmentation or augment.for_dataset(dataset),
        batch_size=arguments.batch_size,
        log_dir=folder.logs,
        tensorboard=arguments.tensorboard,
    )
    trainer, model = preflight(arguments, trainer, plan)
    worker = _engine().is_worker()
    talk = None if worker or not verbose else (stream or sys.stdout)
    fields = arguments.identity(dataset, plan)
    timing = _timing(folder, fields, arguments, trainer, plan, talk)
    plan, fields = _fitted(arguments, plan, timing, fields)
    identity = folder.claim(fields, overwrite, _engine().tuner_id())
    try:
        # Checked before any training: an unwritable report folder fails now.
        report = None if worker else folder.stage_report()
        start = time.perf_counter()
        try:
            oracle, resumed = _search(
                trainer, plan, folder, talk, verbose == 1, identity, arguments.workers
            )
            if worker:
                return None
            settings = {
                **identity,
                "model": model.name,
                "parameters": model.count_params(),
                "optimizer": arguments.describe_optimizer(),
                "wall_time": time.perf_counter() - start,
                "trials_resumed": resumed,
                # Whether the paths count the features each model keeps.
                "features_counted": trainer.count_features,
            }
            finished = _engine().completed_metrics(oracle.trials.values())
            result = collect(finished, plan, dataset, settings)
            try:
                write_report(
                    report.staging, result, logs=folder.logs, augmentation=augmentation
                )
            except OSError as error:
                raise report.unwritable(error) from error
        except BaseException:
            if report:
                report.discard()
            raise
        report.publish()
        if verbose:
            say(stream or sys.stdout, result, os.path.join(report.out, REPORT))
        return result
    finally:
        folder.release()


def _engine():
    # keras-tuner is imported only when a study runs: the rest of kerasreg
    # works without it.
    from kerasreg.experiments import engine

    return engine


def _timing(folder, fields, arguments, trainer, plan, talk):
    """`(seconds_per_epoch, seconds_per_fit)` on this machine, or None.

    A study resumed on the same data reuses the timing its first start
    recorded: the plan a budget gives rests on it, and the same timing gives
    the same plan. Otherwise the plan's models are timed, only when a
    budget needs it or the estimate is said (`talk`).
    """
    held = None if arguments.overwrite else folder.recorded()
    if held and held.get("data") == fields["data"] and held.get("timing"):
        recorded = held["timing"]
        return recorded["seconds_per_epoch"], recorded["seconds_per_fit"]
    if arguments.budget is None and talk is None:
        return None
    return time_models(trainer, plan)


def _fitted(arguments, plan, timing, fields):
    """The plan fitted to the budget, and its identity fields: the cut plan
    is compared; the budget, its cuts and the timing are recorded."""
    recorded = {"budget": None, "timing": None}
    if timing is not None:
        seconds_per_epoch, seconds_per_fit = timing
        recorded["timing"] = {
            "seconds_per_epoch": seconds_per_epoch,
            "seconds_per_fit": seconds_per_fit,
        }
    if arguments.budget is not None:
        plan, cuts = fit_to_budget(plan, *timing, arguments.budget)
        recorded["budget"] = {"minutes": arguments.budget, "cuts": list(cuts)}
    return plan, {**fields, "plan": arguments.plan_identity(plan), **recorded}


def _search(trainer, plan, folder, stream, bar, identity, workers):
    """Run every trial, resuming what `folder` holds, in this process or in
    `workers` (> 1) processes that this one serves.

    Says on `stream` (None: silent), before the first trial starts, what a
    budget cut, how many trials are planned and about how long the whole
    study takes (`identity`'s budget and timing); `bar`: a progress bar with
    an ETA. Returns the oracle and how many trials had finished in an
    earlier run.
    """
    engine = _engine()
    oracle = engine.PlanOracle(
        plan, on_trial_end=lambda: _advance(progress, plan, oracle, done)
    )
    tuner = engine.StudyTuner(
        oracle, trainer, plan, overwrite=False, **folder.tuner_project
    )
    oracle.verbose = 0
    done = len(oracle.end_order)
    trials = oracle.trials.values()
    losses, paths = engine.validation_losses(trials), engine.finished_paths(trials)
    _, exact = plan.trials(losses, paths)
    total = plan.count(losses, paths)
    if stream:
        earlier = f", {done} finished in an earlier run, {total - done} to go" * bool(
            done
        )
        bound = "" if exact else " (at most: exact once the strengths are chosen)"
        lines = [f"{total} trials planned{bound}{earlier}."]
        if identity["budget"]:
            spent = identity["budget"]
            lines[:0] = budget_lines(spent["minutes"], spent["cuts"])
        if identity["timing"] and total > done:
            timing = identity["timing"]
            lines.append(
                estimate_line(
                    plan,
                    timing["seconds_per_epoch"],
                    timing["seconds_per_fit"],
                    workers,
                )
            )
        stream.write("".join(line + "\n" for line in lines))
        stream.flush()
    # The bar counts only this run's trials: its ETA rests on them alone.
    progress = keras.utils.Progbar(
        total - done, unit_name="trial", verbose=1 if stream and bar else 0
    )
    # A finished study has nothing for workers to do: none is started.
    if workers > 1 and total > done:
        serve(oracle, trainer, plan, folder.tuner_project, workers, folder.out)
    else:
        tuner.search()
    return oracle, done


def _advance(progress, plan, oracle, done):
    # Once the strengths are chosen the plan knows its exact length.
    trials = oracle.trials.values()
    engine = _engine()
    total = plan.count(engine.validation_losses(trials), engine.finished_paths(trials))
    progress.target = total - done
    progress.add(1)


def _check_dependencies():
    for module in ("keras_tuner", "sklearn", "matplotlib"):
        try:
            __import__(module)
        except ImportError as error:
            raise StudyError(
                f"A study needs keras-tuner, scikit-learn and matplotlib ({error}); "
                "install them with: pip install 'kerasreg[study]'"
            ) from error
