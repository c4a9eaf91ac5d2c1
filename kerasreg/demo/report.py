"""The report folder: report.md, results.json and the figures."""

import json
import os

from kerasreg.demo import plots
from kerasreg.demo.augment import describe_augmentation
from kerasreg.demo.table import format_table

REPORT, RESULTS = "report.md", "results.json"
CURVES, AUGMENTATION, WEIGHTS = "learning_curves.png", "augmentation.png", "weights.png"


def write_report(folder, data, results, summaries, reading, settings):
    """Write report.md, results.json and the three PNGs into `folder`.

    Args:
        folder: str, an existing, writable folder.
        data: the `kerasreg.demo.data.Dataset` studied.
        results: dict from technique name to its list of `Run`.
        summaries: dict from technique name to its `Summary`.
        reading: list of str, the bullet points of `write_reading`.
        settings: dict of the study's settings (JSON-ready), shown in the
            report and stored in results.json.

    Returns:
        The path of report.md.

    Example:

    >>> write_report("kerasreg-report", data, results, summaries, reading,
    ...              settings)  # doctest: +SKIP
    'kerasreg-report/report.md'
    """
    plots.plot_learning_curves(results, os.path.join(folder, CURVES))
    plots.plot_augmentation_preview(data, os.path.join(folder, AUGMENTATION))
    plots.plot_weight_histograms(results, os.path.join(folder, WEIGHTS))
    payload = {
        "settings": settings,
        "summaries": [s.to_json() for s in summaries.values()],
        "runs": [run.to_json() for runs in results.values() for run in runs],
    }
    with open(os.path.join(folder, RESULTS), "w", encoding="utf-8") as file:
        json.dump(payload, file, indent=1)
    path = os.path.join(folder, REPORT)
    with open(path, "w", encoding="utf-8") as file:
        file.write(_markdown(data, summaries, reading, settings))
    return path


def _markdown(data, summaries, reading, settings):
    s = settings
    shape = "×".join(str(size) for size in data.image_shape)
    techniques = "\n".join(
        f"| {t['name']} | {t['description']} |" for t in s["techniques"]
    )
    return f"""# Which regularization helps? A kerasreg study on {data.name}

The same network — {s["network"]} — trained without regularization and with
each technique, {s["seeds"]} seed(s) each: {s["n_train"]} training images
of {shape} pixels, {s["n_val"]} for validation (learning curves, early
stopping), {s["n_test"]} for the test accuracy. {s["epochs"]} epochs of
{s["batch_size"]}-image batches, {s["optimizer"]}. Accuracies are measured in
inference mode on the clean images. Total wall time {s["wall_time"]:.0f} s
(kerasreg {s["versions"]["kerasreg"]}, Keras {s["versions"]["keras"]},
TensorFlow {s["versions"]["tensorflow"]}).

## Results

{format_table(summaries.values(), markdown=True)}

## Reading

{chr(10).join("- " + line for line in reading)}

## Techniques

| technique | what the network gets |
|---|---|
{techniques}

## Learning curves

![Training and validation loss per technique]({CURVES})

## Augmentation

{_capitalized(describe_augmentation(data))}

![An image and its augmentations]({AUGMENTATION})

## Weights

![Weight histograms and exact zeros]({WEIGHTS})

Every number above, per run and per technique: [`{RESULTS}`]({RESULTS}).
"""


def _capitalized(text):
    return text[:1].upper() + text[1:]
