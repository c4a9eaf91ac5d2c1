"""The plan: phases, choices on validation loss only (by successive halving),
and seed-0 reuse."""

import math

import pytest

from kerasreg.experiments.plan import ALL_TOGETHER, BASELINE, Plan, trial_key
from kerasreg.experiments.records import PathPoint
from kerasreg.experiments.techniques import DEFAULT_TECHNIQUES, Setting, technique


def _plan(
    names=("L1", "L2", "Dropout"),
    seeds=3,
    path=True,
    combinations=(),
    halving=True,
    epochs=5,
):
    return Plan(
        techniques=tuple(technique(n) for n in names),
        combinations=combinations,
        learning_rates=(0.01, 0.03, 0.1),
        seeds=seeds,
        epochs=epochs,
        path=path,
        halving=halving,
    )


def _loss(values):
    """A made-up validation loss: best at lr 0.03, L1 1e-3, L2 3e-3, rate 0.3;
    the seed adds a little."""
    loss = abs(math.log10(values["learning_rate"] / 0.03))
    if values["penalty"] == "L1":
        loss += abs(math.log10(values["strength"] / 1e-3)) - 0.05
    if values["penalty"] == "L2":
        loss += abs(math.log10(values["strength"] / 3e-3)) - 0.1
    if values["dropout_rate"]:
        loss += abs(values["dropout_rate"] - 0.3) - 0.01
    return 1.0 + loss + 0.001 * values["seed"]


# A path's made-up validation accuracies, strong λ first: the third point is
# the strongest within 1 point of the best (91%).
ACCURACIES = (0.5, 0.88, 0.9, 0.905, 0.91, 0.91)


def _path(plan, name, accuracies=ACCURACIES):
    return [
        PathPoint(s, {"val_accuracy": a, "val_loss": 1 / a}, 0.0)
        for s, a in zip(plan.path_strengths(name), accuracies, strict=True)
    ]


def _drive(plan, loss=_loss, accuracies=ACCURACIES):
    """Run the plan to its end, one trial at a time: the results, the values in
    order and the paths."""
    results, ran, paths = {}, [], {}
    while True:
        status, values = plan.next(results, running=set(), paths=paths)
        if status == "stop":
            return results, ran, paths
        assert status == "run"
        ran.append(values)
        results[trial_key(values)] = loss(values)
        if values["path"]:
            paths[values["path"]] = _path(plan, values["path"], accuracies)


def test_phase_one_is_the_learning_rate_grid_of_the_baseline():
    plan = _plan()
    planned, complete = plan.trials({})
    assert not complete
    assert [v["learning_rate"] for v in planned] == [0.01, 0.03, 0.1]
    assert all(Setting.from_values(v) == Setting() and v["seed"] == 0 for v in planned)


def test_a_running_trial_makes_the_next_phase_wait():
    plan = _plan()
    planned, _ = plan.trials({})
    results = {trial_key(v): 1.0 for v in planned[:2]}
    assert plan.next(results, running={trial_key(planned[2])}) == ("wait", None)


def test_choices_rest_on_validation_loss_with_ties_to_the_first():
    plan = _plan()
    results, _, _ = _drive(plan)
    choices = plan.choices(results)
    assert choices.learning_rate == 0.03
    assert choices.strength == {"L1": 1e-3, "L2": 3e-3, "Dropout": 0.3}
    flat, _, _ = _drive(plan, loss=lambda values: 1.0)
    assert plan.choices(flat).learning_rate == 0.01
    assert plan.choices(flat).strength["L2"] == 3e-4


def test_a_diverged_run_is_never_chosen():
    plan = _plan(("L1",))

    def loss(values):
        return math.inf if values["learning_rate"] == 0.01 else _loss(values) + 5

    results, _, _ = _drive(plan, loss)
    assert plan.choices(results).learning_rate == 0.03


@pytest.mark.parametrize("halving", [True, False])
@pytest.mark.parametrize("combinations", [(), (("L1", "Dropout"),)])
def test_every_trial_runs_once_and_count_predicts_them(combinations, halving):
    plan = _plan(combinations=combinations, halving=halving)
    results, ran, paths = _drive(plan)
    keys = [trial_key(v) for v in ran]
    assert len(keys) == len(set(keys)) == plan.count(results, paths) == plan.count()


