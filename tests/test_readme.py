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
