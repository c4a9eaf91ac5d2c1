"""The study's plan: which trials to run, given the ones that have finished.

Four phases, each choosing only on validation loss (the test split is
measured, never consulted):

1. the learning rate: the unregularized model at each rate of the grid;
2. each technique's strength: every value of its grid, at the chosen rate;
3. the comparison: the baseline, each technique at its chosen strength and
   the combinations, each over every seed (seed 0 is the run of phase 1 or 2);
4. the regularization path of each L1-type penalty, warm-started from
   strong to weak λ, one trial each;
5. a fresh fit at the λ each path recommends (`recommended_point`): the
   penalty alone at that λ, from a fresh start (seed 0), which shows what λ
   gives without the path's warm start (a weight the path once set to zero
   tends to stay zero).

The plan is a pure function of the finished trials: a killed study, or the
chief oracle of a distributed one, recomputes where it stands from the
trials keras-tuner has recorded.
"""

import dataclasses
import json

from kerasreg.experiments.records import recommended_point
from kerasreg.experiments.techniques import PATH_PENALTIES, PENALTIES, Setting

BASELINE = "none"
ALL_TOGETHER = "all together"
# Points of a regularization path, and how far beyond its grid it reaches
# (strong enough that nearly every weight is zero, weak enough for none).
PATH_POINTS = 6
_PATH_REACH = 10.0


def trial_key(values):
    """The identity of a trial: its values, canonically ordered."""
    return json.dumps(values, sort_keys=True)


@dataclasses.dataclass(frozen=True)
class Choices:
    """What the plan chose on validation loss, with the scores behind it.

    `learning_rates` and `strengths` map each value tried to its validation
    loss (seed 0); `strength` maps a technique's name to its chosen value.
    """

    learning_rate: float
    learning_rates: dict
    strength: dict
    strengths: dict


