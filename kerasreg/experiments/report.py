"""The report: report.md, results.json and the figures, and the terminal's
table (`say`). The folder they are staged in and published to is
`kerasreg.experiments.folder.ReportFolder`'s."""

import dataclasses
import json
import math
import os
import re
import shutil

import numpy as np

from kerasreg.experiments import augment
from kerasreg.experiments.budget import format_seconds
from kerasreg.experiments.reading import read_results
from kerasreg.experiments.records import HISTOGRAM_BINS, path_model, recommended_point
from kerasreg.experiments.table import format_share, format_table
from kerasreg.experiments.techniques import PATH_PENALTIES, technique

REPORT, RESULTS = "report.md", "results.json"
CURVES, PATHS = "learning_curves.png", "paths.png"
AUGMENTATION, WEIGHTS = "augmentation.png", "weights.png"
FEATURES = "features.png"
# What a report folder holds; a folder holding anything else is not replaced.
FILES = (
    REPORT,
    RESULTS,
    CURVES,
    PATHS,
    AUGMENTATION,
    WEIGHTS,
    FEATURES,
    *(path_model(name) for name in PATH_PENALTIES),
)


def write_report(folder, result, logs=None, augmentation=None):
    """Write report.md, results.json and the figures into `folder`.

    report.md holds the settings, the results table with confidence intervals
    and seed-paired verdicts, a reading of it, the values chosen on
    validation with the loss of every value tried, what each configuration
    gets, and the figures: learning curves (loss and accuracy), the
    regularization paths, the augmentation at its chosen magnitude (images
    only) and the weight histograms; where the paths counted the input
    features each model keeps (a table's rows), the validation accuracy
    against the features kept, and the features the recommended model
    keeps, by name where the data named them. matplotlib is imported here,
    only to draw them. The model each path recommends, which its trial saved
    in `logs`, is copied in beside them
    (`kerasreg.experiments.records.path_model`).

    Args:
        folder: str, an existing, writable folder.
        result: the `kerasreg.experiments.StudyResult`.
        logs: str, the folder of the runs' TensorBoard and CSV logs and the
            paths' models, named in the report; None if there are none.
            Defaults to `None`.
        augmentation: the study's augmentation factory, `(magnitude, seed) ->
            layer`, previewed at the chosen magnitude; None for the default,
            `kerasreg.experiments.augment.make_augmentation`. Defaults to
            `None`.

    Returns:
        The path of report.md.

    Example:

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> path = write_report(folder, result)  # `result`: a `StudyResult`
    >>> path == os.path.join(folder, REPORT)
    True
    >>> sorted(os.listdir(folder))
    ['learning_curves.png', 'report.md', 'results.json', 'weights.png']
    """
    from kerasreg.experiments import plots

    plots.plot_learning_curves(result.runs, os.path.join(folder, CURVES))
    if result.paths:
        plots.plot_paths(
            result.paths,
            result.choices.strength,
            os.path.join(folder, PATHS),
            validation_size=result.settings["data"]["n_val"],
            fresh_fits=result.fresh_fits,
        )
    if _counts_features(result.paths):
        plots.plot_features(
            result.paths,
            os.path.join(folder, FEATURES),
            n_features=result.dataset.image_shape[0],
            validation_size=result.settings["data"]["n_val"],
        )
    models = _copy_path_models(folder, result.paths, logs)
    magnitude = result.choices.strength.get("Augmentation")
    # Only an image has a picture to preview.
    if magnitude is not None and result.dataset.images:
        factory = augmentation or augment.for_dataset(result.dataset)
        plots.plot_augmentation_preview(
            result.dataset,
            factory(magnitude, 0),
            os.path.join(folder, AUGMENTATION),
            f"Augmentation at magnitude {magnitude:g}, chosen on validation loss",
        )
    plots.plot_weight_histograms(result.runs, os.path.join(folder, WEIGHTS))
    with open(os.path.join(folder, RESULTS), "w", encoding="utf-8") as file:
        json.dump(results_json(result), file, indent=1, allow_nan=False)
    path = os.path.join(folder, REPORT)
    with open(path, "w", encoding="utf-8") as file:
        file.write(
            _markdown(result, logs, models, default_augmentation=augmentation is None)
        )
    return path


def _counts_features(paths):
    return any(p.features is not None for points in paths.values() for p in points)


def feature_list(features, names):
    """The kept features' names, or their column indices if `names` is None.

    Example:

    >>> feature_list((0, 2), ("age", "bmi", "bp")), feature_list((0, 2), None)
    (['age', 'bp'], [0, 2])
    """
    return [names[i] if names is not None else i for i in features]


