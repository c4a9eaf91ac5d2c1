"""run_demo: `kerasreg.study` with the demo's network, and its own arguments."""

import pickle
import re

import keras
import pytest

import kerasreg.demo.main as demo_main
from kerasreg.demo import run_demo
from kerasreg.experiments import Switches
from kerasreg.experiments.arguments import DEFAULT_LEARNING_RATES
from kerasreg.experiments.techniques import DEFAULT_TECHNIQUES


@pytest.fixture
def study_calls(monkeypatch):
    """What run_demo hands to `kerasreg.study` (the study is tested on its own)."""
    calls = []

    def study(build_model, data, **kwargs):
        calls.append((build_model, data, kwargs))
        return "result"

    monkeypatch.setattr(demo_main, "study", study)
    return calls


def test_run_demo_is_the_study_with_the_demo_network(study_calls):
    assert run_demo(out="somewhere", epochs=7, seeds=2, quiet=True) == "result"
    [(build_model, data, kwargs)] = study_calls
    assert data.name == "digits"
    assert kwargs == {
        "techniques": DEFAULT_TECHNIQUES,
        "seeds": 2,
        "epochs": 7,
        "out": "somewhere",
        "learning_rates": DEFAULT_LEARNING_RATES,
        "grids": None,
        "overwrite": False,
        "verbose": 2,
        "stream": None,
        "workers": 1,
        "halving": False,
        "budget": None,
        "tensorboard": False,
    }
    model = build_model(Switches(dropout_rate=0.5, batch_norm=True))
    assert isinstance(model, keras.Model)
    assert model.output_shape == (None, 10)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Dropout") == kinds.count("BatchNormalization") == 2


def test_the_demo_network_reaches_worker_processes(study_calls):
    run_demo(out="somewhere", quiet=True, workers=2)
    [(build_model, _, kwargs)] = study_calls
    assert kwargs["workers"] == 2
    sent, here = (
        model(Switches(dropout_rate=0.5, batch_norm=True))
        for model in (pickle.loads(pickle.dumps(build_model)), build_model)
    )
    assert [type(layer) for layer in sent.layers] == [
        type(layer) for layer in here.layers
    ]
    assert sent.count_params() == here.count_params()


def test_techniques_can_be_chosen(study_calls):
    run_demo(out="somewhere", techniques=("L2",), quiet=True)
    assert study_calls[0][2]["techniques"] == ("L2",)


def test_rates_grids_and_budget_reach_the_study(study_calls):
    run_demo(
        out="somewhere",
        learning_rates=(0.05,),
        grids={"L2": (1e-3,)},
        budget=7.5,
        quiet=True,
    )
    kwargs = study_calls[0][2]
    assert (kwargs["learning_rates"], kwargs["grids"], kwargs["budget"]) == (
        (0.05,),
        {"L2": (1e-3,)},
        7.5,
    )


@pytest.mark.parametrize(
    "kwargs,error,message",
    [
        ({"data": 3}, TypeError, "Invalid value for argument `data`"),
        ({"quiet": "yes"}, TypeError, "Invalid value for argument `quiet`"),
        (
            {"out": None},
            TypeError,
            "Invalid value for argument `out`. Expected a non-empty folder path "
            "(str or path-like). Received: out=None",
        ),
        (
            {"out": 3},
            TypeError,
            "Invalid value for argument `out`. Expected a non-empty folder path "
            "(str or path-like). Received: out=3",
        ),
        (
            {"out": ""},
            ValueError,
            "Invalid value for argument `out`. Expected a non-empty folder path "
            "(str or path-like). Received: out=''",
        ),
    ],
    ids=["data", "quiet", "out_none", "out_int", "out_empty"],
)
def test_bad_arguments_are_named_before_anything_happens(
    tmp_path, monkeypatch, study_calls, kwargs, error, message
):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=re.escape(message)):
        run_demo(**kwargs)
    assert not study_calls
    assert not list(tmp_path.iterdir())
