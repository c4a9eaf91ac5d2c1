"""The library never imports the demo; the demo uses kerasreg's public names only."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).parents[2] / "kerasreg"
DEMO = PACKAGE / "demo"
# The entry script of `python -m kerasreg`, which runs the demo's command line.
ENTRY = PACKAGE / "__main__.py"


def _imported(path):
    """(line, dotted name) of every module or name `path` imports."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.lineno, node.module
            yield from ((node.lineno, f"{node.module}.{a.name}") for a in node.names)


def _attributes(path):
    """(line, dotted name) of every `kerasreg.x.y` attribute chain in `path`."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute):
            parts = []
            while isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            if isinstance(node, ast.Name) and node.id == "kerasreg":
                yield node.lineno, ".".join(["kerasreg", *reversed(parts)])


def _private(part):
    # `kerasreg.__version__` is public; `kerasreg._validation` is not.
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


LIBRARY = sorted(
    p for p in PACKAGE.rglob("*.py") if DEMO not in p.parents and p != ENTRY
)
DEMO_MODULES = sorted(DEMO.glob("*.py"))


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_library_does_not_import_the_demo(path):
    found = [
        f"{path.name}:{line} {name}"
        for line, name in _imported(path)
        if name == "kerasreg.demo" or name.startswith("kerasreg.demo.")
    ]
    assert found == []


@pytest.mark.parametrize("path", DEMO_MODULES, ids=lambda p: p.name)
def test_demo_uses_public_kerasreg_names_only(path):
    names = [*_imported(path), *_attributes(path)]
    private = [
        f"{path.name}:{line} {name}"
        for line, name in names
        if name.startswith("kerasreg.")
        and not name.startswith("kerasreg.demo")
        and any(_private(part) for part in name.split(".")[1:])
    ]
    assert private == []