@pytest.mark.parametrize("halving", [True, False])
def test_a_combination_equal_to_all_together_shares_its_runs(halving):
    # All together is L2 (the better penalty) + Dropout: the same setting.
    plan = _plan(combinations=(("L2", "Dropout"),), halving=halving)
    results, ran, paths = _drive(plan)
    assert len(ran) == plan.count(results, paths) == plan.count() - plan.seeds
    assert plan.epochs_planned(results, paths) == plan.epochs_planned() - 3 * 5


def test_comparison_reuses_seed_zero_of_the_tuning_runs():
    plan = _plan()
    results, ran, paths = _drive(plan)
    choices = plan.choices(results)
    lr = choices.learning_rate
    tuned = plan.values(technique("L1").setting(1e-3), lr, 0)
    assert sum(trial_key(v) == trial_key(tuned) for v in ran) == 1
    configurations = plan.configurations(choices, results)
    for setting in configurations.values():
        for seed in range(plan.seeds):
            assert trial_key(plan.values(setting, lr, seed)) in results


def test_configurations_baseline_first_then_techniques_and_combinations():
    plan = _plan(combinations=(("L1", "Dropout"),))
    results, _, _ = _drive(plan)
    configurations = plan.configurations(plan.choices(results), results)
    assert list(configurations) == [
        BASELINE,
        "L1",
        "L2",
        "Dropout",
        "L1 + Dropout",
        ALL_TOGETHER,
    ]
    assert configurations["L1 + Dropout"] == Setting(
        penalty="L1", strength=1e-3, dropout_rate=0.3
    )


# The penalty best on validation first, in the middle and last of the list:
# merging every penalty would keep the last one listed, and taking the first
# would keep L1.
@pytest.mark.parametrize("best", ["L1", "ElasticNet", "L2"])
def test_all_together_takes_the_penalty_best_on_validation(best):
    plan = _plan(("L1", "ElasticNet", "L2", "Dropout"))

    def loss(values):
        return _loss(values) - (0.5 if values["penalty"] == best else 0.0)

    results, _, _ = _drive(plan, loss)
    choices = plan.choices(results)
    configurations = plan.configurations(choices, results)
    assert configurations[ALL_TOGETHER] == Setting(
        penalty=best, strength=choices.strength[best], dropout_rate=0.3
    )


def test_one_technique_has_no_all_together():
    plan = _plan(("Dropout",))
    results, _, _ = _drive(plan)
    assert list(plan.configurations(plan.choices(results), results)) == [
        BASELINE,
        "Dropout",
    ]


def test_paths_run_last_for_l1_type_penalties_only():
    plan = _plan(("L1", "L2", "Dropout"))
    _, ran, _ = _drive(plan)
    paths = [v for v in ran if v["path"]]
    assert [v["path"] for v in paths] == ["L1"]
    assert ran[-2]["path"] == "L1"
    assert not any(v["path"] for v in _drive(_plan(path=False))[1])


def test_path_strengths_fall_geometrically_beyond_the_grid():
    strengths = _plan().path_strengths("L1")
    grid = technique("L1").grid
    assert strengths[0] > max(grid) and strengths[-1] < min(grid)
    ratios = [b / a for a, b in zip(strengths, strengths[1:], strict=False)]
    assert all(r < 1 for r in ratios)
    assert ratios == pytest.approx([ratios[0]] * len(ratios))


