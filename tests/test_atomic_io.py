"""Atomic writes, on a local disk and on a TensorFlow file system (`ram://`)."""

import os

import pytest

from kerasreg import _atomic_io


@pytest.fixture(params=["local", "ram"])
def root(request, tmp_path, monkeypatch):
    """A fresh folder; the test runs in an empty working folder, so that a
    `ram://` path written as a local one would show."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    yield (
        str(tmp_path / "root")
        if request.param == "local"
        else (f"ram://atomic-{os.urandom(4).hex()}")
    )
    assert os.listdir(work) == []  # Nothing local named "ram:".


def test_write_and_read_back(root):
    path = _atomic_io.join(root, "a", "state.json")
    _atomic_io.write_json(path, {"x": 1})
    _atomic_io.write_json(path, {"x": 2})
    assert _atomic_io.read_json(path) == {"x": 2}
    assert _atomic_io.listdir(_atomic_io.join(root, "a")) == ["state.json"]
    assert _atomic_io.exists(path) and not _atomic_io.isdir(path)


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(root):
    path = _atomic_io.join(root, "model.weights.h5")
    _atomic_io.write_bytes(path, b"old")
    with (
        pytest.raises(RuntimeError, match="killed"),
        _atomic_io.replacing(path) as temporary,
    ):
        # Keras picks the format from the extension: the temporary keeps it.
        assert temporary.endswith(".weights.h5")
        with _atomic_io.open_file(temporary, "wb") as f:
            f.write(b"half")
        raise RuntimeError("killed")
    assert _atomic_io.read_bytes(path) == b"old"
    assert _atomic_io.listdir(root) == ["model.weights.h5"]


def test_remove_temporaries_and_remove(root):
    path = _atomic_io.join(root, "run[1].json")  # glob characters in the name
    _atomic_io.write_bytes(path, b"{}")
    left = _atomic_io.join(
        root, f".run[1].json{_atomic_io.TEMPORARY_MARK}0badf00d.json"
    )
    other = _atomic_io.join(root, f".run.json{_atomic_io.TEMPORARY_MARK}0badf00d.json")
    for temporary in (left, other):
        _atomic_io.write_bytes(temporary, b"{")
    assert _atomic_io.glob(_atomic_io.temporaries_pattern(path)) == [left]
    _atomic_io.remove_temporaries(path)
    assert sorted(_atomic_io.listdir(root)) == sorted(
        ["run[1].json", os.path.basename(other)]
    )
    _atomic_io.remove(path)
    _atomic_io.remove(path)  # Already gone: nothing to do.
    folder = _atomic_io.join(root, "tree")
    _atomic_io.write_bytes(_atomic_io.join(folder, "deep", "f"), b"")
    _atomic_io.remove(folder)
    assert not _atomic_io.exists(folder)
    assert _atomic_io.listdir(root) == [os.path.basename(other)]


def test_paths_keep_their_scheme():
    assert _atomic_io.is_remote("gs://bucket/run") and not _atomic_io.is_remote("run")
    assert _atomic_io.absolute("ram://a/./b//c/") == "ram://a/b/c"
    assert _atomic_io.split("gs://bucket/run/es.json") == ("gs://bucket/run", "es.json")
    assert _atomic_io.join("gs://bucket", "run", "es.json") == "gs://bucket/run/es.json"
    assert _atomic_io.absolute("run") == os.path.abspath("run")
