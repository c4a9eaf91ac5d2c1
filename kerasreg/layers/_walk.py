"""Finding layers inside models through public attributes only."""


def walk_layers(layer):
    """`layer` and, depth first, every layer of the models nested in it."""
    yield layer
    for child in getattr(layer, "layers", ()):
        yield from walk_layers(child)