def _copy_path_models(folder, paths, logs):
    """Copy each path's recommended model from `logs`; the names copied."""
    copied = []
    for name, points in paths.items():
        source = os.path.join(logs, path_model(name)) if logs else None
        if recommended_point(points) is not None and source and os.path.isfile(source):
            shutil.copyfile(source, os.path.join(folder, path_model(name)))
            copied.append(name)
    return copied


def say(stream, result, path):
    """Print the table, its reading and the report's path to `stream`."""
    lines = [format_table(result.summaries, result.comparisons), ""]
    # Markdown emphasis and code marks read as noise on a terminal.
    lines += ["- " + re.sub(r"\*\*|`", "", line) for line in read_results(result)]
    lines += ["", f"Report: {path}"]
    stream.write("\n".join(lines) + "\n")
    stream.flush()


def results_json(result):
    """Everything a study found, as JSON-ready values (results.json).

    The settings; the choices (the learning rate and each technique's
    strength, with the validation loss of every value tried); per
    configuration its summary and its comparison with the baseline; the
    regularization paths (with, where counted, each point's
    `"features_kept"` and the kept `"features"`' column indices); each
    path's recommended point beside the fresh fit at its λ
    (`"recommended"`: penalty → `{"path": point, "fresh_fit": run,
    "model": file name}`, and `"features"`: the kept features' names, or
    indices if the data named none, where counted); and every run. NumPy
    numbers become Python numbers, and a NaN or infinite one (an interval
    one seed cannot give, a diverged run's loss) becomes None (null).

    Args:
        result: the `kerasreg.experiments.StudyResult`.

    Returns:
        A dict that `json.dumps(..., allow_nan=False)` accepts.

    Example:

    >>> written = results_json(result)  # `result`: a `StudyResult`
    >>> written["comparisons"]["L2"]["verdict"]
    'better'
    >>> written["choices"]["learning_rate"]["tried"][0]
    {'value': 0.01, 'val_loss': 0.52, 'epochs': 60}
    """
    choices = result.choices
    return _jsonable(
        {
            "settings": result.settings,
            "choices": {
                "learning_rate": _tried(
                    choices.learning_rates,
                    choices.learning_rate_epochs,
                    choices.learning_rate,
                ),
                "techniques": {
                    name: _tried(
                        scores, choices.strength_epochs[name], choices.strength[name]
                    )
                    for name, scores in choices.strengths.items()
                },
            },
            "summaries": result.summaries,
            "comparisons": result.comparisons,
            "paths": {
                name: [point.to_json() for point in points]
                for name, points in result.paths.items()
            },
            "recommended": {
                name: {
                    "path": points[index].to_json(),
                    "fresh_fit": result.fresh_fits[name].to_json(),
                    "model": path_model(name),
                    **(
                        {}
                        if points[index].features is None
                        else {
                            "features": feature_list(
                                points[index].features,
                                result.dataset.feature_names,
                            )
                        }
                    ),
                }
                for name, points in result.paths.items()
                if (index := recommended_point(points)) is not None
                and name in result.fresh_fits
            },
            "runs": [run.to_json() for runs in result.runs.values() for run in runs],
        }
    )


def _tried(scores, epochs, chosen):
    return {
        "chosen": chosen,
        "tried": [
            {"value": value, "val_loss": loss, "epochs": epochs[value]}
            for value, loss in scores.items()
        ],
    }