@pytest.mark.parametrize(
    "names, accuracies, refit",
    [
        (("L1", "Dropout"), ACCURACIES, {"L1": 2}),
        (("L1", "ElasticNet"), ACCURACIES, {"L1": 2, "ElasticNet": 2}),
        (("L1",), (0.95, 0.9, 0.8, 0.7, 0.6, 0.5), {"L1": 0}),
        # A path that diverged at every λ recommends nothing to refit.
        (("L1",), (math.nan,) * 6, {}),
    ],
    ids=["one-path", "two-paths", "strongest", "all-diverged"],
)
def test_a_fresh_fit_at_each_paths_recommended_lambda_runs_last(
    names, accuracies, refit
):
    plan = _plan(names, seeds=2)
    if math.isnan(accuracies[0]):
        # Diverged: every point's validation loss is inf.
        def accuracies_of(name):
            return [
                PathPoint(s, {"val_accuracy": 0.1, "val_loss": math.inf}, 0.0)
                for s in plan.path_strengths(name)
            ]
    else:

        def accuracies_of(name):
            return _path(plan, name, accuracies)

    results, ran, paths = {}, [], {}
    while (step := plan.next(results, set(), paths))[0] == "run":
        values = step[1]
        ran.append(values)
        results[trial_key(values)] = _loss(values)
        if values["path"]:
            paths[values["path"]] = accuracies_of(values["path"])
    fresh = ran[len(ran) - len(refit) :] if refit else []
    assert [(v["penalty"], v["strength"], v["seed"], v["path"]) for v in fresh] == [
        (name, plan.path_strengths(name)[index], 0, "") for name, index in refit.items()
    ]
    assert len(ran) == plan.count(results, paths)


def test_the_fresh_fit_waits_for_its_path():
    plan = _plan(("L1",), seeds=1)
    results, ran, paths = _drive(plan)
    path_key = trial_key(next(v for v in ran if v["path"]))
    # Every trial but the fresh fit finished, and the path's points unknown.
    del results[trial_key(ran[-1])]
    assert plan.next(results, set(), paths={}) == ("wait", None)
    assert plan.next(results, {path_key}, paths=None) == ("wait", None)
    status, values = plan.next(results, set(), paths={"L1": _path(plan, "L1")})
    assert status == "run" and values == ran[-1]


# Successive halving (η = 3) in phases 1 and 2.


@pytest.mark.parametrize(
    "size, rungs",
    [
        (1, (60,)),
        (2, (20, 60)),
        (3, (20, 60)),
        (4, (7, 20, 60)),
        (9, (7, 20, 60)),
        # 60 / 27 = 2.2 epochs.
        (10, (2, 7, 20, 60)),
    ],
)
def test_a_grid_of_n_values_gets_ceil_log3_n_rungs_below_the_full_budget(size, rungs):
    assert _plan(epochs=60).rungs(size) == rungs
    assert _plan(epochs=60, halving=False).rungs(size) == (60,)
    # A technique whose strength a short run cannot show.
    assert _plan(epochs=60).rungs(size, halving=False) == (60,)
    # A rung is never shorter than one epoch.
    assert _plan(epochs=1).rungs(size) == (1,) * len(rungs)


def _stable(best, grid):
    """A validation loss whose argmin over the grid is `grid[best]` at every
    budget, while the order of the other values changes with the epochs and
    every loss falls with them."""

    def loss(values):
        def rank(value):
            i = grid.index(value)
            if i == best:
                return 0.0
            return 0.1 + (7 * i + 3 * values["epochs"]) % 11 / 10

        strength = values["dropout_rate"]
        return (
            1.0
            + 5.0 / values["epochs"]
            + rank(values["learning_rate"])
            + (rank(strength) if strength else 0.0)
        )

    return loss


_GRIDS = {
    2: (0.1, 0.2),
    3: (0.1, 0.2, 0.3),
    5: (0.1, 0.15, 0.2, 0.25, 0.3),
    9: (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45),
}