@dataclasses.dataclass(frozen=True)
class Plan:
    """Every trial of a study, phase by phase.

    Args:
        techniques: tuple of `Technique`, with their grids.
        combinations: tuple of tuples of technique names, compared as wholes
            at the chosen strengths; `ALL_TOGETHER` is added when there are
            two techniques or more.
        learning_rates: tuple of floats, the rate grid of phase 1.
        seeds: int, runs per compared configuration.
        epochs: int, the epochs of each run.
        path: bool, whether to run phases 4 and 5.
        path_points: int, the λ of each regularization path. Defaults to
            `PATH_POINTS`.
    """

    techniques: tuple
    combinations: tuple
    learning_rates: tuple
    seeds: int
    epochs: int
    path: bool = True
    path_points: int = PATH_POINTS

    def values(self, setting, learning_rate, seed, path=""):
        """The keras-tuner values of one trial."""
        return {
            **setting.values(),
            "learning_rate": float(learning_rate),
            "seed": seed,
            "epochs": self.epochs,
            "path": path,
        }

    def path_strengths(self, name):
        """The λ of `name`'s path, strong to weak, geometrically spaced."""
        grid = self._technique(name).grid
        high, low = max(grid) * _PATH_REACH, min(grid) / _PATH_REACH
        ratio = (low / high) ** (1 / (self.path_points - 1))
        return tuple(high * ratio**i for i in range(self.path_points))

    def fresh_fit(self, name, strength, learning_rate):
        """The values of phase 5's trial for `name`'s path: the penalty alone
        at `strength`, from a fresh start (seed 0)."""
        return self.values(self._technique(name).setting(strength), learning_rate, 0)

    def count(self, results=None, paths=None):
        """How many trials the study runs: exact once every choice is made
        (given `results`, trial key → validation loss, and `paths`), else an
        upper bound (a combination, or a fresh fit, may turn out to equal
        another trial)."""
        planned, complete = self.trials(results or {}, paths)
        if complete:
            return len(planned)
        tuning = len(self.learning_rates) + sum(len(t.grid) for t in self.techniques)
        compared = len(self.techniques) + len(self.combinations)
        compared += 1 if len(self.techniques) > 1 else 0
        paths = (
            sum(t.name in PATH_PENALTIES for t in self.techniques) if self.path else 0
        )
        # Seed 0 of the baseline and of each technique is its tuning run.
        reused = 1 + len(self.techniques)
        # Each path is one trial, and its fresh fit another.
        return tuning + (1 + compared) * self.seeds - reused + 2 * paths

    def trials(self, results, paths=None):
        """The trials to run given `results` (trial key → validation loss)
        and `paths` (penalty → list of `PathPoint` of each finished path;
        None for none).

        Returns:
            `(values, complete)`: the values of every trial known so far, in
            order, and whether that list is final (every choice made).
        """
        planned = [self.values(Setting(), lr, 0) for lr in self.learning_rates]
        if not _finished(planned, results):
            return planned, False
        learning_rate = self._best(self.learning_rates, planned, results)
        tuning = {
            t.name: [self.values(t.setting(s), learning_rate, 0) for s in t.grid]
            for t in self.techniques
        }
        planned += [values for runs in tuning.values() for values in runs]
        if not _finished(planned, results):
            return planned, False
        choices = self.choices(results)
        for setting in self.configurations(choices, results).values():
            planned += [
                self.values(setting, learning_rate, s) for s in range(self.seeds)
            ]
        if not self.path:
            return _unique(planned), True
        names = [t.name for t in self.techniques if t.name in PATH_PENALTIES]
        planned += [self.values(Setting(), learning_rate, 0, path=n) for n in names]
        if not _finished(planned, results) or not set(names) <= set(paths or {}):
            return _unique(planned), False
        for name in names:
            index = recommended_point(paths[name])
            # A path that diverged at every λ recommends nothing to refit.
            if index is not None:
                strength = paths[name][index].strength
                planned.append(self.fresh_fit(name, strength, learning_rate))
        return _unique(planned), True

    def next(self, results, running, paths=None):
        """`("run", values)`, `("wait", None)` or `("stop", None)`.

        Args:
            results: dict, trial key → validation loss of finished trials.
            running: set of trial keys being run now.
            paths: dict, penalty → list of `PathPoint` of each finished
                path, or None for none.
        """
        planned, complete = self.trials(results, paths)
        waiting = False
        for values in planned:
            key = trial_key(values)
            if key in running:
                waiting = True
            elif key not in results:
                return "run", values
        return ("wait", None) if waiting or not complete else ("stop", None)

    def choices(self, results):
        """The chosen learning rate and strengths (phases 1 and 2 finished)."""
        lr_runs = [self.values(Setting(), lr, 0) for lr in self.learning_rates]
        learning_rate = self._best(self.learning_rates, lr_runs, results)
        strength, strengths = {}, {}
        for t in self.techniques:
            runs = [self.values(t.setting(s), learning_rate, 0) for s in t.grid]
            strength[t.name] = self._best(t.grid, runs, results)
            strengths[t.name] = _scores(t.grid, runs, results)
        return Choices(
            learning_rate=learning_rate,
            learning_rates=_scores(self.learning_rates, lr_runs, results),
            strength=strength,
            strengths=strengths,
        )

    def configurations(self, choices, results):
        """Name → `Setting` of every compared configuration, baseline first.

        "all together" takes every technique at its chosen strength, with the
        one penalty (of those studied) that scored best on validation.
        """
        chosen = {t.name: t.setting(choices.strength[t.name]) for t in self.techniques}
        configurations = {BASELINE: Setting(), **chosen}
        for names in self.combinations:
            configurations[" + ".join(names)] = _merge(chosen[n] for n in names)
        if len(self.techniques) > 1:
            penalties = [n for n in chosen if n in PENALTIES]
            best = min(
                penalties,
                key=lambda n: results[
                    trial_key(self.values(chosen[n], choices.learning_rate, 0))
                ],
                default=None,
            )
            kept = [n for n in chosen if n not in PENALTIES or n == best]
            configurations[ALL_TOGETHER] = _merge(chosen[n] for n in kept)
        return configurations

    def _technique(self, name):
        return next(t for t in self.techniques if t.name == name)

    @staticmethod
    def _best(grid, runs, results):
        # The lowest validation loss; a tie goes to the first value of the
        # grid, and a diverged run (inf) is never chosen over a finite one.
        losses = [results[trial_key(values)] for values in runs]
        return grid[min(range(len(grid)), key=lambda i: (losses[i], i))]


def _finished(planned, results):
    return all(trial_key(values) in results for values in planned)


def _scores(grid, runs, results):
    return {
        value: float(results[trial_key(v)]) for value, v in zip(grid, runs, strict=True)
    }


def _merge(settings):
    merged = Setting()
    for setting in settings:
        merged = merged.merged(setting)
    return merged


def _unique(planned):
    seen, unique = set(), []
    for values in planned:
        key = trial_key(values)
        if key not in seen:
            seen.add(key)
            unique.append(values)
    return unique
