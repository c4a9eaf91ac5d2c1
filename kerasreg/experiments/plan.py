"""The study's plan: which trials to run, given the ones that have finished.

Five phases, each choosing only on validation loss (the test split is
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

Phases 1 and 2 only choose, so with `halving` (off by default) each grid is
tuned by successive halving with η = 3, the rule of Hyperband and ASHA: a
grid of n values gets K = ⌈log₃ n⌉ rungs below the full budget; rung
k = 0 … K−1 trains the values still in, each from a fresh start (seed 0),
for max(1, round(epochs / 3^(K−k))) epochs, and the best ⌈n_k / 3⌉ of its
n_k values by validation loss go on (a tie goes to the value first in the
grid; a diverged run never beats a finite one). The one left trains the
full `epochs`: that run is its configuration's seed 0 in the comparison,
which trains every configuration and seed the full `epochs` from scratch.
For a grid of three values and 60 epochs: the three at 20 epochs, then the
best at 60. A grid of one value has no rung, nor has a technique whose
strength a shortened run cannot show (`Technique.halving`: early stopping's
patience counts epochs). Without `halving` every value trains the full
`epochs`.

The plan is a pure function of the finished trials: a killed study, or the
chief oracle of a distributed one, recomputes where it stands from the
trials keras-tuner has recorded.
"""

import dataclasses
import json
import math

from kerasreg.experiments.records import recommended_point
from kerasreg.experiments.techniques import PATH_PENALTIES, PENALTIES, Setting

BASELINE = "none"
ALL_TOGETHER = "all together"
# Points of a regularization path, and how far beyond its grid it reaches
# (strong enough that nearly every weight is zero, weak enough for none).
PATH_POINTS = 6
_PATH_REACH = 10.0
# Successive halving's η: each rung keeps the best third and triples the
# epochs (Hyperband's and ASHA's default).
_ETA = 3


def trial_key(values):
    """The identity of a trial: its values, canonically ordered."""
    return json.dumps(values, sort_keys=True)


