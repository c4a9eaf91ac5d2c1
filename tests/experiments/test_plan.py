"""The plan: phases, choices on validation loss only, and seed-0 reuse."""

import math

import pytest

from kerasreg.experiments.plan import ALL_TOGETHER, BASELINE, Plan, trial_key
from kerasreg.experiments.records import PathPoint
from kerasreg.experiments.techniques import Setting, technique


def _plan(names=("L1", "L2", "Dropout"), seeds=3, path=True, combinations=()):
    return Plan(
        techniques=tuple(technique(n) for n in names),
        combinations=combinations,
        learning_rates=(0.01, 0.03, 0.1),
        seeds=seeds,
        epochs=5,
        path=path,
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


@pytest.mark.parametrize("combinations", [(), (("L1", "Dropout"),)])
def test_every_trial_runs_once_and_count_predicts_them(combinations):
    plan = _plan(combinations=combinations)
    results, ran, paths = _drive(plan)
    keys = [trial_key(v) for v in ran]
    assert len(keys) == len(set(keys)) == plan.count(results, paths) == plan.count()


def test_a_combination_equal_to_all_together_shares_its_runs():
    # All together is L2 (the better penalty) + Dropout: the same setting.
    plan = _plan(combinations=(("L2", "Dropout"),))
    results, ran, paths = _drive(plan)
    assert len(ran) == plan.count(results, paths) == plan.count() - plan.seeds


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
