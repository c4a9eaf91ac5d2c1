"""Walking the tree of layers inside a model, through public attributes only."""


def walk_layers(layer):
    """`layer` and, depth first, every layer of the models nested in it, each
    once (a layer shared by two nested models is visited the first time)."""
    seen = set()
    stack = [layer]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend(reversed(getattr(current, "layers", ())))
