"""The file system kerasreg writes through: atomic writes and checked records.

Atomic writes: a reader finds the old file or the new one, never a mix.

A file is written under a temporary name in its destination folder, then
renamed over the destination. On a local disk the file is flushed (fsync)
before `os.replace`, which is atomic within one file system, and the folder is
synced after it, so that the rename itself is durable. A process killed at any
instant leaves the destination untouched or complete, plus at most a temporary
file that `remove_temporaries` deletes later.

A path with a scheme (`ram://`, `gs://`, `hdfs://`, ...) goes through
`tf.io.gfile`, which has no fsync: the rename is `tf.io.gfile.rename`, atomic
where the file system's rename is (TensorFlow's `ram://`, HDFS) and a copy then
a delete where it is not (GCS, S3, whose objects nonetheless appear whole, so
a reader still never sees a half-written file).

Records: every JSON file kerasreg writes for itself to read back (an
EarlyStopping state, a BackupAndRestore pointer, a study's identity) is an
object with a "kind" and a "format"; `read_record` checks both, so a damaged,
foreign or newer file is named in an error instead of misread.

Locks: `lock` holds an operating-system lock on a local file (`flock`), which
the system releases when its process ends, however it ends: a killed process
never leaves a folder locked. It holds between processes of one machine, and
across machines only where the network file system supports `flock` (NFS
with its lock service); Windows has no `flock`, and there nothing is locked.
"""

import contextlib
import fnmatch
import glob as local_glob
import json
import os
import posixpath
import secrets
import shutil

try:
    import fcntl
except ImportError:  # Windows.
    fcntl = None

TEMPORARY_MARK = ".tmp-"


def is_remote(path):
    """Whether `path` names a file system by a scheme (`ram://`, `gs://`)."""
    return "://" in os.fspath(path)


def _gfile():
    import tensorflow as tf

    return tf.io.gfile


def absolute(path):
    """`path` made absolute and normalized, its scheme kept."""
    path = os.fspath(path)
    if not is_remote(path):
        return os.path.abspath(path)
    scheme, rest = path.split("://", 1)
    return f"{scheme}://{posixpath.normpath(rest)}" if rest else path


def split(path):
    """(folder, name) of an absolute `path`."""
    path = absolute(path)
    if not is_remote(path):
        return os.path.split(path)
    scheme, rest = path.split("://", 1)
    folder, name = posixpath.split(rest)
    return f"{scheme}://{folder}", name


def join(folder, *names):
    if is_remote(folder):
        return posixpath.join(os.fspath(folder), *names)
    return os.path.join(folder, *names)


def exists(path):
    return _gfile().exists(path) if is_remote(path) else os.path.exists(path)


def isdir(path):
    return _gfile().isdir(path) if is_remote(path) else os.path.isdir(path)


def makedirs(folder):
    if is_remote(folder):
        _gfile().makedirs(folder)
    else:
        os.makedirs(folder, exist_ok=True)


def listdir(folder):
    if is_remote(folder):
        return [name.rstrip("/") for name in _gfile().listdir(folder)]
    return os.listdir(folder)


def glob(pattern):
    """Paths matching `pattern` (`glob` syntax, in its last component only
    for a path with a scheme)."""
    if not is_remote(pattern):
        return local_glob.glob(pattern)
    folder, name_pattern = split(pattern)
    if not isdir(folder):
        return []
    return [
        join(folder, name)
        for name in listdir(folder)
        if fnmatch.fnmatchcase(name, name_pattern)
    ]


def fsync_file(path):
    """Flush a written file's data to the disk (local files only)."""
    if is_remote(path):
        return
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def fsync_folder(folder):
    """Make the creation, renaming or removal of a folder's entries durable."""
    if os.name == "nt" or is_remote(folder):
        # Windows cannot open a folder to sync it; gfile offers no sync.
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sync_tree(folder):
    """fsync every file below `folder`, then the folders themselves."""
    if is_remote(folder):
        return
    for root, _, files in os.walk(folder):
        for name in files:
            fsync_file(os.path.join(root, name))
        fsync_folder(root)


def temporaries_pattern(path):
    """The `glob` pattern of the temporaries `replacing(path)` creates."""
    folder, name = split(path)
    return join(folder, f".{local_glob.escape(name)}{TEMPORARY_MARK}*")


