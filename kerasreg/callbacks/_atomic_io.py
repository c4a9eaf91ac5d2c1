"""Atomic file writes: a reader finds the old file or the new one, never a mix.

A file is written under a temporary name in its destination folder, flushed to
the disk (fsync), then renamed over the destination with `os.replace`, which is
atomic within one file system; the folder is synced too, so that the rename
itself is durable. A process killed at any instant leaves the destination
untouched or complete, plus at most a temporary file that `remove_temporaries`
deletes later.
"""

import contextlib
import glob
import json
import os
import secrets
import shutil

TEMPORARY_MARK = ".tmp-"


def _suffix(name):
    # Keras picks the format from the extension, so a temporary name keeps it.
    if name.endswith(".weights.h5"):
        return ".weights.h5"
    return os.path.splitext(name)[1]


def fsync_file(path):
    """Flush a written file's data to the disk."""
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def fsync_folder(folder):
    """Make the creation, renaming or removal of a folder's entries durable."""
    if os.name == "nt":  # Windows cannot open a folder to sync it.
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_tree(folder):
    """fsync every file below `folder`, then the folders themselves."""
    for root, _, files in os.walk(folder):
        for name in files:
            fsync_file(os.path.join(root, name))
        fsync_folder(root)


@contextlib.contextmanager
def replacing(path):
    """Yield a temporary path beside `path` that atomically becomes `path`.

    The caller writes the temporary file inside the `with` block; on a clean
    exit it is synced and renamed over `path`, on an error it is removed.
    """
    path = os.path.abspath(os.fspath(path))
    folder, name = os.path.split(path)
    os.makedirs(folder, exist_ok=True)
    token = secrets.token_hex(4)
    temporary = os.path.join(folder, f".{name}{TEMPORARY_MARK}{token}{_suffix(name)}")
    try:
        yield temporary
        fsync_file(temporary)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
    fsync_folder(folder)


def write_bytes(path, data):
    with replacing(path) as temporary, open(temporary, "wb") as f:
        f.write(data)


def write_json(path, obj):
    write_bytes(path, json.dumps(obj, indent=1).encode("utf-8"))


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def remove_temporaries(path):
    """Delete what `replacing(path)` left behind when a process died in it."""
    folder, name = os.path.split(os.path.abspath(os.fspath(path)))
    pattern = f".{glob.escape(name)}{TEMPORARY_MARK}*"
    for temporary in glob.glob(os.path.join(folder, pattern)):
        remove(temporary)


def remove(path):
    """Delete a file or a folder tree if it exists."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