def _jsonable(value):
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: _jsonable(getattr(value, field.name))
            for field in dataclasses.fields(value)
        }
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [_jsonable(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _markdown(result, logs, models, default_augmentation):
    settings, choices = result.settings, result.choices
    plan, data = settings["plan"], settings["data"]
    model = f"`{settings['model']}`" if settings.get("model") else "the model"
    versions = ", ".join(f"{k} {v}" for k, v in settings["versions"].items())
    sections = [
        f"# Which regularization helps {model}? A kerasreg study on {data['name']}",
        f"{model[:1].upper()}{model[1:]} trained without regularization and with "
        f"each technique, {plan['seeds']} seed{'s' if plan['seeds'] > 1 else ''} "
        "per configuration: "
        f"{data['n_train']} training examples {result.dataset.shape_words()}, "
        f"{data['n_val']} "
        "for validation (every choice below, and early stopping), "
        f"{data['n_test']} for the test accuracy (never used for a choice). "
        f"{plan['epochs']} epochs of {plan['batch_size']}-example batches, "
        f"{settings['optimizer']} at the learning rate "
        f"chosen on validation, {choices.learning_rate:g}. Accuracies are "
        f"measured in inference mode. {_wall_time(settings)} ({versions})."
        + _budget(settings),
        "## Results",
        format_table(result.summaries, result.comparisons, markdown=True),
        "± is the half-width of the 95% confidence interval over the seeds "
        "(Student's t), clipped to [0, 100]%: a clipped one reads -below/+above; "
        "– : one seed, no interval. *vs baseline*: the test "
        "accuracy's difference from no regularization, paired by seed, with its "
        "interval; better or worse only when the interval excludes 0, else a tie.",
        "## Reading",
        "\n".join("- " + line for line in read_results(result)),
        "## Chosen on validation",
        _choices_text(choices, plan["epochs"]),
        _choices_table(choices, plan["epochs"]),
        "## Configurations",
        _configurations_table(result.configurations),
        "## Learning curves",
        f"![Loss and accuracy per epoch, per configuration]({CURVES})",
        "Seed 0 of each configuration. Dashed green: the epoch whose weights "
        "early stopping kept; dotted red: the epoch at which it stopped.",
    ]
    if result.paths:
        sections += _paths_section(result, plan["epochs"], models)
    if _counts_features(result.paths):
        sections += _features_section(result, models)
    if "Augmentation" in choices.strength and result.dataset.images:
        sections += _augmentation_section(
            result.dataset, choices.strength["Augmentation"], default_augmentation
        )
    sections += [
        "## Weights",
        f"![Weight histograms and exact zeros]({WEIGHTS})",
        f"Left: the first kernel's weights (seed 0) in {HISTOGRAM_BINS} equal bins "
        "over its range; exact zeros share the middle bin with near-zero weights, "
        "so the legend gives their share. Right: the share of exactly-zero "
        "weights over all kernels.",
    ]
    if logs is not None:
        sections += ["## Logs", _logs(logs)]
    sections.append(
        f"Every number above, per run and per configuration: [`{RESULTS}`]({RESULTS})."
    )
    return "\n\n".join(sections) + "\n"


def _logs(logs):
    """Where the runs' histories are; TensorBoard is named only where its
    event files are (runs trained with `tensorboard=True`)."""
    where = (
        f"Every run's history is logged in `{logs}`, one folder per trial named "
        "by the techniques it ran with their strengths, then by its learning "
        "rate, seed and epochs: `history.csv` from Keras' `CSVLogger`"
    )
    events = any(
        name.startswith("events.out.tfevents.")
        for _, _, names in os.walk(logs)
        for name in names
    )
    if not events:
        return (
            f"{where}. For TensorBoard's event files too, run the study with "
            "`tensorboard=True`."
        )
    return (
        f"{where}, and TensorBoard's event files. To browse them: "
        f"`tensorboard --logdir {logs}`"
    )


def _budget(settings):
    """What a budget cut, said where the plan is: the numbers above rest on
    the cut plan, not on the one asked for."""
    spent = settings.get("budget")
    if not spent:
        return ""
    if not spent["cuts"]:
        return f" The whole plan fit the budget of {spent['minutes']:g} minutes."
    timing = settings["timing"]
    return (
        f" **Cut to fit a budget of {spent['minutes']:g} minutes**, as timed "
        f"before the first trial ({format_seconds(timing['seconds_per_epoch'])} s "
        f"an epoch, {format_seconds(timing['seconds_per_fit'])} s to build and "
        f"measure a model): {'; '.join(spent['cuts'])}. Every number in this "
        "report rests on the cut plan, not on the one asked for."
    )


def _wall_time(settings):
    resumed = settings.get("trials_resumed", 0)
    if not resumed:
        return f"Total wall time {settings['wall_time']:.0f} s"
    # The earlier runs' time is not known here: say what this run took.
    return (
        f"Resumed: {resumed} trials had finished in an earlier run; this run "
        f"took {settings['wall_time']:.0f} s of wall time for the rest"
    )


def _loss(loss, decimals=3):
    return f"{loss:.{decimals}f}" if math.isfinite(loss) else "diverged"


def _decimals(losses):
    """The fewest decimals, 3 or more, that tell every two different losses
    apart: a winner's 0.2031 never reads as the runner-up's "0.203"."""
    finite = {loss for loss in losses if math.isfinite(loss)}
    return next(
        (d for d in range(3, 17) if len({f"{v:.{d}f}" for v in finite}) == len(finite)),
        17,
    )


def _choices_text(choices, epochs):
    grids = (choices.learning_rate_epochs, *choices.strength_epochs.values())
    stops = sorted({e for tried in grids for e in tried.values() if e < epochs})
    order = (
        "The learning rate was chosen first, for the model without "
        "regularization, and kept for every configuration; each technique's "
        "strength then at that rate. The test split played no part."
    )
    if not stops:
        return (
            "Each value was trained once (seed 0) and scored by its validation "
            "loss, the data loss without any penalty; the lowest wins (a tie goes "
            f"to the value tried first). {order}"
        )
    patience = (
        " Early stopping's patience counts epochs, which a shortened run cannot "
        f"show: its values all trained the full {epochs}."
        if "EarlyStopping" in choices.strength
        else ""
    )
    stopped = " or ".join(str(e) for e in stops)
    return (
        "The values were compared by successive halving (Hyperband's rule): "
        "all of a grid's values trained from a fresh start (seed 0) for a "
        f"fraction of the {epochs} epochs, the best third of them by validation "
        "loss (the data loss without any penalty; a tie goes to the value "
        "tried first) went on for about three times as many, and so on until "
        f"one trained the full {epochs}: it is chosen. Each rung's losers "
        f"stopped after {stopped} epochs; the table gives the loss each value "
        f"reached and, in brackets, where it stopped.{patience} {order} The "
        f"comparison trains every configuration and seed the full {epochs} "
        "epochs from scratch."
    )


def _choice_row(label, scores, epochs_of, chosen, described, epochs):
    decimals = _decimals(scores.values())
    tried = [
        # Batch normalization's one "strength" is True: on.
        f"{'on' if value is True else format(value, 'g')} → {_loss(loss, decimals)}"
        # A value successive halving stopped early: the epochs it reached.
        + (f" ({epochs_of[value]} ep)" if epochs_of[value] < epochs else "")
        for value, loss in scores.items()
    ]
    tried = ", ".join(
        f"**{text}**" if value == chosen else text
        for value, text in zip(scores, tried, strict=True)
    )
    return f"| {label} | {tried} | {described} |"


def _choices_table(choices, epochs):
    rows = [
        "| choice | value tried → validation loss (chosen in bold) | chosen |",
        "| --- | --- | --- |",
        _choice_row(
            "learning rate",
            choices.learning_rates,
            choices.learning_rate_epochs,
            choices.learning_rate,
            f"{choices.learning_rate:g}",
            epochs,
        ),
    ]
    for name, scores in choices.strengths.items():
        known = technique(name)
        chosen = choices.strength[name]
        rows.append(
            _choice_row(
                f"{name} {known.strength_name}",
                scores,
                choices.strength_epochs[name],
                chosen,
                known.describe(chosen),
                epochs,
            )
        )
    return "\n".join(rows)


def _configurations_table(configurations):
    rows = ["| configuration | what the model gets |", "| --- | --- |"]
    for name, setting in configurations.items():
        gets = "; ".join(
            technique(part).describe(strength)
            for part, strength in setting.techniques().items()
        )
        rows.append(f"| {name} | {gets or 'no regularization: every switch off'} |")
    return "\n".join(rows)


def _paths_section(result, epochs, models):
    n_val = result.settings["data"]["n_val"]
    sections = [
        "## Regularization paths",
        f"![Validation accuracy and exact zeros against λ]({PATHS})",
        "What a path is: one model trained at each λ from strong to weak, each "
        "fit starting from the weights of the one before (a warm start, as "
        "glmnet and scikit-learn's `lasso_path` do), "
        f"{epochs} epochs each at the chosen learning rate, seed 0. A weight "
        "the strong λ set to exactly 0 tends to stay 0 at the weaker λ that "
        "follow, so a path point's zeros come from its λ *and* the stronger "
        "ones before it: the same λ trained from scratch may give far fewer. "
        "The fresh fit below shows how many. The band around the accuracy is "
        f"±1 standard error of an accuracy measured on {n_val} validation "
        f"examples (one example is {100 / n_val:.2g} points).",
    ]
    if result.dataset.tabular and not _counts_features(result.paths):
        why = (
            "its paths finished under a kerasreg that did not count them "
            "(a study in a new `out` does)"
            if result.settings.get("features_counted")
            else "the model's first Dense layer does not take the features (one "
            "kernel row per column), so its rows of zeros name no feature"
        )
        sections.append(f"The input features each model keeps are not counted: {why}.")
    for name, points in result.paths.items():
        counted = any(p.features is not None for p in points)
        rows = [
            f"**{name}**",
            "",
            "| λ | validation accuracy | validation loss | kernel weights exactly 0 |"
            + (" features kept |" if counted else ""),
            "| ---: | ---: | ---: | ---: |" + (" ---: |" if counted else ""),
        ]
        index = recommended_point(points)
        rows += [
            f"| {'**' if i == index else ''}{p.strength:.3g}"
            f"{'**' if i == index else ''} | "
            f"{100 * p.measures['val_accuracy']:.1f}% | "
            f"{_loss(p.measures['val_loss'])} | {format_share(p.zero_share)} |"
            + (f" {_count(p.features)} |" if counted else "")
            for i, p in enumerate(points)
        ]
        sections.append("\n".join(rows))
        if index is not None:
            sections.append(_recommended(name, points[index], result, name in models))
    return sections


def _count(features):
    return "–" if features is None else str(len(features))


def _features_section(result, models):
    data = result.dataset
    names = data.feature_names
    total = data.image_shape[0]
    sections = [
        "## Features kept",
        f"![Validation accuracy against the input features kept]({FEATURES})",
        "A model keeps an input feature while that feature's row of its first "
        "Dense layer's kernel is not all exactly 0 "
        "(`kerasreg.feature_selection.selected_features`); an L1-type penalty "
        "applied by `Proximal` zeroes weights exactly, and GroupLasso "
        "(`axis=0`) a feature's whole row at once. Each path point above "
        f"counts the features its model keeps, of {total}"
        + (", named by the data's columns." if names is not None else ".")
        + " Typically few are kept at strong λ, more as λ weakens.",
    ]
    for name, points in result.paths.items():
        index = recommended_point(points)
        if index is None or points[index].features is None:
            continue
        point = points[index]
        kept = feature_list(point.features, names)
        listed = ", ".join(f"`{feature}`" for feature in kept) or "none"
        what = "features" if names is not None else "columns (0-based)"
        text = (
            f"**{name}** at the recommended λ = {point.strength:.3g} (validation "
            f"accuracy {100 * point.measures['val_accuracy']:.1f}%) keeps "
            f"{len(kept)} of {total} {what}: {listed}."
        )
        if name in models:
            text += (
                f" Its model, which uses these alone, is saved as "
                f"[`{path_model(name)}`]({path_model(name)}) beside this report: "
                "`kerasreg.feature_selection.selected_features(model"
                + (", feature_names=columns" if names is not None else "")
                + ")` lists them from it."
            )
        else:
            text += " Its model was not found in the logs folder."
        sections.append(text)
    return sections


def _recommended(name, point, result, saved):
    fresh = result.fresh_fits.get(name)
    # The path's first fit starts from scratch too: the two agree there.
    first = point is result.paths[name][0]
    origin = "its first fit, from scratch" if first else "warm-started"
    rows = [
        f"Recommended (in bold above): λ = {point.strength:.3g}, the strongest "
        "whose validation accuracy is within 1 point of the path's best.",
        "",
        "| λ = " + f"{point.strength:.3g} | validation accuracy | kernel weights "
        "exactly 0 | model |",
        "| --- | ---: | ---: | --- |",
        f"| on the path ({origin}) | {100 * point.measures['val_accuracy']:.1f}% "
        f"| {format_share(point.zero_share)} | "
        + (
            f"[`{path_model(name)}`]({path_model(name)})"
            if saved
            else "not found in the logs folder"
        )
        + " |",
    ]
    if fresh is not None:
        state = " (diverged)" if fresh.diverged else ""
        rows.append(
            f"| trained from scratch{state} | {100 * fresh.val_accuracy:.1f}% | "
            f"{format_share(fresh.zero_fraction)} | test accuracy "
            f"{100 * fresh.test_accuracy:.1f}% |"
        )
    if saved:
        rows += [
            "",
            f"`{path_model(name)}` is the path's model at that λ, the sparse one "
            "the path found: `keras.saving.load_model` reads it once `kerasreg` "
            "is imported.",
        ]
    return "\n".join(rows)


def _augmentation_section(data, magnitude, default_augmentation):
    if default_augmentation:
        text = (
            f"Magnitude {magnitude:g}, chosen on validation loss, multiplies "
            "every random range of the augmentation, which at magnitude 1 is "
            f"{augment.describe_augmentation(data)}"
        )
    else:
        text = (
            f"The study's augmentation at magnitude {magnitude:g}, chosen on "
            "validation loss."
        )
    return [
        "## Augmentation",
        text,
        f"![An image and its augmentations]({AUGMENTATION})",
    ]
