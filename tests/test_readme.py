"""The README's quickstart runs as written (with fewer epochs)."""

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.tensorflow_only
def test_quickstart_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    quickstart = next(b for b in blocks if "regularization_report" in b)
    monkeypatch.chdir(tmp_path)
    exec(compile(quickstart.replace("epochs=100", "epochs=2"), "README", "exec"), {})
    assert (tmp_path / "best.keras").exists()
    assert "zero %" in capsys.readouterr().out


def test_layout_lists_every_module_with_a_sentence():
    # The README's layout block: one line per module, its path then a sentence.
    section = README.read_text().split("## Layout", 1)[1]
    block = re.search(r"```text\n(.*?)```", section, re.S).group(1)
    listed = {}
    for line in block.splitlines():
        path, sentence = line.split(maxsplit=1)
        assert sentence.endswith((".", "?")), line
        listed[path] = sentence
    package = README.parent / "kerasreg"
    modules = sorted(
        p.relative_to(README.parent).as_posix() for p in package.rglob("*.py")
    )
    assert sorted(listed) == modules