def _suffix(name):
    # Keras picks the format from the extension, so a temporary name keeps it.
    if name.endswith(".weights.h5"):
        return ".weights.h5"
    return os.path.splitext(name)[1]


def _rename(source, destination):
    if is_remote(destination):
        _gfile().rename(source, destination, overwrite=True)
    else:
        os.replace(source, destination)


@contextlib.contextmanager
def replacing(path):
    """Yield a temporary path beside `path` that atomically becomes `path`.

    The caller writes the temporary file inside the `with` block; on a clean
    exit it is synced and renamed over `path`, on an error it is removed.
    """
    folder, name = split(path)
    makedirs(folder)
    token = secrets.token_hex(4)
    temporary = join(folder, f".{name}{TEMPORARY_MARK}{token}{_suffix(name)}")
    try:
        yield temporary
        fsync_file(temporary)
        _rename(temporary, join(folder, name))
    except BaseException:
        remove(temporary)
        raise
    fsync_folder(folder)


def write_bytes(path, data):
    with replacing(path) as temporary, open_file(temporary, "wb") as f:
        f.write(data)


def write_json(path, obj):
    write_bytes(path, json.dumps(obj, indent=1).encode("utf-8"))


def open_file(path, mode):
    """`open`, or `tf.io.gfile.GFile` for a path with a scheme."""
    if is_remote(path):
        return _gfile().GFile(path, mode)
    return open(path, mode)


def read_bytes(path):
    with open_file(path, "rb") as f:
        return f.read()


def read_json(path):
    return json.loads(read_bytes(path).decode("utf-8"))


class DamagedRecord(ValueError):
    """A record file that is empty, not JSON, of another kind or format.

    Its message is the reason alone ("the file is empty"); the caller names
    the file and says what to do about it.
    """


def record(kind, format_version, **fields):
    """The JSON object `read_record(path, kind, format_version)` accepts."""
    return {"kind": kind, "format": format_version, **fields}


def read_record(path, kind, format_version, what):
    """The JSON object at `path`, checked to be a `kind` record of that format.

    `what` names such a record in the reason ("kerasreg BackupAndRestore
    pointer"). Raises `DamagedRecord` when the file is not one; an unreadable
    file raises `OSError`.
    """
    data = read_bytes(path)
    if not data.strip():
        raise DamagedRecord("the file is empty")
    try:
        held = json.loads(data.decode("utf-8"))
    except ValueError as error:  # Also UnicodeDecodeError.
        raise DamagedRecord(
            f"the file is truncated or corrupt, not valid JSON ({error})"
        ) from None
    if not isinstance(held, dict) or held.get("kind") != kind:
        raise DamagedRecord(f'the file is not a {what} (it lacks "kind": "{kind}")')
    if held.get("format") != format_version:
        raise DamagedRecord(
            f"the file has format {held.get('format')!r}, and this version of "
            f"kerasreg reads format {format_version}"
        )
    return held


def remove_temporaries(path):
    """Delete what `replacing(path)` left behind when a process died in it."""
    for temporary in glob(temporaries_pattern(path)):
        remove(temporary)


def remove(path):
    """Delete a file or a folder tree if it exists."""
    if is_remote(path):
        gfile = _gfile()
        if gfile.isdir(path):
            gfile.rmtree(path)
        elif gfile.exists(path):
            gfile.remove(path)
    elif os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def lock(path):
    """Hold an exclusive lock on the local file `path`, created if absent.

    Returns the open descriptor that holds it (give it to `unlock`), or None
    when another process holds it.
    """
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        with contextlib.suppress(FileNotFoundError):
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                # Who holds it, for the message of a process that is refused.
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
                return fd
        # Its holder deleted the file as it let go: lock the one at `path` now.
        os.close(fd)


def unlock(path, fd):
    """Delete the file `lock(path)` locked and let go of it."""
    if fcntl is None:
        # Windows deletes no open file (and locks none).
        os.close(fd)
        remove(path)
        return
    # Deleted while still held: a process waiting on the old file sees that
    # it is gone and locks a new one.
    remove(path)
    os.close(fd)
