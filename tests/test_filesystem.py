"""Atomic writes, on a local disk and on a TensorFlow file system (`ram://`)."""

import os

import pytest

from kerasreg import _filesystem


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
    path = _filesystem.join(root, "a", "state.json")
    _filesystem.write_json(path, {"x": 1})
    _filesystem.write_json(path, {"x": 2})
    assert _filesystem.read_json(path) == {"x": 2}
    assert _filesystem.listdir(_filesystem.join(root, "a")) == ["state.json"]
    assert _filesystem.exists(path) and not _filesystem.isdir(path)


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(root):
    path = _filesystem.join(root, "model.weights.h5")
    _filesystem.write_bytes(path, b"old")
    with (
        pytest.raises(RuntimeError, match="killed"),
        _filesystem.replacing(path) as temporary,
    ):
        # Keras picks the format from the extension: the temporary keeps it.
        assert temporary.endswith(".weights.h5")
        with _filesystem.open_file(temporary, "wb") as f:
            f.write(b"half")
        raise RuntimeError("killed")
    assert _filesystem.read_bytes(path) == b"old"
    assert _filesystem.listdir(root) == ["model.weights.h5"]


def test_remove_temporaries_and_remove(root):
    path = _filesystem.join(root, "run[1].json")  # glob characters in the name
    _filesystem.write_bytes(path, b"{}")
    left = _filesystem.join(
        root, f".run[1].json{_filesystem.TEMPORARY_MARK}0badf00d.json"
    )
    other = _filesystem.join(
        root, f".run.json{_filesystem.TEMPORARY_MARK}0badf00d.json"
    )
    for temporary in (left, other):
        _filesystem.write_bytes(temporary, b"{")
    assert _filesystem.glob(_filesystem.temporaries_pattern(path)) == [left]
    _filesystem.remove_temporaries(path)
    assert sorted(_filesystem.listdir(root)) == sorted(
        ["run[1].json", os.path.basename(other)]
    )
    _filesystem.remove(path)
    _filesystem.remove(path)  # Already gone: nothing to do.
    folder = _filesystem.join(root, "tree")
    _filesystem.write_bytes(_filesystem.join(folder, "deep", "f"), b"")
    _filesystem.remove(folder)
    assert not _filesystem.exists(folder)
    assert _filesystem.listdir(root) == [os.path.basename(other)]


def test_paths_keep_their_scheme():
    assert _filesystem.is_remote("gs://bucket/run") and not _filesystem.is_remote("run")
    assert _filesystem.absolute("ram://a/./b//c/") == "ram://a/b/c"
    assert _filesystem.split("gs://bucket/run/es.json") == (
        "gs://bucket/run",
        "es.json",
    )
    assert (
        _filesystem.join("gs://bucket", "run", "es.json") == "gs://bucket/run/es.json"
    )
    assert _filesystem.absolute("run") == os.path.abspath("run")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b" \n", "the file is empty"),
        (b'{"kind": "k", "for', "the file is truncated or corrupt, not valid JSON ("),
        (b"\xff\xfe", "the file is truncated or corrupt, not valid JSON ("),
        (b"[1, 2]", 'the file is not a test record (it lacks "kind": "k")'),
        (b'{"kind": "other", "format": 1}', "the file is not a test record (it lacks"),
        (
            b'{"kind": "k", "format": 99}',
            "the file has format 99, and this version of kerasreg reads format 1",
        ),
    ],
    ids=["empty", "blank", "truncated", "not_utf8", "not_object", "foreign", "newer"],
)
def test_read_record_names_what_is_wrong(root, content, reason):
    path = _filesystem.join(root, "record.json")
    _filesystem.write_bytes(path, content)
    with pytest.raises(_filesystem.DamagedRecord) as caught:
        _filesystem.read_record(path, "k", 1, "test record")
    assert str(caught.value).startswith(reason)


def test_a_written_record_reads_back(root):
    path = _filesystem.join(root, "record.json")
    _filesystem.write_json(path, _filesystem.record("k", 1, state={"wait": 2}))
    assert _filesystem.read_record(path, "k", 1, "test record") == {
        "kind": "k",
        "format": 1,
        "state": {"wait": 2},
    }


def test_lock_is_exclusive_until_unlocked(tmp_path):
    path = str(tmp_path / ".study.lock")
    held = _filesystem.lock(path)
    assert held is not None
    # flock locks conflict between two opens of the file, also in one process.
    assert _filesystem.lock(path) is None
    with open(path) as f:
        assert f.read() == str(os.getpid())
    _filesystem.unlock(path, held)
    assert not os.path.exists(path)
    again = _filesystem.lock(path)
    assert again is not None
    _filesystem.unlock(path, again)


def test_lock_retries_when_its_holder_deletes_the_file_meanwhile(tmp_path, monkeypatch):
    fcntl = pytest.importorskip("fcntl")
    path = str(tmp_path / ".study.lock")
    real_flock, calls = fcntl.flock, []

    def flock_after_the_holder_let_go(fd, operation):
        calls.append(os.fstat(fd).st_ino)
        if len(calls) == 1:
            os.remove(path)  # The holder unlocks: it deletes the file first.
        return real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", flock_after_the_holder_let_go)
    held = _filesystem.lock(path)
    assert len(calls) == 2  # The deleted file's lock was dropped, then retried.
    assert os.path.samestat(os.fstat(held), os.stat(path))
    _filesystem.unlock(path, held)
