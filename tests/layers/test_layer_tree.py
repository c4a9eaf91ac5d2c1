"""`walk_layers`: the layer, then depth first every nested layer, each once."""

import keras

from kerasreg.layers._layer_tree import walk_layers


def test_visits_the_root_then_nested_layers_depth_first():
    a, b = keras.layers.Dense(2, name="a"), keras.layers.Dense(2, name="b")
    inner = keras.Sequential([keras.Input((3,)), a, b], name="inner")
    outer = keras.Sequential(
        [keras.Input((3,)), inner, keras.layers.Dense(1, name="c")], name="outer"
    )
    assert [layer.name for layer in walk_layers(outer)] == [
        "outer",
        "inner",
        "a",
        "b",
        "c",
    ]


def test_a_shared_layer_is_visited_once():
    shared = keras.layers.Dense(2, name="shared")
    first = keras.Sequential([keras.Input((2,)), shared], name="first")
    second = keras.Sequential([keras.Input((2,)), shared], name="second")
    inputs = keras.Input((2,))
    model = keras.Model(inputs, [first(inputs), second(inputs)], name="model")
    names = [layer.name for layer in walk_layers(model)]
    assert names.count("shared") == 1
    assert names.index("first") < names.index("shared") < names.index("second")


def test_a_plain_layer_is_its_own_tree():
    layer = keras.layers.Dense(1)
    assert list(walk_layers(layer)) == [layer]