@dataclasses.dataclass(frozen=True)
class Choices:
    """What the plan chose on validation loss, with the scores behind it.

    `learning_rates` and `strengths` map each value tried to its validation
    loss (seed 0) after the epochs `learning_rate_epochs` and
    `strength_epochs` give: the full budget for the value chosen, fewer for
    one successive halving stopped early. `strength` maps a technique's
    name to its chosen value.
    """

    learning_rate: float
    learning_rates: dict
    strength: dict
    strengths: dict
    learning_rate_epochs: dict
    strength_epochs: dict


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
        epochs: int, the epochs of each compared run.
        path: bool, whether to run phases 4 and 5.
        halving: bool, whether phases 1 and 2 choose by successive halving
            (see the module's docstring); False trains every value tried the
            full `epochs`.
        path_points: int, the λ of each regularization path. Defaults to
            `PATH_POINTS`.
    """

    techniques: tuple
    combinations: tuple
    learning_rates: tuple
    seeds: int
    epochs: int
    path: bool = True
    halving: bool = False
    path_points: int = PATH_POINTS

    def values(self, setting, learning_rate, seed, path="", epochs=None):
        """The keras-tuner values of one trial; `epochs` None: the full
        budget."""
        return {
            **setting.values(),
            "learning_rate": float(learning_rate),
            "seed": seed,
            "epochs": self.epochs if epochs is None else epochs,
            "path": path,
        }

    def rungs(self, size, halving=True):
        """The epochs of each rung tuning a grid of `size` values, the full
        budget last: only the full budget without halving (`halving` False:
        the technique's strength cannot be halved).

        Example:

        >>> plan = Plan(
        ...     techniques=(), combinations=(), learning_rates=(0.1,), seeds=1,
        ...     epochs=60, halving=True)
        >>> plan.rungs(1), plan.rungs(3), plan.rungs(9), plan.rungs(3, False)
        ((60,), (20, 60), (7, 20, 60), (60,))
        """
        if not (self.halving and halving):
            return (self.epochs,)
        below = 0
        while _ETA**below < size:
            below += 1
        return tuple(
            max(1, round(self.epochs / _ETA ** (below - k))) for k in range(below)
        ) + (self.epochs,)

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
        return len(planned) if complete else len(self._bound())

    def epochs_planned(self, results=None, paths=None):
        """How many epochs the study trains, over all its trials (a path's
        points count `epochs` each): exact once every choice is made (given
        `results` and `paths`, as `count` takes them), else an upper bound.

        Example:

        >>> from kerasreg.experiments.techniques import technique
        >>> plan = Plan(
        ...     techniques=(technique("Dropout"),), combinations=(),
        ...     learning_rates=(0.01, 0.03, 0.1), seeds=3, epochs=60, path=False,
        ...     halving=True)
        >>> # Two grids of three: 3 × 20 + 60 epochs each; then seeds 1 and 2
        >>> # of the baseline and of Dropout, 60 epochs each.
        >>> plan.epochs_planned(), 2 * (3 * 20 + 60) + 4 * 60
        (480, 480)
        >>> dataclasses.replace(plan, halving=False).epochs_planned()
        600
        """
        planned, complete = self.trials(results or {}, paths)
        if complete:
            return sum(self._epochs(values) for values in planned)
        return sum(self._bound())

    def trials(self, results, paths=None):
        """The trials to run given `results` (trial key → validation loss)
        and `paths` (penalty → list of `PathPoint` of each finished path;
        None for none).

        Returns:
            `(values, complete)`: the values of every trial known so far, in
            order, and whether that list is final (every choice made).
        """
        planned, choices = self._tuning(results)
        if choices is None:
            return _unique(planned), False
        learning_rate = choices.learning_rate
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
        """The chosen learning rate and strengths: a `Choices`, or None
        until phases 1 and 2 are finished."""
        return self._tuning(results)[1]

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

    def _tuning(self, results):
        """Phases 1 and 2 as far as `results` go: `(planned, choices)`, the
        values of their trials known so far and the `Choices`, None until
        every value is chosen."""
        planned, rates, learning_rate = _tune(
            self.learning_rates,
            self.rungs(len(self.learning_rates)),
            lambda rate, epochs: self.values(Setting(), rate, 0, epochs=epochs),
            results,
        )
        if learning_rate is None:
            return planned, None
        strength, strengths = {}, {}
        for t in self.techniques:
            runs, strengths[t.name], strength[t.name] = _tune(
                t.grid,
                self.rungs(len(t.grid), t.halving),
                lambda value, epochs, t=t: self.values(
                    t.setting(value), learning_rate, 0, epochs=epochs
                ),
                results,
            )
            planned += runs
        if any(value is None for value in strength.values()):
            return planned, None
        return planned, Choices(
            learning_rate=learning_rate,
            learning_rates=_losses(rates),
            strength=strength,
            strengths={name: _losses(s) for name, s in strengths.items()},
            learning_rate_epochs=_rung_epochs(rates),
            strength_epochs={name: _rung_epochs(s) for name, s in strengths.items()},
        )

    def _epochs(self, values):
        # A path trains each of its points the full epochs.
        return values["epochs"] * (self.path_points if values["path"] else 1)

    def _bound(self):
        """The epochs of every trial the plan may hold, before any choice:
        once they are made, some may turn out to be another's."""
        grids = [(len(self.learning_rates), True)]
        grids += [(len(t.grid), t.halving) for t in self.techniques]
        epochs = []
        for size, halving in grids:
            for k, rung in enumerate(self.rungs(size, halving)):
                # ⌈size / 3^k⌉ values reach rung k (the last one: a single
                # value with halving, the whole grid without).
                epochs += [rung] * math.ceil(size / _ETA**k)
        compared = len(self.techniques) + len(self.combinations)
        compared += 1 if len(self.techniques) > 1 else 0
        # Seed 0 of the baseline and of each technique is its tuning run.
        reused = 1 + len(self.techniques)
        epochs += [self.epochs] * ((1 + compared) * self.seeds - reused)
        paths = sum(t.name in PATH_PENALTIES for t in self.techniques)
        # Each path is one trial, and its fresh fit another.
        epochs += [self.path_points * self.epochs, self.epochs] * (
            paths if self.path else 0
        )
        return epochs


def _tune(grid, rungs, run, results):
    """Successive halving over `grid` (one rung: every value at once).

    Args:
        grid: the values tried, in order.
        rungs: the epochs of each rung, the full budget last.
        run: callable `(value, epochs) -> trial values`.
        results: dict, trial key → validation loss of finished trials.

    Returns:
        `(planned, scored, chosen)`: the values of every trial known so far;
        value → `(validation loss, epochs)` of each value at the last rung it
        finished; the chosen value, None until the last rung has finished.
    """
    alive, planned, scored = list(range(len(grid))), [], {}
    for k, epochs in enumerate(rungs):
        runs = [run(grid[i], epochs) for i in alive]
        planned += runs
        if not _finished(runs, results):
            return planned, scored, None
        losses = [float(results[trial_key(values)]) for values in runs]
        for i, loss in zip(alive, losses, strict=True):
            scored[grid[i]] = (loss, epochs)
        # The lowest validation losses go on; a tie goes to the value first
        # in the grid, and a diverged run (inf) never beats a finite one.
        ranked = sorted(range(len(alive)), key=lambda j: (losses[j], alive[j]))
        kept = 1 if k == len(rungs) - 1 else math.ceil(len(alive) / _ETA)
        alive = sorted(alive[j] for j in ranked[:kept])
    return planned, scored, grid[alive[0]]


def _losses(scored):
    return {value: loss for value, (loss, _) in scored.items()}


def _rung_epochs(scored):
    return {value: epochs for value, (_, epochs) in scored.items()}


def _finished(planned, results):
    return all(trial_key(values) in results for values in planned)


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