@pytest.mark.parametrize("where", ["first", "middle", "last"])
@pytest.mark.parametrize("size", [2, 3, 5, 9])
def test_halving_never_stops_the_value_full_budget_tuning_chooses(size, where):
    grid = _GRIDS[size]
    best = {"first": 0, "middle": size // 2, "last": size - 1}[where]
    loss = _stable(best, grid)

    def plan(halving):
        return Plan(
            techniques=(technique("Dropout", grid),),
            combinations=(),
            # Both phases tune the same grid: the rates and the rates of dropout.
            learning_rates=grid,
            seeds=3,
            epochs=27,
            path=False,
            halving=halving,
        )

    full, halved = plan(False), plan(True)
    full_results, full_ran, _ = _drive(full, loss)
    results, ran, _ = _drive(halved, loss)
    chosen = full.choices(full_results)
    assert (chosen.learning_rate, chosen.strength) == (
        grid[best],
        {"Dropout": grid[best]},
    )
    choices = halved.choices(results)
    assert choices.learning_rate == chosen.learning_rate
    assert choices.strength == chosen.strength
    # The value chosen reached the full budget; halving stopped the others.
    assert choices.learning_rate_epochs[grid[best]] == 27
    assert choices.strength_epochs["Dropout"][grid[best]] == 27
    stopped = [e for v, e in choices.learning_rate_epochs.items() if v != grid[best]]
    assert all(e < 27 for e in stopped) and len(stopped) == size - 1
    # Full-budget tuning trained every value the full budget.
    assert all(v["epochs"] == 27 for v in full_ran)
    # The comparison trains every configuration and seed the same 27 epochs,
    # from scratch, with or without halving.
    for plan_, results_, ran_ in (
        (halved, results, ran),
        (full, full_results, full_ran),
    ):
        configurations = plan_.configurations(plan_.choices(results_), results_)
        compared = [
            plan_.values(setting, choices.learning_rate, seed)
            for setting in configurations.values()
            for seed in range(3)
        ]
        keys = {trial_key(v) for v in ran_}
        assert all(trial_key(v) in keys and v["epochs"] == 27 for v in compared)
        assert all(v["epochs"] == 27 for v in ran_ if v["seed"] > 0)


def test_each_rung_keeps_the_best_third_and_triples_the_epochs():
    grid = _GRIDS[9]
    plan = Plan(
        techniques=(technique("Dropout", grid),),
        combinations=(),
        learning_rates=(0.1,),
        seeds=1,
        epochs=27,
        path=False,
        halving=True,
    )

    def loss(values):
        # Best: 0.45 > 0.4 > ... at every budget.
        return 1.0 - values["dropout_rate"]

    results, ran, _ = _drive(plan, loss)
    tuning = [(v["dropout_rate"], v["epochs"]) for v in ran if v["dropout_rate"]]
    assert tuning == [
        *((rate, 3) for rate in grid),
        (0.35, 9),
        (0.4, 9),
        (0.45, 9),
        (0.45, 27),
    ]
    choices = plan.choices(results)
    assert choices.strength_epochs["Dropout"] == {
        **dict.fromkeys(grid[:6], 3),
        0.35: 9,
        0.4: 9,
        0.45: 27,
    }
    assert choices.strengths["Dropout"][0.05] == pytest.approx(0.95)
    # One value of the rate grid: no rung.
    assert [v["epochs"] for v in ran if not v["dropout_rate"]] == [27]


def test_a_tie_in_a_rung_goes_to_the_value_first_in_the_grid():
    plan = _plan(("Dropout",), epochs=9)
    results, ran, _ = _drive(plan, loss=lambda values: 1.0)
    # 0.01 went on from the rung of 3 epochs, alone.
    assert [(v["learning_rate"], v["epochs"]) for v in ran[:4]] == [
        (0.01, 3),
        (0.03, 3),
        (0.1, 3),
        (0.01, 9),
    ]
    assert plan.choices(results).strength == {"Dropout": 0.1}


def test_a_diverged_run_never_goes_on_to_the_next_rung():
    plan = _plan(("Dropout",), epochs=9)

    def loss(values):
        # Diverges at the rate the others would choose, within three epochs.
        if values["learning_rate"] == 0.03 and values["epochs"] == 3:
            return math.inf
        return _loss(values)

    results, ran, _ = _drive(plan, loss)
    assert plan.choices(results).learning_rate == 0.01
    assert not any(v["learning_rate"] == 0.03 and v["epochs"] == 9 for v in ran)


def test_early_stopping_and_batch_norm_are_tuned_at_the_full_budget():
    plan = _plan(("EarlyStopping", "BatchNorm", "Dropout"), epochs=9)
    results, ran, _ = _drive(plan)

    def alone(values, name):
        return values["seed"] == 0 and Setting.from_values(
            values
        ).techniques().keys() == {name}

    assert [v["epochs"] for v in ran if alone(v, "EarlyStopping")] == [9, 9, 9]
    assert [v["epochs"] for v in ran if alone(v, "BatchNorm")] == [9]
    assert [v["epochs"] for v in ran if alone(v, "Dropout")] == [3, 3, 3, 9]
    assert plan.choices(results).strength_epochs["EarlyStopping"] == {
        5: 9,
        10: 9,
        20: 9,
    }


def test_without_halving_every_value_trains_the_full_budget_in_grid_order():
    plan = _plan(halving=False)
    results, ran, _ = _drive(plan)
    rates = [0.01, 0.03, 0.1]
    expected = [plan.values(Setting(), rate, 0) for rate in rates]
    expected += [
        plan.values(technique(name).setting(value), 0.03, 0)
        for name in ("L1", "L2", "Dropout")
        for value in technique(name).grid
    ]
    assert ran[: len(expected)] == expected
    assert all(v["epochs"] == 5 for v in ran)
    choices = plan.choices(results)
    assert choices.learning_rate_epochs == dict.fromkeys(rates, 5)


def test_a_rung_as_long_as_the_full_budget_runs_once():
    # One epoch: every rung of every grid is the full run.
    plan = _plan(epochs=1)
    results, ran, paths = _drive(plan)
    without = _drive(_plan(epochs=1, halving=False))[1]
    assert ran == without
    assert plan.count(results, paths) == len(ran) == plan.count() - 4


@pytest.mark.parametrize(
    "halving, trials, epochs",
    [
        # Tuning, four grids of three: halving trains each value 2 epochs
        # (5 / 3, rounded) and the best 5, 4 × (3 + 1) trials of 3 × 2 + 5
        # epochs; without, 4 × 3 trials of 5. The comparison: the baseline,
        # L1, L2, Dropout and all together over 3 seeds, less the 4 seed-0
        # runs tuning made: 11 trials of 5 epochs. The L1 path: 6 points of 5
        # epochs, then its fresh fit of 5.
        (True, 16 + 11 + 2, 4 * 11 + 11 * 5 + 6 * 5 + 5),
        (False, 12 + 11 + 2, 4 * 15 + 11 * 5 + 6 * 5 + 5),
    ],
)
def test_count_and_epochs_planned_against_hand_counts(halving, trials, epochs):
    plan = _plan(halving=halving)
    assert (plan.count(), plan.epochs_planned()) == (trials, epochs)
    results, ran, paths = _drive(plan)
    assert plan.count(results, paths) == len(ran) == trials
    exact = sum(v["epochs"] * (6 if v["path"] else 1) for v in ran)
    assert plan.epochs_planned(results, paths) == exact == epochs


def test_epochs_planned_is_an_upper_bound_until_the_choices_are_made():
    plan = _plan(combinations=(("L2", "Dropout"),))
    results, ran, paths = _drive(plan)
    exact = plan.epochs_planned(results, paths)
    for done in range(len(ran)):
        partial = {trial_key(v): results[trial_key(v)] for v in ran[:done]}
        known = {n: p for n, p in paths.items() if n != "L1" or done == len(ran)}
        assert plan.epochs_planned(partial, known) >= exact
        assert plan.count(partial, known) >= len(ran)


# The default techniques at the default 60 epochs, one seed, no path: the
# plan is phases 1 and 2 and the one run of "all together" (every other
# configuration's seed 0 is a tuning run). Tuning without halving: 22 values
# (three rates, six grids of three, BatchNorm's one) × 60 = 1320 epochs. With
# halving the rates and each of the five halved grids take 3 × 20 + 60 = 120
# epochs instead of 180, BatchNorm 60 and EarlyStopping 3 × 60: 960, 0.73 of
# 1320. Less the 8 seed-0 runs the comparison reuses (the baseline's and each
# technique's, 480 epochs), tuning alone trains 480 epochs against 840: 0.57.
@pytest.mark.parametrize("halving, tuning", [(True, 960), (False, 1320)])
def test_tuning_epochs_of_the_default_techniques(halving, tuning):
    plan = Plan(
        techniques=tuple(technique(n) for n in DEFAULT_TECHNIQUES),
        combinations=(),
        learning_rates=(0.01, 0.03, 0.1),
        seeds=1,
        epochs=60,
        path=False,
        halving=halving,
    )
    results, ran, paths = _drive(plan)
    together = 60
    assert plan.epochs_planned(results, paths) == tuning + together
    # The baseline's and each technique's seed 0 are reused by the comparison.
    reused = 60 * (1 + len(DEFAULT_TECHNIQUES))
    assert tuning - reused == (480 if halving else 840)
